"""``gcp.vpc_connector``: the connector is declared in the region, on the network, with the range."""

from __future__ import annotations

from infra_verify.checks.gcp.vpc_connector import GcpVpcConnector
from infra_verify.iac.findings import (
    PlanContext,
    check_result,
    lifecycle_observations,
    match_attribute,
    named_among,
    not_in_plan,
)
from infra_verify.iac.resources import (
    CONNECTOR,
    connector_network_keys,
    connector_region,
    kept_or_first,
)
from infra_verify.model import Observation, Result


def expect(check: GcpVpcConnector, ctx: PlanContext) -> Result:
    """Connector ``check.connector`` is declared with the check's region, network and range."""
    plan = ctx.plan
    name = check.connector
    found = plan.named([CONNECTOR], name)
    obs: list[Observation] = []
    if not found:
        obs.append(not_in_plan(CONNECTOR, name))
    obs += lifecycle_observations(ctx, found)
    for conn in kept_or_first(found):
        where = ctx.where(conn.address)
        if check.region:
            actual = connector_region(plan, conn)
            obs.append(
                Observation(
                    "region",
                    check.region,
                    actual or "(known after apply)",
                    actual in (None, check.region),
                    where,
                )
            )
        if check.network:
            keys = connector_network_keys(plan, conn)
            obs.append(named_among("network", check.network, keys, where, none="(not declared)"))
        if check.ip_cidr_range:
            obs.append(
                match_attribute(ctx, conn, "ip_cidr_range", check.ip_cidr_range, "ip_cidr_range")
            )
    return check_result(
        check,
        obs,
        ok=f"the plan declares VPC connector {name}",
        hint=f'declare resource "google_vpc_access_connector" "..." {{ name = "{name}", region, '
        "network and ip_cidr_range as the policy expects }",
    )
