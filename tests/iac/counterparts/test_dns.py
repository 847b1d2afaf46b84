"""dns and gcp.dns_record counterparts: record sets declared in the plan, expected vs actual."""

from __future__ import annotations

from collections.abc import Callable

from infra_verify.gate import GateRun
from infra_verify.model import Status


def test_story_plan_without_dns_records_fails_policy_and_rule(
    run_plan: Callable[..., GateRun],
) -> None:
    """The story's plan: dns, gcp.dns_record and IV001 fail; the rest of the stack passes; exit 1."""
    run = run_plan("no_dns")
    assert run.exit_code == 1
    failing = sorted(r.id for r in run.results if r.status is Status.FAIL)
    assert failing == [
        "dns-api",
        "dns-auth",
        "records",
        "rule:IV001:google_compute_managed_ssl_certificate.cert",
    ]
    dns = run.by_id("dns-api")
    assert dns.summary == (
        "no google_dns_record_set declares api.staging.netrasystems.ai. A: the record would be a manual step"
    )
    assert dns.observations[0].expected == "34.54.41.44"
    assert dns.hint is not None and 'name = "api.staging.netrasystems.ai."' in dns.hint


def test_wrong_ip_is_expected_vs_actual_at_the_record(run_plan: Callable[..., GateRun]) -> None:
    """Records with 34.54.41.45: the dns check shows expected/actual at the record's address."""
    run = run_plan("wrong_ip")
    obs = run.by_id("dns-api").observations[0]
    assert (obs.expected, obs.actual, obs.ok) == ("34.54.41.44", "34.54.41.45", False)
    assert obs.where == 'google_dns_record_set.hosts["api"]'
    assert run.by_id("lb").status is Status.PASS  # the LB itself is right
