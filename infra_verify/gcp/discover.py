"""The live walk behind ``init``: from a forwarding rule through the load balancer to Cloud SQL.

forwarding rule (the IP) -> target HTTPS proxy (the certificates) -> URL map (the hosts, the
backend services) -> serverless NEGs -> Cloud Run services (their VPC connectors and Cloud SQL
instances), and the Cloud DNS zone of the hosts' domain when the project has one. A forwarding
rule that is not global is looked for in the settings' region (a regional external Application
Load Balancer), and its chain is read where each link's URL points. Reads that fail are kept as
notes; only an unusable forwarding rule stops the walk (UsageError).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from infra_verify.errors import UsageError
from infra_verify.gcp import reads
from infra_verify.gcp.errors import GcpError, GcpNotFound


@dataclass
class Discovery:
    """What the walk found, in the API's own names."""

    project: str
    region: str
    forwarding_rule: str
    ip: str
    certificates: list[str] = field(default_factory=list)
    managed_domains: dict[str, list[str]] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=list)
    backend_services: list[str] = field(default_factory=list)
    services: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> REST service
    service_regions: dict[str, str] = field(default_factory=dict)
    service_backend: dict[str, str] = field(default_factory=dict)
    connectors: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> REST connector
    connector_regions: dict[str, str] = field(default_factory=dict)
    sql_instances: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> REST
    sql_of_service: dict[str, list[str]] = field(default_factory=dict)  # service -> instances
    sql_connections: dict[str, list[str]] = field(default_factory=dict)  # PROJECT:REGION:NAME
    zones: dict[str, list[str]] = field(default_factory=dict)  # zone name -> hosts in it
    notes: list[str] = field(default_factory=list)
    lb_region: str | None = None  # a regional load balancer's region; None: global


def short(link: str) -> str:
    """The last segment of a resource link."""
    return link.rstrip("/").rsplit("/", 1)[-1]


def region_of(link: str) -> str | None:
    """The region (or location) named in a resource link, if any."""
    parts = link.split("/")
    for key in ("regions", "locations"):
        if key in parts and parts.index(key) + 1 < len(parts):
            return parts[parts.index(key) + 1]
    return None


def url_map_services(url_map: dict[str, Any]) -> list[str]:
    """Every backend service a URL map names, in order, once."""
    links = [url_map.get("defaultService", "")]
    for matcher in url_map.get("pathMatchers", []):
        links.append(matcher.get("defaultService", ""))
        links.extend(rule.get("service", "") for rule in matcher.get("pathRules", []))
        links.extend(rule.get("service", "") for rule in matcher.get("routeRules", []))
    names = [short(link) for link in links if "/backendServices/" in link]
    return list(dict.fromkeys(names))


def discover(clients: Any, forwarding_rule: str, *, timeout: float) -> Discovery:
    """Walk the load balancer's chain; UsageError when the forwarding rule is not usable."""
    project = clients.project
    region = clients.settings.region
    lb_region: str | None = None
    try:
        try:
            rule = reads.get_forwarding_rule(clients, forwarding_rule, timeout=timeout)
        except GcpNotFound:  # a regional external Application Load Balancer?
            rule = reads.get_compute(
                clients, "forwardingRules", forwarding_rule, region, timeout=timeout
            )
            lb_region = region
    except GcpNotFound:
        raise UsageError(
            f"forwarding rule '{forwarding_rule}' not found in project '{project}', neither "
            f"global nor in region {region} (list them: gcloud compute forwarding-rules list; "
            "pass --region for a regional load balancer in another region)"
        ) from None
    except GcpError as exc:
        raise UsageError(f"cannot read forwarding rule '{forwarding_rule}': {exc}") from None
    target = str(rule.get("target", ""))
    if "/targetHttpsProxies/" not in target:
        raise UsageError(
            f"forwarding rule '{forwarding_rule}' targets {target or 'nothing'}, not a target "
            "HTTPS proxy; pass the HTTPS (port 443) forwarding rule"
        )
    found = Discovery(project, clients.settings.region, forwarding_rule, str(rule["IPAddress"]))

    def read(what: str, fn: Any, *args: str | None) -> dict[str, Any] | None:
        try:
            result: dict[str, Any] = fn(clients, *args, timeout=timeout)
            return result
        except GcpError as exc:
            found.notes.append(f"{what}: {exc}")
            return None

    found.lb_region = lb_region
    if lb_region:
        found.forwarding_rule = f"regions/{lb_region}/forwardingRules/{forwarding_rule}"
        return _discover_regional(found, read, target, clients, timeout)
    proxy = read("target HTTPS proxy", reads.get_target_https_proxy, short(target)) or {}
    found.certificates = [short(c) for c in proxy.get("sslCertificates", [])]
    if proxy.get("certificateMap"):
        found.notes.append(
            f"the proxy uses certificate map {short(proxy['certificateMap'])}: add "
            "gcp.managed_certificate checks with certificate_manager: true by hand"
        )
    for cert_name in found.certificates:
        cert = read(f"SSL certificate {cert_name}", reads.get_ssl_certificate, cert_name) or {}
        if cert.get("type") == "MANAGED":
            found.managed_domains[cert_name] = list((cert.get("managed") or {}).get("domains", []))
    url_map = read("URL map", reads.get_url_map, short(proxy.get("urlMap", ""))) or {}
    hosts = [h for rule_ in url_map.get("hostRules", []) for h in rule_.get("hosts", [])]
    found.hosts = list(dict.fromkeys(h for h in hosts if "*" not in h))
    if not found.hosts:
        found.hosts = list(dict.fromkeys(d for ds in found.managed_domains.values() for d in ds))
    found.backend_services = url_map_services(url_map)
    _walk_backends(found, read, reads)
    _find_zones(found, clients, timeout)
    return found


def _discover_regional(
    found: Discovery, read: Any, target: str, clients: Any, timeout: float
) -> Discovery:
    """The rest of the walk for a regional load balancer: every link read where its URL says."""

    def scoped(what: str, collection: str, link: str) -> dict[str, Any] | None:
        found_: dict[str, Any] | None = read(
            f"{what} {short(link)}", reads.get_compute, collection, short(link), region_of(link)
        )
        return found_

    proxy = scoped("target HTTPS proxy", "targetHttpsProxies", target) or {}
    found.certificates = [short(c) for c in proxy.get("sslCertificates", [])]
    url_map = scoped("URL map", "urlMaps", str(proxy.get("urlMap", ""))) or {}
    hosts = [h for rule_ in url_map.get("hostRules", []) for h in rule_.get("hosts", [])]
    found.hosts = list(dict.fromkeys(h for h in hosts if "*" not in h))
    found.backend_services = url_map_services(url_map)
    _walk_backends(found, read, reads)
    _find_zones(found, clients, timeout)
    return found


def _walk_backends(found: Discovery, read: Any, reads: Any) -> None:
    for backend_name in found.backend_services:
        if found.lb_region:  # a regional load balancer's backend services are regional
            backend = read(
                f"backend service {backend_name}",
                reads.get_compute,
                "backendServices",
                backend_name,
                found.lb_region,
            )
        else:
            backend = read(
                f"backend service {backend_name}", reads.get_backend_service, backend_name
            )
        for group in (backend or {}).get("backends", []):
            link = str(group.get("group", ""))
            region = region_of(link)
            if "/networkEndpointGroups/" not in link or region is None:
                continue
            neg = read(f"NEG {short(link)}", reads.get_region_neg, region, short(link)) or {}
            service = (neg.get("cloudRun") or {}).get("service")
            if not service:
                continue
            found.service_backend.setdefault(service, backend_name)
            found.service_regions[service] = region
            svc = read(f"Cloud Run service {service}", reads.get_run_service, region, service)
            if svc is None:
                continue
            found.services[service] = svc
            template = svc.get("template") or {}
            connector = (template.get("vpcAccess") or {}).get("connector")
            if connector and short(connector) not in found.connectors:
                c_region = region_of(connector) or region
                conn = read(
                    f"VPC connector {short(connector)}",
                    reads.get_connector,
                    c_region,
                    short(connector),
                )
                if conn is not None:
                    found.connectors[short(connector)] = conn
                    found.connector_regions[short(connector)] = c_region
            for volume in template.get("volumes", []):
                for conn_name in (volume.get("cloudSqlInstance") or {}).get("instances", []):
                    sql_project, _, instance = str(conn_name).rpartition(":")
                    if not sql_project.startswith(found.project + ":"):
                        found.notes.append(f"Cloud SQL {conn_name} is in another project: skipped")
                        continue
                    found.sql_of_service.setdefault(service, []).append(instance)
                    found.sql_connections.setdefault(service, []).append(str(conn_name))
                    if instance not in found.sql_instances:
                        inst = read(f"Cloud SQL {instance}", reads.get_sql_instance, instance)
                        if inst is not None:
                            found.sql_instances[instance] = inst


def _find_zones(found: Discovery, clients: Any, timeout: float) -> None:
    cache: dict[str, str | None] = {}
    for host in found.hosts:
        labels = host.rstrip(".").split(".")
        for i in range(1, len(labels) - 1):  # parent domain first, then its ancestors
            domain = ".".join(labels[i:])
            if domain not in cache:
                try:
                    zone = reads.find_managed_zone_by_dns_name(clients, domain, timeout=timeout)
                except GcpError as exc:
                    found.notes.append(f"Cloud DNS zones for {domain}: {exc}")
                    zone = None
                cache[domain] = str(zone["name"]) if zone else None
            if cache[domain]:
                found.zones.setdefault(str(cache[domain]), []).append(host)
                break
