"""The pytest plugin, as pytest users drive it (pytester): a policy file collected as one item
per check, with the counts, -k, --collect-only, -x, --lf, xdist, durations and JUnit they expect."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
import xmlschema

# Imported here, before any in-process session: pytester restores sys.modules after each inner
# session, and PyYAML's C loader does not survive being imported a second time.
import infra_verify.gate  # noqa: F401
from tests.reporters.runs import SCHEMAS

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
            "*BAD IV_PLUGIN_MISSING set at the process environment: expected set, got missing or empty*",
            "*root cause: nothing else explains this failure; it blocks env-after*",
            "*fix: *",
            "*env-after [[]environment[]] blocked: blocked by env-bad*",
            "*not run: a dependency did not pass*",
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


def test_header_counts_the_checks_and_k_deselects_them(project: pytest.Pytester) -> None:
    """The header says "collected 4 items", and -k "2 deselected / 2 selected"."""
    everything = run(project, "--infra-verify", "test")
    everything.stdout.fnmatch_lines(["collected 4 items"])
    some = run(project, "--infra-verify", "test", "-k", "env-ok or db-url")
    some.stdout.fnmatch_lines(["collected 4 items / 2 deselected / 2 selected"])
    some.assert_outcomes(passed=2, deselected=2)


def test_k_matches_the_kind_too(project: pytest.Pytester) -> None:
    """Each item carries its check kind as a keyword."""
    run(project, "--infra-verify", "test", "-k", "environment").assert_outcomes(passed=2, failed=2)
    run(project, "--infra-verify", "test", "-k", "not environment").assert_outcomes(deselected=4)


def test_collect_only_lists_the_policy_and_its_checks(project: pytest.Pytester) -> None:
    """--collect-only shows the policy file's items, counts them and runs no check."""
    result = run(project, "--infra-verify", "test", "--collect-only")
    result.stdout.fnmatch_lines(
        [
            "*<PolicyFile test.yaml>",
            "*  <CheckItem env-ok>",
            "*  <CheckItem env-bad>",
            "*  <CheckItem env-after>",
            "*  <CheckItem db-url>",
            "*4 tests collected*",
        ]
    )
    assert result.ret == pytest.ExitCode.OK


def test_exitfirst_stops_after_the_first_failing_check(project: pytest.Pytester) -> None:
    """-x: env-ok passes, env-bad fails, and nothing after it is reported."""
    result = run(project, "--infra-verify", "test", "-x")
    result.assert_outcomes(passed=1, failed=1)


def test_last_failed_reruns_only_the_failed_checks(project: pytest.Pytester) -> None:
    """--lf (the cache provider on) runs env-bad and env-after again, nothing else."""
    first = project.runpytest("-p", "no:hypothesispytest", "--infra-verify", "test")
    first.assert_outcomes(passed=2, failed=2)
    again = project.runpytest("-p", "no:hypothesispytest", "--infra-verify", "test", "--lf", "-v")
    again.assert_outcomes(failed=2, deselected=2)
    again.stdout.fnmatch_lines(["*::env-bad FAILED*", "*::env-after FAILED*"])


def test_blocked_checks_can_be_reported_as_skipped(project: pytest.Pytester) -> None:
    """--infra-verify-blocked skip: the blocked check is skipped with its blocker; the root
    cause still fails the session."""
    result = run(project, "--infra-verify", "test", "--infra-verify-blocked", "skip", "-rs")
    result.assert_outcomes(passed=2, failed=1, skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED [[]1[]] policies/test.yaml:*: blocked by env-bad"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_bad_blocked_mode_is_a_usage_error(project: pytest.Pytester) -> None:
    """--infra-verify-blocked takes skip or fail."""
    result = run(project, "--infra-verify", "test", "--infra-verify-blocked", "ignore")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--infra-verify-blocked: invalid choice: 'ignore'*"])


def test_each_item_reports_its_own_checks_duration(project: pytest.Pytester) -> None:
    """The call duration of each item is its check's duration in the gate run, not the run's."""
    project.makeconftest(
        """
        import json
        from infra_verify.pytest_plugin import CheckItem, _RUN

        seen = {}

        def pytest_runtest_logreport(report):
            if report.when == "call":
                seen[report.nodeid.split("::")[-1]] = report.duration

        def pytest_sessionfinish(session):
            run = session.config.stash[_RUN]
            expected = {r.id: r.duration for r in run.results}
            with open("durations.json", "w") as f:
                json.dump({"seen": seen, "expected": expected}, f)
        """
    )
    run(project, "--infra-verify", "test", "--durations", "0")
    data = json.loads((project.path / "durations.json").read_text())
    assert data["seen"] == data["expected"]


def test_xdist_workers_report_every_check(project: pytest.Pytester) -> None:
    """-n 2: the checks are spread over two workers with the same verdicts as one process."""
    pytest.importorskip("xdist")
    result = project.runpytest_subprocess(
        "-p", "no:hypothesispytest", "-p", "no:cacheprovider", "--infra-verify", "test", "-n", "2"
    )
    result.assert_outcomes(passed=2, failed=2)


def test_policy_beside_other_test_paths(project: pytest.Pytester) -> None:
    """Given paths, the policy is collected beside them; given a directory holding it, once."""
    project.makepyfile(test_plain="def test_one():\n    assert True\n")
    result = run(project, "test_plain.py", "--infra-verify", "test")
    result.assert_outcomes(passed=3, failed=2)
    twice = run(project, "policies", "--infra-verify", "test")
    twice.assert_outcomes(passed=2, failed=2)


def test_plugin_junitxml_is_valid_against_junit_10_xsd(project: pytest.Pytester) -> None:
    """pytest's --junitxml of a policy run validates against junit-10.xsd (no testcase
    properties), in the default and the blocked-as-skip modes."""
    schema = xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd"))
    for extra in ((), ("--infra-verify-blocked", "skip")):
        run(project, "--infra-verify", "test", "--junitxml", "gate.xml", *extra)
        schema.validate(str(project.path / "gate.xml"))
        assert not ET.parse(project.path / "gate.xml").getroot().findall(".//testcase/properties")
