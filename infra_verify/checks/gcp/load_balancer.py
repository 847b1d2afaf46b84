"""``gcp.load_balancer``: walk the external HTTPS load balancer's chain and report every link.

reserved address / forwarding rule IP -> target HTTPS proxy (certificate or certificate map)
-> URL map routes each host -> backend service -> serverless NEG -> Cloud Run service + region.
The probe reads the chain, following each link until one is missing; the judge walks what was
read: the first broken link is the finding, and the links before it are shown as passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field

from infra_verify.checks.gcp.base import GcpCheck, Reader, same_resource, short
from infra_verify.context import CheckContext
from infra_verify.gcp import reads
from infra_verify.model import Observation, Outcome


@dataclass(frozen=True)
class NegObserved:
    """One network endpoint group a backend service names."""

    group: str
    """The backend's ``group`` URL (``…/regions/R/networkEndpointGroups/N``)."""
    neg: dict[str, Any] | None
    """The network endpoint group as the REST API returns it; None: it does not exist (404)."""


@dataclass(frozen=True)
class BackendObserved:
    """One backend service the URL map routes the hosts to, and its NEGs."""

    name: str
    """The backend service's name."""
    service: dict[str, Any] | None
    """The backend service as the REST API returns it; None: it does not exist (404)."""
    negs: tuple[NegObserved, ...] = ()
    """Its network endpoint groups, in its backends' order, up to the first missing one."""


@dataclass(frozen=True)
class RedirectObserved:
    """The HTTP->HTTPS redirect chain: forwarding rule on port 80 -> HTTP proxy -> URL map."""

    rule: dict[str, Any] | None
    """The HTTP forwarding rule; None: it does not exist (404), and nothing else was read."""
    proxy: dict[str, Any] | None = None
    """The target HTTP proxy the rule names; None: it does not exist, or was not read."""
    url_map: dict[str, Any] | None = None
    """The URL map the proxy names; None: it does not exist, or was not read."""


@dataclass(frozen=True)
class LoadBalancerObserved:
    """What the gcp.load_balancer probe read, link by link. The probe stops following the chain
    at the first resource that does not exist (404): that one and every later link is None."""

    project: str
    """The project read."""
    region: str
    """The region the Cloud Run service (and so its serverless NEG) is expected in."""
    address: dict[str, Any] | None = None
    """The reserved global address (when the check names one); None: missing or not asked."""
    rule: dict[str, Any] | None = None
    """The HTTPS forwarding rule."""
    proxy: dict[str, Any] | None = None
    """The target HTTPS proxy the rule's ``target`` names (read only when it is one)."""
    url_map: dict[str, Any] | None = None
    """The URL map the proxy's ``urlMap`` names."""
    backends: tuple[BackendObserved, ...] = ()
    """The backend services the hosts are routed to, by name (read with ``cloud_run_service``)."""
    redirect: RedirectObserved | None = None
    """The redirect chain (read with ``http_redirect_rule``)."""


class _Broken(Exception):
    """A link of the chain is broken: carries the finding (raised and caught inside judge)."""

    def __init__(self, summary: str, hint: str) -> None:
        super().__init__(summary)
        self.summary = summary
        self.hint = hint


class GcpLoadBalancer(GcpCheck):
    """The load balancer's chain routes the expected hosts, on the expected IP, to the Cloud Run service."""

    kind = "gcp.load_balancer"

    forwarding_rule: str = Field(description="global forwarding rule for HTTPS (port 443)")
    ip: str | None = Field(default=None, description="expected IP of the forwarding rule")
    address: str | None = Field(
        default=None, description="reserved global address name that must hold 'ip'"
    )
    certificate: str | None = Field(
        default=None, description="SSL certificate the HTTPS proxy must carry"
    )
    certificate_map: str | None = Field(
        default=None, description="Certificate Manager map the HTTPS proxy must use"
    )
    hosts: tuple[str, ...] = Field(default=(), description="hosts the URL map must route")
    backend_service: str | None = Field(
        default=None, description="backend service the hosts must reach"
    )
    cloud_run_service: str | None = Field(
        default=None, description="Cloud Run service behind the serverless NEG"
    )
    http_redirect_rule: str | None = Field(
        default=None, description="forwarding rule on port 80 that must redirect to HTTPS"
    )

    def subject(self) -> str:
        """The forwarding rule."""
        return self.forwarding_rule

    def targets(self) -> tuple[str, ...]:
        """The expected IP."""
        return (self.ip,) if self.ip else ()

    async def probe(self, ctx: CheckContext) -> LoadBalancerObserved:
        """Read the chain link by link, following each link until a resource is missing."""
        reader = self.reader(ctx)
        region = self.region_for(ctx)
        address: dict[str, Any] | None = None
        if self.address:
            address = await reader.get_or_none(reads.get_global_address, self.address)
            if address is None:
                return LoadBalancerObserved(reader.project, region)
        rule = await reader.get_or_none(reads.get_forwarding_rule, self.forwarding_rule)
        target = str((rule or {}).get("target", ""))
        if rule is None or "/targetHttpsProxies/" not in target:  # nothing HTTPS to follow
            return LoadBalancerObserved(reader.project, region, address, rule)
        proxy = await reader.get_or_none(reads.get_target_https_proxy, short(target))
        if proxy is None:
            return LoadBalancerObserved(reader.project, region, address, rule)
        url_map = await reader.get_or_none(reads.get_url_map, short(proxy.get("urlMap")))
        if url_map is None:
            return LoadBalancerObserved(reader.project, region, address, rule, proxy)
        backends: list[BackendObserved] = []
        if self.cloud_run_service:
            for name in sorted({short(s) for _, _, s in self.routes(url_map) if s}):
                backend = await self._read_backend(reader, name)
                backends.append(backend)
                if backend.service is None or any(n.neg is None for n in backend.negs):
                    return LoadBalancerObserved(
                        reader.project, region, address, rule, proxy, url_map, tuple(backends)
                    )
        redirect = None
        if self.http_redirect_rule:
            redirect = await self._read_redirect(reader, self.http_redirect_rule)
        return LoadBalancerObserved(
            reader.project, region, address, rule, proxy, url_map, tuple(backends), redirect
        )

    async def _read_backend(self, reader: Reader, name: str) -> BackendObserved:
        svc = await reader.get_or_none(reads.get_backend_service, name)
        if svc is None:
            return BackendObserved(name, None)
        negs: list[NegObserved] = []
        for group in _neg_groups(svc):
            neg = await reader.get_or_none(reads.get_region_neg, _neg_region(group), short(group))
            negs.append(NegObserved(group, neg))
            if neg is None:
                break
        return BackendObserved(name, svc, tuple(negs))

    async def _read_redirect(self, reader: Reader, name: str) -> RedirectObserved:
        rule = await reader.get_or_none(reads.get_forwarding_rule, name)
        if rule is None:
            return RedirectObserved(None)
        proxy = await reader.get_or_none(reads.get_target_http_proxy, short(rule.get("target")))
        if proxy is None:
            return RedirectObserved(rule)
        url_map = await reader.get_or_none(reads.get_url_map, short(proxy.get("urlMap")))
        return RedirectObserved(rule, proxy, url_map)

    def routes(self, url_map: dict[str, Any]) -> list[tuple[str, bool, str]]:
        """Per expected host: whether a host rule matches it, and the backend service it reaches."""
        matchers = {m.get("name"): m for m in url_map.get("pathMatchers", [])}
        out: list[tuple[str, bool, str]] = []
        for host in self.hosts:
            rule = _host_rule(url_map, host)
            service = ""
            if rule:
                matcher = matchers.get(rule.get("pathMatcher"), {})
                service = matcher.get("defaultService", "") or url_map.get("defaultService", "")
            out.append((host, rule is not None, service))
        return out

    def judge(self, observed: LoadBalancerObserved) -> Outcome:
        """Walk the chain that was read, link by link; the first broken link is the finding."""
        obs: list[Observation] = []
        try:
            self._walk(observed, obs)
        except _Broken as b:
            return Outcome.failed(b.summary, tuple(obs), hint=b.hint)
        return Outcome.passed(
            f"{self.forwarding_rule}: {len(obs)} link(s) verified"
            + (
                f", {len(self.hosts)} host(s) reach Cloud Run {self.cloud_run_service}"
                if self.cloud_run_service
                else ""
            ),
            tuple(obs),
        )

    def _link(
        self,
        obs: list[Observation],
        prop: str,
        expected: str,
        actual: str,
        ok: bool,
        where: str,
        hint: str,
    ) -> None:
        obs.append(Observation(prop, expected, actual, ok, where))
        if not ok:
            raise _Broken(f"{prop}: expected {expected}, got {actual} (at {where})", hint)

    @staticmethod
    def _present(
        resource: dict[str, Any] | None, project: str, *, what: str, hint: str
    ) -> dict[str, Any]:
        if resource is None:
            raise _Broken(f"{what} does not exist in project {project}", hint)
        return resource

    def _walk(self, observed: LoadBalancerObserved, obs: list[Observation]) -> None:
        project = observed.project
        if self.address:
            addr = self._present(
                observed.address,
                project,
                what=f"global address {self.address}",
                hint=f"gcloud compute addresses create {self.address} --global",
            )
            if self.ip:
                self._link(
                    obs,
                    "reserved address",
                    self.ip,
                    addr.get("address", "(none)"),
                    addr.get("address") == self.ip,
                    f"addresses/{self.address}",
                    "the reserved address changed: update DNS to the new IP, or reserve the expected one",
                )
        rule = self._present(
            observed.rule,
            project,
            what=f"forwarding rule {self.forwarding_rule}",
            hint=f"gcloud compute forwarding-rules create {self.forwarding_rule} --global --target-https-proxy=PROXY --ports=443 --address={self.address or self.ip or 'ADDRESS'}",
        )
        where = f"forwardingRules/{self.forwarding_rule}"
        if self.ip:
            self._link(
                obs,
                "forwarding rule IP",
                self.ip,
                rule.get("IPAddress", "(none)"),
                rule.get("IPAddress") == self.ip,
                where,
                f"DNS points at {self.ip}, but the load balancer listens on {rule.get('IPAddress')}: use the reserved address",
            )
        target = rule.get("target", "")
        self._link(
            obs,
            "forwarding rule target",
            "a target HTTPS proxy",
            short(target) or "(none)",
            "/targetHttpsProxies/" in target,
            where,
            "point the forwarding rule at the target HTTPS proxy",
        )
        ports = rule.get("portRange", "")
        self._link(
            obs,
            "forwarding rule port",
            "443",
            ports or "(any)",
            _has_port(ports, 443),
            where,
            "the HTTPS forwarding rule must listen on 443",
        )
        proxy_name = short(target)
        proxy = self._present(
            observed.proxy,
            project,
            what=f"target HTTPS proxy {proxy_name}",
            hint=f"gcloud compute target-https-proxies create {proxy_name} --url-map=URL_MAP --ssl-certificates={self.certificate or 'CERT'}",
        )
        where = f"targetHttpsProxies/{proxy_name}"
        if self.certificate:
            certs = [short(c) for c in proxy.get("sslCertificates", [])]
            self._link(
                obs,
                "proxy certificate",
                self.certificate,
                ", ".join(certs) or "(none)",
                self.certificate in certs,
                where,
                f"gcloud compute target-https-proxies update {proxy_name} --ssl-certificates={self.certificate}",
            )
        if self.certificate_map:
            cmap = proxy.get("certificateMap", "")
            self._link(
                obs,
                "proxy certificate map",
                self.certificate_map,
                short(cmap) or "(none)",
                same_resource(self.certificate_map, cmap),
                where,
                f"gcloud compute target-https-proxies update {proxy_name} --certificate-map={self.certificate_map}",
            )
        map_name = short(proxy.get("urlMap"))
        url_map = self._present(
            observed.url_map,
            project,
            what=f"URL map {map_name}",
            hint="create the URL map and attach it to the HTTPS proxy",
        )
        services = self._route_hosts(url_map, map_name, obs)
        backend_names = {short(s) for s in services}
        if self.backend_service:
            self._link(
                obs,
                "routed backend service",
                self.backend_service,
                ", ".join(sorted(backend_names)) or "(none)",
                backend_names == {self.backend_service},
                f"urlMaps/{map_name}",
                f"route the hosts to backend service {self.backend_service} in URL map {map_name}",
            )
        if self.cloud_run_service:
            for backend in sorted(backend_names):
                self._check_backend(observed, backend, obs)
        if self.http_redirect_rule:
            self._check_redirect(observed, obs)

    def _route_hosts(
        self, url_map: dict[str, Any], map_name: str, obs: list[Observation]
    ) -> list[str]:
        services: list[str] = []
        for host, routed, service in self.routes(url_map):
            self._link(
                obs,
                f"URL map routes {host}",
                "a host rule",
                short(service) if routed else "no host rule",
                routed,
                f"urlMaps/{map_name}",
                f"gcloud compute url-maps add-path-matcher {map_name} --path-matcher-name=PM --default-service=BACKEND --new-hosts={host}",
            )
            if service:
                services.append(service)
        return services

    def _check_backend(
        self, observed: LoadBalancerObserved, backend: str, obs: list[Observation]
    ) -> None:
        seen = next((b for b in observed.backends if b.name == backend), None)
        svc = self._present(
            seen.service if seen else None,
            observed.project,
            what=f"backend service {backend}",
            hint=f"gcloud compute backend-services create {backend} --global --load-balancing-scheme=EXTERNAL_MANAGED",
        )
        region = observed.region
        groups = [b.get("group", "") for b in svc.get("backends", [])]
        negs = _neg_groups(svc)
        self._link(
            obs,
            f"backend {backend}",
            "a serverless NEG",
            ", ".join(short(g) for g in groups) or "(no backends)",
            bool(negs),
            f"backendServices/{backend}",
            f"gcloud compute backend-services add-backend {backend} --global --network-endpoint-group=NEG --network-endpoint-group-region={region}",
        )
        read = {n.group: n.neg for n in seen.negs} if seen else {}
        matched = False
        actual: list[str] = []
        for group in negs:
            neg_region = _neg_region(group)
            neg = self._present(
                read.get(group),
                observed.project,
                what=f"network endpoint group {short(group)}",
                hint="create the serverless NEG for the Cloud Run service",
            )
            run = (neg.get("cloudRun") or {}).get("service", "")
            actual.append(
                f"{short(group)} -> {run or neg.get('networkEndpointType', '?')} ({neg_region})"
            )
            if (
                neg.get("networkEndpointType") == "SERVERLESS"
                and run == self.cloud_run_service
                and neg_region == region
            ):
                matched = True
        self._link(
            obs,
            "serverless NEG",
            f"Cloud Run {self.cloud_run_service} in {region}",
            "; ".join(actual) or "(none)",
            matched,
            f"backendServices/{backend}",
            f"gcloud compute network-endpoint-groups create NEG --region={region} --network-endpoint-type=serverless --cloud-run-service={self.cloud_run_service}",
        )

    def _check_redirect(self, observed: LoadBalancerObserved, obs: list[Observation]) -> None:
        name = self.http_redirect_rule or ""
        seen = observed.redirect or RedirectObserved(None)
        rule = self._present(
            seen.rule,
            observed.project,
            what=f"forwarding rule {name}",
            hint="create an HTTP forwarding rule on port 80 whose URL map redirects to HTTPS",
        )
        proxy_name = short(rule.get("target"))
        proxy = self._present(
            seen.proxy,
            observed.project,
            what=f"target HTTP proxy {proxy_name}",
            hint="create the target HTTP proxy for the redirect",
        )
        map_name = short(proxy.get("urlMap"))
        url_map = self._present(
            seen.url_map,
            observed.project,
            what=f"URL map {map_name}",
            hint="create the redirect URL map",
        )
        redirect = (url_map.get("defaultUrlRedirect") or {}).get("httpsRedirect") is True
        self._link(
            obs,
            "HTTP->HTTPS redirect",
            "httpsRedirect: true",
            "yes" if redirect else "no",
            redirect,
            f"urlMaps/{map_name}",
            f"gcloud compute url-maps import {map_name} with defaultUrlRedirect.httpsRedirect: true",
        )


def _host_rule(url_map: dict[str, Any], host: str) -> dict[str, Any] | None:
    """The URL map's first host rule matching ``host``, or None."""
    return next(
        (
            r
            for r in url_map.get("hostRules", [])
            if any(_host_matches(pattern, host) for pattern in r.get("hosts", []))
        ),
        None,
    )


def _neg_groups(svc: dict[str, Any]) -> list[str]:
    """The backend service's network endpoint group URLs, in its backends' order."""
    groups = [b.get("group", "") for b in svc.get("backends", [])]
    return [g for g in groups if "/networkEndpointGroups/" in g]


def _neg_region(group: str) -> str:
    """The region in a NEG's URL, or ``global``."""
    return group.split("/regions/", 1)[1].split("/", 1)[0] if "/regions/" in group else "global"


def _host_matches(pattern: str, host: str) -> bool:
    """URL map host matching: exact, or a leading ``*`` matching any prefix (``*.example.com``)."""
    pattern, host = pattern.lower(), host.lower().rstrip(".")
    return pattern == host or (pattern.startswith("*") and host.endswith(pattern[1:]))


def _has_port(port_range: str, port: int) -> bool:
    if not port_range:
        return True
    low, _, high = port_range.partition("-")
    try:
        return int(low) <= port <= int(high or low)
    except ValueError:
        return False
