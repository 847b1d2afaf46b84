"""gcp.load_balancer counterpart: literal values and values known after apply, by reference."""

from __future__ import annotations

from collections.abc import Callable

from infra_verify.checks.gcp.load_balancer import GcpLoadBalancer, Route
from infra_verify.gate import GateRun
from infra_verify.iac.counterparts import gcp_load_balancer
from infra_verify.iac.findings import PlanContext
from infra_verify.iac.plan import load_plan
from infra_verify.model import Status
from tests.iac.conftest import fixture


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


def test_routes_hosts_and_services_are_declared() -> None:
    """``routes:`` hosts need a host rule and their ``service`` a backend the URL map names."""
    ctx = PlanContext(load_plan(fixture("good")))
    api = "api.staging.netrasystems.ai"
    good = GcpLoadBalancer(
        forwarding_rule="netra-staging-https",
        routes=(Route(host=api, path="/api/", service="netra-staging-backend"),),
    )
    result = gcp_load_balancer.expect(good, ctx)
    assert result.status is Status.PASS, result.summary
    seen = {o.property: o for o in result.observations}
    assert seen["route service"].actual == "netra-staging-backend"
    assert seen[f"host {api}"].ok
    bad = GcpLoadBalancer(
        forwarding_rule="netra-staging-https",
        routes=(
            Route(host="www.netrasystems.ai", service="netra-staging-backend"),
            Route(host=api, path="/static/", service="netra-static"),
        ),
    )
    failed = {o.property: o for o in gcp_load_balancer.expect(bad, ctx).observations if not o.ok}
    assert set(failed) == {"host www.netrasystems.ai", "route service"}
    assert failed["route service"].expected == "netra-static"
