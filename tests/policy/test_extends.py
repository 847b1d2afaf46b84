"""extends: merge rules, the removal marker, every error (exit 2), --show-policy, shipped policies."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml

from infra_verify import PolicyError, load_policy
from infra_verify.cli.main import main
from infra_verify.policy.extends import load_merged, merge

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"

BASE = """\
environment: base
defaults:
  timeout: 5s
  resolvers: [127.0.0.1:53, 127.0.0.2:53]
checks:
  settings:
    kind: environment
    require: [DATABASE_URL]
    equals: {ENVIRONMENT: base, REGION: us}
  old:
    kind: environment
    require: [OLD]
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), stdout=out), out.getvalue()


def test_mappings_merge_deeply_lists_and_scalars_replace() -> None:
    """Nested mappings merge key by key; a list or scalar in the child replaces the base's."""
    base = {"a": {"x": 1, "y": {"p": 1, "q": 2}}, "l": [1, 2, 3], "s": "base"}
    child = {"a": {"y": {"q": 9}}, "l": [4], "s": "child"}
    assert merge(base, child) == {"l": [4], "s": "child", "a": {"y": {"q": 9, "p": 1}, "x": 1}}


def test_remove_marker_deletes_and_null_is_a_value() -> None:
    """{remove: true} deletes an inherited key; null outside checks is an ordinary value."""
    base = {"a": {"x": 1, "y": 2}, "b": 1}
    assert merge(base, {"a": {"y": {"remove": True}}, "b": None}) == {"a": {"x": 1}, "b": None}
    assert merge(base, {"a": {"remove": True}}) == {"b": 1}


def test_child_order_first_then_base_only_keys() -> None:
    """Merged keys follow the child's order; keys only in the base come after, in base order."""
    assert list(merge({"a": 1, "b": 2, "c": 3}, {"c": 0, "z": 0})) == ["c", "z", "a", "b"]


def test_policy_inherits_overrides_and_removes(tmp_path: Path) -> None:
    """A child policy merges into its base: deep merge, list replace, removal, relative path."""
    _write(tmp_path, "shared/base.yaml", BASE)
    child = _write(
        tmp_path,
        "envs/prod.yaml",
        "extends: ../shared/base.yaml\nenvironment: prod\n"
        "defaults: {resolvers: [127.0.0.9:53]}\n"
        "checks:\n  settings: {equals: {ENVIRONMENT: prod}}\n  old: {remove: true}\n",
    )
    # the base is in a sibling folder, outside envs/: the run has to allow that explicitly
    policy = load_policy(child, env={}, allow_outside_policy_dir=True)
    assert policy.environment == "prod"
    assert policy.defaults.timeout == 5.0
    assert policy.defaults.resolvers == ("127.0.0.9:53",)
    assert [c.id for c in policy.checks] == ["settings"]
    settings = policy.checks[0]
    assert settings.model_dump()["require"] == ("DATABASE_URL",)
    assert settings.model_dump()["equals"] == {"ENVIRONMENT": "prod", "REGION": "us"}


def test_interpolation_runs_after_the_merge(tmp_path: Path) -> None:
    """${VAR} written in the base is interpolated once, with the run's environment."""
    _write(tmp_path, "base.yaml", BASE.replace("5s", "${T:-7s}"))
    child = _write(tmp_path, "c.yaml", "extends: base.yaml\nenvironment: c\n")
    assert load_policy(child, env={}).defaults.timeout == 7.0
    assert load_policy(child, env={"T": "3s"}).defaults.timeout == 3.0


def test_null_over_an_inherited_check_points_at_the_marker(tmp_path: Path) -> None:
    """`old: null` is refused with a hint to write {remove: true}, naming the child's line."""
    _write(tmp_path, "base.yaml", BASE)
    child = _write(tmp_path, "c.yaml", "extends: base.yaml\nenvironment: c\nchecks:\n  old:\n")
    with pytest.raises(PolicyError) as err:
        load_policy(child, env={})
    assert str(err.value) == (
        f"{child}:4: checks.old: 'old: null' would leave the inherited check without a kind "
        "(to remove an inherited check write {remove: true})"
    )


def test_missing_base_is_one_line_naming_the_chain_and_exits_2(tmp_path: Path) -> None:
    """A missing base names the child's extends line and the chain of files; the CLI exits 2."""
    child = _write(tmp_path, "c.yaml", "environment: c\nextends: nope.yaml\nchecks: {}\n")
    with pytest.raises(PolicyError) as err:
        load_policy(child)
    text = str(err.value)
    assert "\n" not in text
    assert text.startswith(f"{child}:2: extends: the base policy {tmp_path / 'nope.yaml'}")
    assert "(extends chain: c.yaml -> nope.yaml)" in text
    assert _cli("--policy", str(child), "--list")[0] == 2


def test_extends_cycle_names_the_chain_and_exits_2(tmp_path: Path) -> None:
    """staging -> base -> staging is one line naming the whole chain; the CLI exits 2."""
    staging = _write(tmp_path, "staging.yaml", "extends: base.yaml\nenvironment: s\n")
    _write(tmp_path, "base.yaml", "extends: staging.yaml\nenvironment: b\n")
    with pytest.raises(PolicyError, match=r"extends cycle: staging.yaml -> base.yaml -> staging"):
        load_policy(staging)
    _write(tmp_path, "self.yaml", "extends: self.yaml\nenvironment: s\n")
    with pytest.raises(PolicyError, match=r"extends cycle: self.yaml -> self.yaml"):
        load_policy(tmp_path / "self.yaml")
    assert _cli("--policy", str(staging), "--list")[0] == 2


def test_unknown_key_after_merge_names_the_file_it_came_from(tmp_path: Path) -> None:
    """An unknown key is reported at its own file and line (base or child), with the chain."""
    base = _write(tmp_path, "base.yaml", BASE.replace("    require: [OLD]", "    requir: [OLD]"))
    child = _write(tmp_path, "c.yaml", "extends: base.yaml\nenvironment: c\n")
    with pytest.raises(PolicyError) as err:
        load_policy(child, env={})
    assert str(err.value) == (
        f"{base}:12: checks.old.requir: unknown key 'requir' "
        "[policy chain: c.yaml -> base.yaml] (did you mean 'require'?)"
    )
    _write(tmp_path, "base.yaml", BASE)
    _write(tmp_path, "c.yaml", "extends: base.yaml\nenvironment: c\ndefaults: {timout: 1s}\n")
    with pytest.raises(PolicyError) as err:
        load_policy(child, env={})
    assert str(err.value).startswith(f"{child}:3: defaults.timout: unknown key 'timout'")
    assert _cli("--policy", str(child), "--list")[0] == 2


def test_bad_extends_value(tmp_path: Path) -> None:
    """extends must be one path (a string); a list is refused with an example."""
    child = _write(tmp_path, "c.yaml", "extends: [a.yaml, b.yaml]\nenvironment: c\n")
    with pytest.raises(PolicyError, match="'extends' must be the path of one base policy"):
        load_policy(child)


def test_show_policy_prints_merged_interpolated_redacted_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--show-policy prints the merged, interpolated policy with secrets masked, and exits 0."""
    _write(tmp_path, "base.yaml", BASE)
    child = _write(
        tmp_path,
        "c.yaml",
        "extends: base.yaml\nenvironment: c\n"
        "checks:\n"
        "  settings: {equals: {ENVIRONMENT: c, DB_PASSWORD: '${DB_PW}'}}\n"
        "  api:\n    kind: http\n    url: 'https://bob:${DB_PW}@api.example.test/'\n"
        "    headers: {Authorization: 'Bearer abcdefgh12345678'}\n",
    )
    monkeypatch.setenv("DB_PW", "hunter2-secret")
    code, out = _cli("--policy", str(child), "--show-policy")
    assert code == 0
    assert "hunter2-secret" not in out and "abcdefgh12345678" not in out
    assert out.splitlines()[0] == f"# {child} (merged: c.yaml -> base.yaml)"
    doc = yaml.safe_load(out)
    assert "extends" not in doc
    assert doc["defaults"] == {"timeout": "5s", "resolvers": ["127.0.0.1:53", "127.0.0.2:53"]}
    assert doc["checks"]["settings"]["equals"] == {
        "ENVIRONMENT": "c",
        "DB_PASSWORD": "***",
        "REGION": "us",
    }
    assert doc["checks"]["api"]["url"] == "https://bob:***@api.example.test/"
    assert doc["checks"]["api"]["headers"] == {"Authorization": "***"}
    assert list(doc["checks"]) == ["settings", "api", "old"]


def test_shipped_staging_extends_base_with_the_story_ids() -> None:
    """policies/staging.yaml extends base.yaml and keeps the story's sixteen check ids, plus the
    three certificate cross-checks the gate adds after the tls checks."""
    merged = load_merged(POLICIES / "staging.yaml")
    assert merged.chain == ("staging.yaml", "base.yaml")
    policy = load_policy(POLICIES / "staging.yaml", env={})
    assert [c.id for c in policy.checks] == [
        "dns-records",
        "certificate",
        "load-balancer",
        "run-service",
        "vpc-connector",
        "cloud-sql",
        "sql-path",
        "dns-api",
        "dns-auth",
        "dns-app",
        "tls-api",
        "tls-api-served",
        "tls-auth",
        "tls-auth-served",
        "tls-app",
        "tls-app-served",
        "health",
        "ws",
        "app-settings",
    ]
    settings = policy.checks[-1].model_dump()
    assert settings["require"] == ("DATABASE_URL", "SECRET_KEY")
    assert settings["no_loopback"] == ("DATABASE_URL",)
    assert settings["equals"] == {"ENVIRONMENT": "staging"}
    assert policy.gcp is not None and policy.gcp.project == "netra-staging"
    assert policy.defaults.resolvers == ("8.8.8.8", "1.1.1.1")


def _shape(value: object) -> object:
    """The structure of a document: mapping keys kept, leaves replaced by their type."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value[:1]]
    return type(value).__name__


def test_production_differs_from_staging_only_in_values() -> None:
    """Production and staging share base.yaml's structure; their shared checks differ in values."""
    env: dict[str, str] = {}
    staging = load_policy(POLICIES / "staging.yaml", env=env)
    production = load_policy(POLICIES / "production.yaml", env=env)
    assert load_merged(POLICIES / "production.yaml").chain == ("production.yaml", "base.yaml")
    s_doc, p_doc = (load_merged(POLICIES / n).data for n in ("staging.yaml", "production.yaml"))
    assert _shape(s_doc["gcp"]) == _shape(p_doc["gcp"])
    assert set(s_doc["defaults"]) == set(p_doc["defaults"])
    s_checks = {c.id: c for c in staging.checks}
    p_checks = {c.id.removeprefix("stack."): c for c in production.checks}
    p_checks["health"], p_checks["ws"] = p_checks["health-api"], p_checks["ws-api"]
    assert set(s_checks) <= set(p_checks)
    differing = 0
    for cid, s in s_checks.items():
        p = p_checks[cid]
        assert type(p) is type(s), cid
        s_keys = set(s.model_dump(exclude_defaults=True)) - {"id", "after"}
        p_keys = set(p.model_dump(exclude_defaults=True)) - {"id", "after", "region"}
        assert s_keys == p_keys, cid
        differing += s.model_dump(exclude={"id", "after", "region"}) != p.model_dump(
            exclude={"id", "after", "region"}
        )
    assert differing == len(s_checks)  # every check differs, in values only
    assert production.environment == "production" and production.gcp is not None
    assert production.gcp.project == "netra-production"


def test_shipped_base_loads_on_its_own() -> None:
    """policies/base.yaml is a valid policy of its own (the shared app-settings)."""
    policy = load_policy(POLICIES / "base.yaml", env={})
    assert [c.id for c in policy.checks] == ["app-settings"]
