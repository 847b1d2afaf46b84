"""``gcp.cloud_run_service`` (run v2): the service is Ready, not reconciling, serving its latest
revision, with the expected ingress, VPC connector (or Direct VPC egress) and Cloud SQL instances.

Resource names are compared fully qualified: the service's connector, network and subnetwork are
read in the service's project (``project:``, default the gate's) unless they name their own, and
a Direct VPC interface that gives only a subnetwork is on the subnetwork's network (the API looks
it up from the subnetwork; so does the probe). An omitted VPC egress is the API's default,
PRIVATE_RANGES_ONLY. Traffic is read from what was asked (``traffic``) and what is served
(``trafficStatuses``): while they disagree the service is still reconciling.

With ``image:``, the check also proves the deploy took effect: ``min_percent`` of the traffic is
served by revisions whose containers run that image's digest (:mod:`.cloud_run_image`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from infra_verify.check import Check
from infra_verify.checks.gcp.base import (
    GcpCheck,
    Reader,
    normalize_enum,
    not_found,
    qualified,
    short,
    valid_name,
)
from infra_verify.checks.gcp.cloud_run_image import (
    REVISION_START_WINDOW,
    ImageObserved,
    judge_image,
    probe_image,
)
from infra_verify.checks.gcp.images import ImageRef
from infra_verify.checks.gcp.project_numbers import by_id, resolve_project_numbers
from infra_verify.context import CheckContext
from infra_verify.durations import DurationLike
from infra_verify.gcp import reads
from infra_verify.gcp.names import ResourceName
from infra_verify.model import Eta, Observation, Outcome

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
DEFAULT_EGRESS = "PRIVATE_RANGES_ONLY"
"""run v2 ``VpcAccess.egress``: "If not provided, it defaults to PRIVATE_RANGES_ONLY"."""

PROXY_IMAGES = ("cloud-sql-proxy", "cloudsql-proxy", "cloudsql-docker/gce-proxy")
"""Image name parts of the Cloud SQL Auth Proxy, run as a sidecar container."""


def gcloud_value(value: str, aliases: dict[str, str]) -> str:
    """The gcloud flag value for a policy value given as a gcloud word or a REST enum name."""
    enum = normalize_enum(value, aliases)
    return next((k for k, v in aliases.items() if v == enum), value.lower())


def _vpc_access(svc: Mapping[str, Any]) -> dict[str, Any]:
    return dict((svc.get("template") or {}).get("vpcAccess") or {})


def service_connector(svc: dict[str, Any]) -> str | None:
    """The service template's VPC connector (full name), if any."""
    return _vpc_access(svc).get("connector") or None


def service_networks(svc: dict[str, Any]) -> list[str]:
    """Networks of the service's Direct VPC egress interfaces (as the API spells them)."""
    return [
        i.get("network", "")
        for i in _vpc_access(svc).get("networkInterfaces", [])
        if i.get("network")
    ]


def service_subnetworks(svc: dict[str, Any]) -> list[str]:
    """Subnetworks of the Direct VPC interfaces that name no network (looked up from them)."""
    return [
        i["subnetwork"]
        for i in _vpc_access(svc).get("networkInterfaces", [])
        if i.get("subnetwork") and not i.get("network")
    ]


def service_egress(svc: dict[str, Any]) -> str:
    """The VPC egress in effect: the API's default when VPC access omits it; '' without access."""
    access = _vpc_access(svc)
    if not access.get("connector") and not access.get("networkInterfaces"):
        return str(access.get("egress") or "")
    egress = str(access.get("egress") or "")
    return DEFAULT_EGRESS if egress in ("", "VPC_EGRESS_UNSPECIFIED") else egress


def parse_or_none(text: str | None, kind: str) -> ResourceName | None:
    """A name the API returned, parsed; None when it is absent or not a resource name."""
    if not text:
        return None
    try:
        return ResourceName.parse(text, kind)
    except ValueError:
        return None


def service_location(svc: Mapping[str, Any], project: str, region: str) -> tuple[str, str]:
    """The service's own project and region, from its ``name`` (else the ones it was read in)."""
    name = parse_or_none(str(svc.get("name") or ""), "services")
    if name is None or name.project is None:
        return project, region
    return name.project, name.location or region


def subnetwork_key(text: str, project: str, region: str) -> ResourceName | None:
    """A Direct VPC subnetwork as the service names it, qualified in the service's project."""
    name = parse_or_none(text, "subnetworks")
    return name.qualified(project, region) if name else None


def service_vpc_networks(
    svc: dict[str, Any],
    project: str,
    region: str,
    subnetworks: Mapping[str, dict[str, Any] | None],
) -> list[tuple[str, ResourceName | None]]:
    """Each Direct VPC interface: how the service names it, and its network fully qualified.

    An interface with only a subnetwork is on the subnetwork's network, read into
    ``subnetworks`` (keyed by the subnetwork's qualified path; None: it does not exist).
    """
    project, region = service_location(svc, project, region)
    out: list[tuple[str, ResourceName | None]] = []
    for interface in _vpc_access(svc).get("networkInterfaces", []):
        network, subnet = interface.get("network"), interface.get("subnetwork")
        if network:
            name = parse_or_none(network, "networks")
            out.append((network, name.qualified(project) if name else None))
        elif subnet:
            key = subnetwork_key(subnet, project, region)
            read = subnetworks.get(key.path) if key else None
            found = parse_or_none(str((read or {}).get("network") or ""), "networks")
            via = found.qualified(key.project or project) if found and key else None
            label = (
                f"{via.display(project) if via else '(unknown network)'} (from subnetwork {subnet})"
            )
            out.append((label, via))
    return out


def service_sql_instances(svc: dict[str, Any]) -> list[str]:
    """Cloud SQL connection names mounted in the service's template."""
    out: list[str] = []
    for volume in (svc.get("template") or {}).get("volumes", []):
        out.extend((volume.get("cloudSqlInstance") or {}).get("instances", []))
    return out


def proxy_sidecars(svc: dict[str, Any]) -> dict[str, str]:
    """Per Cloud SQL connection name in a Cloud SQL Auth Proxy sidecar's args, its image."""
    found: dict[str, str] = {}
    for container in (svc.get("template") or {}).get("containers", []):
        image = str(container.get("image") or "")
        if not any(part in image for part in PROXY_IMAGES):
            continue
        for arg in [*container.get("command", []), *container.get("args", [])]:
            for word in str(arg).replace("=", " ").replace(",", " ").split():
                name = word.split("?", 1)[0]
                if name.count(":") >= 2 and not name.startswith("-"):
                    found[name] = image
    return found


def _traffic_key(entry: Mapping[str, Any]) -> tuple[str, str, int, str]:
    kind = str(entry.get("type") or "")
    revision = "" if kind.endswith("_LATEST") else short(entry.get("revision"))
    return kind, revision, int(entry.get("percent") or 0), str(entry.get("tag") or "")


def traffic_disagreement(svc: Mapping[str, Any]) -> tuple[str, str] | None:
    """(asked, served) when ``traffic`` and ``trafficStatuses`` differ; None when they agree
    (or one of them is absent)."""
    asked, served = svc.get("traffic"), svc.get("trafficStatuses")
    if not asked or not served:
        return None
    a = sorted(_traffic_key(t) for t in asked if int(t.get("percent") or 0) or t.get("tag"))
    s = sorted(_traffic_key(t) for t in served if int(t.get("percent") or 0) or t.get("tag"))
    if a == s:
        return None
    return _describe_traffic(asked), _describe_traffic(served)


def _describe_traffic(entries: list[dict[str, Any]]) -> str:
    parts = []
    for t in entries:
        who = "latest" if str(t.get("type", "")).endswith("_LATEST") else short(t.get("revision"))
        parts.append(f"{who or '?'} {int(t.get('percent') or 0)}%")
    return ", ".join(parts) or "(none)"


@dataclass(frozen=True)
class CloudRunObserved:
    """What the gcp.cloud_run_service probe read."""

    project: str
    """The project read."""
    region: str
    """The region the service was looked up in."""
    service: dict[str, Any] | None
    """The run v2 service as the REST API returns it; None: it does not exist (404)."""
    subnetworks: Mapping[str, dict[str, Any] | None] = field(default_factory=dict)
    """The compute subnetworks of Direct VPC interfaces that name no network, keyed by their
    qualified path (``projects/P/regions/R/subnetworks/S``); None: the subnetwork does not exist."""
    missing: tuple[str, ...] = ()
    """The server's words for each 404 (the service's, when it does not exist)."""
    project_ids: Mapping[str, str] = field(default_factory=dict)
    """Project numbers named by ``connector:``/``network:`` or the service, resolved to IDs."""
    image: ImageObserved | None = None
    """With ``image:``: the serving revisions, their digests and the digest wanted."""
    observed_at: float = 0.0
    """Wall-clock time of the read (for ETAs; the judge keeps no clock)."""


class GcpCloudRunService(GcpCheck):
    """A Cloud Run service is Ready on its latest revision, wired to its VPC connector and Cloud SQL."""

    kind = "gcp.cloud_run_service"

    service: str = Field(
        description="Cloud Run service name (or projects/P/locations/R/services/NAME)"
    )
    ingress: str | None = Field(
        default=None,
        description="expected ingress: all, internal, internal-and-cloud-load-balancing (or the REST enum)",
    )
    connector: str | None = Field(
        default=None,
        description="expected VPC connector (short name in the service's project, or "
        "projects/P/locations/R/connectors/NAME, e.g. in a Shared VPC host project)",
    )
    network: str | None = Field(
        default=None,
        description="expected Direct VPC egress network (instead of a connector): short name in "
        "the service's project, or projects/P/global/networks/NAME (a Shared VPC host's)",
    )
    egress: str | None = Field(
        default=None,
        description="expected VPC egress: private-ranges-only or all-traffic (omitted by the "
        "API: private-ranges-only)",
    )
    cloud_sql_instances: tuple[str, ...] = Field(
        default=(),
        description="Cloud SQL connection names that must be attached (PROJECT:REGION:INSTANCE)",
    )
    traffic_latest_percent: int | None = Field(
        default=100,
        description="percent of traffic that must reach the latest ready revision (null: don't check)",
    )

    image: str | None = Field(
        default=None,
        description="the deployed image (tag or digest, typically ${IMAGE}): min_percent of the "
        "traffic must be served by revisions running its digest",
    )
    min_percent: int = Field(
        default=100,
        ge=1,
        le=100,
        description="with image: the least percent of traffic that must run that image",
    )

    @field_validator("image")
    @classmethod
    def _image_ref(cls, value: str | None) -> str | None:
        if value is not None:
            ImageRef.parse(value)
        return value

    if TYPE_CHECKING:

        def __init__(
            self,
            service: str,
            *,
            region: str | None = None,
            project: str | None = None,
            ingress: str | None = None,
            connector: str | None = None,
            network: str | None = None,
            egress: str | None = None,
            cloud_sql_instances: Sequence[str] = (),
            traffic_latest_percent: int | None = 100,
            image: str | None = None,
            min_percent: int = 100,
            id: str = "",
            after: Sequence[str | Check] | str | Check = (),
            timeout: DurationLike | None = None,
            poll: DurationLike | None = None,
            poll_max: DurationLike | None = None,
            description: str | None = None,
        ) -> None:
            """Build the check (the subject may be positional)."""

    @field_validator("service")
    @classmethod
    def _service_name(cls, value: str) -> str:
        return valid_name(value, "services") or value

    @field_validator("connector")
    @classmethod
    def _connector_name(cls, value: str | None) -> str | None:
        return valid_name(value, "connectors")

    @field_validator("network")
    @classmethod
    def _network_name(cls, value: str | None) -> str | None:
        return valid_name(value, "networks")

    def subject(self) -> str:
        """The service."""
        return self.service

    def service_name(self, project: str, region: str) -> ResourceName:
        """The service, qualified: its path's project and region, else ``project:``/``region:``."""
        return ResourceName.parse(self.service, "services").qualified(
            self.project or project, region
        )

    async def probe(self, ctx: CheckContext) -> CloudRunObserved:
        """Read the service in the check's region (and project); for a Direct VPC interface
        that names only a subnetwork, read the subnetwork to learn its network."""
        reader = self.reader(ctx)
        await reader.ensure_project()
        name = self.service_name(reader.project, self.region_for(ctx))
        project, region = name.project or reader.project, name.location or self.region_for(ctx)
        svc = await reader.get_or_none(reads.get_run_service, region, name.name, project=project)
        subnetworks: dict[str, dict[str, Any] | None] = {}
        if svc is not None and self.network:
            subnetworks = await read_subnetworks(reader, svc, project, region)
        ids: dict[str, str] = {}
        if svc is not None and (self.connector or self.network):
            named = [self.connector, self.network, svc, subnetworks]
            ids = await resolve_project_numbers(reader, named, [project, self.project])
        image = None
        if svc is not None and self.image:
            image = await probe_image(reader, svc, self.image, project, region, name.name)
        return CloudRunObserved(
            project, region, svc, subnetworks, tuple(reader.missing), ids, image, time.time()
        )

    def judge(self, observed: CloudRunObserved) -> Outcome:
        """Readiness, revision, traffic, ingress, VPC access and Cloud SQL, each as an observation."""
        region, svc = observed.region, observed.service
        name = ResourceName.parse(self.service, "services").name
        if svc is None:
            return not_found(
                f"Cloud Run service {name} ({region})",
                observed.project,
                f"deploy it: gcloud run deploy {name} --region={region} --image=IMAGE"
                + (f" --project={observed.project}" if self.project else ""),
                observed.missing,
            )
        where = f"{name} ({region})"
        base = f"gcloud run services update {name} --region={region}"
        cond = svc.get("terminalCondition") or {}
        ready = cond.get("type") == "Ready" and cond.get("state") == "CONDITION_SUCCEEDED"
        reconciling = bool(svc.get("reconciling"))
        latest_ready, latest_created = (
            svc.get("latestReadyRevision", ""),
            svc.get("latestCreatedRevision", ""),
        )
        checks: list[tuple[Observation, str]] = []
        verdict = None
        if observed.image is not None:
            verdict = judge_image(
                observed.image, self.min_percent, where, name, self.project or observed.project
            )
            checks.append((verdict.observation, verdict.hint))
        checks += [
            (
                Observation(
                    "Ready",
                    "CONDITION_SUCCEEDED",
                    f"{cond.get('state', '(none)')} {cond.get('message', '')}".strip(),
                    ready,
                    where,
                ),
                f"read why the revision does not start: gcloud run services describe {name} --region={region}, and its logs",
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
        disagreement = traffic_disagreement(svc)
        if disagreement is not None:
            asked, served = disagreement
            checks.append(
                (
                    Observation("traffic served (trafficStatuses)", asked, served, False, where),
                    "wait: the traffic split asked for is still being rolled out (reconciling)",
                )
            )
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
        checks += self._vpc_checks(observed, svc, where, base)
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
            return Outcome.passed(f"Cloud Run {name} Ready on {short(latest_ready)}", obs)
        o, hint = bad[0]
        if verdict is not None and not verdict.observation.ok:
            summary = verdict.summary
            if len(bad) > 1:
                summary += f" (+{len(bad) - 1} more)"
            return Outcome.failed(
                summary, obs, hint=hint, terminal=verdict.terminal, eta=verdict.eta
            )
        eta = _rollout_eta(svc, observed.observed_at)
        summary = f"Cloud Run {name}: {o.property}: expected {o.expected}, got {o.actual}"
        if o.property == "VPC connector" and o.actual == "(none)":
            summary = f"Cloud Run {name} has no VPC connector (expected {self.connector}): it cannot reach private IPs such as Cloud SQL's"
        if o.property == "traffic served (trafficStatuses)":
            summary = f"Cloud Run {name} is reconciling: traffic asked for ({o.expected}) is not yet what is served ({o.actual})"
        if len(bad) > 1:
            summary += f" (+{len(bad) - 1} more)"
        return Outcome.failed(summary, obs, hint=hint, eta=eta)

    def _vpc_checks(
        self, observed: CloudRunObserved, svc: dict[str, Any], where: str, base: str
    ) -> list[tuple[Observation, str]]:
        """Connector and Direct VPC network compared fully qualified (project numbers resolved
        to IDs); egress with its default."""
        ids = observed.project_ids
        svc = by_id(svc, ids)
        subnetworks = {by_id(k, ids): by_id(v, ids) for k, v in observed.subnetworks.items()}
        project, region = service_location(svc, by_id(observed.project, ids), observed.region)
        home = by_id(self.project or observed.project, ids)
        checks: list[tuple[Observation, str]] = []
        connector = service_connector(svc)
        if self.connector:
            want = qualified(by_id(self.connector, ids), "connectors", home, region)
            got = parse_or_none(connector, "connectors")
            got_q = got.qualified(project, region) if got else None
            checks.append(
                (
                    Observation(
                        "VPC connector",
                        self.connector,
                        connector or "(none)",
                        bool(want and got_q and want.same(got_q)),
                        where,
                    ),
                    f"{base} --vpc-connector={want.path if want and want.project != project else short(self.connector)} --vpc-egress={gcloud_value(self.egress or 'private-ranges-only', EGRESS)}",
                )
            )
        if self.network:
            want_net = qualified(by_id(self.network, ids), "networks", home)
            nets = service_vpc_networks(svc, project, region, subnetworks)
            checks.append(
                (
                    Observation(
                        "Direct VPC egress network",
                        self.network,
                        ", ".join(label for label, _ in nets) or "(none)",
                        any(
                            n is not None and want_net is not None and want_net.same(n)
                            for _, n in nets
                        ),
                        where,
                    ),
                    f"{base} --network={self.network if want_net and want_net.project != project else short(self.network)} --subnet=SUBNET --vpc-egress={gcloud_value(self.egress or 'private-ranges-only', EGRESS)}",
                )
            )
        if self.egress:
            want_egress = normalize_enum(self.egress, EGRESS) or ""
            got_egress = service_egress(svc) or "(none)"
            checks.append(
                (
                    Observation(
                        "VPC egress", want_egress, got_egress, got_egress == want_egress, where
                    ),
                    f"{base} --vpc-egress={gcloud_value(self.egress, EGRESS)}",
                )
            )
        return checks


async def read_subnetworks(
    reader: Reader, svc: dict[str, Any], project: str, region: str
) -> dict[str, dict[str, Any] | None]:
    """Read each subnetwork a Direct VPC interface names without its network (None: 404)."""
    project, region = service_location(svc, project, region)
    out: dict[str, dict[str, Any] | None] = {}
    for text in service_subnetworks(svc):
        key = subnetwork_key(text, project, region)
        if key is None or key.path in out:
            continue
        out[key.path] = await reader.get_or_none(
            reads.get_subnetwork, key.location or region, key.name, project=key.project
        )
    return out


def _rollout_eta(svc: Mapping[str, Any], observed_at: float) -> Eta | None:
    """A rollout still in progress (``reconciling``, or the Ready condition pending): it can
    finish any moment, within the revision start window; None when nothing is in progress."""
    state = str((svc.get("terminalCondition") or {}).get("state") or "")
    if not observed_at or not (
        svc.get("reconciling") or state in ("CONDITION_PENDING", "CONDITION_RECONCILING")
    ):
        return None
    revision = short(svc.get("latestCreatedRevision")) or "the new revision"
    return Eta(
        observed_at,
        observed_at + REVISION_START_WINDOW,
        f"{revision} is still rolling out (reconciling; Ready {state or 'unknown'})",
    )


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
