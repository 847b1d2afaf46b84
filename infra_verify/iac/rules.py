"""Built-in plan rules: facts that hold for any plan, policy or not (checkov-style, one per id).

=====  ==========================================  ==============================================
id     rule                                        why
=====  ==========================================  ==============================================
IV001  certificate domains have DNS records        a managed certificate never provisions (and
                                                   users get NXDOMAIN) unless every domain's A/AAAA
                                                   record points at the load balancer; declaring
                                                   the record next to the certificate removes the
                                                   manual step that was forgotten in the story
IV002  private Cloud SQL is reachable from Run     an instance without public IP is reachable only
                                                   through the VPC: the service needs a connector
                                                   or Direct VPC egress on the instance's network
IV003  connector in the service's region           Cloud Run can only use a Serverless VPC Access
                                                   connector in its own region
=====  ==========================================  ==============================================

A policy disables a rule with ``plan: {disable: {IV003: "reason"}}``; the rule is then reported
as SKIPPED with that reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from infra_verify.errors import PolicyError
from infra_verify.iac.common import (
    DNS_RECORD,
    LoadBalancer,
    PlanContext,
    RunService,
    certificate_domains,
    connector_network_keys,
    connector_region,
    describe,
    load_balancers,
    make_result,
    network_keys,
    norm_host,
    points_at,
    region_of_link,
    run_services,
    sql_is_private,
    text_values,
)
from infra_verify.iac.plan import PlanResource, short
from infra_verify.model import Observation, Result, Status


@dataclass(frozen=True)
class Rule:
    """A built-in plan rule: a stable id, a title, why it exists, and the function checking it."""

    id: str
    title: str
    rationale: str
    run: Callable[[PlanContext], list[Result]]

    @property
    def kind(self) -> str:
        """The result kind, e.g. ``plan.rule.IV001``."""
        return f"plan.rule.{self.id}"


def _rid(rule_id: str, res: PlanResource | None = None) -> str:
    return f"rule:{rule_id}:{res.address}" if res is not None else f"rule:{rule_id}"


def _nothing(rule_id: str, summary: str) -> list[Result]:
    return [Result(_rid(rule_id), f"plan.rule.{rule_id}", Status.PASS, summary, attempts=1)]


# --- IV001 ------------------------------------------------------------------------------------


def certificate_dns(ctx: PlanContext) -> list[Result]:
    """IV001: every managed-certificate domain on a load balancer has an A/AAAA record to it."""
    plan = ctx.plan
    records = [r for r in plan.of_type(DNS_RECORD)]
    results: list[Result] = []
    seen: set[str] = set()
    for lb in load_balancers(plan):
        for cert in lb.certificates():
            domains = [norm_host(d) for d in text_values(certificate_domains(plan, cert))]
            if not domains:
                continue
            obs = [_domain_record(ctx, lb, cert, d, records) for d in domains]
            rid = _rid("IV001", cert)
            if rid in seen:
                rid = f"{rid}@{lb.rule.address}"
            seen.add(rid)
            missing = [o.property.split()[0] for o in obs if not o.ok]
            results.append(
                make_result(
                    rid,
                    "plan.rule.IV001",
                    obs,
                    ok=f"every domain of {cert.address} has an A record to the load balancer "
                    f"({lb.describe_ip()})",
                    fail=f"{cert.address} covers {', '.join(missing)} but no DNS record in this "
                    f"plan points it at the load balancer ({lb.describe_ip()})",
                    hint=_record_hint(lb, missing),
                )
            )
    return results or _nothing(
        "IV001", "no managed certificate is attached to a load balancer in this plan"
    )


def _domain_record(
    ctx: PlanContext, lb: LoadBalancer, cert: PlanResource, domain: str, records: list[PlanResource]
) -> Observation:
    plan = ctx.plan
    prop = f"{domain} A/AAAA"
    expected = f"a google_dns_record_set -> {lb.describe_ip()}"
    candidates = [
        r
        for r in records
        if norm_host(_str(plan.first(r, "name"))) == domain
        and _str(plan.first(r, "type")) in ("A", "AAAA")
    ]
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
    target = (
        f"[{lb.addresses()[0].address}.address]"
        if lb.addresses()
        else (
            f'["{sorted(lb.known_ips())[0]}"]'
            if lb.known_ips()
            else f"[{lb.rule.address}.ip_address]"
        )
    )
    names = ", ".join(f'"{d}."' for d in domains) or "..."
    return (
        f'declare the records in Terraform: resource "google_dns_record_set" ... '
        f'{{ for_each = toset([{names}]), name = each.value, type = "A", ttl = 300, '
        f"managed_zone = <zone>, rrdatas = {target} }}"
    )


def _str(v: object) -> str | None:
    value = getattr(v, "value", None)
    return value if isinstance(value, str) else None


# --- IV002 ------------------------------------------------------------------------------------


def private_sql_path(ctx: PlanContext) -> list[Result]:
    """IV002: a service attached to a private-only Cloud SQL instance can reach its network."""
    plan = ctx.plan
    results = []
    for svc in run_services(plan):
        private = [sql for sql in svc.sql_instances() if sql_is_private(plan, sql)]
        if not private:
            continue
        obs: list[Observation] = []
        for sql in private:
            sql_net = network_keys(plan, sql, "settings.ip_configuration.private_network")
            obs.append(_path_observation(ctx, svc, sql, sql_net))
        results.append(
            make_result(
                _rid("IV002", svc.res),
                "plan.rule.IV002",
                obs,
                ok=f"{svc.res.address} reaches its private Cloud SQL instance(s) through the VPC",
                hint=(
                    "give the service a VPC connector on the instance's network "
                    "(template { vpc_access { connector = google_vpc_access_connector.<name>.id } }) "
                    "or Direct VPC egress (vpc_access { network_interfaces { network = ... } })"
                ),
            )
        )
    return results or _nothing(
        "IV002", "no Cloud Run service in this plan uses a Cloud SQL instance without public IP"
    )


def _path_observation(
    ctx: PlanContext, svc: RunService, sql: PlanResource, sql_net: set[str]
) -> Observation:
    plan = ctx.plan
    prop = f"VPC path to {sql.gcp_name or sql.address}"
    want = ", ".join(sorted(sql_net)) or "(its private network)"
    expected = f"a VPC connector or Direct VPC egress on {want}"
    where = ctx.where(svc.res.address)
    direct = svc.direct_vpc_keys()
    if direct and (not sql_net or direct & sql_net):
        return Observation(
            prop, expected, f"Direct VPC egress on {', '.join(sorted(direct))}", True, where
        )
    all_connectors = svc.connectors()
    connectors = [c for c in all_connectors if c.exists_after]
    gone = [c for c in all_connectors if not c.exists_after]
    if gone and not connectors and not direct:
        conn = gone[0]
        return Observation(
            prop, expected, f"connector {conn.address} {conn.lifecycle}", False, where
        )
    for conn in connectors:
        keys = connector_network_keys(plan, conn)
        if not sql_net or not keys or keys & sql_net:
            net = ", ".join(sorted(keys)) or "(network known after apply)"
            return Observation(prop, expected, f"connector {conn.address} on {net}", True, where)
    if connectors:
        conn = connectors[0]
        net = ", ".join(sorted(connector_network_keys(plan, conn)))
        return Observation(prop, expected, f"connector {conn.address} on {net}", False, where)
    declared = svc.connector_values()
    if declared:
        return Observation(
            prop,
            expected,
            f"connector {describe(declared)} (not in this plan; its network is not checked)",
            True,
            where,
        )
    if direct:
        return Observation(
            prop, expected, f"Direct VPC egress on {', '.join(sorted(direct))}", False, where
        )
    return Observation(prop, expected, "no VPC connector and no Direct VPC egress", False, where)


# --- IV003 ------------------------------------------------------------------------------------


def connector_region_rule(ctx: PlanContext) -> list[Result]:
    """IV003: every VPC connector a Cloud Run service uses is in the service's region."""
    plan = ctx.plan
    results = []
    for svc in run_services(plan):
        region = svc.location
        obs: list[Observation] = []
        for conn in svc.connectors():
            conn_region = connector_region(plan, conn)
            obs.append(
                Observation(
                    f"region of connector {conn.gcp_name or conn.address}",
                    region or "(the service's region)",
                    conn_region or "(known after apply)",
                    region is None or conn_region is None or conn_region == region,
                    ctx.where(conn.address),
                )
            )
        if not obs:
            for text in text_values(svc.connector_values()):
                conn_region = region_of_link(text)
                if conn_region:
                    obs.append(
                        Observation(
                            f"region of connector {short(text)}",
                            region or "(the service's region)",
                            conn_region,
                            region is None or conn_region == region,
                            ctx.where(svc.res.address),
                        )
                    )
        if not obs:
            continue
        results.append(
            make_result(
                _rid("IV003", svc.res),
                "plan.rule.IV003",
                obs,
                ok=f"{svc.res.address} uses a VPC connector in its own region ({region})",
                fail=f"{svc.res.address} runs in {region} but its VPC connector is in "
                f"{next((o.actual for o in obs if not o.ok), '?')}",
                hint=f"create the connector in {region} (one connector per region), "
                "or run the service in the connector's region",
            )
        )
    return results or _nothing("IV003", "no Cloud Run service in this plan uses a VPC connector")


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "IV001",
            "Certificate domains have DNS records",
            "A managed certificate provisions only when each domain's A/AAAA record points at the "
            "load balancer; declaring the records with the certificate removes the manual DNS step.",
            certificate_dns,
        ),
        Rule(
            "IV002",
            "Private Cloud SQL is reachable from Cloud Run",
            "An instance without public IP is reachable only through its VPC network: the service "
            "needs a VPC connector or Direct VPC egress on that network.",
            private_sql_path,
        ),
        Rule(
            "IV003",
            "VPC connector in the service's region",
            "Cloud Run can only use a Serverless VPC Access connector in the service's own region.",
            connector_region_rule,
        ),
    )
}


def run_rules(ctx: PlanContext, disabled: Mapping[str, str] | None = None) -> list[Result]:
    """Run every built-in rule; a disabled one becomes one SKIPPED result carrying its reason."""
    reasons = dict(disabled or {})
    unknown = sorted(set(reasons) - set(RULES))
    if unknown:
        raise PolicyError(
            f"unknown rule '{unknown[0]}'", key="plan.disable", hint=f"rules: {', '.join(RULES)}"
        )
    out: list[Result] = []
    for rule in RULES.values():
        reason = reasons.get(rule.id)
        if reason is not None:
            if not reason.strip():
                raise PolicyError(
                    "a reason is required to disable a rule",
                    key=f"plan.disable.{rule.id}",
                    hint=f'{rule.id}: "why this rule does not apply here"',
                )
            out.append(
                Result(
                    _rid(rule.id),
                    rule.kind,
                    Status.SKIPPED,
                    f"disabled by the policy: {reason.strip()}",
                )
            )
            continue
        out.extend(rule.run(ctx))
    return out
