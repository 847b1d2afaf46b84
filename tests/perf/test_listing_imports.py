"""Listing a policy (``--list``) loads no probing library: the cold start users see is Python's.

The probing libraries (dnspython, httpx, cryptography, websockets, tenacity) are imported by a
run's warm-up or first probe, never by loading and listing a policy. Each case runs in a fresh
interpreter so that nothing imported by another test can hide an import.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.perf.python_process import python_stdout

ROOT = Path(__file__).resolve().parents[2]
PROBING = ("dns", "httpx", "cryptography", "websockets", "tenacity", "anyio", "httpcore")
RUN_ONLY = ("asyncio", "ssl", "socket", "concurrent.futures", "infra_verify.checks.dns_wire")
"""What only a run needs: the event loop, TLS, sockets, the thread pool's futures, the lean DNS
exchange."""
ERROR_OR_RUN_ONLY = ("difflib", "json", "logging", "queue", "traceback")
"""Standard modules only a mistake (did-you-mean), a run, a crash or ``--format json`` needs:
compiled on every start when there is no bytecode cache (difflib alone is 80 KiB of source)."""

_SCRIPT = """
import contextlib, io, runpy, sys
sys.argv = ["infra_verify", *sys.argv[1:]]
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        runpy.run_module("infra_verify", run_name="__main__")  # as python -m infra_verify
    except SystemExit as exc:
        code = exc.code
modules = sorted(sys.modules)
import json
print(json.dumps({"code": code, "modules": modules}))
"""


def _imported(*argv: str) -> tuple[int, set[str]]:
    stdout = python_stdout("-c", _SCRIPT, *argv)
    seen = json.loads(stdout.strip().splitlines()[-1])
    return seen["code"], {m.split(".")[0] for m in seen["modules"]} | set(seen["modules"])


def _list_every_live_kind(tmp_path: Path) -> tuple[int, set[str]]:
    """`--list` of a policy with a dns, a tls, an http and a websocket check."""
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "environment: local\n"
        "checks:\n"
        "  d: {kind: dns, name: api.example.com}\n"
        "  t: {kind: tls, host: api.example.com}\n"
        "  h: {kind: http, url: 'https://api.example.com/health'}\n"
        "  w: {kind: websocket, url: 'wss://api.example.com/ws'}\n"
    )
    return _imported("local", "--policy", str(policy), "--list")


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_list_imports_no_probing_library(environment: str) -> None:
    """`--list` on a shipped policy exits 0 without importing any probing library."""
    code, modules = _imported(environment, "--list")
    assert code == 0
    assert not modules & set(PROBING), sorted(modules & set(PROBING))


def test_list_of_every_live_kind_imports_no_probing_library(tmp_path: Path) -> None:
    """A policy with dns, tls, http and websocket checks lists without their libraries."""
    code, modules = _list_every_live_kind(tmp_path)
    assert code == 0
    assert not modules & set(PROBING), sorted(modules & set(PROBING))


def test_bad_policy_still_exits_two_without_probing_libraries(tmp_path: Path) -> None:
    """A policy with an unknown key exits 2 (bad input) and imports no probing library."""
    policy = tmp_path / "p.yaml"
    policy.write_text("environment: local\nchecks:\n  d: {kind: dns, nme: api.example.com}\n")
    code, modules = _imported("local", "--policy", str(policy), "--list")
    assert code == 2
    assert not modules & set(PROBING)


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_list_imports_no_run_machinery(environment: str) -> None:
    """`--list` loads neither asyncio, ssl, socket, concurrent.futures nor the lean DNS exchange."""
    code, modules = _imported(environment, "--list")
    assert code == 0
    assert not modules & set(RUN_ONLY), sorted(modules & set(RUN_ONLY))


def test_list_of_every_live_kind_imports_no_run_machinery(tmp_path: Path) -> None:
    """dns, tls, http and websocket checks list without the event loop or TLS modules."""
    code, modules = _list_every_live_kind(tmp_path)
    assert code == 0
    assert not modules & set(RUN_ONLY), sorted(modules & set(RUN_ONLY))


def test_a_run_imports_them_in_its_warm_up() -> None:
    """The warm-up hooks import what a run of these kinds uses (h11, websockets, the lean DNS
    exchange) before any check's timer starts, and not what it does not (httpx, cryptography,
    dnspython)."""
    stdout = python_stdout(
        "-c",
        "import sys\n"
        "from infra_verify.checks.tls import Tls\n"
        "from infra_verify.checks.http import Http\n"
        "from infra_verify.checks.websocket import WebSocket\n"
        "assert 'h11' not in sys.modules\n"
        "Tls.warm_up(); Http.warm_up(); WebSocket.warm_up()\n"
        "print(sorted(m for m in ('dns', 'httpx', 'cryptography', 'websockets', 'h11',"
        " 'infra_verify.checks.dns_wire') if m in sys.modules))\n",
    )
    assert stdout.strip() == "['h11', 'infra_verify.checks.dns_wire', 'websockets']"


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_list_imports_no_module_only_errors_or_runs_need(environment: str) -> None:
    """`--list` of a valid policy imports neither difflib, json, logging, queue nor traceback."""
    code, modules = _imported(environment, "--list")
    assert code == 0
    assert not modules & set(ERROR_OR_RUN_ONLY), sorted(modules & set(ERROR_OR_RUN_ONLY))


def test_a_did_you_mean_still_comes_with_lazy_difflib(tmp_path: Path) -> None:
    """A misspelt key still exits 2 with its did-you-mean (difflib imported on that path)."""
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "environment: local\nchecks:\n  d: {kind: dns, name: api.example.com, expct: [192.0.2.1]}\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "infra_verify", "local", "--policy", str(policy), "--list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 2
    assert "unknown key 'expct' (did you mean 'expect'?)" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr


_PLUGIN_SCAN = """
import contextlib, io, json, os, runpy, sys
sys.argv = ["infra_verify", *sys.argv[1:]]
with contextlib.redirect_stdout(io.StringIO()):
    try:
        runpy.run_module("infra_verify", run_name="__main__")
    except SystemExit as exc:
        code = exc.code
metadata = "importlib.metadata" in sys.modules
from pydantic.plugin import _loader
print(json.dumps({"code": code, "scanned": _loader._plugins is not None, "metadata": metadata,
                  "env": os.environ.get("PYDANTIC_DISABLE_PLUGINS")}))
"""


def _plugin_scan(env: dict[str, str], *argv: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", _PLUGIN_SCAN, *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_the_cli_process_skips_pydantics_plugin_scan() -> None:
    """`python -m infra_verify staging --list` neither scans installed distributions for pydantic
    plugins nor imports importlib.metadata (only infra_verify's own models are validated)."""
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    seen = _plugin_scan(env, "staging", "--list")
    assert seen == {"code": 0, "scanned": False, "metadata": False, "env": "__all__"}


def test_a_user_setting_for_pydantic_plugins_is_kept() -> None:
    """A PYDANTIC_DISABLE_PLUGINS the user set (even empty) is left as it is: plugins load."""
    env = {**os.environ, "PYDANTIC_DISABLE_PLUGINS": ""}
    seen = _plugin_scan(env, "staging", "--list")
    assert seen == {"code": 0, "scanned": True, "metadata": True, "env": ""}
