"""Policy checks judged against the plan: each kind's counterpart, references, destroy/replace."""

from __future__ import annotations

from collections.abc import Callable

from infra_verify.gate import GateRun
from infra_verify.model import Status

POLICY_IDS = ["dns-api", "dns-auth", "records", "cert", "lb", "run", "connector", "sql", "sql-path"]


def test_good_plan_passes_every_policy_check(run_plan: Callable[..., GateRun]) -> None:
    """The good plan declares everything the policy expects: exit 0, kinds plan.*."""
    run = run_plan("good")
    assert run.exit_code == 0, run.summary()
    assert [r.id for r in run.results][: len(POLICY_IDS)] == POLICY_IDS
    assert run.by_id("records").kind == "plan.dns_record"
    assert run.by_id("dns-api").kind == "plan.dns"
    assert run.by_id("lb").kind == "plan.load_balancer"


def test_live_only_checks_are_listed_as_warnings_not_results(
    run_plan: Callable[..., GateRun],
) -> None:
    """An http check has no plan counterpart: not a result, named in the run's warnings."""
    run = run_plan("good")
    assert "health" not in [r.id for r in run.results]
    assert run.warnings == ("checked only after apply (no plan counterpart): health",)


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


def test_values_known_after_apply_pass_by_reference(run_plan: Callable[..., GateRun]) -> None:
    """Address allocated at apply: LB ip and records pass, declared by reference, not missing."""
    run = run_plan("by_reference")
    assert run.exit_code == 0, run.summary()
    ip = next(o for o in run.by_id("lb").observations if o.property == "ip_address")
    assert (
        ip.ok
        and ip.actual
        == "declared by reference to google_compute_global_address.lb.address (known after apply)"
    )
    rec = run.by_id("records").observations[0]
    assert rec.ok and "declared by reference to google_compute_global_address.lb.address" in (
        rec.actual or ""
    )


def test_literal_value_through_reference_is_compared(run_plan: Callable[..., GateRun]) -> None:
    """The good plan's IP is known: the LB observation shows the literal and passes."""
    ip = next(o for o in run_plan("good").by_id("lb").observations if o.property == "ip_address")
    assert (ip.expected, ip.actual, ip.ok) == ("34.54.41.44", "34.54.41.44", True)


def test_cloud_run_without_connector_fails_run_and_sql_path(
    run_plan: Callable[..., GateRun],
) -> None:
    """No vpc_access block: the run check names connector, network and egress; sql-path fails."""
    run = run_plan("no_connector")
    bad = [o.property for o in run.by_id("run").observations if not o.ok]
    assert bad == ["VPC connector", "network", "VPC egress"]
    assert run.by_id("sql-path").status is Status.FAIL
    assert run.by_id("connector").status is Status.PASS  # the connector exists, it is just unused


def test_connector_in_another_region_fails_the_connector_check(
    run_plan: Callable[..., GateRun],
) -> None:
    """A connector declared in us-east1 fails region: expected us-central1."""
    result = run_plan("connector_region").by_id("connector")
    assert (
        result.summary
        == "region: expected us-central1, got us-east1 (at google_vpc_access_connector.connector)"
    )


def test_destroyed_and_replaced_resources_are_findings(run_plan: Callable[..., GateRun]) -> None:
    """A replaced certificate and a destroyed connector fail every check that depends on them."""
    run = run_plan("destroy")
    assert (
        run.by_id("cert").summary == "google_compute_managed_ssl_certificate.cert will be replaced"
    )
    assert (
        run.by_id("connector").summary == "google_vpc_access_connector.connector will be destroyed"
    )
    lb_bad = [o for o in run.by_id("lb").observations if not o.ok]
    assert [(o.property, o.actual) for o in lb_bad] == [("lifecycle", "will be replaced")]
    run_bad = [(o.actual, o.where) for o in run.by_id("run").observations if not o.ok]
    assert run_bad == [("will be destroyed", "google_vpc_access_connector.connector")]
    assert "create_before_destroy" in (run.by_id("cert").hint or "")
    assert run.by_id("dns-api").status is Status.PASS
