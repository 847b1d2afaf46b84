"""``gcp.managed_certificate``: the certificate is declared, Google-managed, with these domains."""

from __future__ import annotations

from infra_verify.checks.gcp.certificate import GcpManagedCertificate
from infra_verify.iac.findings import (
    PlanContext,
    check_result,
    lifecycle_observations,
    match_attribute,
    match_set,
    not_in_plan,
)
from infra_verify.iac.resources import (
    CM_CERT,
    COMPUTE_CERTS,
    SSL_CERT,
    certificate_domains,
    kept_or_first,
    same_host,
)
from infra_verify.model import Observation, Result

SELF_MANAGED = "self-managed (certificate PEM)"


def expect(check: GcpManagedCertificate, ctx: PlanContext) -> Result:
    """Certificate ``check.name`` (Certificate Manager when asked) covers ``check.domains``."""
    plan = ctx.plan
    name = check.name
    domains = list(check.domains)
    cm = check.certificate_manager
    types = (CM_CERT,) if cm else COMPUTE_CERTS
    found = plan.named(types, name)
    obs: list[Observation] = []
    if not found:
        obs.append(not_in_plan(types[0], name))
    obs += lifecycle_observations(ctx, found)
    for cert in kept_or_first(found):
        where = ctx.where(cert.address)
        declared = certificate_domains(plan, cert)
        if cert.type == SSL_CERT and not declared:
            obs.append(
                Observation("managed", "a Google-managed certificate", SELF_MANAGED, False, where)
            )
            continue
        if cm and check.location:
            obs.append(match_attribute(ctx, cert, "location", check.location, "location"))
        if domains:
            obs.append(match_set("domains", domains, declared, where, same=same_host))
    quoted = ", ".join(f'"{d}"' for d in domains)
    return check_result(
        check,
        obs,
        ok=f"the plan declares managed certificate {name} for {', '.join(domains) or '(its domains)'}",
        hint=f'declare resource "{types[0]}" "..." {{ name = "{name}", managed {{ domains = '
        f"[{quoted}] }} }}",
    )
