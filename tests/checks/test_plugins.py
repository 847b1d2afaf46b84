"""Plugin kinds through the ``infra_verify.kinds`` entry point group, with examples/plugin.

How the example plugin gets "installed": pip-installing it into the shared venv would change
the environment for every other test run, and takes seconds. Instead a session fixture builds
the ``.dist-info`` directory that ``pip install`` would write (METADATA plus
``entry_points.txt`` generated from examples/plugin/pyproject.toml's entry-point table) in a
temporary directory, and puts that directory and the plugin's ``src/`` on ``sys.path``.
``importlib.metadata`` then discovers the entry point exactly as it would for an installed
distribution. The CLI test does the same for a subprocess through PYTHONPATH.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra_verify import CheckContext, Gate, PolicyError, Status, load_policy
from infra_verify.checks.plugins import discover
from infra_verify.checks.registry import get_kind, kind_names, reload_plugins
from infra_verify.cli.main import main
from tests.servers.web_server import WebServer

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "examples" / "plugin"
FLAGS = {"flags": {"new-checkout": {"enabled": False}, "dark-mode": True}}


def install_dist_info(target: Path, name: str, entry_points: dict[str, dict[str, str]]) -> None:
    """Write ``name-0.1.0.dist-info`` with METADATA and entry_points.txt into ``target``."""
    info = target / f"{name.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n")
    lines = []
    for group, eps in entry_points.items():
        lines.append(f"[{group}]")
        lines.extend(f"{k} = {v}" for k, v in eps.items())
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="session")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site directory holding the example plugin's dist-info, built from its pyproject.toml."""
    project = tomllib.loads((PLUGIN / "pyproject.toml").read_text())["project"]
    site = tmp_path_factory.mktemp("plugin-site")
    install_dist_info(site, project["name"], project["entry-points"])
    return site


@pytest.fixture
def plugin(plugin_site: Path) -> Iterator[None]:
    """The example plugin importable and discoverable for one test; forgotten afterwards."""
    added = [str(plugin_site), str(PLUGIN / "src")]
    sys.path[:0] = added
    reload_plugins()
    try:
        yield
    finally:
        for p in added:
            sys.path.remove(p)
        sys.modules.pop("iv_feature_flags", None)
        reload_plugins()


@pytest.fixture(scope="module")
def flags() -> Iterator[WebServer]:
    """A loopback flags service serving FLAGS at /flags.json."""
    with WebServer() as web:
        web.route("/flags.json", 200, json.dumps(FLAGS), {"Content-Type": "application/json"})
        yield web


def _policy(tmp_path: Path, flags: WebServer, extra: str = "", expect: str = "false") -> Path:
    path = tmp_path / "flags.yaml"
    path.write_text(
        "environment: test\nchecks:\n  checkout-flag:\n    kind: feature_flag\n"
        f"    url: {flags.url('/flags.json')}\n    flag: flags.new-checkout.enabled\n"
        f"    expect: {expect}\n{extra}"
    )
    return path


def test_plugin_kind_is_discovered_from_its_entry_point(plugin: None) -> None:
    """The example's entry point registers feature_flag; built-ins are still there."""
    cls = get_kind("feature_flag")
    assert cls is not None and cls.__name__ == "FeatureFlag" and cls.kind == "feature_flag"
    assert {"feature_flag", "dns", "bundle.cloud_run_https"} <= set(kind_names())


def test_without_the_plugin_the_kind_is_unknown(tmp_path: Path) -> None:
    """Without the distribution installed, feature_flag is an unknown kind (exit 2)."""
    assert get_kind("feature_flag") is None
    path = tmp_path / "p.yaml"
    path.write_text("environment: test\nchecks:\n  f: {kind: feature_flag, url: x, flag: y}\n")
    with pytest.raises(PolicyError, match="unknown kind 'feature_flag'"):
        load_policy(path)


def test_plugin_policy_runs_and_reports(plugin: None, flags: WebServer, tmp_path: Path) -> None:
    """A policy using the plugin kind runs through the CLI: PASS and FAIL, reported in JSON."""
    out = io.StringIO()
    assert (
        main(["test", "--policy", str(_policy(tmp_path, flags)), "--format", "json"], stdout=out)
        == 0
    )
    report = json.loads(out.getvalue())
    result = report["results"][0]
    assert (result["id"], result["kind"], result["status"]) == (
        "checkout-flag",
        "feature_flag",
        "pass",
    )
    assert result["summary"] == "flag flags.new-checkout.enabled is false"
    out = io.StringIO()
    path = _policy(tmp_path, flags, expect="true")
    assert main(["test", "--policy", str(path), "--format", "json"], stdout=out) == 1
    result = json.loads(out.getvalue())["results"][0]
    assert result["status"] == "fail"
    assert result["observations"][0]["expected"] == "true"
    assert result["observations"][0]["actual"] == "false"


def test_plugin_kind_keys_are_strict(plugin: None, flags: WebServer, tmp_path: Path) -> None:
    """An unknown key in a plugin kind is a PolicyError with file:line and a suggestion; exit 2."""
    path = _policy(tmp_path, flags, extra="    flagg: oops\n")
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    assert str(err.value) == (
        f"{path}:8: checks.checkout-flag.flagg: unknown key 'flagg' (did you mean 'flag'?)"
    )
    assert main(["--policy", str(path)], stdout=io.StringIO()) == 2


def test_plugin_kind_in_code_keeps_the_loopback_guard(plugin: None, flags: WebServer) -> None:
    """Built in code, the plugin check passes in 'test' and FAILs by the guard in 'staging'."""
    cls = get_kind("feature_flag")
    assert cls is not None
    check = cls(flags.url("/flags.json"), flag="flags.dark-mode")
    assert check.id == "feature_flag:flags.dark-mode"
    test = Gate([check], context=CheckContext(environment="test", timeout=1)).run()
    assert test.results[0].status is Status.PASS
    staging = Gate([check], context=CheckContext(environment="staging", timeout=1)).run()
    assert staging.results[0].status is Status.FAIL
    assert "loopback" in staging.results[0].summary


def test_plugin_kind_that_cannot_reach_its_server_is_an_error(plugin: None) -> None:
    """The plugin check against a closed port is ERROR (could not decide), which fails the gate."""
    from tests.servers.ports import free_port

    cls = get_kind("feature_flag")
    assert cls is not None
    check = cls(f"http://127.0.0.1:{free_port(udp=False)}/flags.json", flag="flags.dark-mode")
    run = Gate([check], context=CheckContext(environment="test", timeout=1)).run()
    assert run.results[0].status is Status.ERROR and not run.ok
    assert "ConnectError" in run.results[0].summary


def test_kinds_command_lists_builtin_bundle_and_plugin_kinds(plugin: None) -> None:
    """`kinds` lists every kind with its source, keys, types and defaults from the schema."""
    out = io.StringIO()
    assert main(["kinds"], stdout=out) == 0
    text = out.getvalue()
    assert "dns  [built-in]" in text
    assert "bundle.cloud_run_https  [bundle]" in text
    assert "feature_flag  [plugin (iv-feature-flags)]" in text
    out = io.StringIO()
    assert main(["kinds", "feature_flag", "--format", "json"], stdout=out) == 0
    (doc,) = json.loads(out.getvalue())["kinds"]
    keys = {k["key"]: k for k in doc["keys"]}
    assert keys["url"] == {
        "key": "url",
        "type": "str",
        "required": True,
        "default": None,
        "description": "URL of the JSON flags document",
    }
    assert (keys["expect"]["type"], keys["expect"]["default"]) == ("bool | int | str", True)


def test_kinds_command_matches_the_validating_schema() -> None:
    """Every key `kinds` shows for http is accepted by the model, and no model key is missing."""
    out = io.StringIO()
    assert main(["kinds", "http", "tls", "--format", "json", "--common"], stdout=out) == 0
    docs = json.loads(out.getvalue())["kinds"]
    for doc in docs:
        cls = get_kind(doc["name"])
        assert cls is not None
        fields = {f.alias or n for n, f in cls.model_fields.items() if n != "id"}
        assert {k["key"] for k in doc["keys"]} == fields
    http = {k["key"]: k for k in docs[0]["keys"]}
    assert http["max_latency"]["type"] == "duration | null"
    assert http["status"]["default"] == [200]
    assert main(["kinds", "htp"], stdout=io.StringIO()) == 2


def test_broken_entry_points_are_reported_not_fatal(tmp_path: Path) -> None:
    """Entry points that shadow a built-in, are misnamed or are not checks become errors."""
    install_dist_info(
        tmp_path,
        "broken-kinds",
        {
            "iv_test_kinds": {
                "dns": "iv_feature_flags:FeatureFlag",
                "misnamed": "iv_feature_flags:FeatureFlag",
                "notacheck": "json:dumps",
                "missing": "no_such_module_xyz:Thing",
            }
        },
    )
    sys.path[:0] = [str(tmp_path), str(PLUGIN / "src")]
    try:
        found = discover(reserved={"dns"}, group="iv_test_kinds")
    finally:
        sys.path.remove(str(tmp_path))
        sys.path.remove(str(PLUGIN / "src"))
        sys.modules.pop("iv_feature_flags", None)
    assert found.kinds == {}
    assert "is a built-in kind" in found.errors["dns"]
    assert "the class's kind is 'feature_flag'" in found.errors["misnamed"]
    assert "not a subclass of infra_verify.Check" in found.errors["notacheck"]
    assert "cannot import: ModuleNotFoundError" in found.errors["missing"]


def test_plugin_in_a_fresh_process(plugin_site: Path, flags: WebServer, tmp_path: Path) -> None:
    """`python -m infra_verify` in a new process discovers the plugin and runs its policy."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(plugin_site), str(PLUGIN / "src")]),
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "infra_verify",
            "test",
            "--policy",
            str(_policy(tmp_path, flags)),
            "-q",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "1 pass" in proc.stdout
