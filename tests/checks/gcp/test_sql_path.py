"""gcp.cloud_sql_path: Cloud Run -> VPC connector or Direct VPC -> network -> Cloud SQL private IP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from infra_verify.checks.gcp.sql_path import GcpCloudSqlPath
from infra_verify.model import Result, Status
from tests.checks.gcp.world import CONNECTOR, CONNECTOR_NAME, PROJECT, RUN_SERVICE, SQL, GcpWorld
from tests.servers.postgres import PostgresServer

PATH = GcpCloudSqlPath(service="netra-backend-staging", instance="netra-staging-db")
LINKS = [
    "connector state",
    "connector region",
    "connector network = Cloud SQL network",
    "Cloud SQL private IP",
    "egress routes private ranges",
]


def vpc_access(gcp: GcpWorld, access: dict[str, Any] | None) -> None:
    """Replace the service template's vpcAccess (None removes it)."""
    svc = gcp.fake.get(RUN_SERVICE)
    if access is None:
        svc["template"].pop("vpcAccess", None)
    else:
        svc["template"]["vpcAccess"] = access
    gcp.put(RUN_SERVICE, svc)


def missing_link(result: Result, link: str) -> None:
    """Assert a FAIL naming ``link`` as the missing link of the path."""
    assert result.status is Status.FAIL, result.summary
    assert result.summary.startswith(
        f"no path from netra-backend-staging to netra-staging-db: {link}: expected "
    ), result.summary
    assert next(o for o in result.observations if not o.ok).property == link


def test_connector_path_to_private_ip_passes(gcp: GcpWorld) -> None:
    """Service -> READY connector in its region -> the SQL network -> private IP passes."""
    result = gcp.run(PATH)
    assert result.status is Status.PASS, result.summary
    assert result.summary == (
        "netra-backend-staging reaches netra-staging-db at 10.20.0.3 via network netra-staging-vpc"
    )
    assert [o.property for o in result.observations] == LINKS
    assert all(o.ok for o in result.observations)


def test_no_connector_and_no_direct_vpc_fails(gcp: GcpWorld) -> None:
    """A service with neither a connector nor Direct VPC egress has no path: FAIL."""
    vpc_access(gcp, None)
    result = gcp.run(PATH)
    missing_link(result, "service VPC access")
    assert result.hint is not None and "--vpc-connector=CONNECTOR" in result.hint


def test_connector_on_another_network_than_sql_fails(gcp: GcpWorld) -> None:
    """A READY connector on another network than Cloud SQL's FAILs at the network link."""
    gcp.patch(CONNECTOR, {"network": "default"})
    result = gcp.run(PATH)
    missing_link(result, "connector network = Cloud SQL network")
    assert result.hint is not None
    assert "the connector is on default but Cloud SQL is on netra-staging-vpc" in result.hint


def test_connector_in_another_region_fails(gcp: GcpWorld) -> None:
    """A connector in another region than the service cannot serve it: FAIL at the region link."""
    east = CONNECTOR.replace("us-central1", "us-east1")
    conn = gcp.fake.get(CONNECTOR)
    conn["name"] = CONNECTOR_NAME.replace("us-central1", "us-east1")
    gcp.put(east, conn)
    vpc_access(gcp, {"connector": conn["name"], "egress": "PRIVATE_RANGES_ONLY"})
    result = gcp.run(PATH)
    missing_link(result, "connector region")
    assert next(o for o in result.observations if not o.ok).actual == "us-east1"
    assert gcp.requests_to(east) == 1


def test_missing_connector_is_a_fail_not_an_error(gcp: GcpWorld) -> None:
    """A connector the service names but that does not exist (404) FAILs as MISSING."""
    gcp.fake.delete(CONNECTOR)
    result = gcp.run(PATH)
    missing_link(result, "connector state")
    assert result.observations[0].actual == "netra-staging-connector: MISSING"


def test_sql_without_private_ip_fails(gcp: GcpWorld) -> None:
    """A Cloud SQL instance with no private IP breaks the path at that link."""
    gcp.patch(SQL, {"ipAddresses": [{"type": "PRIMARY", "ipAddress": "34.70.1.2"}]})
    result = gcp.run(PATH)
    missing_link(result, "Cloud SQL private IP")


def test_unset_egress_fails(gcp: GcpWorld) -> None:
    """A connector without an egress setting routes nothing private: FAIL at the egress link."""
    vpc_access(gcp, {"connector": CONNECTOR_NAME})
    result = gcp.run(PATH)
    missing_link(result, "egress routes private ranges")
    assert result.observations[-1].actual == "(unset)"


def test_direct_vpc_egress_on_the_sql_network_passes(gcp: GcpWorld) -> None:
    """Direct VPC egress on the SQL instance's network is a path too."""
    network = f"projects/{PROJECT}/global/networks/netra-staging-vpc"
    vpc_access(gcp, {"networkInterfaces": [{"network": network}], "egress": "ALL_TRAFFIC"})
    result = gcp.run(PATH)
    assert result.status is Status.PASS, result.summary
    assert result.observations[0].property == "Direct VPC egress network = Cloud SQL network"


def test_direct_vpc_egress_on_another_network_fails(gcp: GcpWorld) -> None:
    """Direct VPC egress on another network than Cloud SQL's FAILs at that link."""
    vpc_access(gcp, {"networkInterfaces": [{"network": "default"}], "egress": "ALL_TRAFFIC"})
    result = gcp.run(PATH)
    missing_link(result, "Direct VPC egress network = Cloud SQL network")


def test_missing_service_or_instance_is_a_fail(gcp: GcpWorld) -> None:
    """A path from a service or to an instance that does not exist FAILs from the 404."""
    gcp.fake.delete(SQL)
    result = gcp.run(PATH)
    assert result.status is Status.FAIL
    assert "Cloud SQL instance netra-staging-db does not exist" in result.summary
    ghost = gcp.run(GcpCloudSqlPath(service="netra-ghost", instance="netra-staging-db"))
    assert ghost.status is Status.FAIL
    assert "Cloud Run service netra-ghost (us-central1) does not exist" in ghost.summary


def test_probe_reaches_postgres_at_the_private_ip(gcp: GcpWorld, postgres: PostgresServer) -> None:
    """With probe on, a PostgreSQL answering at the private IP adds a passing handshake."""
    gcp.patch(SQL, {"ipAddresses": [{"type": "PRIVATE", "ipAddress": "127.0.0.1"}]})
    check = GcpCloudSqlPath(
        service="netra-backend-staging", instance="netra-staging-db", probe=True, port=postgres.port
    )
    result = gcp.run(check)
    assert result.status is Status.PASS, result.summary
    assert result.summary.endswith("; PostgreSQL answers")
    handshake = result.observations[-1]
    assert (handshake.property, handshake.actual, handshake.ok) == (
        "PostgreSQL handshake",
        "b'S'",
        True,
    )


def test_probe_to_a_silent_private_ip_fails(gcp: GcpWorld, free_port: Callable[..., int]) -> None:
    """With probe on, nothing listening at the private IP turns a configured path into a FAIL."""
    gcp.patch(SQL, {"ipAddresses": [{"type": "PRIVATE", "ipAddress": "127.0.0.1"}]})
    port = free_port()
    check = GcpCloudSqlPath(
        service="netra-backend-staging", instance="netra-staging-db", probe=True, port=port
    )
    result = gcp.run(check, timeout=2)
    assert result.status is Status.FAIL
    assert f"the path is configured, but 127.0.0.1:{port} does not answer" in result.summary
    assert all(o.ok for o in result.observations)
