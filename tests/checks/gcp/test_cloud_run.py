"""gcp.cloud_run_service: readiness, revisions, traffic, ingress, VPC access and Cloud SQL (run_v2)."""

from __future__ import annotations

from typing import Any

import pytest

from infra_verify.checks.gcp.cloud_run import GcpCloudRunService
from infra_verify.gate import Gate
from infra_verify.model import Observation, Outcome, Result, Status
from infra_verify.testing.discovery import validate
from tests.checks.gcp.world import CONNECTOR_NAME, PROJECT, RUN_SERVICE, SQL_CONNECTION, GcpWorld

REVISIONS = f"projects/{PROJECT}/locations/us-central1/services/netra-backend-staging/revisions"
UPDATE = "gcloud run services update netra-backend-staging --region=us-central1"


def service(**changes: object) -> GcpCloudRunService:
    """The story's Cloud Run check, with changes."""
    fields: dict[str, object] = {
        "service": "netra-backend-staging",
        "ingress": "all",
        "connector": "netra-staging-connector",
        "egress": "private-ranges-only",
        "cloud_sql_instances": [SQL_CONNECTION],
    }
    fields.update(changes)
    return GcpCloudRunService.model_validate(fields)


def observed(result: Result, prop: str) -> Observation:
    """The observation of one property."""
    return next(o for o in result.observations if o.property == prop)


def failed_only_at(result: Result, prop: str) -> None:
    """Assert a FAIL whose summary names ``prop`` and where every other observation held."""
    assert result.status is Status.FAIL, result.summary
    assert prop in result.summary, result.summary
    assert [o.property for o in result.observations if not o.ok] == [prop]


def vpc_access(gcp: GcpWorld, access: dict[str, Any] | None) -> None:
    """Replace the service template's vpcAccess (None removes it)."""
    svc = gcp.fake.get(RUN_SERVICE)
    if access is None:
        svc["template"].pop("vpcAccess", None)
    else:
        svc["template"]["vpcAccess"] = access
    gcp.put(RUN_SERVICE, svc)


def test_ready_service_passes(gcp: GcpWorld) -> None:
    """The healthy service passes with every property observed."""
    result = gcp.run(service())
    assert result.status is Status.PASS, result.summary
    assert (
        result.summary == "Cloud Run netra-backend-staging Ready on netra-backend-staging-00003-xyz"
    )
    assert [o.property for o in result.observations] == [
        "Ready",
        "reconciling",
        "latest revision ready",
        "traffic on latest revision",
        "ingress",
        "VPC connector",
        "VPC egress",
        f"Cloud SQL {SQL_CONNECTION}",
    ]
    assert all(o.ok for o in result.observations)


def test_not_ready_fails_with_the_condition_message(gcp: GcpWorld) -> None:
    """A terminal condition CONDITION_FAILED FAILs and carries the condition's message."""
    message = (
        "Revision 'netra-backend-staging-00003-xyz' is not ready: the container failed to start"
    )
    gcp.patch(RUN_SERVICE, {"terminalCondition": {"state": "CONDITION_FAILED", "message": message}})
    result = gcp.run(service())
    failed_only_at(result, "Ready")
    assert message in result.summary
    assert result.hint is not None and "gcloud run services describe" in result.hint


def test_reconciling_service_fails(gcp: GcpWorld) -> None:
    """A service that is still reconciling (a rollout in progress) is not done yet: converging,
    with the revision start window as its ETA."""
    gcp.patch(RUN_SERVICE, {"reconciling": True})
    result = gcp.run(service())
    failed_only_at(result, "reconciling")
    assert result.hint is not None and result.hint.startswith("wait")
    assert result.eta is not None and result.eta.latest - result.eta.earliest == 600
    assert "still rolling out" in result.eta.why


def test_latest_created_revision_not_ready_fails(gcp: GcpWorld) -> None:
    """A newer created revision than the latest ready one FAILs naming the new revision."""
    gcp.patch(
        RUN_SERVICE, {"latestCreatedRevision": f"{REVISIONS}/netra-backend-staging-00004-new"}
    )
    result = gcp.run(service())
    assert result.status is Status.FAIL
    rev = observed(result, "latest revision ready")
    assert (rev.expected, rev.actual, rev.ok) == (
        "netra-backend-staging-00004-new",
        "netra-backend-staging-00003-xyz",
        False,
    )
    assert result.hint is not None and "netra-backend-staging-00004-new" in result.hint


def test_traffic_split_across_two_revisions_fails(gcp: GcpWorld) -> None:
    """50/50 traffic between the latest and an older revision FAILs the 100% expectation."""
    split = [
        {
            "type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
            "revision": "netra-backend-staging-00003-xyz",
            "percent": 50,
        },
        {
            "type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
            "revision": "netra-backend-staging-00002-old",
            "percent": 50,
        },
    ]
    gcp.patch(RUN_SERVICE, {"traffic": split, "trafficStatuses": split})
    result = gcp.run(service())
    failed_only_at(result, "traffic on latest revision")
    assert observed(result, "traffic on latest revision").actual == "50%"
    assert result.hint == (
        "gcloud run services update-traffic netra-backend-staging --region=us-central1 --to-latest"
    )
    assert gcp.run(service(traffic_latest_percent=50)).status is Status.PASS


def test_ingress_mismatch_fails(gcp: GcpWorld) -> None:
    """Ingress internal-and-cloud-load-balancing when "all" is expected FAILs with an update."""
    gcp.patch(RUN_SERVICE, {"ingress": "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"})
    result = gcp.run(service())
    failed_only_at(result, "ingress")
    assert observed(result, "ingress").actual == "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
    assert result.hint == f"{UPDATE} --ingress=all"
    lb_only = gcp.run(service(ingress="internal-and-cloud-load-balancing"))
    assert lb_only.status is Status.PASS, lb_only.summary


def test_connector_absent_fails_with_the_story_hint(gcp: GcpWorld) -> None:
    """No VPC connector (the story) FAILs saying Cloud SQL is unreachable, with the fix command."""
    vpc_access(gcp, None)
    result = gcp.run(service())
    assert result.status is Status.FAIL
    assert result.summary.startswith(
        "Cloud Run netra-backend-staging has no VPC connector (expected netra-staging-connector)"
    )
    assert result.hint == (
        f"{UPDATE} --vpc-connector=netra-staging-connector --vpc-egress=private-ranges-only"
    )
    assert observed(result, "VPC connector").actual == "(none)"


def test_connector_given_as_full_path(gcp: GcpWorld) -> None:
    """A full connector path matches; a path in another region does not."""
    assert gcp.run(service(connector=CONNECTOR_NAME)).status is Status.PASS
    elsewhere = CONNECTOR_NAME.replace("us-central1", "us-east1")
    result = gcp.run(service(connector=elsewhere))
    failed_only_at(result, "VPC connector")
    assert observed(result, "VPC connector").actual == CONNECTOR_NAME


def test_other_connector_fails(gcp: GcpWorld) -> None:
    """A different connector than expected FAILs at the VPC connector property."""
    other = CONNECTOR_NAME.replace("netra-staging-connector", "old-conn")
    vpc_access(gcp, {"connector": other, "egress": "PRIVATE_RANGES_ONLY"})
    result = gcp.run(service())
    failed_only_at(result, "VPC connector")


@pytest.mark.parametrize(
    "network", ["netra-staging-vpc", f"projects/{PROJECT}/global/networks/netra-staging-vpc"]
)
def test_direct_vpc_egress_on_the_expected_network_passes(gcp: GcpWorld, network: str) -> None:
    """Direct VPC egress (networkInterfaces) on the expected network passes, short name or path."""
    vpc_access(
        gcp,
        {
            "networkInterfaces": [{"network": network, "subnetwork": "netra-staging-subnet"}],
            "egress": "PRIVATE_RANGES_ONLY",
        },
    )
    result = gcp.run(service(connector=None, network="netra-staging-vpc"))
    assert result.status is Status.PASS, result.summary
    assert observed(result, "Direct VPC egress network").actual == network


def test_direct_vpc_egress_on_another_network_fails(gcp: GcpWorld) -> None:
    """Direct VPC egress on another network FAILs with a --network update command."""
    vpc_access(
        gcp, {"networkInterfaces": [{"network": "default"}], "egress": "PRIVATE_RANGES_ONLY"}
    )
    result = gcp.run(service(connector=None, network="netra-staging-vpc"))
    failed_only_at(result, "Direct VPC egress network")
    assert result.hint is not None and "--network=netra-staging-vpc" in result.hint


def test_egress_mismatch_fails(gcp: GcpWorld) -> None:
    """ALL_TRAFFIC egress when private-ranges-only is expected FAILs at VPC egress."""
    gcp.patch(RUN_SERVICE, {"template": {"vpcAccess": {"egress": "ALL_TRAFFIC"}}})
    result = gcp.run(service())
    failed_only_at(result, "VPC egress")
    assert result.hint == f"{UPDATE} --vpc-egress=private-ranges-only"


def test_cloud_sql_instance_not_attached_fails(gcp: GcpWorld) -> None:
    """An expected Cloud SQL connection name that is not mounted FAILs with --add-cloudsql-instances."""
    gcp.patch(RUN_SERVICE, {"template": {"volumes": None}})
    result = gcp.run(service())
    failed_only_at(result, f"Cloud SQL {SQL_CONNECTION}")
    assert observed(result, f"Cloud SQL {SQL_CONNECTION}").actual == "not attached"
    assert result.hint == f"{UPDATE} --add-cloudsql-instances={SQL_CONNECTION}"


def test_several_problems_name_the_first_and_count_the_rest(gcp: GcpWorld) -> None:
    """With ingress and egress both wrong, the summary names ingress and counts one more."""
    egress = {"vpcAccess": {"egress": "ALL_TRAFFIC"}}
    gcp.patch(RUN_SERVICE, {"ingress": "INGRESS_TRAFFIC_INTERNAL_ONLY", "template": egress})
    result = gcp.run(service())
    assert result.status is Status.FAIL
    assert "ingress" in result.summary and result.summary.endswith("(+1 more)")


def test_missing_service_is_a_fail(gcp: GcpWorld) -> None:
    """A service the API answers 404 for FAILs with a deploy command."""
    result = gcp.run(service(service="netra-ghost"))
    assert result.status is Status.FAIL
    assert "Cloud Run service netra-ghost (us-central1) does not exist" in result.summary
    assert result.hint is not None and "gcloud run deploy netra-ghost" in result.hint


def test_hints_use_gcloud_values_when_the_policy_uses_rest_enums(gcp: GcpWorld) -> None:
    """Ingress and egress given as REST enum names still give valid gcloud flags in the hint."""
    gcp.patch(RUN_SERVICE, {"ingress": "INGRESS_TRAFFIC_INTERNAL_ONLY"})
    ingress = gcp.run(service(ingress="INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"))
    assert ingress.status is Status.FAIL
    assert ingress.hint == f"{UPDATE} --ingress=internal-and-cloud-load-balancing"
    vpc_access(gcp, None)
    egress = gcp.run(service(ingress=None, egress="ALL_TRAFFIC"))
    assert egress.hint == (
        f"{UPDATE} --vpc-connector=netra-staging-connector --vpc-egress=all-traffic"
    )


HOST_CONNECTOR = "projects/netra-host/locations/us-central1/connectors/netra-staging-connector"
GOOGLE = "https://www.googleapis.com/compute/v1"


def test_direct_vpc_with_only_a_subnetwork_is_on_its_network(gcp: GcpWorld) -> None:
    """An interface naming only a subnetwork is on the network the subnetwork belongs to: PASS."""
    path = f"compute/v1/projects/{PROJECT}/regions/us-central1/subnetworks/netra-staging-subnet"
    subnet = {
        "name": "netra-staging-subnet",
        "network": f"{GOOGLE}/projects/{PROJECT}/global/networks/netra-staging-vpc",
        "ipCidrRange": "10.30.0.0/24",
    }
    assert validate("compute.v1", "Subnetwork", subnet) == []
    gcp.fake.put(path, subnet)
    vpc_access(gcp, {"networkInterfaces": [{"subnetwork": "netra-staging-subnet"}]})
    result = gcp.run(service(connector=None, network="netra-staging-vpc"))
    assert result.status is Status.PASS, result.summary
    assert observed(result, "Direct VPC egress network").actual == (
        "netra-staging-vpc (from subnetwork netra-staging-subnet)"
    )
    assert gcp.requests_to(path) == 1


def test_egress_the_api_omits_is_private_ranges_only(gcp: GcpWorld) -> None:
    """VPC access without an egress setting has the API default PRIVATE_RANGES_ONLY: PASS."""
    vpc_access(gcp, {"connector": CONNECTOR_NAME})
    result = gcp.run(service())
    assert result.status is Status.PASS, result.summary
    assert observed(result, "VPC egress").actual == "PRIVATE_RANGES_ONLY"


def test_connector_in_the_host_project_matches_only_its_path(gcp: GcpWorld) -> None:
    """A host-project connector matches its full path, not the short name (the home project's)."""
    vpc_access(gcp, {"connector": HOST_CONNECTOR, "egress": "PRIVATE_RANGES_ONLY"})
    assert gcp.run(service(connector=HOST_CONNECTOR)).status is Status.PASS
    result = gcp.run(service())
    failed_only_at(result, "VPC connector")
    assert observed(result, "VPC connector").actual == HOST_CONNECTOR


def test_service_in_another_project_is_read_there(gcp: GcpWorld) -> None:
    """project: reads the service in its own project; short names resolve there too."""
    svc = gcp.fake.get(RUN_SERVICE)
    svc["name"] = svc["name"].replace(PROJECT, "netra-apps")
    connector = CONNECTOR_NAME.replace(f"projects/{PROJECT}/", "projects/netra-apps/")
    svc["template"]["vpcAccess"]["connector"] = connector
    gcp.put(RUN_SERVICE.replace(PROJECT, "netra-apps"), svc)
    result = gcp.run(service(project="netra-apps"))
    assert result.status is Status.PASS, result.summary


def test_traffic_asked_but_not_yet_served_is_reconciling(gcp: GcpWorld) -> None:
    """traffic (asked) and trafficStatuses (served) disagree: FAIL "reconciling", not terminal."""
    asked = [
        {
            "type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
            "revision": "netra-backend-staging-00002-old",
            "percent": 100,
        }
    ]
    gcp.patch(RUN_SERVICE, {"traffic": asked})
    result = gcp.run(service(traffic_latest_percent=None))
    assert result.status is Status.FAIL
    assert not result.terminal
    assert result.summary.startswith("Cloud Run netra-backend-staging is reconciling")
    seen = observed(result, "traffic served (trafficStatuses)")
    assert (seen.expected, seen.actual) == ("netra-backend-staging-00002-old 100%", "latest 100%")
    assert result.hint is not None and result.hint.startswith("wait")


def test_traffic_converges_under_wait(gcp: GcpWorld) -> None:
    """Once trafficStatuses catches up with traffic, --wait ends in PASS."""
    split = [
        {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 90},
        {
            "type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
            "revision": "netra-backend-staging-00002-old",
            "percent": 10,
        },
    ]
    gcp.patch(RUN_SERVICE, {"traffic": split})
    check = service(traffic_latest_percent=None)
    assert gcp.run(check).status is Status.FAIL

    def catch_up(check_id: str, outcome: Outcome, attempt: int) -> None:
        """After the first (reconciling) attempt, serve what was asked."""
        if attempt == 1:
            assert outcome.status is Status.FAIL and not outcome.terminal
            gcp.patch(RUN_SERVICE, {"trafficStatuses": split})

    run = Gate(
        [check], context=gcp.context(), wait=10, poll=0.05, poll_max=0.05, on_attempt=catch_up
    ).run()
    assert run.results[0].status is Status.PASS, run.results[0].summary
    assert run.results[0].attempts == 2
