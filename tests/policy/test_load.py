"""Policy loading: strict validation with file:line errors, interpolation and defaults."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from infra_verify.checks.dns import Dns
from infra_verify.errors import PolicyError
from infra_verify.policy.load import find_policy, load_policy

GOOD = """\
environment: staging
defaults:
  timeout: 3s
  deadline: 2m
  resolvers: ["127.0.0.1:5353"]
checks:
  dns-api:
    kind: dns
    name: api.example.test
    expect: ["${LB_IP:-203.0.113.10}"]
  health:
    kind: http
    url: "https://api.example.test/health"
    status: [200, 204]
    after: [dns-api]
"""


def write(tmp_path: Path, text: str, name: str = "p.yaml") -> Path:
    """Write a policy file."""
    path = tmp_path / name
    path.write_text(text)
    return path


def error_for(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> PolicyError:
    """Load ``text`` and return the PolicyError it raises."""
    with pytest.raises(PolicyError) as info:
        load_policy(write(tmp_path, text), env=env or {})
    return info.value


def test_good_policy_loads_checks_and_defaults(tmp_path: Path) -> None:
    """A valid policy yields its checks in order, with durations parsed."""
    p = load_policy(write(tmp_path, GOOD), env={})
    assert [c.id for c in p.checks] == ["dns-api", "health"]
    assert p.defaults.timeout == 3.0 and p.defaults.deadline == 120.0
    assert isinstance(p.checks[0], Dns) and p.checks[0].expect == ("203.0.113.10",)


def test_interpolation_uses_the_environment(tmp_path: Path) -> None:
    """${VAR:-default} takes the variable when set."""
    p = load_policy(write(tmp_path, GOOD), env={"LB_IP": "198.51.100.7"})
    assert p.checks[0].expect == ("198.51.100.7",)  # type: ignore[attr-defined]


def test_missing_variable_without_default_names_it(tmp_path: Path) -> None:
    """${VAR} without default and unset is one error naming the variable and line."""
    err = error_for(tmp_path, GOOD.replace("${LB_IP:-203.0.113.10}", "${LB_IP}"))
    assert "'LB_IP' is not set" in str(err) and err.line == 10


def test_dollar_dollar_escapes(tmp_path: Path) -> None:
    """$$ is a literal dollar sign."""
    p = load_policy(write(tmp_path, GOOD.replace("/health", "/health?x=$${y}")), env={})
    assert p.checks[1].url.endswith("x=${y}")  # type: ignore[attr-defined]


def test_unknown_key_names_file_line_and_closest_key(tmp_path: Path) -> None:
    """A typo'd key is one line with file, line number, key path and a suggestion."""
    err = error_for(tmp_path, GOOD.replace("    expect:", "    expekt:"))
    text = str(err)
    assert text.startswith(f"{tmp_path / 'p.yaml'}:10: checks.dns-api.expekt: unknown key 'expekt'")
    assert "did you mean 'expect'?" in text


def test_unknown_top_level_key(tmp_path: Path) -> None:
    """An unknown top-level key suggests the closest valid one."""
    err = error_for(tmp_path, GOOD.replace("defaults:", "defualts:"))
    assert err.line == 2 and "did you mean 'defaults'?" in str(err)


def test_unknown_defaults_key(tmp_path: Path) -> None:
    """Unknown keys inside defaults are caught with their line."""
    err = error_for(tmp_path, GOOD.replace("  timeout: 3s", "  timeuot: 3s"))
    assert err.line == 3 and "did you mean 'timeout'?" in str(err)


def test_wrong_type_is_reported(tmp_path: Path) -> None:
    """A wrong value type names the key and the given value."""
    err = error_for(tmp_path, GOOD.replace("status: [200, 204]", "status: lots"))
    assert err.key is not None and err.key.startswith("checks.health.status") and err.line == 14


def test_bad_duration_is_reported(tmp_path: Path) -> None:
    """An unparsable duration names the key."""
    err = error_for(tmp_path, GOOD.replace("timeout: 3s", "timeout: soon"))
    assert err.key == "defaults.timeout" and "not a duration" in str(err)


def test_unknown_kind_suggests_closest(tmp_path: Path) -> None:
    """An unknown kind names the line of the kind key and suggests a known kind."""
    err = error_for(tmp_path, GOOD.replace("kind: http", "kind: htp"))
    assert (
        err.line == 12 and "unknown kind 'htp'" in str(err) and "did you mean 'http'?" in str(err)
    )


def test_unknown_after_id(tmp_path: Path) -> None:
    """after: naming a missing check is one error with the closest id."""
    err = error_for(tmp_path, GOOD.replace("after: [dns-api]", "after: [dns-apx]"))
    assert (
        "unknown check id 'dns-apx'" in str(err)
        and "did you mean 'dns-api'?" in str(err)
        and err.line == 15
    )


def test_dependency_cycle(tmp_path: Path) -> None:
    """A cycle through after: is one error naming the cycle."""
    text = GOOD.replace("    expect:", "    after: [health]\n    expect:")
    err = error_for(tmp_path, text)
    assert "dependency cycle" in str(err) and "dns-api" in str(err) and "health" in str(err)


def test_missing_required_key(tmp_path: Path) -> None:
    """A missing required key is named with its description."""
    err = error_for(tmp_path, GOOD.replace("    name: api.example.test\n", ""))
    assert err.key == "checks.dns-api.name" and "required key is missing" in str(err)


def test_invalid_yaml_reports_line(tmp_path: Path) -> None:
    """A YAML syntax error reports the line."""
    err = error_for(tmp_path, GOOD.replace("  deadline: 2m", "  deadline: [2m"))
    assert "invalid YAML" in str(err) and err.line is not None


def test_missing_file(tmp_path: Path) -> None:
    """A missing file is a PolicyError naming the file."""
    with pytest.raises(PolicyError, match="no such file"):
        load_policy(tmp_path / "nope.yaml")


def test_directory_is_rejected(tmp_path: Path) -> None:
    """A directory given as a policy is a clear error."""
    with pytest.raises(PolicyError, match="is a directory"):
        load_policy(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(tmp_path: Path) -> None:
    """A file without read permission is a clear error."""
    path = write(tmp_path, GOOD)
    path.chmod(0)
    with pytest.raises(PolicyError, match="permission denied"):
        load_policy(path)


def test_non_utf8_is_rejected(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 are a clear error with a line."""
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"environment: x\nchecks: {}\n# \xff\xfe\n")
    with pytest.raises(PolicyError, match="not valid UTF-8") as info:
        load_policy(path)
    assert info.value.line == 3


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    """A billion-laughs document is refused quickly instead of expanded."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(
            f"{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]"
        )
    err = error_for(tmp_path, "\n".join(lines) + "\n")
    assert "alias bomb" in str(err)


def test_python_tags_are_not_constructed(tmp_path: Path) -> None:
    """YAML tags that would construct Python objects are rejected (safe loading)."""
    err = error_for(tmp_path, "environment: !!python/object/apply:os.system ['true']\nchecks: {}\n")
    assert "invalid YAML" in str(err)


def test_not_a_mapping(tmp_path: Path) -> None:
    """A document that is not a mapping is one clear error."""
    err = error_for(tmp_path, "- just\n- a list\n")
    assert "must be a mapping" in str(err)


def test_id_inside_check_is_rejected(tmp_path: Path) -> None:
    """Writing id: inside a check is explained (the key is the id)."""
    err = error_for(tmp_path, GOOD.replace("    kind: dns", "    kind: dns\n    id: other"))
    assert "'id' is the check's key" in str(err)


def test_find_policy_suggests_close_environment(tmp_path: Path) -> None:
    """An unknown environment name suggests the closest policy file."""
    write(tmp_path, GOOD, "staging.yaml")
    assert find_policy("staging", tmp_path) == tmp_path / "staging.yaml"
    with pytest.raises(PolicyError, match="did you mean 'staging'"):
        find_policy("stagin", tmp_path)


def test_shipped_policies_load(tmp_path: Path) -> None:
    """Every policy in policies/ loads with its defaults (interpolation defaults suffice)."""
    from infra_verify.testing.certs import CertFactory

    root = Path(__file__).resolve().parents[2] / "policies"
    env = {
        "DEMO_RESOLVER": "127.0.0.1:53",
        "DEMO_HTTPS_PORT": "443",
        # a ca_bundle is checked at load (a PEM file), so this is a real one
        "DEMO_CA_BUNDLE": str(CertFactory().write_ca_bundle(tmp_path / "ca.pem")),
        "DEMO_IP": "127.0.0.1",
    }
    for path in sorted(root.glob("*.yaml")):
        policy = load_policy(path, env=env)
        assert policy.checks, path
