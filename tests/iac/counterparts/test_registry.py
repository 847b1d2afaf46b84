"""Policy checks judged against the plan: which kinds have a counterpart, their result kinds, destroy/replace."""

from __future__ import annotations

from collections.abc import Callable

from infra_verify.checks.registry import BUILTIN_KINDS, get_kind
from infra_verify.gate import GateRun
from infra_verify.iac.counterparts.registry import COUNTERPARTS
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


def test_each_counterpart_is_typed_by_its_kinds_check_class() -> None:
    """Every counterpart is keyed by a built-in kind and takes that kind's registered class."""
    assert set(COUNTERPARTS) <= set(BUILTIN_KINDS)
    for kind, counterpart in COUNTERPARTS.items():
        assert get_kind(kind) is counterpart.check_class
