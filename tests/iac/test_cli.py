"""python -m infra_verify plan: reports, exit codes 0/1/2, --tf-outputs, --tf-dir, plan.disable."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from infra_verify.cli.plan import plan_main
from tests.iac.conftest import POLICY, fixture


def run_cli(*args: str) -> tuple[int, str]:
    """Run plan_main; return (exit code, stdout)."""
    out = io.StringIO()
    code = plan_main(list(args), stdout=out)
    return code, out.getvalue()


def test_good_plan_exits_0_with_a_text_report() -> None:
    """The good plan and the staging policy: exit 0, PASSED verdict."""
    code, text = run_cli("--plan", str(fixture("good")), "--policy", str(POLICY))
    assert code == 0
    assert "PASS    rule:IV001:google_compute_managed_ssl_certificate.cert" in text
    assert "PASSED" in text.splitlines()[-1]


def test_story_plan_exits_1_and_names_the_missing_records() -> None:
    """Without DNS records: exit 1; the DNS check is the root cause and explains rule IV001."""
    code, text = run_cli("--plan", str(fixture("no_dns")), "--policy", str(POLICY))
    assert code == 1
    assert "root cause" in text.lower()
    assert "no google_dns_record_set declares api.staging.netrasystems.ai. A" in text
    assert "explains:" in text and "rule:IV001:google_compute_managed_ssl_certificate.cert" in text


def test_environment_name_finds_the_policy_in_policies_dir(tmp_path: Path) -> None:
    """'staging' + --policies-dir reads DIR/staging.yaml."""
    (tmp_path / "staging.yaml").write_text(POLICY.read_text())
    code, text = run_cli("staging", "--plan", str(fixture("good")), "--policies-dir", str(tmp_path))
    assert code == 0 and "12 checks" in text.splitlines()[0]


def test_json_report_has_results_and_where(tmp_path: Path) -> None:
    """--format json renders the same GateRun; observations carry where = address (file:line)."""
    (tmp_path / "dns.tf").write_text('resource "google_dns_record_set" "hosts" {\n}\n')
    code, text = run_cli(
        "--plan",
        str(fixture("wrong_ip")),
        "--policy",
        str(POLICY),
        "--format",
        "json",
        "--tf-dir",
        str(tmp_path),
    )
    assert code == 1
    doc = json.loads(text)
    dns = next(r for r in doc["results"] if r["id"] == "dns-api")
    assert dns["status"] == "fail"
    assert (
        dns["observations"][0]["where"]
        == f'google_dns_record_set.hosts["api"] ({tmp_path / "dns.tf"}:1)'
    )


def test_tf_outputs_file_feeds_the_policy(tmp_path: Path) -> None:
    """--tf-outputs overrides the plan's outputs: another lb_ip makes the good plan fail."""
    out = tmp_path / "out.json"
    out.write_text(
        json.dumps({"lb_ip": {"sensitive": False, "type": "string", "value": "34.54.41.99"}})
    )
    code, text = run_cli(
        "--plan", str(fixture("good")), "--policy", str(POLICY), "--tf-outputs", str(out)
    )
    assert code == 1
    assert "expected 34.54.41.99, got 34.54.41.44" in text


def test_rules_only_without_a_policy() -> None:
    """No environment and no --policy: the built-in rules alone decide."""
    code, text = run_cli("--plan", str(fixture("connector_region")))
    assert code == 1
    assert "3 checks" in text.splitlines()[0]
    assert "runs in us-central1 but its VPC connector is in us-east1" in text


def test_policy_can_disable_a_rule_with_a_reason(tmp_path: Path) -> None:
    """plan: {disable: {IV003: reason}} -> IV003 SKIPPED with the reason; no policy checks fail."""
    policy = tmp_path / "p.yaml"
    policy.write_text(
        'environment: staging\nplan:\n  disable:\n    IV003: "shared connector, NET-42"\nchecks: {}\n'
    )
    code, text = run_cli("--plan", str(fixture("connector_region")), "--policy", str(policy))
    assert code == 0, text
    assert (
        "SKIPPED rule:IV003" in text and "disabled by the policy: shared connector, NET-42" in text
    )


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            'plan:\n  disable:\n    IV003: ""\n',
            "p.yaml:4: plan.disable.IV003: a reason is required",
        ),
        (
            "plan:\n  disable: [IV003]\n",
            "p.yaml:3: plan.disable: each disabled rule needs a reason",
        ),
        ('plan:\n  disable:\n    IV030: "x"\n', "unknown rule 'IV030' (did you mean 'IV003'?)"),
        ("plan:\n  skip: {}\n", "unknown key 'skip'"),
    ],
)
def test_bad_plan_section_exits_2_with_file_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], section: str, message: str
) -> None:
    """A rule disabled without a reason (or a bad plan: section) is a PolicyError: exit 2."""
    policy = tmp_path / "p.yaml"
    policy.write_text("environment: staging\n" + section + "checks: {}\n")
    code, text = run_cli("--plan", str(fixture("good")), "--policy", str(policy))
    assert code == 2 and text == ""
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no such plan file"),
        ("not json", "not valid JSON"),
        (
            '{"format_version": "0.2", "resource_changes": []}',
            "unsupported plan format_version 0.2",
        ),
    ],
)
def test_bad_plan_file_is_one_stderr_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, problem: str
) -> None:
    """Missing, non-JSON or wrong-version plan: exit 2, one stderr line naming the file and the fix."""
    plan = tmp_path / "plan.json"
    if content is not None:
        plan.write_text(content)
    code, text = run_cli("--plan", str(plan), "--policy", str(POLICY))
    err = capsys.readouterr().err
    assert code == 2 and text == ""
    assert len(err.strip().splitlines()) == 1
    assert str(plan) in err and problem in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """No --plan, or an unknown --format, exits 2."""
    assert run_cli("staging")[0] == 2
    code, _ = run_cli("--plan", str(fixture("good")), "--format", "yaml")
    assert code == 2 and "invalid choice: 'yaml'" in capsys.readouterr().err
