"""gcp.vpc_connector counterpart: region, network and range of the connector."""

from __future__ import annotations

from collections.abc import Callable

from infra_verify.gate import GateRun


def test_connector_in_another_region_fails_the_connector_check(
    run_plan: Callable[..., GateRun],
) -> None:
    """A connector declared in us-east1 fails region: expected us-central1."""
    result = run_plan("connector_region").by_id("connector")
    assert (
        result.summary
        == "region: expected us-central1, got us-east1 (at google_vpc_access_connector.connector)"
    )
