"""``dns``: a google_dns_record_set declares NAME/TYPE with the expected values.

The record-set observations here are shared with ``gcp.dns_record`` (:mod:`.gcp_dns_record`).
"""

from __future__ import annotations

from collections.abc import Sequence

from infra_verify.checks.dns import Dns
from infra_verify.iac.findings import PlanContext, check_result, lifecycle_observations, match_set
from infra_verify.iac.plan import PlanResource, short
from infra_verify.iac.resources import (
    DNS_ZONE,
    describe,
    norm_host,
    record_sets,
    record_type,
    same_host,
    same_ip,
)
from infra_verify.model import Observation, Result

NO_RECORD = "(no google_dns_record_set in this plan)"


def expect(check: Dns, ctx: PlanContext) -> Result:
    """The plan declares the record set ``check.name``/``check.type`` with ``check.expect``."""
    expected = list(check.expect)
    obs = record_observations(ctx, check.name, check.type, expected)
    return check_result(
        check,
        obs,
        ok=f"the plan declares {norm_host(check.name)}. {check.type} -> "
        f"{', '.join(expected) or '(any)'}",
        fail=records_missing(check.type, obs),
        hint=record_hint(check.name, check.type, expected),
    )


def matching_records(ctx: PlanContext, name: str, rtype: str) -> list[PlanResource]:
    """Record sets of DNS name ``name`` and type ``rtype``, destroyed ones included."""
    plan = ctx.plan
    return [
        r
        for r in record_sets(plan, name, include_destroyed=True)
        if (record_type(plan, r) or "").upper() == rtype.upper()
    ]


def record_observations(
    ctx: PlanContext, name: str, rtype: str, expected: Sequence[str], zone: str | None = None
) -> list[Observation]:
    """The record set ``name``/``rtype`` exists, is kept, holds ``expected`` (and is in ``zone``)."""
    plan = ctx.plan
    records = matching_records(ctx, name, rtype)
    label = f"{norm_host(name)}. {rtype}"
    if not records:
        return [Observation(label, ", ".join(expected) or "a record set", NO_RECORD, False, None)]
    kept = [r for r in records if r.exists_after]
    obs = lifecycle_observations(ctx, records)
    same = same_ip if rtype.upper() in ("A", "AAAA") else same_host
    for rec in kept or records[:1]:
        where = ctx.where(rec.address)
        rrdatas = plan.values(rec, "rrdatas")
        if expected:
            obs.append(match_set(label, expected, rrdatas, where, same=same))
        else:
            obs.append(Observation(label, "a record set", describe(rrdatas), True, where))
        if zone:
            zones = [z.gcp_name for z in plan.linked(rec, "managed_zone", [DNS_ZONE])]
            declared = plan.values(rec, "managed_zone")
            ok = zone in zones or any(v.known and short(str(v.value)) == zone for v in declared)
            ok = ok or (not zones and any(not v.known for v in declared))
            obs.append(Observation("managed_zone", zone, describe(declared), ok, where))
    return obs


def records_missing(rtype: str, obs: list[Observation]) -> str | None:
    """The summary when every miss is a record set absent from the plan, else None."""
    bad = [o for o in obs if not o.ok]
    if bad and all((o.actual or "").startswith("(no google_dns_record_set") for o in bad):
        names = ", ".join(o.property.split()[0] for o in bad)
        return (
            f"no google_dns_record_set declares {names} {rtype}: the record would be a manual step"
        )
    return None


def record_hint(name: str, rtype: str, expected: Sequence[str], zone: str | None = None) -> str:
    """The Terraform resource that declares the record set."""
    rr = ", ".join(f'"{e}"' for e in expected) or "google_compute_global_address.<lb>.address"
    return (
        f'add to the Terraform code: resource "google_dns_record_set" "..." {{ name = '
        f'"{norm_host(name)}.", type = "{rtype}", ttl = 300, managed_zone = '
        f'"{zone or "<zone>"}", rrdatas = [{rr}] }}'
    )
