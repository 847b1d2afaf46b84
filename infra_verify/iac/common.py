"""Shared pieces of plan checks: the run context, result building, and how GCP resources in a
plan connect (load balancer chain, Cloud Run attachments, network identity).

Attribute names follow the google provider's resource documentation
(hashicorp/terraform-provider-google ``website/docs/r/*.html.markdown``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from infra_verify.iac.plan import Plan, PlanResource, Value, short
from infra_verify.model import Observation, Outcome, Result, Status

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

ANN_CONNECTOR = "run.googleapis.com/vpc-access-connector"
ANN_EGRESS = "run.googleapis.com/vpc-access-egress"
ANN_SQL = "run.googleapis.com/cloudsql-instances"
ANN_INGRESS = "run.googleapis.com/ingress"


@dataclass
class PlanContext:
    """What plan checks share: the plan and how to name a resource's location."""

    plan: Plan
    where: Callable[[str], str] = field(default=lambda address: address)


def norm_host(name: str | None) -> str:
    """Lower-case DNS name without the trailing dot."""
    return (name or "").strip().lower().rstrip(".")


def text_values(values: Iterable[Value]) -> list[str]:
    """The known string values."""
    return [v.value for v in values if v.known and isinstance(v.value, str)]


def describe(values: Iterable[Value]) -> str:
    """All values, readable, comma-separated; ``(not declared)`` when there are none."""
    items = [v.describe() for v in values]
    return ", ".join(items) if items else "(not declared)"


def lifecycle_observations(
    ctx: PlanContext, resources: Iterable[PlanResource]
) -> list[Observation]:
    """A failing observation for each resource that the plan destroys or replaces."""
    out = []
    for res in resources:
        if res.lifecycle:
            out.append(
                Observation("lifecycle", "kept", res.lifecycle, False, ctx.where(res.address))
            )
    return out


def make_result(
    check_id: str,
    kind: str,
    observations: list[Observation],
    *,
    ok: str,
    fail: str | None = None,
    hint: str | None = None,
) -> Result:
    """PASS with ``ok`` when every observation holds, else FAIL (summary ``fail`` or the first miss)."""
    bad = [o for o in observations if not o.ok]
    if bad and all(o.property == "lifecycle" for o in bad):
        fail, hint = None, LIFECYCLE_HINT
    outcome = Outcome.judge(observations, ok=ok, hint=hint)
    summary = outcome.summary
    if outcome.status is Status.FAIL:
        summary = _failure_summary(observations, fail)
    return Result(
        id=check_id,
        kind=kind,
        status=outcome.status,
        summary=summary,
        observations=outcome.observations,
        hint=outcome.hint,
        attempts=1,
    )


LIFECYCLE_HINT = (
    "the plan destroys or replaces a resource the policy depends on: if that is intended, "
    "update the policy; if not, find the argument marked 'forces replacement' in terraform plan, "
    "or protect the resource (lifecycle { create_before_destroy = true } / prevent_destroy)"
)


def _failure_summary(observations: list[Observation], fail: str | None) -> str:
    bad = [o for o in observations if not o.ok]
    destroyed = [o for o in bad if o.property == "lifecycle"]
    if destroyed and not fail:
        o = destroyed[0]
        return f"{o.where} {o.actual}" + (f" (+{len(bad) - 1} more)" if len(bad) > 1 else "")
    if fail:
        return fail
    first = bad[0]
    text = f"{first.property}: expected {first.expected}, got {first.actual}"
    if first.where:
        text += f" (at {first.where})"
    return text + (f" (+{len(bad) - 1} more)" if len(bad) > 1 else "")


# --- networks -------------------------------------------------------------------------------


def network_keys(plan: Plan, res: PlanResource, path: str | tuple[str, ...]) -> set[str]:
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


def connector_network_keys(plan: Plan, connector: PlanResource) -> set[str]:
    """The network of a VPC connector: its ``network``, or its ``subnet``'s network."""
    keys = network_keys(plan, connector, "network")
    for sub in plan.linked(connector, "subnet.name", [SUBNETWORK]):
        keys |= network_keys(plan, sub, "network")
    return keys


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
        v = self.plan.first(self.res, "location")
        return v.value if v and v.known and isinstance(v.value, str) else None

    def connector_path(self) -> str | tuple[str, ...]:
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
        keys = network_keys(self.plan, self.res, "template.vpc_access.network_interfaces.network")
        for sub in self.plan.linked(
            self.res, "template.vpc_access.network_interfaces.subnetwork", [SUBNETWORK]
        ):
            keys |= network_keys(self.plan, sub, "network")
        return keys

    def sql_path(self) -> str | tuple[str, ...]:
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
            for r in self.plan.named([SQL], name.rsplit(":", 1)[-1]):
                found.setdefault(r.address, r)
        return list(found.values())

    def ingress(self) -> list[Value]:
        """The ingress setting."""
        path = "ingress" if self.v2 else self._ann(ANN_INGRESS, template=False)
        return self.plan.values(self.res, path)


def run_services(plan: Plan) -> list[RunService]:
    """Every Cloud Run service the plan keeps or creates."""
    return [RunService(plan, r) for r in plan.of_type(*RUN_TYPES)]


def sql_is_private(plan: Plan, sql: PlanResource) -> bool | None:
    """True when ``ipv4_enabled`` is false (no public IP); None when the plan does not say."""
    v = plan.first(sql, "settings.ip_configuration.ipv4_enabled")
    if v is None or not v.known or not isinstance(v.value, bool):
        return None
    return not v.value


def connector_region(plan: Plan, connector: PlanResource) -> str | None:
    """A connector's region when the plan knows it."""
    v = plan.first(connector, "region")
    return v.value if v and v.known and isinstance(v.value, str) else None


def region_of_link(text: str) -> str | None:
    """``projects/p/locations/REGION/connectors/c`` -> REGION."""
    parts = text.strip("/").split("/")
    if "locations" in parts:
        i = parts.index("locations")
        if i + 1 < len(parts):
            return parts[i + 1]
    return None


# --- the load balancer chain ------------------------------------------------------------------


@dataclass
class LoadBalancer:
    """A global external HTTPS load balancer as the plan declares it, from its forwarding rule."""

    plan: Plan
    rule: PlanResource

    def ip_values(self) -> list[Value]:
        """The forwarding rule's ``ip_address`` (literal or by reference)."""
        return self.plan.values(self.rule, "ip_address")

    def addresses(self) -> list[PlanResource]:
        """The google_compute_global_address resources the forwarding rule uses."""
        found = {r.address: r for r in self.plan.linked(self.rule, "ip_address", [GLOBAL_ADDRESS])}
        return list(found.values())

    def known_ips(self) -> set[str]:
        """IP addresses known at plan time (the forwarding rule's or its address resource's)."""
        ips = {_ip(v) for v in self.ip_values() if v.known}
        for addr in self.addresses():
            ips |= {_ip(v) for v in self.plan.values(addr, "address") if v.known}
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
        """Target HTTPS proxies behind the forwarding rule."""
        return self.plan.linked(self.rule, "target", [HTTPS_PROXY])

    def certificates(self) -> list[PlanResource]:
        """Compute SSL certificates and Certificate Manager certificates served by the proxies."""
        out: dict[str, PlanResource] = {}
        for proxy in self.proxies():
            for cert in self.plan.linked(proxy, "ssl_certificates", COMPUTE_CERTS):
                out[cert.address] = cert
            for cmap in self.plan.linked(proxy, "certificate_map", [CM_MAP]):
                for entry in self.plan.of_type(CM_MAP_ENTRY):
                    if cmap in self.plan.linked(entry, "map", [CM_MAP]):
                        for cert in self.plan.linked(entry, "certificates", [CM_CERT]):
                            out[cert.address] = cert
        return list(out.values())

    def certificate_maps(self) -> list[PlanResource]:
        """Certificate maps attached to the proxies."""
        out = {}
        for proxy in self.proxies():
            for cmap in self.plan.linked(proxy, "certificate_map", [CM_MAP]):
                out[cmap.address] = cmap
        return list(out.values())

    def url_maps(self) -> list[PlanResource]:
        """URL maps of the proxies."""
        out = {}
        for proxy in self.proxies():
            for um in self.plan.linked(proxy, "url_map", [URL_MAP]):
                out[um.address] = um
        return list(out.values())

    def backend_services(self) -> list[PlanResource]:
        """Backend services any URL map of this load balancer routes to."""
        out = {}
        for um in self.url_maps():
            for bs in self.plan.linked(um, None, [BACKEND_SERVICE]):
                out[bs.address] = bs
            for path in (
                "default_service",
                "path_matcher.default_service",
                "path_matcher.path_rule.service",
            ):
                for bs in self.plan.linked(um, path, [BACKEND_SERVICE]):
                    out[bs.address] = bs
        return list(out.values())

    def negs(self) -> list[PlanResource]:
        """Serverless network endpoint groups behind the backend services."""
        out = {}
        for bs in self.backend_services():
            for neg in self.plan.linked(bs, "backend.group", [NEG]):
                out[neg.address] = neg
        return list(out.values())

    def hosts(self) -> set[str]:
        """Host names the URL maps route (``host_rule.hosts``)."""
        out: set[str] = set()
        for um in self.url_maps():
            out |= {norm_host(h) for h in text_values(self.plan.values(um, "host_rule.hosts"))}
        return out


def load_balancers(plan: Plan, *, include_destroyed: bool = False) -> list[LoadBalancer]:
    """Every global forwarding rule in the plan, as a load balancer."""
    return [
        LoadBalancer(plan, r)
        for r in plan.of_type(FORWARDING_RULE, include_destroyed=include_destroyed)
    ]


def certificate_domains(plan: Plan, cert: PlanResource) -> list[Value]:
    """The domains of a managed certificate (compute or Certificate Manager) as declared."""
    return plan.values(cert, "managed.domains")


def _ip(v: Value) -> str | None:
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


def points_at(plan: Plan, record: PlanResource, lb: LoadBalancer) -> tuple[bool, list[Value]]:
    """Whether a DNS record's rrdatas reach the load balancer's address, and the rrdatas seen."""
    values = plan.values(record, "rrdatas")
    ips = lb.known_ips()
    ids = lb.identities()
    for v in values:
        if v.known and _ip(v) in ips:
            return True, values
        if v.source in ids:
            return True, values
    for ref in plan.references(record, "rrdatas"):
        if any(t.address in ids for t in plan.lookup(record.module, ref)):
            return True, values
    return False, values
