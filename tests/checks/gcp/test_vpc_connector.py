"""gcp.vpc_connector: a Serverless VPC Access connector, read through google-cloud-vpc-access."""

from __future__ import annotations

from infra_verify.checks.gcp.vpc_connector import GcpVpcConnector
from infra_verify.model import Status
from tests.checks.gcp.world import CONNECTOR, PROJECT, GcpWorld


def connector(**changes: object) -> GcpVpcConnector:
    """The story's connector check, with changes."""
    fields: dict[str, object] = {
        "connector": "netra-staging-connector",
        "network": "netra-staging-vpc",
    }
    fields.update(changes)
    return GcpVpcConnector.model_validate(fields)


def test_ready_connector_passes_reporting_range_and_instances(gcp: GcpWorld) -> None:
    """A READY connector on the expected network passes, reporting its range and instance bounds."""
    result = gcp.run(connector())
    assert result.status is Status.PASS, result.summary
    assert result.summary == (
        "VPC connector netra-staging-connector READY on netra-staging-vpc (10.8.0.0/28)"
    )
    assert [(o.property, o.actual, o.ok) for o in result.observations] == [
        ("state", "READY", True),
        ("network", "netra-staging-vpc", True),
        ("IP range", "10.8.0.0/28", True),
        ("instances", "2..3", True),
    ]


def test_creating_connector_is_a_retryable_fail(gcp: GcpWorld) -> None:
    """A connector still CREATING FAILs as "not yet" (not terminal) with a hint to wait."""
    gcp.patch(CONNECTOR, {"state": "CREATING"})
    result = gcp.run(connector())
    assert result.status is Status.FAIL
    assert not result.terminal
    assert result.summary.startswith("state: expected READY, got CREATING")
    assert result.hint is not None and result.hint.startswith("wait")


def test_connector_in_error_fails_with_recreate_hint(gcp: GcpWorld) -> None:
    """A connector in ERROR FAILs with a delete-and-re-create command."""
    gcp.patch(CONNECTOR, {"state": "ERROR"})
    result = gcp.run(connector())
    assert result.status is Status.FAIL
    assert "got ERROR" in result.summary
    assert result.hint is not None
    assert (
        "vpc-access connectors delete netra-staging-connector --region=us-central1" in result.hint
    )


def test_connector_on_the_wrong_network_fails(gcp: GcpWorld) -> None:
    """A connector on another VPC network than expected FAILs at the network property."""
    gcp.patch(CONNECTOR, {"network": "default"})
    result = gcp.run(connector())
    assert result.status is Status.FAIL
    assert result.summary.startswith("network: expected netra-staging-vpc, got default")
    assert [o.property for o in result.observations if not o.ok] == ["network"]


def test_network_given_as_a_full_path_passes(gcp: GcpWorld) -> None:
    """An expected network given as projects/…/global/networks/NAME matches the short name."""
    path = f"projects/{PROJECT}/global/networks/netra-staging-vpc"
    assert gcp.run(connector(network=path)).status is Status.PASS


def test_ip_range_mismatch_fails(gcp: GcpWorld) -> None:
    """An expected /28 range other than the connector's FAILs at the IP range property."""
    result = gcp.run(connector(ip_cidr_range="10.9.0.0/28"))
    assert result.status is Status.FAIL
    assert result.summary.startswith("IP range: expected 10.9.0.0/28, got 10.8.0.0/28")


def test_missing_connector_is_a_fail(gcp: GcpWorld) -> None:
    """A connector the API answers 404 for FAILs with a create command on the expected network."""
    gcp.fake.delete(CONNECTOR)
    result = gcp.run(connector())
    assert result.status is Status.FAIL
    assert "VPC connector netra-staging-connector (us-central1) does not exist" in result.summary
    assert result.hint is not None
    assert "connectors create netra-staging-connector --region=us-central1" in result.hint
    assert "--network=netra-staging-vpc" in result.hint


def test_connector_is_read_in_the_check_region(gcp: GcpWorld) -> None:
    """A connector looked up in another region than where it lives does not exist there."""
    result = gcp.run(connector(region="europe-west1"))
    assert result.status is Status.FAIL
    assert "(europe-west1) does not exist" in result.summary


HOST_NAME = "projects/netra-host/locations/us-central1/connectors/shared-connector"


def host_connector(gcp: GcpWorld, state: str, **changes: object) -> None:
    """A connector in the Shared VPC host project netra-host."""
    conn = {**gcp.fake.get(CONNECTOR), "name": HOST_NAME, "state": state, "network": "shared-vpc"}
    gcp.put(f"v1/{HOST_NAME}", {**conn, **changes})


def test_connector_by_full_path_in_the_host_project_passes(gcp: GcpWorld) -> None:
    """A connector given by its host-project path is read there (no 'Invalid request'): PASS."""
    host_connector(gcp, "READY")
    result = gcp.run(connector(connector=HOST_NAME, network="shared-vpc"))
    assert result.status is Status.PASS, result.summary
    assert gcp.requests_to(f"v1/{HOST_NAME}") == 1


def test_connector_by_full_path_in_error_fails(gcp: GcpWorld) -> None:
    """The host-project connector in ERROR FAILs, with the host project in the fix command."""
    host_connector(gcp, "ERROR")
    result = gcp.run(connector(connector=HOST_NAME, network="shared-vpc"))
    assert result.status is Status.FAIL
    assert "got ERROR" in result.summary
    assert result.hint is not None and "--project=netra-host" in result.hint


def test_project_key_reads_the_connector_in_that_project(gcp: GcpWorld) -> None:
    """project: reads a short-named connector in that project."""
    host_connector(gcp, "READY")
    check = connector(connector="shared-connector", project="netra-host", network="shared-vpc")
    assert gcp.run(check).status is Status.PASS


def test_same_network_name_in_another_project_fails(gcp: GcpWorld) -> None:
    """A connector on the host's 'default' is not on the service project's 'default'."""
    host_connector(gcp, "READY", network="default")
    path = f"projects/{PROJECT}/global/networks/default"
    result = gcp.run(connector(connector=HOST_NAME, network=path))
    assert result.status is Status.FAIL
    assert result.summary.startswith(
        f"network: expected {path}, got projects/netra-host/global/networks/default"
    )


def test_network_of_a_shared_vpc_subnet_is_in_the_subnet_project(gcp: GcpWorld) -> None:
    """A connector in the service project on a host subnet: its network is the host's."""
    gcp.patch(CONNECTOR, {"subnet": {"name": "shared-subnet", "projectId": "netra-host"}})
    host = "projects/netra-host/global/networks/netra-staging-vpc"
    assert gcp.run(connector(network=host)).status is Status.PASS
    assert gcp.run(connector()).status is Status.FAIL


def test_missing_connector_keeps_the_server_message(gcp: GcpWorld) -> None:
    """A 404 FAIL carries the server's message as evidence."""
    gcp.fake.delete(CONNECTOR)
    result = gcp.run(connector())
    assert result.status is Status.FAIL
    (evidence,) = result.observations
    assert evidence.actual is not None and "was not found" in evidence.actual
