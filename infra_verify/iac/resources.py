"""The typed view of a plan's GCP resources: what each resource type is for, how they connect
(load balancer chain, Cloud Run attachments, network identity), and small value helpers.

Attribute names follow the google provider's resource documentation
(hashicorp/terraform-provider-google ``website/docs/r/*.html.markdown``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from infra_verify.iac.plan import AttrPath, Plan, PlanResource, Value, short

# Resource types, by role.
FORWARDING_RULE = "google_compute_global_forwarding_rule"
GLOBAL_ADDRESS = "google_compute_global_address"
HTTPS_PROXY = "google_compute_target_https_proxy"
URL_MAP = "google_compute_url_map"
BACKEND_SERVICE = "google_compute_backend_service"
NEG = "google_compute_region_network_endpoint_group"
MANAGED_CERT = "google_compute_managed_ssl_certificate"
SSL_CERT = "google_compute_ssl_certificate"
CM_CERT = "google_certificate_manager_certificate"
CM_MAP = "google_certificate_manager_certificate_map"
CM_MAP_ENTRY = "google_certificate_manager_certificate_map_entry"
DNS_RECORD = "google_dns_record_set"
DNS_ZONE = "google_dns_managed_zone"
RUN_V2 = "google_cloud_run_v2_service"
RUN_V1 = "google_cloud_run_service"
CONNECTOR = "google_vpc_access_connector"
SQL = "google_sql_database_instance"
NETWORK = "google_compute_network"
SUBNETWORK = "google_compute_subnetwork"
COMPUTE_CERTS = (MANAGED_CERT, SSL_CERT)
RUN_TYPES = (RUN_V2, RUN_V1)
# The regional external Application Load Balancer's counterparts of the global types.
REGION_FORWARDING_RULE = "google_compute_forwarding_rule"
REGION_ADDRESS = "google_compute_address"
REGION_HTTPS_PROXY = "google_compute_region_target_https_proxy"
REGION_URL_MAP = "google_compute_region_url_map"
REGION_BACKEND_SERVICE = "google_compute_region_backend_service"
REGION_SSL_CERT = "google_compute_region_ssl_certificate"
FORWARDING_RULES = (FORWARDING_RULE, REGION_FORWARDING_RULE)
ADDRESSES = (GLOBAL_ADDRESS, REGION_ADDRESS)
HTTPS_PROXIES = (HTTPS_PROXY, REGION_HTTPS_PROXY)
URL_MAPS = (URL_MAP, REGION_URL_MAP)
BACKEND_SERVICES = (BACKEND_SERVICE, REGION_BACKEND_SERVICE)
LB_CERTS = (*COMPUTE_CERTS, REGION_SSL_CERT)

ANN_CONNECTOR = "run.googleapis.com/vpc-access-connector"
ANN_EGRESS = "run.googleapis.com/vpc-access-egress"
ANN_SQL = "run.googleapis.com/cloudsql-instances"
ANN_INGRESS = "run.googleapis.com/ingress"

SQL_PRIVATE_NETWORK = "settings.ip_configuration.private_network"


# --- values -----------------------------------------------------------------------------------


def norm_host(name: str | None) -> str:
    """Lower-case DNS name without the trailing dot."""
    return (name or "").strip().lower().rstrip(".")


def same_host(a: str, b: str) -> bool:
    """True when two texts are the same DNS name (case and trailing dot ignored)."""
    return norm_host(a) == norm_host(b)


def text_values(values: Iterable[Value]) -> list[str]:
    """The known string values."""
    return [v.value for v in values if v.known and isinstance(v.value, str)]


def describe(values: Iterable[Value]) -> str:
    """All values, readable, comma-separated; ``(not declared)`` when there are none."""
    items = [v.describe() for v in values]
    return ", ".join(items) if items else "(not declared)"


def first_text(plan: Plan, res: PlanResource, path: AttrPath) -> str | None:
    """The first value at ``path`` when it is a string known at plan time."""
    v = plan.first(res, path)
    return v.value if v is not None and v.known and isinstance(v.value, str) else None


def gcp_names(resources: Iterable[PlanResource]) -> list[str]:
    """The resources' ``name`` arguments (their addresses when unnamed), sorted, each once."""
    return sorted({r.gcp_name or r.address for r in resources})


def kept_or_first(found: Sequence[PlanResource]) -> list[PlanResource]:
    """The resources that exist after apply; else the first one (destroyed), to report on."""
    return [r for r in found if r.exists_after] or list(found[:1])


def ip_of(v: Value) -> str | None:
    """The value as a normalised IP address, or None when it is not one."""
    if not isinstance(v.value, str):
        return None
    try:
        return str(ipaddress.ip_address(v.value.strip()))
    except ValueError:
        return None


def same_ip(a: str, b: str) -> bool:
    """True when two texts are the same IP address."""
    try:
        return ipaddress.ip_address(a.strip()) == ipaddress.ip_address(b.strip())
    except ValueError:
        return a.strip() == b.strip()


def region_of_link(text: str) -> str | None:
    """``projects/p/locations/REGION/connectors/c`` -> REGION."""
    parts = text.strip("/").split("/")
    if "locations" in parts:
        i = parts.index("locations")
        if i + 1 < len(parts):
            return parts[i + 1]
    return None


# --- DNS --------------------------------------------------------------------------------------


def record_sets(plan: Plan, name: str, *, include_destroyed: bool = False) -> list[PlanResource]:
    """The google_dns_record_set resources declaring DNS name ``name`` (any record type)."""
    return [
        r
        for r in plan.of_type(DNS_RECORD, include_destroyed=include_destroyed)
        if norm_host(first_text(plan, r, "name")) == norm_host(name)
    ]


def record_type(plan: Plan, record: PlanResource) -> str | None:
    """A record set's ``type`` when known (``A``, ``AAAA``, ``CNAME``, ...)."""
    return first_text(plan, record, "type")


# --- networks -------------------------------------------------------------------------------


def network_keys(plan: Plan, res: PlanResource, path: AttrPath) -> set[str]:
    """Names identifying the VPC network an attribute designates (literal or by reference)."""
    keys: set[str] = set()
    for v in plan.values(res, path):
        if v.source and v.source in plan.resources:
            src = plan.resources[v.source]
            if src.type == NETWORK:
                keys.add(src.gcp_name or src.address)
                continue
        if v.known and isinstance(v.value, str) and v.value:
            keys.add(short(v.value))
    for net in plan.linked(res, path, [NETWORK]):
        keys.add(net.gcp_name or net.address)
    return keys


def subnet_network_keys(plan: Plan, res: PlanResource, path: AttrPath) -> set[str]:
    """The networks of the subnetworks an attribute designates."""
    keys: set[str] = set()
    for sub in plan.linked(res, path, [SUBNETWORK]):
        keys |= network_keys(plan, sub, "network")
    return keys


def connector_network_keys(plan: Plan, connector: PlanResource) -> set[str]:
    """The network of a VPC connector: its ``network``, or its ``subnet``'s network."""
    return network_keys(plan, connector, "network") | subnet_network_keys(
        plan, connector, "subnet.name"
    )


def connector_region(plan: Plan, connector: PlanResource) -> str | None:
    """A connector's region when the plan knows it."""
    return first_text(plan, connector, "region")


# --- Cloud SQL --------------------------------------------------------------------------------


def sql_network_keys(plan: Plan, sql: PlanResource) -> set[str]:
    """The VPC network of a Cloud SQL instance's private IP (``private_network``)."""
    return network_keys(plan, sql, SQL_PRIVATE_NETWORK)


def sql_is_private(plan: Plan, sql: PlanResource) -> bool | None:
    """True when ``ipv4_enabled`` is false (no public IP); None when the plan does not say."""
    v = plan.first(sql, "settings.ip_configuration.ipv4_enabled")
    if v is None or not v.known or not isinstance(v.value, bool):
        return None
    return not v.value


def sql_name(instance: str) -> str:
    """``project:region:name`` (or ``name``) -> name."""
    return instance.rsplit(":", 1)[-1]


# --- Cloud Run --------------------------------------------------------------------------------


@dataclass
class RunService:
    """A Cloud Run service in the plan (v2 or v1 resource) and its attachments."""

    plan: Plan
    res: PlanResource

    @property
    def v2(self) -> bool:
        """True for google_cloud_run_v2_service."""
        return self.res.type == RUN_V2

    def _ann(self, key: str, *, template: bool = True) -> tuple[str, ...]:
        base = ("template", "metadata", "annotations") if template else ("metadata", "annotations")
        return (*base, key)

    def _typed(self, values: list[Value], rtype: str) -> list[Value]:
        """v1 annotations are one map expression; keep values that came from ``rtype`` or literals."""
        out = []
        for v in values:
            src = self.plan.resources.get(v.source or "")
            if (src is None and v.via is None) or (src is not None and src.type == rtype):
                out.append(v)
        return out

    @property
    def location(self) -> str | None:
        """The region the service runs in."""
        return first_text(self.plan, self.res, "location")

    def connector_path(self) -> AttrPath:
        """Where the connector is declared."""
        return "template.vpc_access.connector" if self.v2 else self._ann(ANN_CONNECTOR)

    def connector_values(self) -> list[Value]:
        """The connector as declared (name, id, or by reference)."""
        values = self.plan.values(self.res, self.connector_path())
        return values if self.v2 else self._typed(values, CONNECTOR)

    def connectors(self) -> list[PlanResource]:
        """The VPC connectors of this plan the service uses."""
        return self.plan.linked(self.res, self.connector_path(), [CONNECTOR])

    def egress(self) -> list[Value]:
        """The VPC egress setting."""
        path = "template.vpc_access.egress" if self.v2 else self._ann(ANN_EGRESS)
        values = self.plan.values(self.res, path)
        return values if self.v2 else [v for v in values if v.via is None]

    def direct_vpc_keys(self) -> set[str]:
        """The network of Direct VPC egress (v2 ``network_interfaces``), as network names."""
        if not self.v2:
            return set()
        interfaces = "template.vpc_access.network_interfaces"
        return network_keys(self.plan, self.res, f"{interfaces}.network") | subnet_network_keys(
            self.plan, self.res, f"{interfaces}.subnetwork"
        )

    def sql_path(self) -> AttrPath:
        """Where the Cloud SQL attachment is declared."""
        return "template.volumes.cloud_sql_instance.instances" if self.v2 else self._ann(ANN_SQL)

    def sql_values(self) -> list[Value]:
        """The Cloud SQL connection names as declared (v1: the comma-separated annotation, split)."""
        values = self.plan.values(self.res, self.sql_path())
        if self.v2:
            return values
        out: list[Value] = []
        for v in self._typed(values, SQL):
            if v.known and isinstance(v.value, str):
                out.extend(
                    Value(p.strip(), via=v.via, source=v.source)
                    for p in v.value.split(",")
                    if p.strip()
                )
            else:
                out.append(v)
        return out

    def sql_instances(self) -> list[PlanResource]:
        """The Cloud SQL instances of this plan the service attaches."""
        found = {r.address: r for r in self.plan.linked(self.res, self.sql_path(), [SQL])}
        for name in text_values(self.sql_values()):
            for r in self.plan.named([SQL], sql_name(name)):
                found.setdefault(r.address, r)
        return list(found.values())

    def ingress(self) -> list[Value]:
        """The ingress setting."""
        path = "ingress" if self.v2 else self._ann(ANN_INGRESS, template=False)
        return self.plan.values(self.res, path)


def run_services(plan: Plan) -> list[RunService]:
    """Every Cloud Run service the plan keeps or creates."""
    return [RunService(plan, r) for r in plan.of_type(*RUN_TYPES)]


def find_run_service(
    plan: Plan, name: str, region: str | None
) -> tuple[list[PlanResource], RunService | None]:
    """The Cloud Run resources named ``name`` (in ``region`` when several), and the one to judge."""
    found = plan.named(RUN_TYPES, name)
    if region and len(found) > 1:
        found = [r for r in found if first_text(plan, r, "location") == region] or found
    chosen = kept_or_first(found)
    return found, RunService(plan, chosen[0]) if chosen else None


# --- the load balancer chain ------------------------------------------------------------------


def _unique(resources: Iterable[PlanResource]) -> list[PlanResource]:
    return list({r.address: r for r in resources}.values())


@dataclass
class LoadBalancer:
    """An external HTTPS load balancer (global, or regional: ``google_compute_forwarding_rule``
    -> ``google_compute_region_target_https_proxy`` -> …) as the plan declares it, from its
    forwarding rule."""

    plan: Plan
    rule: PlanResource

    def ip_values(self) -> list[Value]:
        """The forwarding rule's ``ip_address`` (literal or by reference)."""
        return self.plan.values(self.rule, "ip_address")

    def addresses(self) -> list[PlanResource]:
        """The address resources (global or regional) the forwarding rule uses."""
        return _unique(self.plan.linked(self.rule, "ip_address", ADDRESSES))

    def known_ips(self) -> set[str]:
        """IP addresses known at plan time (the forwarding rule's or its address resource's)."""
        ips = {ip_of(v) for v in self.ip_values() if v.known}
        for addr in self.addresses():
            ips |= {ip_of(v) for v in self.plan.values(addr, "address") if v.known}
        return {ip for ip in ips if ip}

    def identities(self) -> set[str]:
        """Resource addresses that stand for this load balancer's IP in references."""
        return {self.rule.address} | {a.address for a in self.addresses()}

    def describe_ip(self) -> str:
        """The load balancer's address, readable."""
        ips = sorted(self.known_ips())
        if ips:
            return ", ".join(ips)
        addrs = [f"{a.address}.address" for a in self.addresses()]
        return ", ".join(addrs) or f"{self.rule.address}.ip_address (ephemeral)"

    def proxies(self) -> list[PlanResource]:
        """Target HTTPS proxies (global or regional) behind the forwarding rule."""
        return self.plan.linked(self.rule, "target", HTTPS_PROXIES)

    def certificates(self) -> list[PlanResource]:
        """Compute SSL certificates and Certificate Manager certificates served by the proxies."""
        out: list[PlanResource] = []
        for proxy in self.proxies():
            out += self.plan.linked(proxy, "ssl_certificates", LB_CERTS)
            for cmap in self.plan.linked(proxy, "certificate_map", [CM_MAP]):
                for entry in self.plan.of_type(CM_MAP_ENTRY):
                    if cmap in self.plan.linked(entry, "map", [CM_MAP]):
                        out += self.plan.linked(entry, "certificates", [CM_CERT])
        return _unique(out)

    def certificate_maps(self) -> list[PlanResource]:
        """Certificate maps attached to the proxies."""
        return self._behind(self.proxies(), ["certificate_map"], [CM_MAP])

    def certificate_map_entries(self) -> list[PlanResource]:
        """The entries (``google_certificate_manager_certificate_map_entry``) of those maps."""
        maps = {m.address for m in self.certificate_maps()}
        return [
            entry
            for entry in self.plan.of_type(CM_MAP_ENTRY)
            if any(m.address in maps for m in self.plan.linked(entry, "map", [CM_MAP]))
        ]

    def url_maps(self) -> list[PlanResource]:
        """URL maps (global or regional) of the proxies."""
        return self._behind(self.proxies(), ["url_map"], list(URL_MAPS))

    def backend_services(self) -> list[PlanResource]:
        """Backend services any URL map of this load balancer routes to."""
        paths = [None, "default_service", "path_matcher.default_service"]
        return self._behind(
            self.url_maps(), [*paths, "path_matcher.path_rule.service"], list(BACKEND_SERVICES)
        )

    def negs(self) -> list[PlanResource]:
        """Serverless network endpoint groups behind the backend services."""
        return self._behind(self.backend_services(), ["backend.group"], [NEG])

    def _behind(
        self, parents: list[PlanResource], paths: list[str | None], types: list[str]
    ) -> list[PlanResource]:
        """Resources of ``types`` that any parent's attribute at one of ``paths`` points at."""
        return _unique(
            res
            for parent in parents
            for path in paths
            for res in self.plan.linked(parent, path, types)
        )

    def hosts(self) -> set[str]:
        """Host names the URL maps route (``host_rule.hosts``)."""
        out: set[str] = set()
        for um in self.url_maps():
            out |= {norm_host(h) for h in text_values(self.plan.values(um, "host_rule.hosts"))}
        return out


def load_balancers(plan: Plan, *, include_destroyed: bool = False) -> list[LoadBalancer]:
    """Every global forwarding rule in the plan, and every regional one in front of a regional
    target HTTPS proxy, as a load balancer."""
    out = [
        LoadBalancer(plan, r)
        for r in plan.of_type(FORWARDING_RULE, include_destroyed=include_destroyed)
    ]
    for rule in plan.of_type(REGION_FORWARDING_RULE, include_destroyed=include_destroyed):
        if plan.linked(rule, "target", [REGION_HTTPS_PROXY]):
            out.append(LoadBalancer(plan, rule))
    return out


def certificate_domains(plan: Plan, cert: PlanResource) -> list[Value]:
    """The domains of a managed certificate (compute or Certificate Manager) as declared."""
    return plan.values(cert, "managed.domains")


def points_at(plan: Plan, record: PlanResource, lb: LoadBalancer) -> tuple[bool, list[Value]]:
    """Whether a DNS record's rrdatas reach the load balancer's address, and the rrdatas seen."""
    values = plan.values(record, "rrdatas")
    ips = lb.known_ips()
    ids = lb.identities()
    for v in values:
        if v.known and ip_of(v) in ips:
            return True, values
        if v.source in ids:
            return True, values
    for ref in plan.references(record, "rrdatas"):
        if any(t.address in ids for t in plan.lookup(record.module, ref)):
            return True, values
    return False, values
