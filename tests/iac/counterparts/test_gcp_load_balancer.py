"""gcp.load_balancer counterpart: literal values and values known after apply, by reference."""

from __future__ import annotations

from collections.abc import Callable

from infra_verify.gate import GateRun


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
