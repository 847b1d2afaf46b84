"""Built-in rules IV001 (DNS for certificate domains), IV002 (private SQL path), IV003 (connector region)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from infra_verify.errors import PolicyError
from infra_verify.gate import GateRun
from infra_verify.iac.findings import PlanContext
from infra_verify.iac.plan import load_plan
from infra_verify.iac.rules.registry import RULES, run_rules
from infra_verify.model import Result, Status
from tests.iac.conftest import fixture

CERT = "rule:IV001:google_compute_managed_ssl_certificate.cert"
RUN = "google_cloud_run_v2_service.backend"


def rules_for(name: str, disabled: dict[str, str] | None = None) -> dict[str, Result]:
    """Run only the built-in rules on a fixture, by result id."""
    return {r.id: r for r in run_rules(PlanContext(load_plan(fixture(name))), disabled)}


def test_every_rule_has_an_id_title_and_rationale() -> None:
    """Rules have stable ids IV001..IV003, a title and a rationale."""
    assert list(RULES) == ["IV001", "IV002", "IV003"]
    assert all(r.title and len(r.rationale) > 40 for r in RULES.values())


def test_good_plan_passes_every_rule() -> None:
    """The story's stack, declared completely, passes IV001..IV003."""
    results = rules_for("good")
    assert {r.status for r in results.values()} == {Status.PASS}
    assert set(results) == {CERT, f"rule:IV002:{RUN}", f"rule:IV003:{RUN}"}
    obs = results[CERT].observations
    assert [o.property for o in obs] == [
        "api.staging.netrasystems.ai A/AAAA",
        "auth.staging.netrasystems.ai A/AAAA",
        "app.staging.netrasystems.ai A/AAAA",
    ]
    assert obs[0].where == 'google_dns_record_set.hosts["api"]'


def test_iv001_names_every_certificate_domain_without_a_record() -> None:
    """The story: a managed certificate on the LB, no DNS record in the plan -> IV001 FAIL."""
    result = rules_for("no_dns")[CERT]
    assert result.status is Status.FAIL
    assert result.kind == "plan.rule.IV001"
    assert (
        "api.staging.netrasystems.ai, auth.staging.netrasystems.ai, app.staging.netrasystems.ai"
        in result.summary
    )
    assert "34.54.41.44" in result.summary
    assert all(not o.ok and o.actual == "(no record set in this plan)" for o in result.observations)
    assert all(
        o.where == "google_compute_managed_ssl_certificate.cert" for o in result.observations
    )
    assert result.hint is not None and "google_compute_global_address.lb.address" in result.hint


def test_iv001_fails_a_record_that_points_elsewhere() -> None:
    """A record with another IP does not satisfy IV001; the observation shows the IP and record."""
    result = rules_for("wrong_ip")[CERT]
    assert result.status is Status.FAIL
    bad = result.observations[0]
    assert bad.actual == "34.54.41.45" and bad.where == 'google_dns_record_set.hosts["api"]'


def test_iv001_accepts_records_declared_by_reference_to_the_lb_address() -> None:
    """rrdatas known only after apply, by reference to the LB's global address, pass IV001."""
    result = rules_for("by_reference")[CERT]
    assert result.status is Status.PASS
    assert result.observations[0].actual == (
        "declared by reference to google_compute_global_address.lb.address (known after apply)"
    )


def test_iv002_fails_a_service_without_vpc_access_to_a_private_instance() -> None:
    """Cloud Run with private-only Cloud SQL and no connector/Direct VPC -> IV002 FAIL."""
    results = rules_for("no_connector")
    iv2 = results[f"rule:IV002:{RUN}"]
    assert iv2.status is Status.FAIL
    assert iv2.observations[0].actual == "no VPC connector and no Direct VPC egress"
    assert "netra-staging-vpc" in (iv2.observations[0].expected or "")
    assert results["rule:IV003"].status is Status.PASS  # nothing to check without a connector


def test_iv002_fails_when_the_connector_is_destroyed() -> None:
    """A connector the plan destroys is no path to the database."""
    iv2 = rules_for("destroy")[f"rule:IV002:{RUN}"]
    assert iv2.status is Status.FAIL
    assert "will be destroyed" in (iv2.observations[0].actual or "")


def test_iv003_fails_a_connector_in_another_region() -> None:
    """The service runs in us-central1, its connector is in us-east1 -> IV003 FAIL."""
    iv3 = rules_for("connector_region")[f"rule:IV003:{RUN}"]
    assert iv3.status is Status.FAIL
    assert iv3.summary == f"{RUN} runs in us-central1 but its VPC connector is in us-east1"
    assert iv3.observations[0].where == "google_vpc_access_connector.connector"


def test_disabled_rule_is_skipped_with_its_reason(run_plan: Callable[..., GateRun]) -> None:
    """Disabling IV003 with a reason makes it SKIPPED (shown, not counted): the run passes."""
    run = run_plan(
        "connector_region", disabled={"IV003": "connector shared from us-east1 until NET-42"}
    )
    skipped = run.by_id("rule:IV003")
    assert skipped.status is Status.SKIPPED
    assert skipped.summary == "disabled by the policy: connector shared from us-east1 until NET-42"
    assert [r.id for r in run.root_causes] == ["connector"]  # the policy check still fails


@pytest.mark.parametrize("disabled", [{"IV003": ""}, {"IV003": "   "}, {"IV999": "why"}])
def test_disabling_without_a_reason_or_an_unknown_rule_is_a_policy_error(
    disabled: dict[str, str],
) -> None:
    """A rule disabled with an empty reason, or an unknown rule id, is a PolicyError (exit 2)."""
    with pytest.raises(PolicyError):
        rules_for("good", disabled)
