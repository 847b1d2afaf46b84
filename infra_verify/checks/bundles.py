"""Bundles: one call (or one policy entry) that returns the checks of a whole stack, with edges.

In code::

    from infra_verify.checks.bundles import cloud_run_behind_load_balancer
    checks = cloud_run_behind_load_balancer(
        hosts=["api.example.com"], ip="203.0.113.10", certificate="web-cert",
        forwarding_rule="web-https", service="backend", region="us-central1",
        connector="backend-connector", sql_instance="backend-db", zone="example-zone",
    )
    Gate(checks).run()

In a policy, the same keys under one entry; its checks get ids prefixed with the entry's id
(``stack.dns-api``, ``stack.load-balancer``, ...)::

    checks:
      stack: {kind: bundle.cloud_run_https, hosts: [api.example.com], ip: 203.0.113.10, ...}

The ids inside a bundle: ``dns-records``, ``certificate``, ``load-balancer``, ``run-service``,
``vpc-connector``, ``cloud-sql``, ``sql-path``, and per host (named by its first label, e.g.
``api``): ``dns-api``, ``tls-api``, ``health-api`` and, with ``websocket_path``, ``ws-api``.
The hard edges are written into ``after:`` (so the set stands alone even without inference);
the soft ones (live DNS explained by Cloud DNS, the certificate by DNS) are inferred as usual.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from infra_verify.check import Check, definition_error
from infra_verify.checks.dns import Dns
from infra_verify.checks.gcp.certificate import GcpManagedCertificate
from infra_verify.checks.gcp.cloud_run import GcpCloudRunService
from infra_verify.checks.gcp.cloud_sql import GcpCloudSqlInstance
from infra_verify.checks.gcp.dns_record import GcpDnsRecord
from infra_verify.checks.gcp.load_balancer import GcpLoadBalancer
from infra_verify.checks.gcp.sql_path import GcpCloudSqlPath
from infra_verify.checks.gcp.vpc_connector import GcpVpcConnector
from infra_verify.checks.http import Http
from infra_verify.checks.tls import Tls
from infra_verify.checks.websocket import WebSocket
from infra_verify.durations import Duration

__all__ = ["Bundle", "CloudRunHttps", "cloud_run_behind_load_balancer"]


class Bundle(BaseModel):
    """Base of bundle kinds: strict keys, and ``checks(id_prefix)`` to expand into checks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ClassVar[str] = ""

    def checks(self, id_prefix: str = "") -> list[Check]:
        """The checks this bundle stands for."""
        raise NotImplementedError


class CloudRunHttps(Bundle):
    """A Cloud Run service behind a global HTTPS load balancer, with its DNS, certificate and SQL."""

    kind: ClassVar[str] = "bundle.cloud_run_https"
    hosts: tuple[str, ...] = Field(min_length=1, description="hostnames served by the stack")
    ip: str = Field(description="the load balancer's IP; every host's A record points at it")
    certificate: str = Field(description="managed certificate name (covers every host)")
    forwarding_rule: str = Field(description="the HTTPS (port 443) global forwarding rule")
    service: str = Field(description="Cloud Run service name")
    region: str | None = Field(default=None, description="region (default: gcp.region)")
    project: str | None = Field(
        default=None,
        description="project of the Cloud SQL connection name (PROJECT:REGION:INSTANCE)",
    )
    zone: str | None = Field(
        default=None, description="Cloud DNS managed zone; without it no gcp.dns_record check"
    )
    address: str | None = Field(default=None, description="reserved global address name")
    backend_service: str | None = Field(default=None, description="expected backend service")
    http_redirect_rule: str | None = Field(
        default=None, description="port-80 forwarding rule that must redirect to HTTPS"
    )
    ingress: str | None = Field(default=None, description="expected Cloud Run ingress setting")
    image: str | None = Field(
        default=None,
        description="the deployed image (tag or digest): it must serve the Cloud Run traffic",
    )
    connector: str | None = Field(
        default=None, description="Serverless VPC Access connector; without it no connector check"
    )
    egress: str = Field(
        default="private-ranges-only", description="expected VPC egress when a connector is set"
    )
    network: str | None = Field(default=None, description="VPC network of connector and SQL")
    sql_instance: str | None = Field(
        default=None, description="Cloud SQL instance; without it no SQL or path check"
    )
    database_version: str | None = Field(default=None, description="e.g. POSTGRES_15")
    private_ip: bool | None = Field(default=True, description="Cloud SQL must have a private IP")
    ssl_mode: str | None = Field(default=None, description="e.g. ENCRYPTED_ONLY")
    port: int = Field(default=443, ge=1, le=65535, description="HTTPS port of the hosts")
    authoritative: bool = Field(
        default=True, description="live DNS also asks the zone's authoritative servers"
    )
    nameserver_port: int = Field(default=53, description="port of the authoritative servers")
    min_days_valid: int = Field(default=14, description="certificate days left, at least")
    health_path: str = Field(default="/health", description="path requested on every host")
    health_status: tuple[int, ...] = Field(default=(200,), description="expected status(es)")
    max_latency: Duration | None = Field(default=None, description="slowest health response")
    websocket_path: str | None = Field(
        default=None, description="also open a WebSocket at this path on every host"
    )
    timeout: Duration | None = Field(default=None, description="per-probe timeout of every check")

    @field_validator("health_status", mode="before")
    @classmethod
    def _status(cls, v: Any) -> Any:
        return (v,) if isinstance(v, int) and not isinstance(v, bool) else v

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        hosts = tuple(h.lower().rstrip(".") for h in v)
        if len(set(hosts)) != len(hosts):
            raise ValueError("lists a host twice")
        return hosts

    def labels(self) -> dict[str, str]:
        """Each host's short name in ids: its first label, or the whole name when those clash."""
        firsts = [h.split(".", 1)[0] for h in self.hosts]
        unique = len(set(firsts)) == len(firsts)
        return {
            h: (f if unique else h.replace(".", "-"))
            for h, f in zip(self.hosts, firsts, strict=True)
        }

    def checks(self, id_prefix: str = "") -> list[Check]:
        """The stack's checks, ids prefixed with ``id_prefix.`` when one is given."""

        def cid(name: str) -> str:
            return f"{id_prefix}.{name}" if id_prefix else name

        common: dict[str, Any] = {"timeout": self.timeout}
        gcp: dict[str, Any] = {**common, "region": self.region}
        out: list[Check] = []
        if self.zone:
            out.append(
                GcpDnsRecord(
                    id=cid("dns-records"),
                    zone=self.zone,
                    names=self.hosts,
                    type="A",
                    rrdatas=(self.ip,),
                    **common,
                )
            )
        out.append(
            GcpManagedCertificate(
                id=cid("certificate"),
                name=self.certificate,
                domains=self.hosts,
                min_days_valid=self.min_days_valid,
                **common,
            )
        )
        out.append(
            GcpLoadBalancer(
                id=cid("load-balancer"),
                forwarding_rule=self.forwarding_rule,
                address=self.address,
                ip=self.ip,
                certificate=self.certificate,
                hosts=self.hosts,
                backend_service=self.backend_service,
                cloud_run_service=self.service,
                http_redirect_rule=self.http_redirect_rule,
                **common,
            )
        )
        sql_names: tuple[str, ...] = ()
        if self.sql_instance and self.project:
            region = self.region or "us-central1"
            sql_names = (f"{self.project}:{region}:{self.sql_instance}",)
        out.append(
            GcpCloudRunService(
                id=cid("run-service"),
                service=self.service,
                ingress=self.ingress,
                connector=self.connector,
                egress=self.egress if self.connector else None,
                cloud_sql_instances=sql_names,
                image=self.image,
                **gcp,
            )
        )
        path_after = [cid("run-service")]
        if self.connector:
            out.append(
                GcpVpcConnector(
                    id=cid("vpc-connector"), connector=self.connector, network=self.network, **gcp
                )
            )
            path_after.append(cid("vpc-connector"))
        if self.sql_instance:
            out.append(
                GcpCloudSqlInstance(
                    id=cid("cloud-sql"),
                    instance=self.sql_instance,
                    database_version=self.database_version,
                    private_ip=self.private_ip,
                    network=self.network,
                    ssl_mode=self.ssl_mode,
                    **gcp,
                )
            )
            path_after.append(cid("cloud-sql"))
            out.append(
                GcpCloudSqlPath(
                    id=cid("sql-path"),
                    service=self.service,
                    instance=self.sql_instance,
                    after=tuple(path_after),
                    **gcp,
                )
            )
        labels = self.labels()
        for host in self.hosts:
            out.append(
                Dns(
                    id=cid(f"dns-{labels[host]}"),
                    name=host,
                    expect=(self.ip,),
                    authoritative=self.authoritative,
                    nameserver_port=self.nameserver_port,
                    zone=self.zone,
                    **common,
                )
            )
        for host in self.hosts:
            out.append(
                Tls(
                    id=cid(f"tls-{labels[host]}"),
                    host=host,
                    port=self.port,
                    min_days_valid=self.min_days_valid,
                    after=(cid(f"dns-{labels[host]}"),),
                    **common,
                )
            )

        def netloc(host: str) -> str:
            return host if self.port == 443 else f"{host}:{self.port}"

        for host in self.hosts:
            live = [cid(f"dns-{labels[host]}"), cid(f"tls-{labels[host]}")]
            out.append(
                Http(
                    id=cid(f"health-{labels[host]}"),
                    url=f"https://{netloc(host)}{self.health_path}",
                    status=self.health_status,
                    max_latency=self.max_latency,
                    after=tuple(live),
                    **common,
                )
            )
            if self.websocket_path:
                out.append(
                    WebSocket(
                        id=cid(f"ws-{labels[host]}"),
                        url=f"wss://{netloc(host)}{self.websocket_path}",
                        after=tuple(live),
                        **common,
                    )
                )
        return out


def cloud_run_behind_load_balancer(
    *,
    hosts: Sequence[str],
    ip: str,
    certificate: str,
    forwarding_rule: str,
    service: str,
    region: str | None = None,
    connector: str | None = None,
    sql_instance: str | None = None,
    zone: str | None = None,
    id_prefix: str = "",
    **options: Any,
) -> list[Check]:
    """The checks of a Cloud Run service behind an HTTPS load balancer (see CloudRunHttps's keys)."""
    try:
        bundle = CloudRunHttps(
            hosts=tuple(hosts),
            ip=ip,
            certificate=certificate,
            forwarding_rule=forwarding_rule,
            service=service,
            region=region,
            connector=connector,
            sql_instance=sql_instance,
            zone=zone,
            **options,
        )
    except ValidationError as exc:
        raise definition_error(CloudRunHttps, exc) from None
    return bundle.checks(id_prefix)
