"""``gcp.load_balancer``: walk the external HTTPS load balancer's chain and report every link.

reserved address / forwarding rule IP -> target HTTPS proxy (certificate or certificate map)
-> URL map routes each host -> backend service -> serverless NEG -> Cloud Run service + region.
The first broken link is the finding; the links before it are shown as passed.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from infra_verify.checks.gcp.base import GcpCheck, Reader, same_resource, short
from infra_verify.context import CheckContext
from infra_verify.errors import ProbeFailed
from infra_verify.gcp import reads
from infra_verify.model import Observation, Outcome


class _Broken(Exception):
    """A link of the chain is broken: carries the finding."""

    def __init__(self, summary: str, hint: str, *, terminal: bool = False) -> None:
        super().__init__(summary)
        self.summary = summary
        self.hint = hint
        self.terminal = terminal


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

    async def run(self, ctx: CheckContext) -> Outcome:
        """Walk the chain link by link."""
        reader = Reader(self, ctx)
        obs: list[Observation] = []
        try:
            await self._walk(reader, ctx, obs)
        except _Broken as b:
            return Outcome.failed(b.summary, tuple(obs), hint=b.hint, terminal=b.terminal)
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

    async def _get(
        self, reader: Reader, fn: Any, *args: Any, what: str, hint: str
    ) -> dict[str, Any]:
        try:
            return await reader.get_or_fail(fn, *args, missing=what, hint=hint)
        except ProbeFailed as exc:
            raise _Broken(exc.message, exc.hint or hint) from exc

    async def _walk(self, reader: Reader, ctx: CheckContext, obs: list[Observation]) -> None:
        if self.address:
            addr = await self._get(
                reader,
                reads.get_global_address,
                self.address,
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
        rule = await self._get(
            reader,
            reads.get_forwarding_rule,
            self.forwarding_rule,
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
        proxy = await self._get(
            reader,
            reads.get_target_https_proxy,
            proxy_name,
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
        url_map = await self._get(
            reader,
            reads.get_url_map,
            map_name,
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
                await self._check_backend(reader, ctx, backend, obs)
        if self.http_redirect_rule:
            await self._check_redirect(reader, obs)

    def _route_hosts(
        self, url_map: dict[str, Any], map_name: str, obs: list[Observation]
    ) -> list[str]:
        services: list[str] = []
        matchers = {m.get("name"): m for m in url_map.get("pathMatchers", [])}
        for host in self.hosts:
            rule = next(
                (
                    r
                    for r in url_map.get("hostRules", [])
                    if any(_host_matches(pattern, host) for pattern in r.get("hosts", []))
                ),
                None,
            )
            routed = bool(rule)
            service = ""
            if rule:
                matcher = matchers.get(rule.get("pathMatcher"), {})
                service = matcher.get("defaultService", "") or url_map.get("defaultService", "")
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

    async def _check_backend(
        self, reader: Reader, ctx: CheckContext, backend: str, obs: list[Observation]
    ) -> None:
        svc = await self._get(
            reader,
            reads.get_backend_service,
            backend,
            what=f"backend service {backend}",
            hint=f"gcloud compute backend-services create {backend} --global --load-balancing-scheme=EXTERNAL_MANAGED",
        )
        groups = [b.get("group", "") for b in svc.get("backends", [])]
        negs = [g for g in groups if "/networkEndpointGroups/" in g]
        self._link(
            obs,
            f"backend {backend}",
            "a serverless NEG",
            ", ".join(short(g) for g in groups) or "(no backends)",
            bool(negs),
            f"backendServices/{backend}",
            f"gcloud compute backend-services add-backend {backend} --global --network-endpoint-group=NEG --network-endpoint-group-region={self.region_for(ctx)}",
        )
        region = self.region_for(ctx)
        matched = False
        actual: list[str] = []
        for group in negs:
            neg_region = (
                group.split("/regions/", 1)[1].split("/", 1)[0]
                if "/regions/" in group
                else "global"
            )
            neg = await self._get(
                reader,
                reads.get_region_neg,
                neg_region,
                short(group),
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

    async def _check_redirect(self, reader: Reader, obs: list[Observation]) -> None:
        name = self.http_redirect_rule or ""
        rule = await self._get(
            reader,
            reads.get_forwarding_rule,
            name,
            what=f"forwarding rule {name}",
            hint="create an HTTP forwarding rule on port 80 whose URL map redirects to HTTPS",
        )
        proxy_name = short(rule.get("target"))
        proxy = await self._get(
            reader,
            reads.get_target_http_proxy,
            proxy_name,
            what=f"target HTTP proxy {proxy_name}",
            hint="create the target HTTP proxy for the redirect",
        )
        map_name = short(proxy.get("urlMap"))
        url_map = await self._get(
            reader,
            reads.get_url_map,
            map_name,
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
