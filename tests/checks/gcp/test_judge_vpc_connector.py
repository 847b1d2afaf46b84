"""gcp.vpc_connector's judge on plain data: VpcConnectorObserved built by hand, no server."""

from __future__ import annotations

from typing import Any

import pytest

from infra_verify.checks.gcp.vpc_connector import GcpVpcConnector, VpcConnectorObserved
from infra_verify.model import Status

CHECK = GcpVpcConnector(
    connector="netra-staging-connector", network="netra-staging-vpc", ip_cidr_range="10.8.0.0/28"
)


def connector(**changes: Any) -> dict[str, Any]:
    """A READY vpcaccess v1 connector, as the REST API returns it, with changes."""
    conn: dict[str, Any] = {
        "name": "projects/netra-staging/locations/us-central1/connectors/netra-staging-connector",
        "network": "netra-staging-vpc",
        "ipCidrRange": "10.8.0.0/28",
        "state": "READY",
        "minInstances": 2,
        "maxInstances": 3,
    }
    conn.update(changes)
    return conn


def observed(conn: dict[str, Any] | None) -> VpcConnectorObserved:
    """The observation of ``conn`` in netra-staging, us-central1."""
    return VpcConnectorObserved("netra-staging", "us-central1", conn)


def test_ready_connector_on_its_network_passes() -> None:
    """A READY connector on the expected network and range passes; its bounds are reported."""
    outcome = CHECK.judge(observed(connector()))
    assert outcome.status is Status.PASS
    assert outcome.summary == (
        "VPC connector netra-staging-connector READY on netra-staging-vpc (10.8.0.0/28)"
    )
    assert outcome.observations[-1].actual == "2..3"


def test_full_network_path_matches_a_short_expected_name() -> None:
    """A connector whose network is a full path matches the short expected name."""
    full = "projects/netra-staging/global/networks/netra-staging-vpc"
    assert CHECK.judge(observed(connector(network=full))).status is Status.PASS


@pytest.mark.parametrize(
    ("state", "hint_part"),
    [
        ("CREATING", "wait while the connector is created"),
        ("ERROR", "delete and re-create it"),
        ("DELETING", "the connector is being deleted"),
    ],
)
def test_connector_not_ready_fails_with_a_state_specific_hint(state: str, hint_part: str) -> None:
    """A connector that is not READY FAILs at its state, with a hint for that state."""
    outcome = CHECK.judge(observed(connector(state=state)))
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith(f"state: expected READY, got {state}")
    assert outcome.hint is not None and hint_part in outcome.hint


def test_connector_on_another_network_fails() -> None:
    """A READY connector on another network FAILs at the network link."""
    outcome = CHECK.judge(observed(connector(network="default")))
    assert outcome.status is Status.FAIL
    assert outcome.summary == (
        "network: expected netra-staging-vpc, got default "
        "(at netra-staging-connector (us-central1))"
    )
    assert outcome.hint == "re-create the connector on network netra-staging-vpc"


def test_connector_with_another_range_fails() -> None:
    """A connector with another /28 than expected FAILs at the IP range."""
    outcome = CHECK.judge(observed(connector(ipCidrRange="10.9.0.0/28")))
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith("IP range: expected 10.8.0.0/28, got 10.9.0.0/28")


def test_missing_connector_fails_with_create_command() -> None:
    """A connector that does not exist (404) FAILs naming region and project, with a create command."""
    outcome = CHECK.judge(observed(None))
    assert outcome.status is Status.FAIL
    assert outcome.summary == (
        "VPC connector netra-staging-connector (us-central1) does not exist in project netra-staging"
    )
    assert outcome.hint == (
        "gcloud compute networks vpc-access connectors create netra-staging-connector "
        "--region=us-central1 --network=netra-staging-vpc --range=10.8.0.0/28"
    )
