"""``gcp.load_balancer``: forwarding rule, IP, certificate, hosts and backends are declared.

Global and regional load balancers alike: a regional one is ``google_compute_forwarding_rule``
-> ``google_compute_region_target_https_proxy`` -> ``google_compute_region_url_map`` ->
``google_compute_region_backend_service`` (addresses ``google_compute_address``, certificates
``google_compute_region_ssl_certificate``). Every rule in ``forwarding_rules:`` is declared and
``ipv6`` is one of the rules' declared addresses. With a certificate map on the proxy, each
checked host needs a ``google_certificate_manager_certificate_map_entry`` of that map whose
``hostname`` serves it (exact, ``*.`` wildcard, or a ``matcher = "PRIMARY"`` entry).

``routes:`` are followed as far as a plan can say: each route's host is routed by the URL map
(like ``hosts:``), the backend service or bucket a route names is one the URL map points at
(by reference or by name, from any ``service``/``backend_service`` field), and each route is
resolved on the plan's URL map with the live check's resolver (``iac/url_map.py`` turns the
plan's blocks into the REST shape): a redirect or another backend where the route expects its
service is a finding; a service known only after apply is accepted.
"""

from __future__ import annotations

from infra_verify.checks.gcp.base import same_resource
from infra_verify.checks.gcp.lb_certificates import map_entry_for
from infra_verify.checks.gcp.load_balancer import GcpLoadBalancer
from infra_verify.checks.gcp.routing import resolve
from infra_verify.iac.findings import (
    PlanContext,
    check_result,
    lifecycle_observations,
    match_attribute,
    match_set,
    named_among,
    not_in_plan,
)
from infra_verify.iac.plan import PlanResource, Value
from infra_verify.iac.resources import (
    BACKEND_SERVICES,
    FORWARDING_RULE,
    FORWARDING_RULES,
    NEG,
    RUN_TYPES,
    LoadBalancer,
    describe,
    gcp_names,
    kept_or_first,
    load_balancers,
    norm_host,
    same_ip,
    text_values,
)
from infra_verify.iac.url_map import UNKNOWN, rest_url_map
from infra_verify.model import Observation, Result

BACKEND_BUCKET = "google_compute_backend_bucket"
_ROUTE_TARGET_PATHS = (
    None,
    "default_service",
    "path_matcher.default_service",
    "path_matcher.path_rule.service",
    "path_matcher.route_rules.service",
    "default_route_action.weighted_backend_services.backend_service",
    "path_matcher.default_route_action.weighted_backend_services.backend_service",
    "path_matcher.path_rule.route_action.weighted_backend_services.backend_service",
    "path_matcher.route_rules.route_action.weighted_backend_services.backend_service",
)
"""URL map fields that name a backend service or bucket (None: any reference)."""

HINT = (
    "declare the missing piece of the load balancer chain in Terraform "
    "(forwarding rule -> target HTTPS proxy -> URL map -> backend service -> serverless NEG)"
)


def expect(check: GcpLoadBalancer, ctx: PlanContext) -> Result:
    """The load balancer of ``check.forwarding_rule`` declares what the check's fields expect."""
    rules, lb = pick(ctx, check.forwarding_rule)
    if lb is None:
        if rules:
            obs = Observation(
                "forwarding_rule", "one HTTPS forwarding rule", ", ".join(gcp_names(rules)), False
            )
        else:
            obs = not_in_plan(FORWARDING_RULE, check.forwarding_rule or "(an HTTPS load balancer)")
        return check_result(
            check, [obs], ok="", hint="name the forwarding rule with 'forwarding_rule:'"
        )
    return check_result(
        check,
        observations(check, ctx, rules, lb),
        ok=f"the plan declares load balancer {lb.rule.gcp_name or lb.rule.address} "
        f"({lb.describe_ip()})",
        hint=HINT,
    )


def pick(ctx: PlanContext, name: str | None) -> tuple[list[PlanResource], LoadBalancer | None]:
    """The forwarding rules named ``name`` (or every HTTPS one) and the load balancer to judge."""
    plan = ctx.plan
    if name:
        rules = plan.named(FORWARDING_RULES, name)
    else:
        rules = [lb.rule for lb in load_balancers(plan, include_destroyed=True) if lb.proxies()]
        if len(rules) > 1:
            return rules, None
    chosen = kept_or_first(rules)
    return rules, LoadBalancer(plan, chosen[0]) if chosen else None


def observations(
    check: GcpLoadBalancer, ctx: PlanContext, rules: list[PlanResource], lb: LoadBalancer
) -> list[Observation]:
    """The chain is kept, and each piece the check names is the one the plan declares."""
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
    obs = lifecycle_observations(ctx, {r.address: r for r in chain}.values())
    if check.ip:
        values = lb.ip_values()
        if not values:
            obs.append(
                Observation(
                    "ip_address", check.ip, "(ephemeral: no ip_address declared)", False, where
                )
            )
        else:
            obs.append(match_set("ip_address", [check.ip], values, where, same=same_ip))
    if check.address:
        obs.append(
            named_among(
                "address",
                check.address,
                gcp_names(lb.addresses()),
                where,
                none="(no google_compute_global_address)",
            )
        )
    if check.certificate:
        proxies = lb.proxies()
        cert_where = ctx.where(proxies[0].address) if proxies else where
        obs.append(
            named_among("certificate", check.certificate, gcp_names(lb.certificates()), cert_where)
        )
    if check.certificate_map:
        names = gcp_names(lb.certificate_maps())
        obs.append(named_among("certificate_map", check.certificate_map, names, where))
    for extra in check.forwarding_rules:
        found = ctx.plan.named(FORWARDING_RULES, extra)
        obs.append(
            Observation(
                f"forwarding rule {short_name(extra)}",
                "declared",
                ", ".join(r.address for r in found) or "(not in this plan)",
                any(r.exists_after for r in found),
                where,
            )
        )
    if check.ipv6:
        values = list(lb.ip_values())
        for extra in check.forwarding_rules:
            for rule in ctx.plan.named(FORWARDING_RULES, extra):
                values += ctx.plan.values(rule, "ip_address")
        v6 = [v for v in values if not v.known or ":" in str(v.value)]
        obs.append(match_set("IPv6 address", [check.ipv6], v6, where, same=same_ip, exact=False))
    hosts = list(dict.fromkeys([*check.hosts, *(r.host for r in check.routes)]))
    if hosts:
        obs += _host_observations(ctx, lb, hosts, where)
        if lb.certificate_maps():
            obs += _map_entry_observations(ctx, lb, hosts)
    wanted = [r.service for r in check.routes if r.service]
    if wanted:
        targets = _route_targets(ctx, lb)
        for service in dict.fromkeys(wanted):
            obs.append(named_among("route service", service, targets, where))
    if check.routes and lb.url_maps():
        obs += _route_observations(ctx, lb, check)
    if check.backend_service:
        names = gcp_names(lb.backend_services())
        obs.append(named_among("backend_service", check.backend_service, names, where))
    if check.cloud_run_service:
        obs += _neg_observations(ctx, lb, check.cloud_run_service, check.region)
    if check.http_redirect_rule:
        found = ctx.plan.named(FORWARDING_RULES, check.http_redirect_rule)
        obs.append(
            Observation(
                "http_redirect_rule",
                check.http_redirect_rule,
                ", ".join(r.address for r in found) or "(not in this plan)",
                any(r.exists_after for r in found),
                where,
            )
        )
    return obs


def _host_observations(
    ctx: PlanContext, lb: LoadBalancer, hosts: list[str], where: str
) -> list[Observation]:
    routed = lb.hosts()
    url_maps = lb.url_maps()
    um_where = ctx.where(url_maps[0].address) if url_maps else where
    catch_all = bool(url_maps) and not routed
    if catch_all:
        actual = "(all hosts: no host rules)"
    else:
        actual = ", ".join(sorted(routed)) or "(no URL map)"
    out = []
    for host in hosts:
        ok = catch_all or norm_host(host) in routed or _wildcard(norm_host(host), routed)
        out.append(
            Observation(f"host {norm_host(host)}", "routed by the URL map", actual, ok, um_where)
        )
    return out


def _map_entry_observations(
    ctx: PlanContext, lb: LoadBalancer, hosts: list[str]
) -> list[Observation]:
    """Each host has an entry in the proxy's certificate map (hostname known after apply: ok)."""
    plan = ctx.plan
    entries = lb.certificate_map_entries()
    where = ctx.where(lb.certificate_maps()[0].address)
    declared: list[dict[str, str]] = []
    unknown = False
    for entry in entries:
        hostnames = plan.values(entry, "hostname")
        matchers = plan.values(entry, "matcher")
        unknown |= any(not v.known for v in hostnames)
        item = {"name": entry.address}
        for key, values in (("hostname", hostnames), ("matcher", matchers)):
            known = [str(v.value) for v in values if v.known and v.value]
            if known:
                item[key] = known[0]
        declared.append(item)
    out = []
    for host in hosts:
        found = map_entry_for(declared, host)
        if found is not None:
            actual, ok = str(found["name"]), True
        elif unknown:
            actual, ok = "an entry's hostname is known after apply", True
        else:
            names = [d.get("hostname") or d.get("matcher", "?") for d in declared]
            actual, ok = "no entry serves it: " + (", ".join(names) or "(no entries)"), False
        out.append(
            Observation(
                f"certificate map entry {norm_host(host)}",
                "an entry for the host",
                actual,
                ok,
                where,
            )
        )
    return out


def _route_observations(
    ctx: PlanContext, lb: LoadBalancer, check: GcpLoadBalancer
) -> list[Observation]:
    """Each route resolved on the plan's URL map as Google routes it (``routing.resolve``)."""
    url_map = lb.url_maps()[0]
    rest = rest_url_map(ctx.plan, url_map)
    where = ctx.where(url_map.address)
    out = []
    for route in check.routes:
        dest = resolve(rest, route.host, route.path)
        expected = route.service or "a backend"
        if dest.kind != "backend":
            actual, ok = f"{dest.describe()} via {dest.via()}", False
        elif any(t.url == UNKNOWN for t in dest.serving):
            actual, ok = f"(known after apply) via {dest.via()}", True
        else:
            names = ", ".join(t.name for t in dest.serving)
            ok = route.service is None or all(
                same_resource(route.service, t.url) for t in dest.serving
            )
            actual = f"{names} via {dest.via()}"
        out.append(Observation(f"route {route.host}{route.path}", expected, actual, ok, where))
    return out


def short_name(name: str) -> str:
    """The last segment of a resource name or path."""
    return name.rstrip("/").rsplit("/", 1)[-1]


def _route_targets(ctx: PlanContext, lb: LoadBalancer) -> list[str]:
    """Names of the backend services and buckets the URL maps point at, from any route field."""
    found: list[PlanResource] = list(lb.backend_services())
    for url_map in lb.url_maps():
        for path in _ROUTE_TARGET_PATHS:
            found += ctx.plan.linked(url_map, path, [*BACKEND_SERVICES, BACKEND_BUCKET])
    return sorted(set(gcp_names(found)))


def _wildcard(host: str, routed: set[str]) -> bool:
    return "*" in routed or any(r.startswith("*.") and host.endswith(r[1:]) for r in routed)


def _neg_observations(
    ctx: PlanContext, lb: LoadBalancer, service: str, region: str | None
) -> list[Observation]:
    plan = ctx.plan
    negs = lb.negs()
    seen: list[Value] = []
    for neg in negs:
        values = plan.values(neg, "cloud_run.service")
        seen += values
        linked = gcp_names(plan.linked(neg, "cloud_run.service", RUN_TYPES))
        if service in text_values(values) or service in linked:
            where = ctx.where(neg.address)
            obs = [Observation("cloud_run_service", service, describe(values), True, where)]
            if region:
                obs.append(match_attribute(ctx, neg, "NEG region", region, "region"))
            return obs
    where = ctx.where(negs[0].address) if negs else ctx.where(lb.rule.address)
    actual = describe(seen) if negs else f"(no {NEG} behind the load balancer)"
    return [Observation("cloud_run_service", service, actual, False, where)]
