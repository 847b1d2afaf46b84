"""Certificate domains have DNS records

A managed certificate provisions only when each domain's A/AAAA record points at the load
balancer; declaring the records with the certificate removes the manual DNS step.

Every domain of a Google-managed certificate served by a load balancer in the plan needs a
google_dns_record_set of type A or AAAA, in the same plan, whose rrdatas are the load balancer's
address (literally, or by reference to its google_compute_global_address). Without it the
certificate stays PROVISIONING and users get NXDOMAIN.

To fix, declare the records next to the certificate, e.g. ``resource "google_dns_record_set"
... { for_each = toset([...domains]), type = "A", rrdatas =
[google_compute_global_address.<lb>.address] }``.
"""

from __future__ import annotations

from infra_verify.iac.findings import PlanContext, make_result
from infra_verify.iac.plan import PlanResource
from infra_verify.iac.resources import (
    LoadBalancer,
    certificate_domains,
    describe,
    load_balancers,
    norm_host,
    points_at,
    record_sets,
    record_type,
    text_values,
)
from infra_verify.iac.rules.base import Rule
from infra_verify.model import Observation, Result


def certificate_dns(ctx: PlanContext) -> list[Result]:
    """Every managed-certificate domain on a load balancer has an A/AAAA record to it."""
    plan = ctx.plan
    results: list[Result] = []
    seen: set[str] = set()
    for lb in load_balancers(plan):
        for cert in lb.certificates():
            domains = [norm_host(d) for d in text_values(certificate_domains(plan, cert))]
            if not domains:
                continue
            obs = [_domain_record(ctx, lb, cert, d) for d in domains]
            rid = RULE.result_id(cert)
            if rid in seen:
                rid = f"{rid}@{lb.rule.address}"
            seen.add(rid)
            missing = [o.property.split()[0] for o in obs if not o.ok]
            results.append(
                make_result(
                    rid,
                    RULE.kind,
                    obs,
                    ok=f"every domain of {cert.address} has an A record to the load balancer "
                    f"({lb.describe_ip()})",
                    fail=f"{cert.address} covers {', '.join(missing)} but no DNS record in this "
                    f"plan points it at the load balancer ({lb.describe_ip()})",
                    hint=_record_hint(lb, missing),
                )
            )
    return results or RULE.nothing_to_check(
        "no managed certificate is attached to a load balancer in this plan"
    )


def _domain_record(
    ctx: PlanContext, lb: LoadBalancer, cert: PlanResource, domain: str
) -> Observation:
    plan = ctx.plan
    prop = f"{domain} A/AAAA"
    expected = f"a google_dns_record_set -> {lb.describe_ip()}"
    candidates = [r for r in record_sets(plan, domain) if record_type(plan, r) in ("A", "AAAA")]
    if not candidates:
        return Observation(
            prop, expected, "(no record set in this plan)", False, ctx.where(cert.address)
        )
    for rec in candidates:
        ok, values = points_at(plan, rec, lb)
        if ok:
            return Observation(prop, expected, describe(values), True, ctx.where(rec.address))
    rec = candidates[0]
    return Observation(
        prop, expected, describe(plan.values(rec, "rrdatas")), False, ctx.where(rec.address)
    )


def _record_hint(lb: LoadBalancer, domains: list[str]) -> str:
    if lb.addresses():
        target = f"[{lb.addresses()[0].address}.address]"
    elif lb.known_ips():
        target = f'["{sorted(lb.known_ips())[0]}"]'
    else:
        target = f"[{lb.rule.address}.ip_address]"
    names = ", ".join(f'"{d}."' for d in domains) or "..."
    return (
        f'declare the records in Terraform: resource "google_dns_record_set" ... '
        f'{{ for_each = toset([{names}]), name = each.value, type = "A", ttl = 300, '
        f"managed_zone = <zone>, rrdatas = {target} }}"
    )


RULE = Rule.from_module(__name__, __doc__, certificate_dns)
