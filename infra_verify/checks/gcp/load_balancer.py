"""``gcp.load_balancer``: walk the external Application Load Balancer's chain and report every link.

address / forwarding rule IP (global or regional) -> target HTTPS proxy (certificates, or a
Certificate Manager map and its entries) -> URL map, resolved per request the way Google routes
it (:mod:`infra_verify.checks.gcp.routing`) -> each backend service or backend bucket reached ->
serverless NEG (named service, ``urlMask``, ``tag``) -> Cloud Run service and region; the
HTTP->HTTPS redirect rule on the same IP; and each Cloud Run service accepting the load
balancer's traffic (ingress, invoker). The probe reads the chain, following each link until one
is missing; the judge walks what was read: the first broken link is the finding, and the links
before it are shown as passed. docs/load-balancer.md lists every field read.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from infra_verify.check import Check
from infra_verify.checks.gcp.base import GcpCheck, Reader, same_resource, short
from infra_verify.checks.gcp.lb_certificates import (
    classic_coverage,
    cm_covers,
    cm_location,
    cm_state,
    map_entry_for,
)
from infra_verify.checks.gcp.routing import Destination, Target, resolve
from infra_verify.context import CheckContext
from infra_verify.durations import DurationLike
from infra_verify.gcp import reads
from infra_verify.model import Observation, Outcome

LB_INGRESS = ("INGRESS_TRAFFIC_ALL", "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER")
"""Cloud Run ``ingress`` values that admit an external Application Load Balancer's requests."""
INVOKER_ROLE = "roles/run.invoker"


class Route(BaseModel):
    """One request the URL map must route: ``{host, path, service, cloud_run_service}``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field(description="request host")
    path: str = Field(
        default="/", description="request path (``/api/users``; may carry ``?query``)"
    )
    service: str | None = Field(
        default=None,
        description="backend service or backend bucket the request must reach (name or URL)",
    )
    cloud_run_service: str | None = Field(
        default=None,
        description="Cloud Run service the request must reach (default: the check's, "
        "when the route names no 'service')",
    )


@dataclass(frozen=True)
class NegObserved:
    """One network endpoint group a backend service names."""

    group: str
    """The backend's ``group`` URL (``…/regions/R/networkEndpointGroups/N``)."""
    neg: dict[str, Any] | None
    """The network endpoint group as the REST API returns it; None: it does not exist (404)."""


@dataclass(frozen=True)
class BackendObserved:
    """One backend service (or backend bucket) the URL map routes requests to, and its NEGs."""

    name: str
    """The backend service's (or bucket's) name."""
    service: dict[str, Any] | None
    """The resource as the REST API returns it; None: it does not exist (404)."""
    negs: tuple[NegObserved, ...] = ()
    """Its network endpoint groups, in its backends' order, up to the first missing one."""
    url: str = ""
    """The URL the URL map names it by (tells global from regional); '' for the name alone."""
    bucket: bool = False
    """True: a backend bucket (``backendBuckets/``), read as one."""


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
class CertificateMapObserved:
    """The Certificate Manager map the HTTPS proxy serves, its entries and their certificates."""

    name: str
    """The proxy's ``certificateMap`` (``//certificatemanager.googleapis.com/projects/…``)."""
    certificate_map: dict[str, Any] | None
    """The map as the REST API returns it; None: it does not exist (404)."""
    entries: tuple[dict[str, Any], ...] = ()
    """Every ``certificateMapEntries`` item of the map."""
    certificates: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    """The certificates of the entries serving the checked hosts, by resource name; None: 404."""


@dataclass(frozen=True)
class FrontendObserved:
    """Another HTTPS forwarding rule of the load balancer (``forwarding_rules:``)."""

    name: str
    """The rule as the policy names it."""
    rule: dict[str, Any] | None
    """The forwarding rule as the REST API returns it; None: it does not exist (404)."""
    region: str | None = None
    """Its region when it is regional; None: global."""
    proxy: dict[str, Any] | None = None
    """The target HTTPS proxy it names, read when it is not the main rule's proxy."""


@dataclass(frozen=True)
class RunObserved:
    """A Cloud Run service a serverless NEG resolves to, and who may invoke it."""

    region: str
    name: str
    service: dict[str, Any] | None
    """The service (Run v2 REST JSON); None: it does not exist (404)."""
    iam_policy: dict[str, Any] | None = None
    """Its IAM policy (``services.getIamPolicy``); None: not read (``public: false``)."""


@dataclass(frozen=True)
class LoadBalancerObserved:
    """What the gcp.load_balancer probe read, link by link. The probe stops following the chain
    at the first resource that does not exist (404): that one and every later link is None."""

    project: str
    """The project read."""
    region: str
    """The region the Cloud Run service (and so its serverless NEG) is expected in."""
    address: dict[str, Any] | None = None
    """The reserved address (when the check names one); None: missing or not asked."""
    rule: dict[str, Any] | None = None
    """The HTTPS forwarding rule."""
    proxy: dict[str, Any] | None = None
    """The target HTTPS proxy the rule's ``target`` names (read only when it is one)."""
    url_map: dict[str, Any] | None = None
    """The URL map the proxy's ``urlMap`` names."""
    backends: tuple[BackendObserved, ...] = ()
    """The backend services and buckets requests are routed to (read when the check looks
    behind the URL map: ``cloud_run_service`` or ``security_policy``)."""
    redirect: RedirectObserved | None = None
    """The redirect chain (read with ``http_redirect_rule``)."""
    lb_region: str | None = None
    """The load balancer's region when its forwarding rule is regional; None: global."""
    certificate_map: CertificateMapObserved | None = None
    """The proxy's certificate map (read when the proxy has one and hosts are checked)."""
    runs: tuple[RunObserved, ...] = ()
    """The Cloud Run services the serverless NEGs resolve to, with their IAM policies."""
    frontends: tuple[FrontendObserved, ...] = ()
    """The load balancer's other HTTPS forwarding rules (``forwarding_rules:``), in order."""
    ssl_certificates: dict[str, dict[str, Any] | None] | None = None
    """The proxy's classic ``sslCertificates`` by name (read when hosts are checked and the
    proxy has no certificate map); None: not read."""


class _Broken(Exception):
    """A link of the chain is broken: carries the finding (raised and caught inside judge)."""

    def __init__(self, summary: str, hint: str) -> None:
        super().__init__(summary)
        self.summary = summary
        self.hint = hint


class _Undecided(_Broken):
    """What was read does not let the check decide (the verdict is ERROR)."""


@dataclass(frozen=True)
class _Request:
    """One request the check sends through the URL map, and what it must reach."""

    host: str
    path: str
    service: str | None
    """Backend service or bucket expected (a route's ``service``); None: any backend."""
    cloud_run: str | None
    """Cloud Run service expected behind the backend; None: not checked."""
    legacy: bool
    """From ``hosts:``: the host needs a host rule when the URL map has any."""

    @property
    def label(self) -> str:
        """``api.example.com`` for a host, ``api.example.com/api/`` for a route, ``any host``
        for the request a check naming no host sends."""
        if not self.host:
            return "any host"
        return self.host if self.legacy else f"{self.host}{self.path}"


class GcpLoadBalancer(GcpCheck):
    """The load balancer's chain routes the expected hosts, on the expected IP, to the Cloud Run service."""

    kind = "gcp.load_balancer"

    forwarding_rule: str = Field(
        description="HTTPS (port 443) forwarding rule: a name (global, else regional in "
        "'region'), or 'regions/R/forwardingRules/N' / its URL for a regional load balancer"
    )
    ip: str | None = Field(
        default=None, description="expected IP of the forwarding rule (IPv6 compared by value)"
    )
    forwarding_rules: tuple[str, ...] = Field(
        default=(),
        description="more HTTPS forwarding rules of this load balancer (e.g. its IPv6 frontend): "
        "each must exist, listen on 443 and target the same HTTPS proxy (or one with the same "
        "URL map and certificates)",
    )
    ipv6: str | None = Field(
        default=None,
        description="expected IPv6 address: one of the HTTPS forwarding rules listens on it "
        "(compared by value, '::' or written out)",
    )
    address: str | None = Field(
        default=None,
        description="reserved address name that must hold 'ip' (regional for a regional load balancer)",
    )
    certificate: str | None = Field(
        default=None, description="SSL certificate the HTTPS proxy must carry"
    )
    certificate_map: str | None = Field(
        default=None, description="Certificate Manager map the HTTPS proxy must use"
    )
    hosts: tuple[str, ...] = Field(
        default=(),
        description="hosts the URL map must route (path '/'); each needs a host rule unless the "
        "URL map has none",
    )
    routes: tuple[Route, ...] = Field(
        default=(),
        description="requests the URL map must route: [{host, path, service, cloud_run_service}] "
        "(service: backend service or bucket; resolved as Google routes, defaults included)",
    )
    backend_service: str | None = Field(
        default=None,
        description="backend service the hosts must reach (without hosts: the routes naming "
        "no service)",
    )
    cloud_run_service: str | None = Field(
        default=None, description="Cloud Run service behind the serverless NEG"
    )
    http_redirect_rule: str | None = Field(
        default=None,
        description="forwarding rule on port 80, on the HTTPS rule's IP, that must redirect to HTTPS",
    )
    public: bool = Field(
        default=True,
        description="the Cloud Run services take unauthenticated requests from the load balancer "
        "(allUsers roles/run.invoker, or invokerIamDisabled); false: authentication is expected",
    )
    security_policy: str | None = Field(
        default=None,
        description="Cloud Armor security policy every backend service reached must attach",
    )

    if TYPE_CHECKING:

        def __init__(
            self,
            forwarding_rule: str,
            *,
            region: str | None = None,
            project: str | None = None,
            ip: str | None = None,
            forwarding_rules: Sequence[str] = (),
            ipv6: str | None = None,
            address: str | None = None,
            certificate: str | None = None,
            certificate_map: str | None = None,
            hosts: Sequence[str] = (),
            routes: Sequence[Route] = (),
            backend_service: str | None = None,
            cloud_run_service: str | None = None,
            http_redirect_rule: str | None = None,
            public: bool = True,
            security_policy: str | None = None,
            id: str = "",
            after: Sequence[str | Check] | str | Check = (),
            timeout: DurationLike | None = None,
            poll: DurationLike | None = None,
            poll_max: DurationLike | None = None,
            description: str | None = None,
        ) -> None:
            """Build the check (the subject may be positional)."""

    @field_validator("ipv6")
    @classmethod
    def _valid_ipv6(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ipaddress.IPv6Address(value.strip())
            except ValueError:
                raise ValueError(
                    f"{value!r} is not an IPv6 address (write it like 2600:1901:0:1234::)"
                ) from None
        return value

    def subject(self) -> str:
        """The forwarding rule."""
        return short(self.forwarding_rule)

    def targets(self) -> tuple[str, ...]:
        """The expected IPs (``ip`` and ``ipv6``)."""
        return tuple(ip for ip in (self.ip, self.ipv6) if ip)

    # --- the requests -------------------------------------------------------------------------

    def requests(self) -> list[_Request]:
        """The requests the URL map must route: each host at ``/``, then each route."""
        out = [
            _Request(host, "/", None, self.cloud_run_service, legacy=True) for host in self.hosts
        ]
        for route in self.routes:
            cloud_run = route.cloud_run_service
            if cloud_run is None and route.service is None:
                cloud_run = self.cloud_run_service
            out.append(_Request(route.host, route.path, route.service, cloud_run, legacy=False))
        if not out and (self.backend_service or self.cloud_run_service or self.security_policy):
            # no host named: a request for a host no host rule names (the URL map's default,
            # or its '*' rule) must reach what the check expects
            out.append(_Request("", "/", None, self.cloud_run_service, legacy=False))
        return out

    def checked_hosts(self) -> list[str]:
        """Every host the check sends a request for, once each, in order, as TLS sees it
        (the SNI name: lower case, no trailing dot, no ``:port``)."""
        return list(dict.fromkeys(_sni_name(r.host) for r in self.requests() if r.host))

    def _looks_behind(self) -> bool:
        return self.security_policy is not None or any(r.cloud_run for r in self.requests())

    def _walked(self, url_map: dict[str, Any]) -> list[tuple[Target, list[_Request]]]:
        """Each backend reached (serving traffic), sorted by name, with the requests reaching it."""
        reached: dict[tuple[str, bool], tuple[Target, list[_Request]]] = {}
        for request in self.requests():
            dest = resolve(url_map, request.host, request.path)
            if dest.kind != "backend":
                continue
            for target in dest.serving:
                key = (target.name, target.is_bucket)
                reached.setdefault(key, (Target(target.url), []))[1].append(request)
        return [reached[key] for key in sorted(reached)]

    # --- probe --------------------------------------------------------------------------------

    async def probe(self, ctx: CheckContext) -> LoadBalancerObserved:
        """Read the chain link by link, following each link until a resource is missing."""
        reader = self.reader(ctx)
        await reader.ensure_project()
        read = _Compute(reader, self.project_for(reader))
        lb_region = _region_in(self.forwarding_rule)
        rule_name = short(self.forwarding_rule)
        rule = await read("forwardingRules", rule_name, lb_region)
        if rule is None and not lb_region:  # a regional external Application Load Balancer?
            fallback = self.region_for(ctx)
            rule = await read("forwardingRules", rule_name, fallback)
            lb_region = fallback if rule is not None else None
        region = self.region or lb_region or self.region_for(ctx)
        seen = _Seen(read.project, region, lb_region)
        if self.address:
            seen.address = await read("addresses", self.address, lb_region)
            if seen.address is None:
                return seen.done()
        seen.rule = rule
        target = str((rule or {}).get("target", ""))
        for extra in self.forwarding_rules:
            extra_region = _region_in(extra) or lb_region
            found = await read("forwardingRules", short(extra), extra_region)
            other = str((found or {}).get("target", ""))
            proxy = None
            if "/targetHttpsProxies/" in other and not _same_url(other, target):
                proxy = await read.url("targetHttpsProxies", other)
            seen.frontends.append(FrontendObserved(extra, found, extra_region, proxy))
        if rule is None or "/targetHttpsProxies/" not in target:  # nothing HTTPS to follow
            return seen.done()
        seen.proxy = await read.url("targetHttpsProxies", target)
        if seen.proxy is None:
            return seen.done()
        cmap = str(seen.proxy.get("certificateMap", ""))
        if cmap and self.checked_hosts():
            seen.certificate_map = await self._read_certificate_map(read, cmap)
        elif self.checked_hosts():
            seen.ssl_certificates = {}
            for url in seen.proxy.get("sslCertificates", []):
                seen.ssl_certificates[short(url)] = await self._read_certificate(read, url)
        seen.url_map = await read.url("urlMaps", str(seen.proxy.get("urlMap", "")))
        if seen.url_map is None:
            return seen.done()
        if self._looks_behind():
            for target_, _ in self._walked(seen.url_map):
                backend = await self._read_backend(read, target_)
                seen.backends.append(backend)
                if backend.service is None or any(n.neg is None for n in backend.negs):
                    return seen.done()
            for run_region, run_name in self._run_services(seen.url_map, seen.backends):
                seen.runs.append(await self._read_run(read, run_region, run_name))
        if self.http_redirect_rule:
            seen.redirect = await self._read_redirect(read, self.http_redirect_rule, lb_region)
        return seen.done()

    async def _read_certificate(self, read: _Compute, url: str) -> dict[str, Any] | None:
        """One of the proxy's ``sslCertificates``: a compute SSL certificate, or a Certificate
        Manager certificate (``//certificatemanager.googleapis.com/…``, regional proxies)."""
        if "certificatemanager" not in url:
            return await read.url("sslCertificates", url)
        return await read.reader.get_or_none(
            reads.get_certificate_manager_certificate,
            cm_location(url),
            short(url),
            project=_project_in(url) or read.project,
        )

    async def _read_certificate_map(self, read: _Compute, url: str) -> CertificateMapObserved:
        location, name = cm_location(url), short(url)
        project = _project_in(url) or read.project
        found = await read.reader.get_or_none(
            reads.get_certificate_map, location, name, project=project
        )
        if found is None:
            return CertificateMapObserved(url, None)
        entries = tuple(
            await read.reader.get(
                reads.list_certificate_map_entries, location, name, project=project
            )
        )
        certificates: dict[str, dict[str, Any] | None] = {}
        for host in self.checked_hosts():
            entry = map_entry_for(entries, host)
            for cert in (entry or {}).get("certificates", []):
                if cert not in certificates:
                    certificates[cert] = await read.reader.get_or_none(
                        reads.get_certificate_manager_certificate,
                        cm_location(cert),
                        short(cert),
                        project=_project_in(cert) or project,
                    )
        return CertificateMapObserved(url, found, entries, certificates)

    async def _read_backend(self, read: _Compute, target: Target) -> BackendObserved:
        if target.is_bucket:
            bucket = await read.url("backendBuckets", target.url)
            return BackendObserved(target.name, bucket, url=target.url, bucket=True)
        svc = await read.url("backendServices", target.url)
        if svc is None:
            return BackendObserved(target.name, None, url=target.url)
        negs: list[NegObserved] = []
        for group in _neg_groups(svc):
            neg = await read.url("networkEndpointGroups", group)
            negs.append(NegObserved(group, neg))
            if neg is None:
                break
        return BackendObserved(target.name, svc, tuple(negs), url=target.url)

    async def _read_run(self, read: _Compute, region: str, name: str) -> RunObserved:
        reader, project = read.reader, read.project
        service = await reader.get_or_none(reads.get_run_service, region, name, project=project)
        policy = None
        if service is not None and self.public:
            found = await reader.get_or_none(
                reads.get_run_service_iam_policy, region, name, project=project
            )
            policy = {} if found is None else found  # no policy: nobody may invoke
        return RunObserved(region, name, service, policy)

    async def _read_redirect(
        self, read: _Compute, name: str, lb_region: str | None
    ) -> RedirectObserved:
        rule = await read("forwardingRules", short(name), _region_in(name) or lb_region)
        if rule is None:
            return RedirectObserved(None)
        proxy = await read.url("targetHttpProxies", str(rule.get("target", "")))
        if proxy is None:
            return RedirectObserved(rule)
        url_map = await read.url("urlMaps", str(proxy.get("urlMap", "")))
        return RedirectObserved(rule, proxy, url_map)

    def _run_services(
        self, url_map: dict[str, Any], backends: Iterable[BackendObserved]
    ) -> list[tuple[str, str]]:
        """(region, service) of every Cloud Run service the walked serverless NEGs resolve to."""
        found = self._run_tags(url_map, backends)
        return sorted(found, key=lambda rs: (rs[1], rs[0]))

    def _run_tags(
        self, url_map: dict[str, Any], backends: Iterable[BackendObserved]
    ) -> dict[tuple[str, str], set[str]]:
        """Every Cloud Run service the walked serverless NEGs resolve to, by (region, service),
        with the revision tags (``cloudRun.tag`` or a urlMask's ``<tag>``) requests carry."""
        by_key = {(b.name, b.bucket): b for b in backends}
        found: dict[tuple[str, str], set[str]] = {}
        for target, requests in self._walked(url_map):
            backend = by_key.get((target.name, target.is_bucket))
            if backend is None or backend.bucket:
                continue
            for neg_seen in backend.negs:
                neg = neg_seen.neg or {}
                if neg.get("networkEndpointType") != "SERVERLESS" or not neg.get("cloudRun"):
                    continue
                for request in requests:
                    service, tag = _cloud_run_target(neg, request.host, request.path)
                    if service:
                        tags = found.setdefault((_neg_region(neg_seen.group), service), set())
                        if tag:
                            tags.add(tag)
        return found

    # --- judge --------------------------------------------------------------------------------

    def judge(self, observed: LoadBalancerObserved) -> Outcome:
        """Walk the chain that was read, link by link; the first broken link is the finding."""
        obs: list[Observation] = []
        warnings: list[str] = []
        try:
            self._walk(observed, obs, warnings)
        except _Undecided as u:
            return Outcome.error(u.summary, tuple(obs), hint=u.hint, warnings=tuple(warnings))
        except _Broken as b:
            return Outcome.failed(b.summary, tuple(obs), hint=b.hint, warnings=tuple(warnings))
        reach = ""
        if self.cloud_run_service:
            who = f"{len(self.hosts)} host(s)" if self.hosts else "requests"
            reach = f", {who} reach Cloud Run {self.cloud_run_service}"
        if self.routes:
            reach += f", {len(self.routes)} route(s) verified"
        return Outcome.passed(
            f"{self.subject()}: {len(obs)} link(s) verified{reach}",
            tuple(obs),
            warnings=tuple(warnings),
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

    def _walk(
        self, observed: LoadBalancerObserved, obs: list[Observation], warnings: list[str]
    ) -> None:
        project = observed.project
        scope = _Scope(observed.lb_region)
        if self.address:
            addr = self._present(
                observed.address,
                project,
                what=f"address {self.address} in {scope.region}"
                if scope.region
                else f"global address {self.address}",
                hint=f"gcloud compute addresses create {self.address} {scope.flag}",
            )
            if self.ip:
                self._link(
                    obs,
                    "reserved address",
                    self.ip,
                    addr.get("address", "(none)"),
                    same_ip(self.ip, addr.get("address")),
                    scope.where("addresses", self.address),
                    "the reserved address changed: update DNS to the new IP, or reserve the expected one",
                )
        rule_name = short(self.forwarding_rule)
        rule = self._present(
            observed.rule,
            project,
            what=f"forwarding rule {rule_name}",
            hint=f"gcloud compute forwarding-rules create {rule_name} {scope.flag} "
            f"--target-https-proxy=PROXY --ports=443 --address={self.address or self.ip or 'ADDRESS'}"
            + ("" if scope.region else " (or --region=REGION for a regional load balancer)"),
        )
        where = scope.where("forwardingRules", rule_name)
        if self.ip:
            self._link(
                obs,
                "forwarding rule IP",
                self.ip,
                rule.get("IPAddress", "(none)"),
                same_ip(self.ip, rule.get("IPAddress")),
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
        https_ips = [str(rule.get("IPAddress") or "")]
        for frontend in observed.frontends:
            https_ips.append(self._check_frontend(observed, frontend, target, obs))
        if self.ipv6:
            listening = [ip for ip in https_ips if ip]
            self._link(
                obs,
                "IPv6 frontend",
                self.ipv6,
                ", ".join(listening) or "(none)",
                any(same_ip(self.ipv6, ip) for ip in listening),
                where,
                f"no HTTPS forwarding rule of this load balancer listens on {self.ipv6}: "
                f"gcloud compute forwarding-rules create NAME-ipv6 {scope.flag} "
                f"--ip-version=IPV6 --target-https-proxy={short(target)} --ports=443 "
                "(and list it under 'forwarding_rules:')",
            )
        proxy = self._check_proxy(observed, obs, warnings, target, scope)
        map_url = str(proxy.get("urlMap", ""))
        map_name = short(map_url)
        map_scope = _Scope(_region_in(map_url))
        url_map = self._present(
            observed.url_map,
            project,
            what=f"URL map {map_name}",
            hint="create the URL map and attach it to the HTTPS proxy",
        )
        reached = self._route_requests(url_map, map_name, map_scope, obs, warnings)
        if self.backend_service:
            self._link(
                obs,
                "routed backend service",
                self.backend_service,
                ", ".join(sorted(reached)) or "(none)",
                reached == {self.backend_service},
                map_scope.where("urlMaps", map_name),
                f"route the hosts to backend service {self.backend_service} in URL map {map_name}",
            )
        if self._looks_behind():
            for target_, requests in self._walked(url_map):
                self._check_backend(observed, target_, requests, obs, warnings)
        if self.http_redirect_rule:
            self._check_redirect(observed, https_ips, obs, scope)
        if self._looks_behind():
            tags = self._run_tags(url_map, observed.backends)
            for run_region, run_name in self._run_services(url_map, observed.backends):
                self._check_run(observed, run_region, run_name, obs)
                for tag in sorted(tags.get((run_region, run_name), ())):
                    self._check_run_tag(observed, run_region, run_name, tag, obs)

    def _check_frontend(
        self,
        observed: LoadBalancerObserved,
        frontend: FrontendObserved,
        proxy: str,
        obs: list[Observation],
    ) -> str:
        """One more HTTPS forwarding rule: it exists, listens on 443 and targets the same HTTPS
        proxy, or another one serving the same URL map and certificates; returns its IP."""
        name = short(frontend.name)
        fscope = _Scope(frontend.region)
        rule = self._present(
            frontend.rule,
            observed.project,
            what=f"forwarding rule {name}" + (f" in {frontend.region}" if frontend.region else ""),
            hint=f"gcloud compute forwarding-rules create {name} {fscope.flag} "
            f"--target-https-proxy={short(proxy)} --ports=443",
        )
        ip = str(rule.get("IPAddress") or "")
        target = str(rule.get("target", ""))
        ports = str(rule.get("portRange", ""))
        problems = []
        if "/targetHttpsProxies/" not in target:
            problems.append(f"targets {short(target) or '(nothing)'}, not a target HTTPS proxy")
        elif not _same_url(proxy, target):
            differs = _proxy_differs(observed.proxy, frontend.proxy)
            if differs:
                problems.append(f"targets {short(target) or '(nothing)'}, {differs}")
        if not _has_port(ports, 443):
            problems.append(f"listens on {ports}")
        actual = f"{ip or '(no IP)'} -> {short(target) or '(no target)'}"
        if problems:
            actual += f": {'; '.join(problems)}"
        self._link(
            obs,
            f"forwarding rule {name}",
            f"port 443 -> target HTTPS proxy {short(proxy)} (or one with its URL map and "
            "certificates)",
            actual,
            not problems,
            fscope.where("forwardingRules", name),
            f"recreate {name} with --target-https-proxy={short(proxy)} --ports=443 {fscope.flag}",
        )
        return ip

    def _check_proxy(
        self,
        observed: LoadBalancerObserved,
        obs: list[Observation],
        warnings: list[str],
        target: str,
        scope: _Scope,
    ) -> dict[str, Any]:
        proxy_name = short(target)
        proxy_scope = _Scope(_region_in(target))
        proxy = self._present(
            observed.proxy,
            observed.project,
            what=f"target HTTPS proxy {proxy_name}",
            hint=f"gcloud compute target-https-proxies create {proxy_name} --url-map=URL_MAP "
            f"--ssl-certificates={self.certificate or 'CERT'}"
            + (f" --region={proxy_scope.region}" if proxy_scope.region else ""),
        )
        where = proxy_scope.where("targetHttpsProxies", proxy_name)
        cmap = str(proxy.get("certificateMap", ""))
        certs = [short(c) for c in proxy.get("sslCertificates", [])]
        if cmap and certs:
            warnings.append(
                f"target HTTPS proxy {proxy_name} has certificate map {short(cmap)}: its "
                f"sslCertificates ({', '.join(certs)}) are ignored"
            )
        if self.certificate:
            actual = ", ".join(certs) or "(none)"
            if cmap:
                actual += f" (ignored: the proxy serves certificate map {short(cmap)})"
            region_flag = f" --region={proxy_scope.region}" if proxy_scope.region else ""
            self._link(
                obs,
                "proxy certificate",
                self.certificate,
                actual,
                self.certificate in certs and not cmap,
                where,
                f"gcloud compute target-https-proxies update {proxy_name}{region_flag} "
                f"--ssl-certificates={self.certificate}"
                + (" --clear-certificate-map" if cmap else ""),
            )
        if self.certificate_map:
            self._link(
                obs,
                "proxy certificate map",
                self.certificate_map,
                short(cmap) or "(none)",
                same_resource(self.certificate_map, cmap),
                where,
                f"gcloud compute target-https-proxies update {proxy_name} --certificate-map={self.certificate_map}",
            )
        if cmap and self.checked_hosts():
            self._check_certificate_map(observed, cmap, obs)
        elif observed.ssl_certificates is not None:
            self._check_classic_certificates(observed.ssl_certificates, where, obs, warnings)
        return proxy

    def _check_classic_certificates(
        self,
        certificates: dict[str, dict[str, Any] | None],
        where: str,
        obs: list[Observation],
        warnings: list[str],
    ) -> None:
        """Each checked host is served by one of the proxy's classic certificates: an ACTIVE
        (or still-serving RENEWAL_FAILED) managed certificate or a self-managed one whose names
        cover it (a wildcard covers one label)."""
        for host in self.checked_hosts():
            found = classic_coverage(certificates, host)
            warnings.extend(found.warnings)
            actual = found.serving or ("; ".join(found.seen) or "(no sslCertificates)")
            if found.serving is None and found.seen:
                actual = f"none covers it: {actual}"
            self._link(
                obs,
                f"certificate serves {host}",
                "a serving certificate whose names cover the host",
                actual,
                found.serving is not None,
                where,
                f"browsers get a certificate error on https://{host}: add a certificate for it "
                f"(gcloud compute ssl-certificates create CERT --domains={host}) to the proxy's "
                "--ssl-certificates, or wait for a PROVISIONING managed certificate",
            )

    def _check_certificate_map(
        self, observed: LoadBalancerObserved, cmap: str, obs: list[Observation]
    ) -> None:
        name = short(cmap)
        seen = observed.certificate_map
        self._present(
            seen.certificate_map if seen else None,
            observed.project,
            what=f"certificate map {name}",
            hint=f"gcloud certificate-manager maps create {name}",
        )
        entries = seen.entries if seen else ()
        certificates = seen.certificates if seen else {}
        for host in self.checked_hosts():
            entry = map_entry_for(entries, host)
            expected = "an ACTIVE entry whose certificates are ACTIVE and cover the host"
            fix = (
                f"gcloud certificate-manager maps entries create ENTRY --map={name} "
                f"--hostname={host} --certificates=CERTIFICATE"
            )
            if entry is None:
                self._link(
                    obs, f"certificate map serves {host}", expected, "no entry", False,
                    f"certificateMaps/{name}", fix,
                )  # fmt: skip
                continue
            label = entry.get("hostname") or entry.get("matcher", "?")
            problems: list[str] = []
            if entry.get("state", "ACTIVE") != "ACTIVE":
                problems.append(f"entry {entry.get('state')}")
            cert_names = list(entry.get("certificates", []))
            if not cert_names:
                problems.append("no certificates")
            states = []
            for cert_name in cert_names:
                cert = certificates.get(cert_name)
                state = cm_state(cert)
                states.append(f"{short(cert_name)} {state}")
                if state != "ACTIVE":
                    problems.append(f"{short(cert_name)} {state}")
                elif not cm_covers(cert or {}, host):
                    problems.append(f"{short(cert_name)} does not cover {host}")
            actual = f"entry {short(entry.get('name', '')) or label} ({label}) -> " + (
                ", ".join(states) or "(no certificates)"
            )
            if problems:
                actual += f": {'; '.join(problems)}"
            self._link(
                obs, f"certificate map serves {host}", expected, actual, not problems,
                f"certificateMaps/{name}", fix if not cert_names else
                f"wait for or fix the certificates of entry {short(entry.get('name', ''))} in map {name}",
            )  # fmt: skip

    def _route_requests(
        self,
        url_map: dict[str, Any],
        map_name: str,
        scope: _Scope,
        obs: list[Observation],
        warnings: list[str],
    ) -> set[str]:
        """A routing link per request; the backend names the ``hosts:`` reach (without hosts:
        the routes that name no ``service``), for ``backend_service``."""
        reached: set[str] = set()
        has_host_rules = bool(url_map.get("hostRules"))
        where = scope.where("urlMaps", map_name)
        edit = f"gcloud compute url-maps edit {map_name} {scope.flag}"
        for request in self.requests():
            dest = resolve(url_map, request.host, request.path)
            prop = f"URL map routes {request.label}"
            needs_rule = request.legacy and has_host_rules
            expected = request.service or ("a host rule" if needs_rule else "a backend")
            if needs_rule and dest.host_rule is None:
                self._link(
                    obs, prop, expected, "no host rule", False, where,
                    f"gcloud compute url-maps add-path-matcher {map_name} --path-matcher-name=PM "
                    f"--default-service=BACKEND --new-hosts={request.host}"
                    + (f" --region={scope.region}" if scope.region else ""),
                )  # fmt: skip
            actual = _describe(dest)
            if dest.kind == "redirect":
                self._link(
                    obs, prop, expected, actual, False, where,
                    f"{request.label} is redirected by {dest.via()}: send it to a backend there "
                    f"({edit})",
                )  # fmt: skip
            if dest.kind == "none":
                self._link(
                    obs, prop, expected, actual, False, where,
                    f"{request.label} reaches nothing via {dest.via()}: give it a service ({edit})",
                )  # fmt: skip
            names = {t.name for t in dest.serving}
            ok = request.service is None or all(
                same_resource(request.service, t.url) for t in dest.serving
            )
            self._link(
                obs, prop, expected, actual, ok, where,
                f"{request.label} goes via {dest.via()}: change that to {request.service} ({edit})",
            )  # fmt: skip
            for idle in dest.idle:
                warnings.append(
                    f"{request.label}: {idle.describe()} receives no traffic; not checked"
                )
            if dest.rewrite:
                warnings.append(
                    f"{request.label}: {dest.via()} rewrites the URL "
                    f"({', '.join(f'{k}={v}' for k, v in dest.rewrite.items())}): the backend "
                    "sees the rewritten host/path"
                )
            if request.legacy or (not self.hosts and request.service is None):
                reached |= names
        return reached

    def _check_backend(
        self,
        observed: LoadBalancerObserved,
        target: Target,
        requests: list[_Request],
        obs: list[Observation],
        warnings: list[str],
    ) -> None:
        name = target.name
        seen = next(
            (b for b in observed.backends if b.name == name and b.bucket == target.is_bucket), None
        )
        expectations = sorted({r.cloud_run for r in requests if r.cloud_run})
        region = observed.region
        bscope = _Scope(target.region)
        if target.is_bucket:
            bucket = self._present(
                seen.service if seen else None,
                observed.project,
                what=f"backend bucket {name}" + (f" in {bscope.region}" if bscope.region else ""),
                hint=f"gcloud compute backend-buckets create {name} --gcs-bucket-name=BUCKET"
                + (f" --region={bscope.region}" if bscope.region else ""),
            )
            wanted = ", ".join(expectations)
            self._link(
                obs,
                f"backend bucket {name}",
                f"Cloud Run {wanted}" if wanted else "a Cloud Storage bucket",
                f"backend bucket {name} (gs://{bucket.get('bucketName', '?')})",
                not expectations,
                bscope.where("backendBuckets", name),
                f"{', '.join(r.label for r in requests)} reach backend bucket {name}, "
                f"not Cloud Run {wanted}: route them to the backend service of the serverless NEG",
            )
            return
        svc = self._present(
            seen.service if seen else None,
            observed.project,
            what=f"backend service {name}",
            hint=f"gcloud compute backend-services create {name} {bscope.flag} "
            "--load-balancing-scheme=EXTERNAL_MANAGED",
        )
        where = bscope.where("backendServices", name)
        for neg_seen in seen.negs if seen else ():
            kind = str((neg_seen.neg or {}).get("networkEndpointType", ""))
            if kind.startswith("INTERNET_") and not expectations:
                warnings.append(
                    f"backend {name} sends {', '.join(r.label for r in requests)} to internet "
                    f"NEG {short(neg_seen.group)} ({kind}): the origin outside Google Cloud is "
                    "not checked"
                )
        if expectations:
            groups = [b.get("group", "") for b in svc.get("backends", [])]
            negs = _neg_groups(svc)
            armor = short(svc.get("securityPolicy")) if svc.get("securityPolicy") else ""
            self._link(
                obs,
                f"backend {name}",
                "a serverless NEG",
                (", ".join(short(g) for g in groups) or "(no backends)")
                + (f" (Cloud Armor: {armor})" if armor else ""),
                bool(negs),
                where,
                f"gcloud compute backend-services add-backend {name} {bscope.flag} "
                f"--network-endpoint-group=NEG --network-endpoint-group-region={region}",
            )
            negs_read = {n.group: n.neg for n in seen.negs} if seen else {}
            self._check_negs(observed, svc, negs_read, requests, expectations, where, obs)
        if self.security_policy:
            attached = short(svc.get("securityPolicy")) or "(none)"
            self._link(
                obs,
                f"security policy of {name}",
                self.security_policy,
                attached,
                same_resource(self.security_policy, svc.get("securityPolicy")),
                where,
                f"gcloud compute backend-services update {name} {bscope.flag} "
                f"--security-policy={self.security_policy}",
            )

    def _check_negs(
        self,
        observed: LoadBalancerObserved,
        svc: dict[str, Any],
        read: dict[str, dict[str, Any] | None],
        requests: list[_Request],
        expectations: list[str],
        where: str,
        obs: list[Observation],
    ) -> None:
        region = observed.region
        matched = False
        actual: list[str] = []
        for group in _neg_groups(svc):
            neg_region = _neg_region(group)
            neg = self._present(
                read.get(group),
                observed.project,
                what=f"network endpoint group {short(group)}",
                hint="create the serverless NEG for the Cloud Run service",
            )
            mask = (neg.get("cloudRun") or {}).get("urlMask")
            if mask:
                self._mask_decidable(observed, str(mask), short(group), requests)
            resolved = [
                (r, *_cloud_run_target(neg, r.host, r.path)) for r in requests if r.cloud_run
            ]
            actual.append(f"{short(group)} -> {_describe_neg(neg, resolved)} ({neg_region})")
            if (
                neg.get("networkEndpointType") == "SERVERLESS"
                and neg_region == region
                and all(service == r.cloud_run for r, service, _ in resolved)
            ):
                matched = True
        wanted = ", ".join(expectations)
        self._link(
            obs,
            "serverless NEG",
            f"Cloud Run {wanted} in {region}",
            "; ".join(actual) or "(none)",
            matched,
            where,
            f"gcloud compute network-endpoint-groups create NEG --region={region} "
            f"--network-endpoint-type=serverless --cloud-run-service={expectations[0]}",
        )

    def _mask_decidable(
        self, observed: LoadBalancerObserved, mask: str, neg: str, requests: list[_Request]
    ) -> None:
        """A urlMask NEG reached through a ``urlRewrite``: the Compute API does not say whether
        the mask parses the URL before or after the rewrite, so the check cannot decide."""
        for request in requests:
            dest = resolve(observed.url_map or {}, request.host, request.path)
            if dest.rewrite and (
                dest.rewrite.get("hostRewrite")
                or dest.rewrite.get("pathPrefixRewrite")
                or dest.rewrite.get("pathTemplateRewrite")
            ):
                raise _Undecided(
                    f"cannot tell which Cloud Run service serverless NEG {neg} (urlMask {mask}) "
                    f"serves {request.label}: it is reached through urlRewrite "
                    f"{dict(dest.rewrite)} ({dest.via()})",
                    "name the service in the NEG (cloudRun.service), or drop the rewrite on "
                    "this route; the Compute API does not document whether urlMask parses the "
                    "rewritten URL",
                )

    def _check_redirect(
        self,
        observed: LoadBalancerObserved,
        https_ips: list[str],
        obs: list[Observation],
        scope: _Scope,
    ) -> None:
        name = short(self.http_redirect_rule)
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
        map_url = str(proxy.get("urlMap", ""))
        map_name = short(map_url)
        url_map = self._present(
            seen.url_map,
            observed.project,
            what=f"URL map {map_name}",
            hint="create the redirect URL map",
        )
        requests = [(r.host, r.path, r.label) for r in self.requests()] or [("", "/", "any host")]
        missed = [
            (label, dest)
            for host, path, label in requests
            if not _https_redirect(dest := resolve(url_map, host, path))
        ]
        hint = (
            f"gcloud compute url-maps import {map_name} with defaultUrlRedirect.httpsRedirect: true"
        )
        if missed:
            label, dest = missed[0]
            hint = (
                f"{label} is not redirected to HTTPS ({_describe(dest)} via {dest.via()}): {hint}"
            )
        self._link(
            obs,
            "HTTP->HTTPS redirect",
            "httpsRedirect: true",
            "no" if missed else "yes",
            not missed,
            _Scope(_region_in(map_url)).where("urlMaps", map_name),
            hint,
        )
        listening = [ip for ip in https_ips if ip]
        https_ip = listening[0] if listening else None
        self._link(
            obs,
            "HTTP redirect rule IP",
            " or ".join(listening) or "(none)",
            str(rule.get("IPAddress") or "(none)"),
            any(same_ip(ip, rule.get("IPAddress")) for ip in listening),
            scope.where("forwardingRules", name),
            f"http://HOST resolves to the HTTPS rule's IP {https_ip}, where no redirect listens: "
            f"recreate {name} with --address={self.address or https_ip} {scope.flag} --ports=80",
        )

    def _check_run_tag(
        self,
        observed: LoadBalancerObserved,
        region: str,
        name: str,
        tag: str,
        obs: list[Observation],
    ) -> None:
        """A NEG sending requests to revision tag ``tag`` needs a traffic target with that tag
        (``Service.trafficStatuses[].tag``, else ``traffic[].tag``)."""
        seen = next((r for r in observed.runs if (r.region, r.name) == (region, name)), None)
        service = (seen.service if seen else None) or {}
        statuses = service.get("trafficStatuses") or service.get("traffic") or []
        tags = sorted({str(t.get("tag")) for t in statuses if t.get("tag")})
        self._link(
            obs,
            f"Cloud Run {name} tag {tag}",
            f"a traffic target tagged {tag}",
            ", ".join(tags) or "(no tagged traffic targets)",
            tag in tags,
            f"services/{name} ({region})",
            f"the serverless NEG sends requests to tag {tag}, which the service does not have: "
            f"gcloud run services update-traffic {name} --region={region} "
            f"--set-tags={tag}=REVISION",
        )

    def _check_run(
        self, observed: LoadBalancerObserved, region: str, name: str, obs: list[Observation]
    ) -> None:
        seen = next((r for r in observed.runs if (r.region, r.name) == (region, name)), None)
        service = self._present(
            seen.service if seen else None,
            observed.project,
            what=f"Cloud Run service {name} in {region}",
            hint=f"gcloud run deploy {name} --region={region}",
        )
        where = f"services/{name} ({region})"
        # omitted (proto3 default) = INGRESS_TRAFFIC_UNSPECIFIED: "no revision is active"
        ingress = str(service.get("ingress") or "INGRESS_TRAFFIC_UNSPECIFIED")
        self._link(
            obs,
            f"Cloud Run {name} ingress",
            " or ".join(LB_INGRESS),
            ingress + (" (no revision is active)" if ingress.endswith("UNSPECIFIED") else ""),
            ingress in LB_INGRESS,
            where,
            f"gcloud run services update {name} --region={region} "
            "--ingress=internal-and-cloud-load-balancing",
        )
        if not self.public:
            return
        invoker = _public_invoker(service, seen.iam_policy if seen else None)
        self._link(
            obs,
            f"Cloud Run {name} invoker",
            f"allUsers with {INVOKER_ROLE}, or invokerIamDisabled",
            invoker or "no allUsers invoker binding: requests through the load balancer get 403",
            bool(invoker),
            where,
            f"gcloud run services add-iam-policy-binding {name} --region={region} "
            f"--member=allUsers --role={INVOKER_ROLE} (or set 'public: false' when "
            "callers authenticate)",
        )


# --- helpers --------------------------------------------------------------------------------


class _Seen:
    """The probe's accumulator, frozen into a LoadBalancerObserved by ``done()``."""

    def __init__(self, project: str, region: str, lb_region: str | None) -> None:
        self.project, self.region, self.lb_region = project, region, lb_region
        self.address: dict[str, Any] | None = None
        self.rule: dict[str, Any] | None = None
        self.proxy: dict[str, Any] | None = None
        self.url_map: dict[str, Any] | None = None
        self.certificate_map: CertificateMapObserved | None = None
        self.backends: list[BackendObserved] = []
        self.runs: list[RunObserved] = []
        self.redirect: RedirectObserved | None = None
        self.frontends: list[FrontendObserved] = []
        self.ssl_certificates: dict[str, dict[str, Any] | None] | None = None

    def done(self) -> LoadBalancerObserved:
        return LoadBalancerObserved(
            self.project,
            self.region,
            self.address,
            self.rule,
            self.proxy,
            self.url_map,
            tuple(self.backends),
            self.redirect,
            self.lb_region,
            self.certificate_map,
            tuple(self.runs),
            tuple(self.frontends),
            self.ssl_certificates,
        )


class _Compute:
    """The probe's compute reads, all in the check's project (``project:``, else the gate's)."""

    def __init__(self, reader: Reader, project: str) -> None:
        self.reader, self.project = reader, project

    async def __call__(
        self, collection: str, name: str, region: str | None = None
    ) -> dict[str, Any] | None:
        """One resource by name (global, or regional in ``region``); None: 404."""
        return await self.reader.get_or_none(
            reads.get_compute, collection, name, region, project=self.project
        )

    async def url(self, collection: str, url: str) -> dict[str, Any] | None:
        """The resource a URL names, global or regional as the URL says, in the URL's project;
        None when the URL is empty (the field is unset: nothing to read)."""
        if not short(url):
            return None
        return await self.reader.get_or_none(
            reads.get_compute,
            collection,
            short(url),
            _region_in(url),
            project=_project_in(url) or self.project,
        )


@dataclass(frozen=True)
class _Scope:
    """Global or regional: resource paths, adjectives and gcloud flags that fit."""

    region: str | None

    @property
    def flag(self) -> str:
        return f"--region={self.region}" if self.region else "--global"

    def where(self, collection: str, name: str) -> str:
        return (
            f"regions/{self.region}/{collection}/{name}" if self.region else f"{collection}/{name}"
        )


def _same_url(a: str, b: str) -> bool:
    """Two resource URLs or paths name the same resource (``https://…/compute/v1/`` prefix,
    partial paths and trailing slashes aside)."""

    def key(url: str) -> str:
        return url.split("/compute/v1/", 1)[-1].strip("/")

    ka, kb = key(a), key(b)
    return bool(ka and kb) and (ka == kb or ka.endswith("/" + kb) or kb.endswith("/" + ka))


def _proxy_differs(main: dict[str, Any] | None, other: dict[str, Any] | None) -> str:
    """Why another target HTTPS proxy does not serve what the main one does ('' when it does:
    the same URL map, certificate map and certificates)."""
    if other is None:
        return "a target HTTPS proxy that does not exist"
    main = main or {}
    if not _same_url(str(main.get("urlMap", "")), str(other.get("urlMap", ""))):
        return f"whose URL map is {short(other.get('urlMap')) or '(none)'}"
    if short(main.get("certificateMap")) != short(other.get("certificateMap")):
        return f"whose certificate map is {short(other.get('certificateMap')) or '(none)'}"
    if not main.get("certificateMap"):
        mine = sorted(short(c) for c in main.get("sslCertificates", []))
        theirs = sorted(short(c) for c in other.get("sslCertificates", []))
        if mine != theirs:
            return f"whose certificates are {', '.join(theirs) or '(none)'}"
    return ""


def _sni_name(host: str) -> str:
    """``API.example.com.:8443`` -> ``api.example.com`` (an IPv6 literal keeps its colons)."""
    name = host.strip().lower()
    if not name.startswith("[") and name.count(":") == 1:
        name = name.split(":", 1)[0]
    return name.rstrip(".")


def _project_in(url: str | None) -> str | None:
    """The project of a resource URL or name (``…/projects/P/…``), else None."""
    text = url or ""
    if "projects/" not in text:
        return None
    return text.split("projects/", 1)[1].split("/", 1)[0] or None


def _region_in(url: str | None) -> str | None:
    """The region of a regional resource's URL or path (``…/regions/R/…``), else None."""
    text = url or ""
    if "regions/" not in text:
        return None
    return text.split("regions/", 1)[1].split("/", 1)[0] or None


def same_ip(expected: str | None, actual: str | None) -> bool:
    """Two IP addresses are the same by value (``2001:db8::1`` == ``2001:0db8:0:0:0:0:0:1``);
    an ``actual`` written as a range (``2600:1901::/96``) holds ``expected``."""
    if not expected or not actual:
        return False
    try:
        want = ipaddress.ip_address(expected.strip())
        if "/" in actual:
            return want in ipaddress.ip_network(actual.strip(), strict=False)
        return want == ipaddress.ip_address(actual.strip())
    except ValueError:
        return expected.strip().lower() == actual.strip().lower()


def _describe(dest: Destination) -> str:
    """A routing result in the words of the routing link (``netra-backend``, ``redirect …``)."""
    if dest.kind == "backend":
        parts = []
        for t in dest.targets:
            text = f"bucket {t.name}" if t.is_bucket else t.name
            parts.append(text + (f" (weight {t.weight})" if t.weight is not None else ""))
        return ", ".join(parts)
    return dest.describe()


def _https_redirect(dest: Destination) -> bool:
    return dest.kind == "redirect" and bool((dest.redirect or {}).get("httpsRedirect"))


def _neg_groups(svc: dict[str, Any]) -> list[str]:
    """The backend service's global and regional network endpoint group URLs (serverless and
    internet NEGs), in its backends' order; zonal NEGs and instance groups are not read."""
    groups = [str(b.get("group", "")) for b in svc.get("backends", [])]
    return [g for g in groups if "/networkEndpointGroups/" in g and "/zones/" not in g]


def _neg_region(group: str) -> str:
    """The region in a NEG's URL, or ``global``."""
    return _region_in(group) or "global"


def _mask_regex(template: str, label: str) -> str:
    out = []
    for part in re.split(r"(<service>|<tag>)", template):
        if part in ("<service>", "<tag>"):
            out.append(f"(?P<{part[1:-1]}>{label})")
        else:
            out.append(re.escape(part))
    return "".join(out)


def url_mask_match(mask: str, host: str, path: str) -> dict[str, str] | None:
    """``NetworkEndpointGroupCloudRun.urlMask`` applied to a request: the ``service``/``tag`` it
    parses (``<tag>.example.com/<service>`` on ``v1.example.com/api/x`` -> tag v1, service api),
    or None when the request does not fit the mask. The host part matches the whole host; the
    path part matches the leading path segments."""
    host_part, slash, path_part = mask.partition("/")
    found: dict[str, str] = {}
    if host_part:
        m = re.fullmatch(_mask_regex(host_part.lower(), r"[^./]+"), host.lower().rstrip("."))
        if m is None:
            return None
        found.update(m.groupdict())
    if slash:
        m = re.match(_mask_regex("/" + path_part.rstrip("/"), r"[^/]+") + r"(?:/|$)", path)
        if m is None:
            return None
        found.update(m.groupdict())
    return found


def _cloud_run_target(neg: dict[str, Any], host: str, path: str) -> tuple[str | None, str | None]:
    """The (Cloud Run service, tag) a serverless NEG sends one request to: ``cloudRun.service``
    and ``cloudRun.tag``, else what ``cloudRun.urlMask`` parses from the request."""
    cloud_run = neg.get("cloudRun") or {}
    service, tag = cloud_run.get("service"), cloud_run.get("tag")
    mask = cloud_run.get("urlMask")
    if mask:
        parsed = url_mask_match(str(mask), host, path)
        if parsed is None:
            return (service, tag) if service else (None, None)
        service = service or parsed.get("service")
        tag = tag or parsed.get("tag")
    return (str(service) if service else None, str(tag) if tag else None)


def _describe_neg(
    neg: dict[str, Any], resolved: list[tuple[_Request, str | None, str | None]]
) -> str:
    """``netra-backend`` / ``api (tag v1) via urlMask <tag>.x/<service>`` / the NEG's type."""
    cloud_run = neg.get("cloudRun") or {}
    if neg.get("networkEndpointType") != "SERVERLESS" or not cloud_run:
        return str(cloud_run.get("service") or neg.get("networkEndpointType", "?"))
    mask = cloud_run.get("urlMask")
    if not mask:
        tag = cloud_run.get("tag")
        return str(cloud_run.get("service", "?")) + (f" (tag {tag})" if tag else "")
    parts = []
    for request, service, tag in resolved:
        if service is None:
            parts.append(f"{request.label}: no service")
        else:
            parts.append(f"{request.label}: {service}" + (f" (tag {tag})" if tag else ""))
    return f"urlMask {mask}" + (f" [{'; '.join(parts)}]" if parts else "")


def _public_invoker(service: dict[str, Any], policy: dict[str, Any] | None) -> str:
    """Why anyone may invoke the service, or '' (``invokerIamDisabled``, or an unconditional
    ``allUsers`` binding of ``roles/run.invoker``)."""
    if service.get("invokerIamDisabled"):
        return "invokerIamDisabled"
    for binding in (policy or {}).get("bindings", []):
        if (
            binding.get("role") == INVOKER_ROLE
            and "allUsers" in binding.get("members", [])
            and not binding.get("condition")
        ):
            return f"allUsers has {INVOKER_ROLE}"
    return ""


def _has_port(port_range: str, port: int) -> bool:
    if not port_range:
        return True
    low, _, high = port_range.partition("-")
    try:
        return int(low) <= port <= int(high or low)
    except ValueError:
        return False
