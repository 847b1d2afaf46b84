"""The shipped policies work end to end with every command: live list, plan check, show."""

from __future__ import annotations

import io
from pathlib import Path

from infra_verify.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "iac" / "fixtures"
POLICIES = str(ROOT / "policies")


def cli(*args: str) -> tuple[int, str]:
    """Run the CLI in-process."""
    out = io.StringIO()
    return main(list(args), stdout=out), out.getvalue()


def test_plan_check_on_the_shipped_staging_policy_finds_the_story() -> None:
    """`plan staging` (a policy that extends base.yaml) names the missing DNS records as the one root cause."""
    code, out = cli(
        "plan",
        "staging",
        "--plan",
        str(FIXTURES / "staging_no_dns.json"),
        "--policies-dir",
        POLICIES,
    )
    assert code == 1
    assert "Root cause (1):" in out and "1. dns-records [plan.dns_record]" in out
    assert "rule:IV001:google_compute_managed_ssl_certificate.cert" in out.split("Root cause")[1]


def test_plan_check_on_the_shipped_staging_policy_passes_a_good_plan() -> None:
    """The good plan declares everything the staging policy expects."""
    code, out = cli(
        "plan", "staging", "--plan", str(FIXTURES / "staging_good.json"), "--policies-dir", POLICIES
    )
    assert code == 0, out


def test_every_shipped_environment_lists() -> None:
    """staging and production --list work offline (production uses the bundle)."""
    for env in ("staging", "production"):
        code, out = cli(env, "--list", "--policies-dir", POLICIES)
        assert code == 0 and "checks from" in out, env
