"""gcp.cloud_run_service and gcp.cloud_sql_path counterparts: VPC access and Cloud SQL."""

from __future__ import annotations

from collections.abc import Callable

from infra_verify.gate import GateRun
from infra_verify.model import Status


def test_cloud_run_without_connector_fails_run_and_sql_path(
    run_plan: Callable[..., GateRun],
) -> None:
    """No vpc_access block: the run check names connector, network and egress; sql-path fails."""
    run = run_plan("no_connector")
    bad = [o.property for o in run.by_id("run").observations if not o.ok]
    assert bad == ["VPC connector", "network", "VPC egress"]
    assert run.by_id("sql-path").status is Status.FAIL
    assert run.by_id("connector").status is Status.PASS  # the connector exists, it is just unused
