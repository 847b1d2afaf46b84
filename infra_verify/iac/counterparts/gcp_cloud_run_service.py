"""``gcp.cloud_run_service``: the service is declared with its ingress, VPC access and Cloud SQL."""

from __future__ import annotations

from infra_verify.checks.gcp.cloud_run import GcpCloudRunService
from infra_verify.iac.findings import (
    PlanContext,
    check_result,
    lifecycle_observations,
    match_attribute,
    match_set,
    named_among,
    not_in_plan,
    sql_attachment,
)
from infra_verify.iac.plan import PlanResource, short
from infra_verify.iac.resources import (
    RUN_TYPES,
    RunService,
    connector_network_keys,
    describe,
    find_run_service,
    gcp_names,
)
from infra_verify.model import Observation, Result

INGRESS_PREFIX = "ingress-traffic-"


def expect(check: GcpCloudRunService, ctx: PlanContext) -> Result:
    """Service ``check.service`` is declared as the check's fields expect."""
    name = check.service
    found, svc = find_run_service(ctx.plan, name, check.region)
    obs: list[Observation] = []
    if svc is None:
        obs.append(not_in_plan(RUN_TYPES[0], name))
    else:
        obs += observations(check, ctx, found, svc)
    return check_result(
        check,
        obs,
        ok=f"the plan declares Cloud Run service {name} as the policy expects",
        hint=f"in the Terraform code of Cloud Run service {name}, set what the policy expects "
        "(template.vpc_access.connector / egress, template.volumes.cloud_sql_instance.instances)",
    )


def observations(
    check: GcpCloudRunService, ctx: PlanContext, found: list[PlanResource], svc: RunService
) -> list[Observation]:
    """The service and what it uses are kept; each setting the check names is declared."""
    where = ctx.where(svc.res.address)
    obs = lifecycle_observations(ctx, [*found, *svc.connectors(), *svc.sql_instances()])
    if check.region:
        obs.append(match_attribute(ctx, svc.res, "location", check.region, "location"))
    if check.ingress:
        obs.append(_ingress(svc, check.ingress, where))
    if check.connector:
        obs.append(_connector(svc, check.connector, where))
    if check.network:
        keys = svc.direct_vpc_keys()
        for conn in svc.connectors():
            keys |= connector_network_keys(ctx.plan, conn)
        obs.append(named_among("network", check.network, keys, where, none="(no VPC access)"))
    if check.egress:
        obs.append(
            match_set(
                "VPC egress",
                [check.egress],
                svc.egress(),
                where,
                same=lambda a, b: _norm_enum(a) == _norm_enum(b),
            )
        )
    for inst in check.cloud_sql_instances:
        obs.append(sql_attachment(ctx, svc, inst, where))
    return obs


def _norm_enum(value: str, prefix: str = "") -> str:
    v = value.strip().lower().replace("_", "-")
    v = v.removeprefix(prefix)
    return {
        "internal-only": "internal",
        "internal-load-balancer": "internal-and-cloud-load-balancing",
    }.get(v, v)


def _ingress(svc: RunService, ingress: str, where: str) -> Observation:
    values = svc.ingress()
    want = _norm_enum(ingress, INGRESS_PREFIX)
    if not values:
        return Observation("ingress", want, "(not declared: all)", want == "all", where)
    return match_set(
        "ingress",
        [want],
        values,
        where,
        same=lambda a, b: _norm_enum(a, INGRESS_PREFIX) == _norm_enum(b, INGRESS_PREFIX),
    )


def _connector(svc: RunService, want: str, where: str) -> Observation:
    declared = svc.connector_values()
    ok = short(want) in gcp_names(svc.connectors()) or any(
        v.known and short(str(v.value)) == short(want) for v in declared
    )
    actual = describe(declared) if declared else "(none)"
    return Observation("VPC connector", want, actual, ok, where)
