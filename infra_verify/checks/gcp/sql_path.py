"""``gcp.cloud_sql_path``: Cloud Run can reach Cloud SQL's private IP.

service -> VPC connector (READY, same region) or Direct VPC egress -> VPC network -> the Cloud
SQL instance's private IP on that same network, with egress that routes private ranges.
Where the gate itself runs inside the VPC (a private pool, a Cloud Run job), ``probe: true``
adds a PostgreSQL handshake to the private IP. The report shows which link is missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pydantic import Field

from infra_verify.check import Check
from infra_verify.checks.gcp.base import GcpCheck, Reader, not_found, short
from infra_verify.checks.gcp.cloud_run import service_connector, service_networks
from infra_verify.checks.gcp.cloud_sql import private_ip, private_network
from infra_verify.context import CheckContext
from infra_verify.errors import ProbeError, ProbeFailed
from infra_verify.gcp import reads
from infra_verify.model import Observation, Outcome, Status


@dataclass(frozen=True)
class SqlPathObserved:
    """What the gcp.cloud_sql_path probe read, link by link, and the handshake when it dialed."""

    project: str
    """The project read."""
    region: str
    """The service's region."""
    service: dict[str, Any] | None
    """The run v2 service as the REST API returns it; None: it does not exist (404), and
    nothing else was read."""
    instance: dict[str, Any] | None = None
    """The sqladmin v1 instance; None: it does not exist (404), or was not read."""
    connector: dict[str, Any] | None = None
    """The vpcaccess v1 connector the service names; None: it names none, or it does not
    exist (404; see ``service``'s ``template.vpcAccess.connector``)."""
    handshake: bytes | None = None
    """The first byte(s) of the answer to PostgreSQL's SSLRequest at the private IP; None:
    not dialed (``probe: false``, or the path is not configured), or it did not answer."""
    handshake_error: str | None = None
    """Why the private IP did not answer the SSLRequest, when it was dialed and did not."""


class GcpCloudSqlPath(GcpCheck):
    """The network path from a Cloud Run service to a Cloud SQL instance's private IP exists."""

    kind = "gcp.cloud_sql_path"

    service: str = Field(description="Cloud Run service name")
    instance: str = Field(description="Cloud SQL instance name")
    probe_: bool = Field(
        default=False,
        alias="probe",
        description="also do a PostgreSQL handshake to the private IP (only when the gate runs inside the VPC)",
    )
    port: int = Field(default=5432, description="database port for the probe")

    def subject(self) -> str:
        """service -> instance."""
        return f"{self.service} -> {self.instance}"

    def infer_edges(self, others: Sequence[Check]) -> Iterable[tuple[str, str]]:
        """After the service, its connector and the instance checks (the chain's links)."""
        for other in others:
            if (
                (
                    other.kind == "gcp.cloud_run_service"
                    and getattr(other, "service", None) == self.service
                )
                or (
                    other.kind == "gcp.cloud_sql_instance"
                    and getattr(other, "instance", None) == self.instance
                )
                or other.kind == "gcp.vpc_connector"
            ):
                yield other.id, "hard"

    async def probe(self, ctx: CheckContext) -> SqlPathObserved:
        """Read the service, the instance and the service's connector; with ``probe: true``, when
        the path is configured, send PostgreSQL's SSLRequest to the private IP."""
        budget = self.budget(ctx)
        reader = Reader(ctx, budget)
        region = self.region_for(ctx)
        svc = await reader.get_or_none(reads.get_run_service, region, self.service)
        if svc is None:
            return SqlPathObserved(reader.project, region, None)
        inst = await reader.get_or_none(reads.get_sql_instance, self.instance)
        if inst is None:
            return SqlPathObserved(reader.project, region, svc)
        connector_name = service_connector(svc)
        conn: dict[str, Any] | None = None
        if connector_name:
            conn_region = (
                connector_name.split("/locations/", 1)[1].split("/", 1)[0]
                if "/locations/" in connector_name
                else region
            )
            conn = await reader.get_or_none(reads.get_connector, conn_region, short(connector_name))
        observed = SqlPathObserved(reader.project, region, svc, inst, conn)
        if not self.probe_ or self._judge_path(observed).status is not Status.PASS:
            return observed  # dial only a configured path: the handshake adds to a PASS
        from infra_verify.checks.postgres import ssl_request

        try:
            answer = await ssl_request(private_ip(inst) or "", self.port, budget.remaining())
        except (ProbeError, ProbeFailed) as exc:
            return replace(observed, handshake_error=str(exc))
        return replace(observed, handshake=answer)

    def judge(self, observed: SqlPathObserved) -> Outcome:
        """The path's links, then (``probe: true``, path configured) the handshake."""
        outcome = self._judge_path(observed)
        if outcome.status is not Status.PASS or not self.probe_:
            return outcome
        return self._judge_handshake(observed, outcome, private_ip(observed.instance or {}) or "")

    def _judge_path(self, observed: SqlPathObserved) -> Outcome:
        """The configured path alone: the resources exist and every link holds."""
        svc, inst = observed.service, observed.instance
        if svc is None:
            return not_found(
                f"Cloud Run service {self.service} ({observed.region})",
                observed.project,
                "deploy the service",
            )
        if inst is None:
            return not_found(
                f"Cloud SQL instance {self.instance}", observed.project, "create the instance"
            )
        conn = observed.connector
        connector_name = service_connector(svc)
        if conn is None and connector_name:
            conn = {"name": connector_name, "state": "MISSING"}
        return self._judge_links(svc, conn, inst, observed.region)

    def _judge_links(
        self, svc: dict[str, Any], conn: dict[str, Any] | None, inst: dict[str, Any], region: str
    ) -> Outcome:
        """Each link of the path as an observation; the first missing link is the finding."""
        base = f"gcloud run services update {self.service} --region={region}"
        sql_net = short(private_network(inst))
        pip = private_ip(inst)
        direct = [short(n) for n in service_networks(svc)]
        links: list[tuple[Observation, str]] = []
        egress = ((svc.get("template") or {}).get("vpcAccess") or {}).get("egress", "")
        if conn is None and not direct:
            links.append(
                (
                    Observation(
                        "service VPC access",
                        "a VPC connector or Direct VPC egress",
                        "none",
                        False,
                        self.service,
                    ),
                    f"{base} --vpc-connector=CONNECTOR --vpc-egress=private-ranges-only",
                )
            )
        elif conn is not None:
            name = short(conn.get("name"))
            state = conn.get("state", "?")
            links.append(
                (
                    Observation(
                        "connector state", "READY", f"{name}: {state}", state == "READY", name
                    ),
                    f"gcloud compute networks vpc-access connectors describe {name} --region={region}",
                )
            )
            conn_region = (
                str(conn.get("name", "")).split("/locations/", 1)[-1].split("/", 1)[0]
                if "/locations/" in str(conn.get("name", ""))
                else region
            )
            links.append(
                (
                    Observation(
                        "connector region", region, conn_region, conn_region == region, name
                    ),
                    f"create a connector in {region}: a connector only serves services in its own region",
                )
            )
            links.append(
                (
                    Observation(
                        "connector network = Cloud SQL network",
                        sql_net or "(no private network)",
                        short(conn.get("network")) or "(none)",
                        bool(sql_net) and short(conn.get("network")) == sql_net,
                        name,
                    ),
                    f"the connector is on {short(conn.get('network'))} but Cloud SQL is on {sql_net or 'no private network'}: create a connector on {sql_net} and attach it",
                )
            )
        else:
            links.append(
                (
                    Observation(
                        "Direct VPC egress network = Cloud SQL network",
                        sql_net or "(no private network)",
                        ", ".join(direct),
                        bool(sql_net) and sql_net in direct,
                        self.service,
                    ),
                    f"{base} --network={sql_net} --subnet=SUBNET",
                )
            )
        links.append(
            (
                Observation(
                    "Cloud SQL private IP", "present", pip or "absent", bool(pip), self.instance
                ),
                f"gcloud sql instances patch {self.instance} --network={sql_net or 'NETWORK'}",
            )
        )
        links.append(
            (
                Observation(
                    "egress routes private ranges",
                    "PRIVATE_RANGES_ONLY or ALL_TRAFFIC",
                    egress or "(unset)",
                    egress in ("PRIVATE_RANGES_ONLY", "ALL_TRAFFIC"),
                    self.service,
                ),
                f"{base} --vpc-egress=private-ranges-only",
            )
        )
        obs = tuple(o for o, _ in links)
        bad = [(o, h) for o, h in links if not o.ok]
        if bad:
            o, hint = bad[0]
            return Outcome.failed(
                f"no path from {self.service} to {self.instance}: {o.property}: expected {o.expected}, got {o.actual}",
                obs,
                hint=hint,
            )
        return Outcome.passed(
            f"{self.service} reaches {self.instance} at {pip} via network {sql_net}", obs
        )

    def _judge_handshake(self, observed: SqlPathObserved, outcome: Outcome, ip: str) -> Outcome:
        if observed.handshake_error is not None:
            return Outcome.failed(
                f"the path is configured, but {ip}:{self.port} does not answer: {observed.handshake_error}",
                outcome.observations,
                hint="check firewall rules and that the gate runs inside the VPC",
            )
        answer = observed.handshake
        if answer is None:
            return Outcome.error(
                f"{outcome.summary}, but no PostgreSQL handshake with {ip}:{self.port} was recorded",
                outcome.observations,
                hint="probe: true needs the probe to dial the private IP; this is a bug in the probe",
            )
        ok = answer in (b"S", b"N", b"E")
        obs = (
            *outcome.observations,
            Observation("PostgreSQL handshake", "S or N", repr(answer), ok, f"{ip}:{self.port}"),
        )
        return Outcome.judge(
            obs,
            ok=f"{outcome.summary}; PostgreSQL answers",
            hint="something other than PostgreSQL answers there",
        )
