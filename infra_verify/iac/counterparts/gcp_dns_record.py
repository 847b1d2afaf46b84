"""``gcp.dns_record``: every name has a google_dns_record_set in the zone with the rrdatas."""

from __future__ import annotations

from infra_verify.checks.gcp.dns_record import GcpDnsRecord
from infra_verify.iac.counterparts.dns import (
    matching_records,
    record_hint,
    record_observations,
    records_missing,
)
from infra_verify.iac.findings import PlanContext, check_result, match_attribute
from infra_verify.iac.resources import norm_host
from infra_verify.model import Observation, Result


def expect(check: GcpDnsRecord, ctx: PlanContext) -> Result:
    """Each of ``check.name``/``check.names`` is declared in ``check.zone`` with ``check.rrdatas``."""
    names = ([check.name] if check.name else []) + list(check.names)
    rtype = check.type
    rrdatas = list(check.rrdatas)
    obs: list[Observation] = []
    for name in names:
        obs += record_observations(ctx, name, rtype, rrdatas, check.zone)
    if "ttl" in check.model_fields_set:
        for name in names:
            for rec in matching_records(ctx, name, rtype):
                obs.append(match_attribute(ctx, rec, "ttl", str(check.ttl), "ttl"))
    return check_result(
        check,
        obs,
        ok=f"the plan declares {', '.join(norm_host(n) + '.' for n in names)} {rtype} -> "
        f"{', '.join(rrdatas)}",
        fail=records_missing(rtype, obs),
        hint=record_hint(names[0] if names else "NAME", rtype, rrdatas, check.zone),
    )
