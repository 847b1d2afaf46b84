"""Project numbers in names are resolved to IDs (Resource Manager projects.get) before comparing."""

from __future__ import annotations

import pytest

from infra_verify.check import Check
from infra_verify.checks.gcp.cloud_run import GcpCloudRunService
from infra_verify.checks.gcp.cloud_sql import GcpCloudSqlInstance
from infra_verify.checks.gcp.vpc_connector import GcpVpcConnector
from infra_verify.model import Status
from infra_verify.testing.fake_gcp import FOREVER
from tests.checks.gcp.world import PROJECT, GcpWorld

NUMBER = "123456789012"
HOST_NUMBER = "555000111222"


def by_number() -> str:
    """The service project's network netra-staging-vpc, its project named by number."""
    return f"projects/{NUMBER}/global/networks/netra-staging-vpc"


def serve_projects(gcp: GcpWorld) -> None:
    """The service project and a host project, readable by number."""
    for number, ident in ((NUMBER, PROJECT), (HOST_NUMBER, "netra-host")):
        gcp.put(
            f"v1/projects/{number}",
            {"projectId": ident, "projectNumber": number, "lifecycleState": "ACTIVE"},
        )


CHECKS: dict[str, Check] = {
    "vpc_connector": GcpVpcConnector(connector="netra-staging-connector", network=by_number()),
    "cloud_sql_instance": GcpCloudSqlInstance(instance="netra-staging-db", network=by_number()),
    "cloud_run_service": GcpCloudRunService(
        service="netra-backend-staging",
        connector=f"projects/{NUMBER}/locations/us-central1/connectors/netra-staging-connector",
    ),
}
HOST_CHECKS: dict[str, Check] = {
    "vpc_connector": GcpVpcConnector(
        connector="netra-staging-connector",
        network=f"projects/{HOST_NUMBER}/global/networks/netra-staging-vpc",
    ),
    "cloud_sql_instance": GcpCloudSqlInstance(
        instance="netra-staging-db",
        network=f"projects/{HOST_NUMBER}/global/networks/netra-staging-vpc",
    ),
    "cloud_run_service": GcpCloudRunService(
        service="netra-backend-staging",
        connector=f"projects/{HOST_NUMBER}/locations/us-central1/connectors/netra-staging-connector",
    ),
}
kinds = pytest.mark.parametrize("kind", sorted(CHECKS))


@kinds
def test_a_name_by_the_own_project_number_passes(gcp: GcpWorld, kind: str) -> None:
    """projects/NUMBER/... of the resource's own project is the same resource: PASS."""
    serve_projects(gcp)
    result = gcp.run(CHECKS[kind])
    assert result.status is Status.PASS, result.summary
    assert gcp.requests_to(f"v1/projects/{NUMBER}") == 1


@kinds
def test_a_name_by_another_project_number_fails(gcp: GcpWorld, kind: str) -> None:
    """projects/NUMBER/... of another project (a host's) is not the local namesake: FAIL."""
    serve_projects(gcp)
    result = gcp.run(HOST_CHECKS[kind])
    assert result.status is Status.FAIL, result.summary


@kinds
def test_a_number_that_cannot_be_resolved_is_an_error(gcp: GcpWorld, kind: str) -> None:
    """projects.get refused (403): the comparison cannot be made, ERROR naming the number."""
    gcp.fake.inject(f"v1/projects/{NUMBER}", statuses=[403], times=FOREVER)
    result = gcp.run(CHECKS[kind])
    assert result.status is Status.ERROR, result.summary
    assert f"project number {NUMBER} could not be resolved" in result.summary


def test_names_by_id_read_no_project(gcp: GcpWorld) -> None:
    """Without a number in any name, Resource Manager is never read (nothing to resolve)."""
    network = f"projects/{PROJECT}/global/networks/netra-staging-vpc"
    result = gcp.run(GcpVpcConnector(connector="netra-staging-connector", network=network))
    assert result.status is Status.PASS, result.summary
    assert not [r for r in gcp.fake.requests if r.path.count("/") == 2]
