"""``gcp.cloud_sql_path``: the service attaches the instance and reaches its network."""

from __future__ import annotations

from infra_verify.checks.gcp.sql_path import GcpCloudSqlPath
from infra_verify.iac.findings import (
    PlanContext,
    check_result,
    lifecycle_observations,
    not_in_plan,
    sql_attachment,
    vpc_path,
)
from infra_verify.iac.resources import RUN_TYPES, SQL, find_run_service, sql_name, sql_network_keys
from infra_verify.model import Observation, Result


def expect(check: GcpCloudSqlPath, ctx: PlanContext) -> Result:
    """Service ``check.service`` attaches ``check.instance`` and has a VPC path to its network."""
    plan = ctx.plan
    name = check.service
    instance = check.instance
    found, svc = find_run_service(plan, name, check.region)
    obs: list[Observation] = []
    if svc is None:
        obs.append(not_in_plan(RUN_TYPES[0], name))
    else:
        where = ctx.where(svc.res.address)
        obs += lifecycle_observations(ctx, [*found, *svc.connectors()])
        obs.append(sql_attachment(ctx, svc, instance, where))
        sqls = plan.named([SQL], sql_name(instance))
        obs += lifecycle_observations(ctx, sqls)
        for sql in [s for s in sqls if s.exists_after][:1]:
            obs.append(vpc_path(ctx, svc, sql, sql_network_keys(plan, sql)))
    return check_result(
        check,
        obs,
        ok=f"the plan declares the path {name} -> VPC -> {instance}",
        hint="attach the instance (template.volumes.cloud_sql_instance) and give the service "
        "a VPC connector or Direct VPC egress on the instance's network",
    )
