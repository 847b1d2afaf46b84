"""What counterparts and rules share to judge a plan: the run context, observations comparing
declared values with expected ones, and the result (PASS/FAIL, summary, hint) they add up to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from infra_verify.check import Check
from infra_verify.iac.plan import Plan, PlanResource, Value, short
from infra_verify.iac.resources import (
    RunService,
    connector_network_keys,
    describe,
    first_text,
    text_values,
)
from infra_verify.model import Observation, Outcome, Result, Status

LIFECYCLE_HINT = (
    "the plan destroys or replaces a resource the policy depends on: if that is intended, "
    "update the policy; if not, find the argument marked 'forces replacement' in terraform plan, "
    "or protect the resource (lifecycle { create_before_destroy = true } / prevent_destroy)"
)


@dataclass
class PlanContext:
    """What plan checks share: the plan and how to name a resource's location."""

    plan: Plan
    where: Callable[[str], str] = field(default=lambda address: address)


# --- results ----------------------------------------------------------------------------------


def make_result(
    check_id: str,
    kind: str,
    observations: list[Observation],
    *,
    ok: str,
    fail: str | None = None,
    hint: str | None = None,
) -> Result:
    """PASS with ``ok`` when every observation holds, else FAIL (summary ``fail`` or the first miss)."""
    bad = [o for o in observations if not o.ok]
    if bad and all(o.property == "lifecycle" for o in bad):
        fail, hint = None, LIFECYCLE_HINT
    outcome = Outcome.judge(observations, ok=ok, hint=hint)
    summary = outcome.summary
    if outcome.status is Status.FAIL:
        summary = _failure_summary(observations, fail)
    return Result(
        id=check_id,
        kind=kind,
        status=outcome.status,
        summary=summary,
        observations=outcome.observations,
        hint=outcome.hint,
        attempts=1,
    )


def check_result(
    check: Check,
    observations: list[Observation],
    *,
    ok: str,
    fail: str | None = None,
    hint: str | None = None,
) -> Result:
    """:func:`make_result` for a policy check: its id, and kind ``plan.<kind without gcp.>``."""
    kind = "plan." + check.kind.removeprefix("gcp.")
    return make_result(check.id, kind, observations, ok=ok, fail=fail, hint=hint)


def _failure_summary(observations: list[Observation], fail: str | None) -> str:
    bad = [o for o in observations if not o.ok]
    destroyed = [o for o in bad if o.property == "lifecycle"]
    if destroyed and not fail:
        o = destroyed[0]
        return f"{o.where} {o.actual}" + (f" (+{len(bad) - 1} more)" if len(bad) > 1 else "")
    if fail:
        return fail
    first = bad[0]
    text = f"{first.property}: expected {first.expected}, got {first.actual}"
    if first.where:
        text += f" (at {first.where})"
    return text + (f" (+{len(bad) - 1} more)" if len(bad) > 1 else "")


# --- observations -----------------------------------------------------------------------------


def lifecycle_observations(
    ctx: PlanContext, resources: Iterable[PlanResource]
) -> list[Observation]:
    """A failing observation for each resource that the plan destroys or replaces."""
    return [
        Observation("lifecycle", "kept", res.lifecycle, False, ctx.where(res.address))
        for res in resources
        if res.lifecycle
    ]


def not_in_plan(rtype: str, what: str) -> Observation:
    """The resource a check is about is not declared in this plan."""
    return Observation("declared", f"{rtype} {what}", "(not in this plan)", False, None)


def match_set(
    prop: str,
    expected: Sequence[str],
    values: list[Value],
    where: str | None,
    *,
    same: Callable[[str, str], bool] = lambda a, b: a == b,
    exact: bool = True,
) -> Observation:
    """Expected values vs declared ones; unknown values declared by reference are accepted."""
    known = [v for v in values if v.known and v.value is not None]
    by_ref = [v for v in values if not v.known and v.via]
    texts = [str(v.value) for v in known]
    unmatched_known = [t for t in texts if not any(same(e, t) for e in expected)]
    missing = [e for e in expected if not any(same(e, t) for t in texts)]
    if by_ref and not unmatched_known:
        ok = True
    elif exact:
        ok = not unmatched_known and not missing and bool(values)
    else:
        ok = not missing and bool(values)
    return Observation(prop, ", ".join(expected), describe(values), ok, where)


def match_attribute(
    ctx: PlanContext,
    res: PlanResource,
    prop: str,
    expected: str,
    path: str,
    *,
    same: Callable[[str, str], bool] = lambda a, b: a == b,
) -> Observation:
    """One expected value vs the resource's attribute at ``path``, at the resource's location."""
    values = ctx.plan.values(res, path)
    return match_set(prop, [expected], values, ctx.where(res.address), same=same)


def named_among(
    prop: str, want: str, names: Iterable[str], where: str | None, *, none: str = "(none)"
) -> Observation:
    """``want`` (a name, id or link) is one of ``names``; ``none`` shows that there are none."""
    found = sorted(names)
    return Observation(prop, want, ", ".join(found) or none, short(want) in found, where)


# --- Cloud Run attachments ----------------------------------------------------------------------


def sql_attachment(ctx: PlanContext, svc: RunService, instance: str, where: str) -> Observation:
    """The service attaches Cloud SQL ``instance`` (connection name, or the instance in the plan)."""
    declared = svc.sql_values()
    prop = f"Cloud SQL {instance}"
    if instance in text_values(declared):
        return Observation(prop, "attached", describe(declared), True, where)
    project_region, _, name = instance.rpartition(":")
    region = project_region.rpartition(":")[2] if project_region else None
    for sql in svc.sql_instances():
        sql_region = first_text(ctx.plan, sql, "region")
        if sql.gcp_name == name and (not region or not sql_region or sql_region == region):
            return Observation(prop, "attached", describe(declared), True, where)
    actual = describe(declared) if declared else "(no Cloud SQL attachment)"
    return Observation(prop, "attached", actual, False, where)


def vpc_path(
    ctx: PlanContext, svc: RunService, sql: PlanResource, sql_net: set[str]
) -> Observation:
    """The service reaches the instance's network: a VPC connector or Direct VPC egress on it."""
    plan = ctx.plan
    prop = f"VPC path to {sql.gcp_name or sql.address}"
    want = ", ".join(sorted(sql_net)) or "(its private network)"
    expected = f"a VPC connector or Direct VPC egress on {want}"
    where = ctx.where(svc.res.address)

    def seen(actual: str, ok: bool) -> Observation:
        return Observation(prop, expected, actual, ok, where)

    direct = svc.direct_vpc_keys()
    if direct and (not sql_net or direct & sql_net):
        return seen(f"Direct VPC egress on {', '.join(sorted(direct))}", True)
    all_connectors = svc.connectors()
    connectors = [c for c in all_connectors if c.exists_after]
    gone = [c for c in all_connectors if not c.exists_after]
    if gone and not connectors and not direct:
        return seen(f"connector {gone[0].address} {gone[0].lifecycle}", False)
    for conn in connectors:
        keys = connector_network_keys(plan, conn)
        if not sql_net or not keys or keys & sql_net:
            net = ", ".join(sorted(keys)) or "(network known after apply)"
            return seen(f"connector {conn.address} on {net}", True)
    if connectors:
        conn = connectors[0]
        net = ", ".join(sorted(connector_network_keys(plan, conn)))
        return seen(f"connector {conn.address} on {net}", False)
    declared = svc.connector_values()
    if declared:
        return seen(
            f"connector {describe(declared)} (not in this plan; its network is not checked)", True
        )
    if direct:
        return seen(f"Direct VPC egress on {', '.join(sorted(direct))}", False)
    return seen("no VPC connector and no Direct VPC egress", False)
