"""The pytest plugin: each check a test item named by its id, one gate run, -k and --junitxml."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

pytest_plugins = ["pytester"]

POLICY = """\
environment: {environment}
checks:
  env-ok:    {{kind: environment, equals: {{IV_PLUGIN_FLAG: "on"}}}}
  env-bad:   {{kind: environment, require: [IV_PLUGIN_MISSING]}}
  env-after: {{kind: environment, equals: {{IV_PLUGIN_FLAG: "on"}}, after: [env-bad]}}
  db-url:    {{kind: environment, no_loopback: [IV_PLUGIN_DB]}}
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A directory with policies/test.yaml and policies/staging.yaml, and the variables they read."""
    policies = pytester.mkdir("policies")
    (policies / "test.yaml").write_text(POLICY.format(environment="test"))
    (policies / "staging.yaml").write_text(POLICY.format(environment="staging"))
    monkeypatch.setenv("IV_PLUGIN_FLAG", "on")
    monkeypatch.delenv("IV_PLUGIN_MISSING", raising=False)
    monkeypatch.setenv("IV_PLUGIN_DB", "postgresql://app@127.0.0.1:5432/app")
    return pytester


LEAN = ("-p", "no:hypothesispytest", "-p", "no:anyio", "-p", "no:timeout", "-p", "no:cacheprovider")
"""Plugins the inner sessions do not need (hypothesis alone costs seconds per session)."""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run pytest in-process in the project, with our plugin loaded through its entry point."""
    return pytester.runpytest(*LEAN, *args)


def junit_cases(path: str) -> dict[str, str]:
    """JUnit testcase name -> outcome (passed, failure, skipped)."""
    out = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        out[case.attrib["name"]] = kinds[0] if kinds else "passed"
    return out


def test_each_check_is_a_test_item_with_its_result(project: pytest.Pytester) -> None:
    """PASS passes; FAIL fails with the summary and hint; BLOCKED fails as "blocked by X"."""
    result = run(project, "--infra-verify", "test")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*env-bad [[]environment[]] fail: IV_PLUGIN_MISSING set*",
            "*fix: *",
            "*env-after [[]environment[]] blocked: blocked by env-bad*",
            "FAILED policies/test.yaml::env-bad*",
        ]
    )


def test_junitxml_has_one_testcase_per_check_id(project: pytest.Pytester) -> None:
    """--junitxml names each testcase by its check id, with the check's outcome."""
    run(project, "--infra-verify", "test", "--junitxml", "gate.xml")
    assert junit_cases(str(project.path / "gate.xml")) == {
        "env-ok": "passed",
        "env-bad": "failure",
        "env-after": "failure",
        "db-url": "passed",
    }


def test_k_selects_checks_and_deselected_ones_are_not_run(project: pytest.Pytester) -> None:
    """-k keeps only matching checks; a deselected dependency does not block its dependents."""
    result = run(project, "--infra-verify", "test", "-k", "env-ok or env-after", "-v")
    result.assert_outcomes(passed=2, deselected=2)
    result.stdout.fnmatch_lines(["*::env-ok PASSED*", "*::env-after PASSED*"])


def test_staging_refuses_loopback_unless_allowed(project: pytest.Pytester) -> None:
    """In 'staging' a loopback DSN fails the check, also with --infra-verify-allow-loopback
    (probe targets only); --infra-verify-allow-loopback-settings lets it pass."""
    strict = run(project, "--infra-verify", "staging", "-k", "db-url")
    strict.assert_outcomes(failed=1, deselected=3)
    strict.stdout.fnmatch_lines(["*IV_PLUGIN_DB host*127.0.0.1*"])
    probes = run(
        project, "--infra-verify", "staging", "-k", "db-url", "--infra-verify-allow-loopback"
    )
    probes.assert_outcomes(failed=1, deselected=3)
    allowed = run(
        project,
        "--infra-verify",
        "staging",
        "-k",
        "db-url",
        "--infra-verify-allow-loopback-settings",
    )
    allowed.assert_outcomes(passed=1, deselected=3)


def test_policy_file_option_and_bad_environment(project: pytest.Pytester) -> None:
    """--infra-verify-policy runs a file; an unknown environment is a usage error (exit 4)."""
    ok = run(project, "--infra-verify-policy", "policies/test.yaml", "-k", "env-ok")
    ok.assert_outcomes(passed=1, deselected=3)
    bad = run(project, "--infra-verify", "nope")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*infra_verify: *no policy for environment 'nope'*"])


def test_without_the_option_nothing_is_added(project: pytest.Pytester) -> None:
    """A plain pytest run collects no check items."""
    project.makepyfile(test_plain="def test_one():\n    assert True\n")
    run(
        project,
    ).assert_outcomes(passed=1)
