"""Policy checks -> their counterparts in a plan: does the Terraform code declare what the live
gate will verify after apply?

One function per check kind reads the check's policy keys (``getattr``, so it works with any
class of that kind) and judges the plan's resources. Values known only after apply that the
configuration declares by reference to the right resource pass, with the reference shown.
Resources the check depends on that the plan destroys or replaces are findings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from infra_verify.check import Check
from infra_verify.iac.common import (
    CM_CERT,
    COMPUTE_CERTS,
    CONNECTOR,
    DNS_RECORD,
    DNS_ZONE,
    FORWARDING_RULE,
    NEG,
    RUN_TYPES,
    SQL,
    SSL_CERT,
    LoadBalancer,
    PlanContext,
    RunService,
    certificate_domains,
    connector_network_keys,
    connector_region,
    describe,
    lifecycle_observations,
    load_balancers,
    make_result,
    network_keys,
    norm_host,
    same_ip,
    text_values,
)
from infra_verify.iac.plan import PlanResource, Value, short
from infra_verify.model import Observation, Result

Counterpart = Callable[[Check, PlanContext], Result]


def _kind(check: Check) -> str:
    return "plan." + check.kind.removeprefix("gcp.")


def _get(check: Check, name: str, default: Any = None) -> Any:
    return getattr(check, name, default)


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _missing(ctx: PlanContext, rtype: str, what: str) -> Observation:
    return Observation("declared", f"{rtype} {what}", "(not in this plan)", False, None)


def _match_set(
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


def _lower(a: str, b: str) -> bool:
    return norm_host(a) == norm_host(b)


def _names(resources: Iterable[PlanResource]) -> list[str]:
    return sorted({r.gcp_name or r.address for r in resources})


# --- DNS --------------------------------------------------------------------------------------


def _records(ctx: PlanContext, name: str, rtype: str) -> list[PlanResource]:
    plan = ctx.plan
    return [
        r
        for r in plan.of_type(DNS_RECORD, include_destroyed=True)
        if norm_host(_text(plan.first(r, "name"))) == norm_host(name)
        and (_text(plan.first(r, "type")) or "").upper() == rtype.upper()
    ]


def _text(v: Value | None) -> str | None:
    return v.value if v is not None and v.known and isinstance(v.value, str) else None


def _record_observations(
    ctx: PlanContext, name: str, rtype: str, expect: Sequence[str], zone: str | None = None
) -> list[Observation]:
    plan = ctx.plan
    records = _records(ctx, name, rtype)
    label = f"{norm_host(name)}. {rtype}"
    if not records:
        return [
            Observation(
                label,
                ", ".join(expect) or "a record set",
                "(no google_dns_record_set in this plan)",
                False,
                None,
            )
        ]
    kept = [r for r in records if r.exists_after]
    obs = lifecycle_observations(ctx, records)
    for rec in kept or records[:1]:
        where = ctx.where(rec.address)
        same = same_ip if rtype.upper() in ("A", "AAAA") else _lower
        if expect:
            obs.append(_match_set(label, expect, plan.values(rec, "rrdatas"), where, same=same))
        else:
            obs.append(
                Observation(
                    label, "a record set", describe(plan.values(rec, "rrdatas")), True, where
                )
            )
        if zone:
            zones = [z.gcp_name for z in plan.linked(rec, "managed_zone", [DNS_ZONE])]
            declared = plan.values(rec, "managed_zone")
            ok = zone in zones or any(v.known and short(str(v.value)) == zone for v in declared)
            ok = ok or (not zones and any(not v.known for v in declared))
            obs.append(Observation("managed_zone", zone, describe(declared), ok, where))
    return obs


def dns_counterpart(check: Check, ctx: PlanContext) -> Result:
    """``dns``: a google_dns_record_set declares NAME/TYPE with the expected values."""
    name = str(_get(check, "name", ""))
    rtype = str(_get(check, "type", "A"))
    expect = _list(_get(check, "expect"))
    obs = _record_observations(ctx, name, rtype, expect)
    return make_result(
        check.id,
        _kind(check),
        obs,
        ok=f"the plan declares {norm_host(name)}. {rtype} -> {', '.join(expect) or '(any)'}",
        fail=_dns_fail(name, rtype, obs),
        hint=_dns_hint(name, rtype, expect),
    )


def dns_record_counterpart(check: Check, ctx: PlanContext) -> Result:
    """``gcp.dns_record``: every name has a google_dns_record_set in the zone with the rrdatas."""
    names = ([_get(check, "name")] if _get(check, "name") else []) + _list(_get(check, "names"))
    rtype = str(_get(check, "type", "A"))
    rrdatas = _list(_get(check, "rrdatas"))
    zone = _get(check, "zone")
    obs: list[Observation] = []
    for name in names:
        obs += _record_observations(ctx, str(name), rtype, rrdatas, zone)
    ttl_set = "ttl" in getattr(check, "model_fields_set", set())
    if ttl_set:
        for name in names:
            for rec in _records(ctx, str(name), rtype):
                obs.append(
                    _match_set(
                        "ttl",
                        [str(_get(check, "ttl"))],
                        ctx.plan.values(rec, "ttl"),
                        ctx.where(rec.address),
                    )
                )
    return make_result(
        check.id,
        _kind(check),
        obs,
        ok=f"the plan declares {', '.join(norm_host(n) + '.' for n in names)} {rtype} -> {', '.join(rrdatas)}",
        fail=_dns_fail(", ".join(norm_host(str(n)) for n in names), rtype, obs),
        hint=_dns_hint(str(names[0]) if names else "NAME", rtype, rrdatas, zone),
    )


def _dns_fail(name: str, rtype: str, obs: list[Observation]) -> str | None:
    bad = [o for o in obs if not o.ok]
    if bad and all(o.actual and o.actual.startswith("(no google_dns_record_set") for o in bad):
        names = ", ".join(o.property.split()[0] for o in bad)
        return (
            f"no google_dns_record_set declares {names} {rtype}: the record would be a manual step"
        )
    return None


def _dns_hint(name: str, rtype: str, expect: Sequence[str], zone: str | None = None) -> str:
    rr = ", ".join(f'"{e}"' for e in expect) or "google_compute_global_address.<lb>.address"
    return (
        f'add to the Terraform code: resource "google_dns_record_set" "..." {{ name = '
        f'"{norm_host(name)}.", type = "{rtype}", ttl = 300, managed_zone = '
        f'"{zone or "<zone>"}", rrdatas = [{rr}] }}'
    )


# --- certificates -----------------------------------------------------------------------------


def managed_certificate_counterpart(check: Check, ctx: PlanContext) -> Result:
    """``gcp.managed_certificate``: the certificate is declared, managed, with these domains."""
    plan = ctx.plan
    name = str(_get(check, "name", ""))
    domains = _list(_get(check, "domains"))
    cm = bool(_get(check, "certificate_manager", False))
    types = (CM_CERT,) if cm else COMPUTE_CERTS
    found = plan.named(types, name)
    obs: list[Observation] = []
    if not found:
        obs.append(_missing(ctx, types[0], name))
    obs += lifecycle_observations(ctx, found)
    for cert in [c for c in found if c.exists_after] or found[:1]:
        where = ctx.where(cert.address)
        declared = certificate_domains(plan, cert)
        if cert.type == SSL_CERT and not declared:
            obs.append(
                Observation(
                    "managed",
                    "a Google-managed certificate",
                    "self-managed (certificate PEM)",
                    False,
                    where,
                )
            )
            continue
        location = _get(check, "location")
        if cm and location:
            obs.append(
                _match_set("location", [str(location)], plan.values(cert, "location"), where)
            )
        if domains:
            obs.append(_match_set("domains", domains, declared, where, same=_lower))
    return make_result(
        check.id,
        _kind(check),
        obs,
        ok=f"the plan declares managed certificate {name} for {', '.join(domains) or '(its domains)'}",
        hint=f'declare resource "{types[0]}" "..." {{ name = "{name}", managed {{ domains = '
        f"[{', '.join(chr(34) + d + chr(34) for d in domains)}] }} }}",
    )


# --- load balancer ----------------------------------------------------------------------------


def _pick_lb(ctx: PlanContext, name: str | None) -> tuple[list[PlanResource], LoadBalancer | None]:
    plan = ctx.plan
    if name:
        rules = plan.named([FORWARDING_RULE], name)
    else:
        rules = [lb.rule for lb in load_balancers(plan, include_destroyed=True) if lb.proxies()]
        if len(rules) > 1:
            return rules, None
    kept = [r for r in rules if r.exists_after]
    chosen = kept or rules
    return rules, LoadBalancer(plan, chosen[0]) if chosen else None


def load_balancer_counterpart(check: Check, ctx: PlanContext) -> Result:
    """``gcp.load_balancer``: forwarding rule, IP, certificate, hosts and backends are declared."""
    plan = ctx.plan
    fr_name = _get(check, "forwarding_rule")
    rules, lb = _pick_lb(ctx, fr_name)
    obs: list[Observation] = []
    if lb is None:
        if rules:
            obs.append(
                Observation(
                    "forwarding_rule",
                    "one HTTPS forwarding rule",
                    ", ".join(_names(rules)),
                    False,
                    None,
                )
            )
        else:
            obs.append(_missing(ctx, FORWARDING_RULE, str(fr_name or "(an HTTPS load balancer)")))
        return make_result(
            check.id,
            _kind(check),
            obs,
            ok="",
            hint="name the forwarding rule with 'forwarding_rule:'",
        )
    where = ctx.where(lb.rule.address)
    chain = [
        *rules,
        *lb.addresses(),
        *lb.proxies(),
        *lb.certificates(),
        *lb.url_maps(),
        *lb.backend_services(),
        *lb.negs(),
    ]
    obs += lifecycle_observations(ctx, {r.address: r for r in chain}.values())
    ip = _get(check, "ip")
    if ip:
        values = lb.ip_values()
        if not values:
            obs.append(
                Observation(
                    "ip_address", str(ip), "(ephemeral: no ip_address declared)", False, where
                )
            )
        else:
            obs.append(_match_set("ip_address", [str(ip)], values, where, same=same_ip))
    address = _get(check, "address")
    if address:
        names = _names(lb.addresses())
        obs.append(
            Observation(
                "address",
                str(address),
                ", ".join(names) or "(no google_compute_global_address)",
                short(str(address)) in names,
                where,
            )
        )
    certificate = _get(check, "certificate")
    if certificate:
        names = _names(lb.certificates())
        obs.append(
            Observation(
                "certificate",
                str(certificate),
                ", ".join(names) or "(none)",
                short(str(certificate)) in names,
                ctx.where(lb.proxies()[0].address) if lb.proxies() else where,
            )
        )
    cmap = _get(check, "certificate_map")
    if cmap:
        names = _names(lb.certificate_maps())
        obs.append(
            Observation(
                "certificate_map",
                str(cmap),
                ", ".join(names) or "(none)",
                short(str(cmap)) in names,
                where,
            )
        )
    hosts = _list(_get(check, "hosts"))
    if hosts:
        routed = lb.hosts()
        url_maps = lb.url_maps()
        um_where = ctx.where(url_maps[0].address) if url_maps else where
        catch_all = bool(url_maps) and not routed
        for host in hosts:
            ok = catch_all or norm_host(host) in routed or _wildcard(norm_host(host), routed)
            actual = (
                "(all hosts: no host rules)"
                if catch_all
                else (", ".join(sorted(routed)) or "(no URL map)")
            )
            obs.append(
                Observation(
                    f"host {norm_host(host)}", "routed by the URL map", actual, ok, um_where
                )
            )
    backend = _get(check, "backend_service")
    if backend:
        names = _names(lb.backend_services())
        obs.append(
            Observation(
                "backend_service",
                str(backend),
                ", ".join(names) or "(none)",
                short(str(backend)) in names,
                where,
            )
        )
    run_service = _get(check, "cloud_run_service")
    region = _get(check, "region")
    if run_service:
        obs += _neg_observations(ctx, lb, str(run_service), region)
    redirect = _get(check, "http_redirect_rule")
    if redirect:
        found = plan.named([FORWARDING_RULE], str(redirect))
        obs.append(
            Observation(
                "http_redirect_rule",
                str(redirect),
                ", ".join(r.address for r in found) or "(not in this plan)",
                any(r.exists_after for r in found),
                where,
            )
        )
    return make_result(
        check.id,
        _kind(check),
        obs,
        ok=f"the plan declares load balancer {lb.rule.gcp_name or lb.rule.address} ({lb.describe_ip()})",
        hint="declare the missing piece of the load balancer chain in Terraform "
        "(forwarding rule -> target HTTPS proxy -> URL map -> backend service -> serverless NEG)",
    )


def _wildcard(host: str, routed: set[str]) -> bool:
    return "*" in routed or any(r.startswith("*.") and host.endswith(r[1:]) for r in routed)


def _neg_observations(
    ctx: PlanContext, lb: LoadBalancer, service: str, region: Any
) -> list[Observation]:
    plan = ctx.plan
    negs = lb.negs()
    seen: list[Value] = []
    for neg in negs:
        values = plan.values(neg, "cloud_run.service")
        seen += values
        linked = _names(plan.linked(neg, "cloud_run.service", RUN_TYPES))
        if service in text_values(values) or service in linked:
            where = ctx.where(neg.address)
            obs = [Observation("cloud_run_service", service, describe(values), True, where)]
            if region:
                obs.append(
                    _match_set("NEG region", [str(region)], plan.values(neg, "region"), where)
                )
            return obs
    where = ctx.where(negs[0].address) if negs else ctx.where(lb.rule.address)
    actual = describe(seen) if negs else f"(no {NEG} behind the load balancer)"
    return [Observation("cloud_run_service", service, actual, False, where)]


# --- Cloud Run, VPC connector, Cloud SQL --------------------------------------------------------


def _run_service(
    ctx: PlanContext, name: str, region: Any
) -> tuple[list[PlanResource], RunService | None]:
    found = ctx.plan.named(RUN_TYPES, name)
    if region and len(found) > 1:
        found = [r for r in found if _text(ctx.plan.first(r, "location")) == region] or found
    kept = [r for r in found if r.exists_after]
    chosen = kept or found
    return found, RunService(ctx.plan, chosen[0]) if chosen else None


def _norm_enum(value: str, prefix: str = "") -> str:
    v = value.strip().lower().replace("_", "-")
    v = v.removeprefix(prefix)
    return {
        "internal-only": "internal",
        "internal-load-balancer": "internal-and-cloud-load-balancing",
    }.get(v, v)


def _connector_matches(ctx: PlanContext, svc: RunService, want: str) -> tuple[bool, list[Value]]:
    declared = svc.connector_values()
    names = _names(svc.connectors())
    if short(want) in names:
        return True, declared
    if any(v.known and short(str(v.value)) == short(want) for v in declared):
        return True, declared
    return False, declared


def cloud_run_counterpart(check: Check, ctx: PlanContext) -> Result:
    """``gcp.cloud_run_service``: the service is declared with its ingress, VPC access and SQL."""
    name = str(_get(check, "service", ""))
    region = _get(check, "region")
    found, svc = _run_service(ctx, name, region)
    obs: list[Observation] = []
    if svc is None:
        obs.append(_missing(ctx, RUN_TYPES[0], name))
    else:
        obs += _run_observations(check, ctx, found, svc)
    return make_result(
        check.id,
        _kind(check),
        obs,
        ok=f"the plan declares Cloud Run service {name} as the policy expects",
        hint=f"in the Terraform code of Cloud Run service {name}, set what the policy expects "
        "(template.vpc_access.connector / egress, template.volumes.cloud_sql_instance.instances)",
    )


def _run_observations(
    check: Check, ctx: PlanContext, found: list[PlanResource], svc: RunService
) -> list[Observation]:
    plan = ctx.plan
    where = ctx.where(svc.res.address)
    obs = lifecycle_observations(ctx, [*found, *svc.connectors(), *svc.sql_instances()])
    region = _get(check, "region")
    if region:
        obs.append(_match_set("location", [str(region)], plan.values(svc.res, "location"), where))
    ingress = _get(check, "ingress")
    if ingress:
        values = svc.ingress()
        want = _norm_enum(str(ingress), "ingress-traffic-")
        if not values:
            obs.append(Observation("ingress", want, "(not declared: all)", want == "all", where))
        else:
            obs.append(
                _match_set(
                    "ingress",
                    [want],
                    values,
                    where,
                    same=lambda a, b: (
                        _norm_enum(a, "ingress-traffic-") == _norm_enum(b, "ingress-traffic-")
                    ),
                )
            )
    connector = _get(check, "connector")
    if connector:
        ok, declared = _connector_matches(ctx, svc, str(connector))
        obs.append(
            Observation(
                "VPC connector",
                str(connector),
                describe(declared) if declared else "(none)",
                ok,
                where,
            )
        )
    network = _get(check, "network")
    if network:
        keys = svc.direct_vpc_keys()
        for conn in svc.connectors():
            keys |= connector_network_keys(plan, conn)
        obs.append(
            Observation(
                "network",
                str(network),
                ", ".join(sorted(keys)) or "(no VPC access)",
                short(str(network)) in keys,
                where,
            )
        )
    egress = _get(check, "egress")
    if egress:
        obs.append(
            _match_set(
                "VPC egress",
                [str(egress)],
                svc.egress(),
                where,
                same=lambda a, b: _norm_enum(a) == _norm_enum(b),
            )
        )
    instances = _list(_get(check, "cloud_sql_instances"))
    for inst in instances:
        obs.append(_sql_attachment(ctx, svc, inst, where))
    return obs


def _sql_attachment(ctx: PlanContext, svc: RunService, instance: str, where: str) -> Observation:
    declared = svc.sql_values()
    if instance in text_values(declared):
        return Observation(f"Cloud SQL {instance}", "attached", describe(declared), True, where)
    project_region, _, name = instance.rpartition(":")
    region = project_region.rpartition(":")[2] if project_region else None
    for sql in svc.sql_instances():
        sql_region = _text(ctx.plan.first(sql, "region"))
        if sql.gcp_name == name and (not region or not sql_region or sql_region == region):
            return Observation(f"Cloud SQL {instance}", "attached", describe(declared), True, where)
    return Observation(
        f"Cloud SQL {instance}",
        "attached",
        describe(declared) if declared else "(no Cloud SQL attachment)",
        False,
        where,
    )


def vpc_connector_counterpart(check: Check, ctx: PlanContext) -> Result:
    """``gcp.vpc_connector``: the connector is declared in the region, on the network, with the range."""
    plan = ctx.plan
    name = str(_get(check, "connector", ""))
    found = plan.named([CONNECTOR], name)
    obs: list[Observation] = []
    if not found:
        obs.append(_missing(ctx, CONNECTOR, name))
    obs += lifecycle_observations(ctx, found)
    for conn in [c for c in found if c.exists_after] or found[:1]:
        where = ctx.where(conn.address)
        region = _get(check, "region")
        if region:
            actual = connector_region(plan, conn)
            obs.append(
                Observation(
                    "region",
                    str(region),
                    actual or "(known after apply)",
                    actual in (None, region),
                    where,
                )
            )
        network = _get(check, "network")
        if network:
            keys = connector_network_keys(plan, conn)
            obs.append(
                Observation(
                    "network",
                    str(network),
                    ", ".join(sorted(keys)) or "(not declared)",
                    short(str(network)) in keys,
                    where,
                )
            )
        cidr = _get(check, "ip_cidr_range")
        if cidr:
            obs.append(
                _match_set("ip_cidr_range", [str(cidr)], plan.values(conn, "ip_cidr_range"), where)
            )
    return make_result(
        check.id,
        _kind(check),
        obs,
        ok=f"the plan declares VPC connector {name}",
        hint=f'declare resource "google_vpc_access_connector" "..." {{ name = "{name}", region, '
        "network and ip_cidr_range as the policy expects }",
    )


def cloud_sql_counterpart(check: Check, ctx: PlanContext) -> Result:
    """``gcp.cloud_sql_instance``: the instance is declared with its version and private network."""
    plan = ctx.plan
    instance = str(_get(check, "instance", ""))
    name = instance.rsplit(":", 1)[-1]
    found = plan.named([SQL], name)
    obs: list[Observation] = []
    if not found:
        obs.append(_missing(ctx, SQL, name))
    obs += lifecycle_observations(ctx, found)
    for sql in [s for s in found if s.exists_after] or found[:1]:
        where = ctx.where(sql.address)
        version = _get(check, "database_version")
        if version:
            obs.append(
                _match_set(
                    "database_version", [str(version)], plan.values(sql, "database_version"), where
                )
            )
        private = _get(check, "private_ip")
        network = _get(check, "network")
        keys = network_keys(plan, sql, "settings.ip_configuration.private_network")
        if private is True:
            obs.append(
                Observation(
                    "private IP",
                    "a private_network",
                    ", ".join(sorted(keys)) or "(no private_network)",
                    bool(keys),
                    where,
                )
            )
        if network:
            obs.append(
                Observation(
                    "private_network",
                    str(network),
                    ", ".join(sorted(keys)) or "(no private_network)",
                    short(str(network)) in keys,
                    where,
                )
            )
        ssl_mode = _get(check, "ssl_mode")
        if ssl_mode:
            obs.append(
                _match_set(
                    "ssl_mode",
                    [str(ssl_mode)],
                    plan.values(sql, "settings.ip_configuration.ssl_mode"),
                    where,
                )
            )
    return make_result(
        check.id,
        _kind(check),
        obs,
        ok=f"the plan declares Cloud SQL instance {name}",
        hint=f'declare resource "google_sql_database_instance" "..." {{ name = "{name}" }} with '
        "the database_version and settings.ip_configuration (private_network) the policy expects",
    )


def cloud_sql_path_counterpart(check: Check, ctx: PlanContext) -> Result:
    """``gcp.cloud_sql_path``: the service attaches the instance and reaches its network."""
    plan = ctx.plan
    name = str(_get(check, "service", ""))
    instance = str(_get(check, "instance", ""))
    found, svc = _run_service(ctx, name, _get(check, "region"))
    obs: list[Observation] = []
    if svc is None:
        obs.append(_missing(ctx, RUN_TYPES[0], name))
    else:
        where = ctx.where(svc.res.address)
        obs += lifecycle_observations(ctx, [*found, *svc.connectors()])
        obs.append(_sql_attachment(ctx, svc, instance, where))
        connector = _get(check, "connector")
        if connector:
            ok, declared = _connector_matches(ctx, svc, str(connector))
            obs.append(
                Observation(
                    "VPC connector",
                    str(connector),
                    describe(declared) if declared else "(none)",
                    ok,
                    where,
                )
            )
        sqls = plan.named([SQL], instance.rsplit(":", 1)[-1])
        obs += lifecycle_observations(ctx, sqls)
        for sql in [s for s in sqls if s.exists_after][:1]:
            from infra_verify.iac.rules import _path_observation

            sql_net = network_keys(plan, sql, "settings.ip_configuration.private_network")
            obs.append(_path_observation(ctx, svc, sql, sql_net))
    return make_result(
        check.id,
        _kind(check),
        obs,
        ok=f"the plan declares the path {name} -> VPC -> {instance}",
        hint="attach the instance (template.volumes.cloud_sql_instance) and give the service "
        "a VPC connector or Direct VPC egress on the instance's network",
    )


COUNTERPARTS: dict[str, Counterpart] = {
    "dns": dns_counterpart,
    "gcp.dns_record": dns_record_counterpart,
    "gcp.managed_certificate": managed_certificate_counterpart,
    "gcp.load_balancer": load_balancer_counterpart,
    "gcp.cloud_run_service": cloud_run_counterpart,
    "gcp.vpc_connector": vpc_connector_counterpart,
    "gcp.cloud_sql_instance": cloud_sql_counterpart,
    "gcp.cloud_sql_path": cloud_sql_path_counterpart,
}


def counterpart(check: Check, ctx: PlanContext) -> Result | None:
    """The plan result for one policy check, or None when its kind has no plan counterpart."""
    fn = COUNTERPARTS.get(check.kind)
    return fn(check, ctx) if fn is not None else None
