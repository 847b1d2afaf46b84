"""``gcp.cloud_sql_instance``: the instance is declared with its version and private network."""

from __future__ import annotations

from infra_verify.checks.gcp.cloud_sql import GcpCloudSqlInstance
from infra_verify.iac.findings import (
    PlanContext,
    check_result,
    lifecycle_observations,
    match_attribute,
    named_among,
    not_in_plan,
)
from infra_verify.iac.resources import SQL, kept_or_first, sql_name, sql_network_keys
from infra_verify.model import Observation, Result

NO_NETWORK = "(no private_network)"


def expect(check: GcpCloudSqlInstance, ctx: PlanContext) -> Result:
    """Instance ``check.instance`` is declared with the check's version, network and SSL mode."""
    plan = ctx.plan
    name = sql_name(check.instance)
    found = plan.named([SQL], name)
    obs: list[Observation] = []
    if not found:
        obs.append(not_in_plan(SQL, name))
    obs += lifecycle_observations(ctx, found)
    for sql in kept_or_first(found):
        where = ctx.where(sql.address)
        if check.database_version:
            obs.append(
                match_attribute(
                    ctx, sql, "database_version", check.database_version, "database_version"
                )
            )
        keys = sql_network_keys(plan, sql)
        if check.private_ip is True:
            actual = ", ".join(sorted(keys)) or NO_NETWORK
            obs.append(Observation("private IP", "a private_network", actual, bool(keys), where))
        if check.network:
            obs.append(named_among("private_network", check.network, keys, where, none=NO_NETWORK))
        if check.ssl_mode:
            obs.append(
                match_attribute(
                    ctx, sql, "ssl_mode", check.ssl_mode, "settings.ip_configuration.ssl_mode"
                )
            )
    return check_result(
        check,
        obs,
        ok=f"the plan declares Cloud SQL instance {name}",
        hint=f'declare resource "google_sql_database_instance" "..." {{ name = "{name}" }} with '
        "the database_version and settings.ip_configuration (private_network) the policy expects",
    )
