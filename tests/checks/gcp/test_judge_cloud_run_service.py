"""gcp.cloud_run_service's judge on plain data: CloudRunObserved built by hand, no server."""

from __future__ import annotations

from typing import Any

import pytest

from infra_verify.checks.gcp.cloud_run import CloudRunObserved, GcpCloudRunService
from infra_verify.model import Status

SERVICE = "projects/netra-staging/locations/us-central1/services/netra-backend-staging"
REVISION = f"{SERVICE}/revisions/netra-backend-staging-00003-xyz"
CONNECTOR = "projects/netra-staging/locations/us-central1/connectors/netra-staging-connector"
SQL = "netra-staging:us-central1:netra-staging-db"
CHECK = GcpCloudRunService(
    service="netra-backend-staging",
    ingress="all",
    connector="netra-staging-connector",
    egress="private-ranges-only",
    cloud_sql_instances=(SQL,),
)


def service(**changes: Any) -> dict[str, Any]:
    """A Ready run v2 service, as the REST API returns it, with top-level changes."""
    svc: dict[str, Any] = {
        "name": SERVICE,
        "ingress": "INGRESS_TRAFFIC_ALL",
        "reconciling": False,
        "template": {
            "vpcAccess": {"connector": CONNECTOR, "egress": "PRIVATE_RANGES_ONLY"},
            "volumes": [{"name": "cloudsql", "cloudSqlInstance": {"instances": [SQL]}}],
        },
        "trafficStatuses": [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100}],
        "terminalCondition": {"type": "Ready", "state": "CONDITION_SUCCEEDED"},
        "latestReadyRevision": REVISION,
        "latestCreatedRevision": REVISION,
    }
    svc.update(changes)
    return svc


def observed(svc: dict[str, Any] | None) -> CloudRunObserved:
    """The observation of ``svc`` in netra-staging, us-central1."""
    return CloudRunObserved("netra-staging", "us-central1", svc)


def test_ready_service_wired_as_expected_passes() -> None:
    """A Ready service on its latest revision with the expected ingress, connector and SQL passes."""
    outcome = CHECK.judge(observed(service()))
    assert outcome.status is Status.PASS
    assert (
        outcome.summary
        == "Cloud Run netra-backend-staging Ready on netra-backend-staging-00003-xyz"
    )
    assert all(o.ok for o in outcome.observations)
    assert outcome.observations[-1].property == f"Cloud SQL {SQL}"


def test_service_not_ready_fails_with_the_condition_message() -> None:
    """A failed Ready condition FAILs with its message and a logs hint."""
    cond = {"type": "Ready", "state": "CONDITION_FAILED", "message": "container failed to start"}
    outcome = CHECK.judge(observed(service(terminalCondition=cond)))
    assert outcome.status is Status.FAIL
    assert outcome.summary == (
        "Cloud Run netra-backend-staging: Ready: expected CONDITION_SUCCEEDED, "
        "got CONDITION_FAILED container failed to start"
    )
    assert outcome.hint is not None and "its logs" in outcome.hint


@pytest.mark.parametrize(
    ("changes", "summary_part", "hint_part"),
    [
        ({"reconciling": True}, "reconciling: expected false, got true", "rollout"),
        (
            {"latestCreatedRevision": f"{SERVICE}/revisions/netra-backend-staging-00004-abc"},
            "latest revision ready: expected netra-backend-staging-00004-abc",
            "gcloud run revisions describe netra-backend-staging-00004-abc",
        ),
        (
            {"trafficStatuses": [{"revision": "old", "percent": 100}]},
            "traffic on latest revision: expected 100%, got 0%",
            "update-traffic netra-backend-staging --region=us-central1 --to-latest",
        ),
        (
            {"ingress": "INGRESS_TRAFFIC_INTERNAL_ONLY"},
            "ingress: expected INGRESS_TRAFFIC_ALL, got INGRESS_TRAFFIC_INTERNAL_ONLY",
            "--ingress=all",
        ),
        (
            {"template": {"vpcAccess": {"connector": "other", "egress": "PRIVATE_RANGES_ONLY"}}},
            "VPC connector: expected netra-staging-connector, got other",
            "--vpc-connector=netra-staging-connector",
        ),
    ],
)
def test_each_wrong_property_fails_with_its_command(
    changes: dict[str, Any], summary_part: str, hint_part: str
) -> None:
    """Reconciling, a stale revision, traffic, ingress or connector each FAIL with a fix."""
    outcome = CHECK.judge(observed(service(**changes)))
    assert outcome.status is Status.FAIL
    assert summary_part in outcome.summary
    assert outcome.hint is not None and hint_part in outcome.hint


def test_no_connector_says_private_ips_are_unreachable() -> None:
    """A service without a connector FAILs saying it cannot reach private IPs such as Cloud SQL's."""
    template = {"volumes": [{"cloudSqlInstance": {"instances": [SQL]}}]}
    outcome = CHECK.judge(observed(service(template=template)))
    assert outcome.status is Status.FAIL
    assert outcome.summary == (
        "Cloud Run netra-backend-staging has no VPC connector (expected netra-staging-connector): "
        "it cannot reach private IPs such as Cloud SQL's (+1 more)"
    )


def test_cloud_sql_instance_not_attached_fails() -> None:
    """A Cloud SQL instance the service does not mount FAILs with --add-cloudsql-instances."""
    template = {"vpcAccess": {"connector": CONNECTOR, "egress": "PRIVATE_RANGES_ONLY"}}
    outcome = CHECK.judge(observed(service(template=template)))
    assert outcome.status is Status.FAIL
    assert f"Cloud SQL {SQL}: expected attached, got not attached" in outcome.summary
    assert outcome.hint is not None and f"--add-cloudsql-instances={SQL}" in outcome.hint


def test_direct_vpc_egress_network_is_checked() -> None:
    """With 'network', Direct VPC egress on that network passes and on another one FAILs."""
    check = GcpCloudRunService(service="netra-backend-staging", network="netra-staging-vpc")
    interfaces = {"networkInterfaces": [{"network": "netra-staging-vpc"}]}
    assert check.judge(observed(service(template={"vpcAccess": interfaces}))).status is Status.PASS
    other = {"networkInterfaces": [{"network": "default"}]}
    outcome = check.judge(observed(service(template={"vpcAccess": other})))
    assert outcome.status is Status.FAIL
    assert "Direct VPC egress network: expected netra-staging-vpc, got default" in outcome.summary


def test_missing_service_fails_with_deploy_command() -> None:
    """A service that does not exist (404) FAILs naming region and project, with a deploy command."""
    outcome = CHECK.judge(observed(None))
    assert outcome.status is Status.FAIL
    assert outcome.summary == (
        "Cloud Run service netra-backend-staging (us-central1) does not exist in project netra-staging"
    )
    assert outcome.hint == (
        "deploy it: gcloud run deploy netra-backend-staging --region=us-central1 --image=IMAGE"
    )


def test_traffic_asked_and_served_disagreeing_is_reconciling() -> None:
    """traffic (asked) differing from trafficStatuses (served) FAILs as reconciling."""
    old = f"{SERVICE}/revisions/netra-backend-staging-00002-old"
    asked = [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": old, "percent": 100}]
    outcome = CHECK.judge(observed(service(traffic=asked)))
    assert outcome.status is Status.FAIL and not outcome.terminal
    assert "is reconciling" in outcome.summary
    served = [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100}]
    assert CHECK.judge(observed(service(traffic=served))).status is Status.PASS


def test_connector_in_another_project_is_not_the_short_name() -> None:
    """The expected short connector is this project's; a host project's namesake is not it."""
    host = CONNECTOR.replace("projects/netra-staging/", "projects/netra-host/")
    template = {
        "vpcAccess": {"connector": host},
        "volumes": [{"cloudSqlInstance": {"instances": [SQL]}}],
    }
    outcome = CHECK.judge(observed(service(template=template)))
    assert outcome.status is Status.FAIL
    assert "VPC connector" in outcome.summary
