"""``gcp.cloud_run_service`` (run v2): the service is Ready, not reconciling, serving its latest
revision, with the expected ingress, VPC connector (or Direct VPC egress) and Cloud SQL instances.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field

from infra_verify.checks.gcp.base import GcpCheck, normalize_enum, not_found, same_resource, short
from infra_verify.context import CheckContext
from infra_verify.gcp import reads
from infra_verify.model import Observation, Outcome

INGRESS = {
    "all": "INGRESS_TRAFFIC_ALL",
    "internal": "INGRESS_TRAFFIC_INTERNAL_ONLY",
    "internal-only": "INGRESS_TRAFFIC_INTERNAL_ONLY",
    "internal-and-cloud-load-balancing": "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
    "none": "INGRESS_TRAFFIC_NONE",
}
EGRESS = {
    "all-traffic": "ALL_TRAFFIC",
    "all": "ALL_TRAFFIC",
    "private-ranges-only": "PRIVATE_RANGES_ONLY",
}


def gcloud_value(value: str, aliases: dict[str, str]) -> str:
    """The gcloud flag value for a policy value given as a gcloud word or a REST enum name."""
    enum = normalize_enum(value, aliases)
    return next((k for k, v in aliases.items() if v == enum), value.lower())


def service_connector(svc: dict[str, Any]) -> str | None:
    """The service template's VPC connector (full name), if any."""
    return ((svc.get("template") or {}).get("vpcAccess") or {}).get("connector")


def service_networks(svc: dict[str, Any]) -> list[str]:
    """Networks of the service's Direct VPC egress interfaces."""
    vpc = (svc.get("template") or {}).get("vpcAccess") or {}
    return [i.get("network", "") for i in vpc.get("networkInterfaces", []) if i.get("network")]


def service_sql_instances(svc: dict[str, Any]) -> list[str]:
    """Cloud SQL connection names mounted in the service's template."""
    out: list[str] = []
    for volume in (svc.get("template") or {}).get("volumes", []):
        out.extend((volume.get("cloudSqlInstance") or {}).get("instances", []))
    return out


@dataclass(frozen=True)
class CloudRunObserved:
    """What the gcp.cloud_run_service probe read."""

    project: str
    """The project read."""
    region: str
    """The region the service was looked up in."""
    service: dict[str, Any] | None
    """The run v2 service as the REST API returns it; None: it does not exist (404)."""


class GcpCloudRunService(GcpCheck):
    """A Cloud Run service is Ready on its latest revision, wired to its VPC connector and Cloud SQL."""

    kind = "gcp.cloud_run_service"

    service: str = Field(description="Cloud Run service name")
    ingress: str | None = Field(
        default=None,
        description="expected ingress: all, internal, internal-and-cloud-load-balancing (or the REST enum)",
    )
    connector: str | None = Field(
        default=None,
        description="expected VPC connector (short name or projects/…/connectors/NAME)",
    )
    network: str | None = Field(
        default=None, description="expected Direct VPC egress network (instead of a connector)"
    )
    egress: str | None = Field(
        default=None, description="expected VPC egress: private-ranges-only or all-traffic"
    )
    cloud_sql_instances: tuple[str, ...] = Field(
        default=(),
        description="Cloud SQL connection names that must be attached (PROJECT:REGION:INSTANCE)",
    )
    traffic_latest_percent: int | None = Field(
        default=100,
        description="percent of traffic that must reach the latest ready revision (null: don't check)",
    )

    def subject(self) -> str:
        """The service."""
        return self.service

    async def probe(self, ctx: CheckContext) -> CloudRunObserved:
        """Read the service in the check's region."""
        reader = self.reader(ctx)
        region = self.region_for(ctx)
        svc = await reader.get_or_none(reads.get_run_service, region, self.service)
        return CloudRunObserved(reader.project, region, svc)

    def judge(self, observed: CloudRunObserved) -> Outcome:
        """Readiness, revision, traffic, ingress, VPC access and Cloud SQL, each as an observation."""
        region, svc = observed.region, observed.service
        if svc is None:
            return not_found(
                f"Cloud Run service {self.service} ({region})",
                observed.project,
                f"deploy it: gcloud run deploy {self.service} --region={region} --image=IMAGE",
            )
        where = f"{self.service} ({region})"
        base = f"gcloud run services update {self.service} --region={region}"
        cond = svc.get("terminalCondition") or {}
        ready = cond.get("type") == "Ready" and cond.get("state") == "CONDITION_SUCCEEDED"
        reconciling = bool(svc.get("reconciling"))
        latest_ready, latest_created = (
            svc.get("latestReadyRevision", ""),
            svc.get("latestCreatedRevision", ""),
        )
        checks: list[tuple[Observation, str]] = [
            (
                Observation(
                    "Ready",
                    "CONDITION_SUCCEEDED",
                    f"{cond.get('state', '(none)')} {cond.get('message', '')}".strip(),
                    ready,
                    where,
                ),
                f"read why the revision does not start: gcloud run services describe {self.service} --region={region}, and its logs",
            ),
            (
                Observation(
                    "reconciling", "false", str(reconciling).lower(), not reconciling, where
                ),
                "wait: a rollout is in progress",
            ),
            (
                Observation(
                    "latest revision ready",
                    short(latest_created) or "(none)",
                    short(latest_ready) or "(none)",
                    bool(latest_ready) and latest_ready == latest_created,
                    where,
                ),
                f"the newest revision {short(latest_created)} is not ready: check its logs (gcloud run revisions describe {short(latest_created)} --region={region})",
            ),
        ]
        if self.traffic_latest_percent is not None:
            pct = _latest_percent(svc, latest_ready)
            checks.append(
                (
                    Observation(
                        "traffic on latest revision",
                        f"{self.traffic_latest_percent}%",
                        f"{pct}%",
                        pct == self.traffic_latest_percent,
                        where,
                    ),
                    f"{base.replace('services update', 'services update-traffic')} --to-latest",
                )
            )
        if self.ingress:
            want = normalize_enum(self.ingress, INGRESS) or ""
            got = svc.get("ingress", "INGRESS_TRAFFIC_UNSPECIFIED")
            checks.append(
                (
                    Observation("ingress", want, got, got == want, where),
                    f"{base} --ingress={gcloud_value(self.ingress, INGRESS)}",
                )
            )
        connector = service_connector(svc)
        if self.connector:
            checks.append(
                (
                    Observation(
                        "VPC connector",
                        self.connector,
                        connector or "(none)",
                        same_resource(self.connector, connector),
                        where,
                    ),
                    f"{base} --vpc-connector={short(self.connector)} --vpc-egress={gcloud_value(self.egress or 'private-ranges-only', EGRESS)}",
                )
            )
        if self.network:
            nets = service_networks(svc)
            checks.append(
                (
                    Observation(
                        "Direct VPC egress network",
                        self.network,
                        ", ".join(nets) or "(none)",
                        any(same_resource(self.network, n) for n in nets),
                        where,
                    ),
                    f"{base} --network={short(self.network)} --subnet=SUBNET --vpc-egress={gcloud_value(self.egress or 'private-ranges-only', EGRESS)}",
                )
            )
        if self.egress:
            want = normalize_enum(self.egress, EGRESS) or ""
            got = ((svc.get("template") or {}).get("vpcAccess") or {}).get("egress", "(none)")
            checks.append(
                (
                    Observation("VPC egress", want, got, got == want, where),
                    f"{base} --vpc-egress={gcloud_value(self.egress, EGRESS)}",
                )
            )
        attached = service_sql_instances(svc)
        for instance in self.cloud_sql_instances:
            checks.append(
                (
                    Observation(
                        f"Cloud SQL {instance}",
                        "attached",
                        "attached" if instance in attached else "not attached",
                        instance in attached,
                        where,
                    ),
                    f"{base} --add-cloudsql-instances={instance}",
                )
            )
        obs = tuple(o for o, _ in checks)
        bad = [(o, h) for o, h in checks if not o.ok]
        if not bad:
            return Outcome.passed(f"Cloud Run {self.service} Ready on {short(latest_ready)}", obs)
        o, hint = bad[0]
        summary = f"Cloud Run {self.service}: {o.property}: expected {o.expected}, got {o.actual}"
        if o.property == "VPC connector" and o.actual == "(none)":
            summary = f"Cloud Run {self.service} has no VPC connector (expected {self.connector}): it cannot reach private IPs such as Cloud SQL's"
        if len(bad) > 1:
            summary += f" (+{len(bad) - 1} more)"
        return Outcome.failed(summary, obs, hint=hint)


def _latest_percent(svc: dict[str, Any], latest_ready: str) -> int:
    statuses = svc.get("trafficStatuses") or svc.get("traffic") or []
    total = 0
    for t in statuses:
        latest = t.get("type") == "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
        if latest or (
            t.get("revision") and latest_ready and short(t["revision"]) == short(latest_ready)
        ):
            total += int(t.get("percent", 0))
    return total
