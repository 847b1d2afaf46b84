"""``gcp.cloud_sql_path``: a Cloud Run service has a way to reach a Cloud SQL instance.

Three ways are judged, each link by link, and the evidence names the way judged and why:

``private_ip``
    service -> VPC connector (READY, same region; any project, e.g. a Shared VPC host's) or
    Direct VPC egress (a network, or a subnetwork whose network is looked up) -> the VPC network
    the instance's private IP is on (compared fully qualified: a host project's ``default`` is
    not the service project's ``default``), with egress that routes the private IP.
``psc``
    Private Service Connect (``ipConfiguration.pscConfig``): the service egresses into a VPC
    that has an endpoint to the instance's ``pscServiceAttachmentLink`` (an auto-connection on
    that network, or a forwarding rule on it whose ``pscConnectionStatus`` is ACCEPTED, see
    :mod:`infra_verify.gcp.psc_endpoints`); the PSC DNS name is reported.
``connector``
    the Cloud SQL connector / Auth Proxy: the service attaches the instance (a
    ``cloudSqlInstance`` volume, or a Cloud SQL Auth Proxy sidecar naming it) and the instance
    has a public IP; the service account (the default compute account when the service names
    none) needs ``roles/cloudsql.client``, judged from the instance project's IAM policy
    (:mod:`infra_verify.checks.gcp.sql_iam`; what cannot be read or evaluated is a warning).

Project numbers in the names read (``projects/123/...``, ``allowedConsumerProjects``) are
resolved to project IDs with ``projects.get`` before names are compared; a number that cannot
be resolved is an ERROR, never a FAIL.

With ``via: auto`` (the default) every way the instance and service are configured for is
judged and the first that holds passes; when none holds, the first one's broken link is the
finding (the private IP first). Where the gate itself runs inside the VPC (a private pool, a
Cloud Run job), ``probe: true`` adds a PostgreSQL handshake to the private (or PSC) address.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator

from infra_verify.check import Check
from infra_verify.checks.gcp.base import GcpCheck, Reader, not_found, valid_name
from infra_verify.checks.gcp.cloud_run import (
    parse_or_none,
    proxy_sidecars,
    read_subnetworks,
    service_connector,
    service_egress,
    service_location,
    service_sql_instances,
    service_vpc_networks,
)
from infra_verify.checks.gcp.cloud_sql import (
    instance_name,
    private_ip,
    private_network,
    private_network_name,
    psc_config,
    public_ip,
    read_instance,
)
from infra_verify.checks.gcp.project_numbers import by_id, resolve_project_numbers
from infra_verify.checks.gcp.sql_iam import default_compute_account, judge_sql_client
from infra_verify.checks.gcp.vpc_connector import connector_network
from infra_verify.context import CheckContext
from infra_verify.durations import DurationLike
from infra_verify.errors import ProbeError, ProbeFailed
from infra_verify.gcp import projects, psc_endpoints, reads
from infra_verify.gcp.names import ResourceName
from infra_verify.model import Observation, Outcome, Status

Way = Literal["private_ip", "psc", "connector"]

WAY_NAMES: dict[str, str] = {
    "private_ip": "private IP",
    "psc": "Private Service Connect",
    "connector": "Cloud SQL connector",
}


@dataclass(frozen=True)
class SqlPathObserved:
    """What the gcp.cloud_sql_path probe read, link by link, and the handshake when it dialed."""

    project: str
    """The service's project (read there)."""
    region: str
    """The service's region."""
    service: dict[str, Any] | None
    """The run v2 service as the REST API returns it; None: it does not exist (404), and
    nothing else was read."""
    instance: dict[str, Any] | None = None
    """The sqladmin v1 instance; None: it does not exist (404), or was not read."""
    connector: dict[str, Any] | None = None
    """The vpcaccess v1 connector the service names (read in the project its path names);
    None: it names none, or it does not exist (404; see ``service``'s
    ``template.vpcAccess.connector``)."""
    handshake: bytes | None = None
    """The first byte(s) of the answer to PostgreSQL's SSLRequest at the private IP; None:
    not dialed (``probe: false``, or the path is not configured), or it did not answer."""
    handshake_error: str | None = None
    """Why the private IP did not answer the SSLRequest, when it was dialed and did not."""
    subnetworks: Mapping[str, dict[str, Any] | None] = field(default_factory=dict)
    """Compute subnetworks read to learn a network (a Direct VPC interface naming only its
    subnetwork, a connector naming only its subnet), keyed by ``projects/P/regions/R/
    subnetworks/S``; None: it does not exist."""
    instance_project: str | None = None
    """The instance's project, when it is not the service's."""
    missing: tuple[str, ...] = ()
    """The server's words for each 404."""
    psc_endpoints: tuple[dict[str, Any], ...] = ()
    """Compute forwarding rules whose target is the instance's ``pscServiceAttachmentLink``,
    read in the service's project and the projects of the networks it reaches."""
    psc_error: str | None = None
    """Why the PSC endpoints could not be read (they were needed and not read)."""
    project_ids: Mapping[str, str] = field(default_factory=dict)
    """Project numbers named in what was read, resolved to project IDs (``projects.get``)."""
    account: str | None = None
    """The service account the service runs as (the default compute service account when the
    template names none); None: not needed, or it could not be named (see ``iam_error``)."""
    iam_policy: dict[str, Any] | None = None
    """The instance project's own IAM policy (``projects.getIamPolicy``); None: not read."""
    iam_project: dict[str, Any] | None = None
    """The instance's project (``projects.get``: its parent); None: not read."""
    iam_error: str | None = None
    """Why the account, the project or its policy could not be read."""


@dataclass(frozen=True)
class _Way:
    """One way judged: its links (each with its fix) and what a PASS says."""

    way: str
    why: str
    links: list[tuple[Observation, str]]
    ok_summary: str
    target: str | None = None
    warnings: tuple[str, ...] = ()
    error: str | None = None
    """Set when a link could not be read: a broken link then means ERROR, not FAIL."""


class GcpCloudSqlPath(GcpCheck):
    """A Cloud Run service has a way (private IP, PSC or the Cloud SQL connector) to reach Cloud SQL."""

    kind = "gcp.cloud_sql_path"

    service: str = Field(
        description="Cloud Run service name (or projects/P/locations/R/services/NAME)"
    )
    instance: str = Field(
        description="Cloud SQL instance name, PROJECT:REGION:INSTANCE or projects/P/instances/NAME"
    )
    via: Literal["auto", "private_ip", "psc", "connector"] = Field(
        default="auto",
        description="the way to judge: private_ip, psc, connector (Cloud SQL connector / Auth "
        "Proxy), or auto (every way configured; the first that holds passes)",
    )
    probe_: bool = Field(
        default=False,
        alias="probe",
        description="also do a PostgreSQL handshake to the private IP (only when the gate runs inside the VPC)",
    )
    port: int = Field(default=5432, description="database port for the probe")

    if TYPE_CHECKING:

        def __init__(
            self,
            service: str,
            *,
            region: str | None = None,
            project: str | None = None,
            instance: str,
            via: Literal["auto", "private_ip", "psc", "connector"] = "auto",
            probe: bool = False,
            port: int = 5432,
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

    @field_validator("instance")
    @classmethod
    def _instance_name(cls, value: str) -> str:
        return valid_name(value, "instances") or value

    @property
    def service_short(self) -> str:
        """The service's own name."""
        return ResourceName.parse(self.service, "services").name

    @property
    def instance_short(self) -> str:
        """The instance's own name."""
        return ResourceName.parse(self.instance, "instances").name

    def subject(self) -> str:
        """service -> instance."""
        return f"{self.service} -> {self.instance}"

    def infer_edges(self, others: Sequence[Check]) -> Iterable[tuple[str, str]]:
        """After the service and instance checks (hard), and the connector the service is
        expected to use (hard); a connector check nothing ties to this service only explains
        (soft), and none at all when the service is expected to use Direct VPC egress."""
        services = [
            o
            for o in others
            if o.kind == "gcp.cloud_run_service" and _same_short(o, "service", self.service)
        ]
        declared = [
            str(getattr(o, "connector", "")) for o in services if getattr(o, "connector", None)
        ]
        direct = any(getattr(o, "network", None) for o in services)
        for other in others:
            if other in services or (
                other.kind == "gcp.cloud_sql_instance"
                and _same_short(other, "instance", self.instance)
            ):
                yield other.id, "hard"
            elif other.kind == "gcp.vpc_connector":
                theirs = str(getattr(other, "connector", ""))
                if declared:
                    if any(_same_connector(theirs, d) for d in declared):
                        yield other.id, "hard"
                elif not direct:
                    yield other.id, "soft"

    async def probe(self, ctx: CheckContext) -> SqlPathObserved:
        """Read the service, the instance, the service's connector and the subnetworks that
        name a network; with ``probe: true``, when a path holds, send PostgreSQL's SSLRequest
        to the address it reaches."""
        budget = self.budget(ctx)
        reader = Reader(ctx, budget)
        await reader.ensure_project()
        home = self.project_for(reader)
        name = ResourceName.parse(self.service, "services").qualified(home, self.region_for(ctx))
        project, region = name.project or home, name.location or self.region_for(ctx)
        svc = await reader.get_or_none(reads.get_run_service, region, name.name, project=project)
        if svc is None:
            return SqlPathObserved(project, region, None, missing=tuple(reader.missing))
        inst_project, inst = await read_instance(reader, self.instance, home)
        other = inst_project if inst_project != project else None
        if inst is None:
            return SqlPathObserved(
                project, region, svc, missing=tuple(reader.missing), instance_project=other
            )
        conn = await self._read_connector(reader, svc, project, region)
        subnetworks = await read_subnetworks(reader, svc, project, region)
        subnet = _connector_subnet(conn, project, region)
        if subnet is not None and subnet.path not in subnetworks:
            subnetworks[subnet.path] = await reader.get_or_none(
                reads.get_subnetwork, subnet.location or region, subnet.name, project=subnet.project
            )
        observed = SqlPathObserved(
            project,
            region,
            svc,
            inst,
            conn,
            subnetworks=subnetworks,
            missing=tuple(reader.missing),
            instance_project=other,
        )
        observed = await self._resolve_projects(reader, observed)
        ways = {w for w, _ in self._candidates(*_canonical(observed), observed)}
        if "psc" in ways:
            observed = await self._read_psc(reader, observed)
        if "connector" in ways:
            observed = await self._read_iam(reader, observed)
        way = self._judge_ways(observed)
        if not self.probe_ or way is None or way[1].status is not Status.PASS or not way[0].target:
            return observed  # dial only a configured path: the handshake adds to a PASS
        from infra_verify.checks.postgres import ssl_request

        try:
            answer = await ssl_request(way[0].target, self.port, budget.remaining())
        except (ProbeError, ProbeFailed) as exc:
            return replace(observed, handshake_error=str(exc))
        return replace(observed, handshake=answer)

    async def _resolve_projects(self, reader: Reader, observed: SqlPathObserved) -> SqlPathObserved:
        """Resolve every project number named in what was read to its ID (ERROR when not)."""
        named = [observed.service, observed.instance, observed.connector, observed.subnetworks]
        ids = await resolve_project_numbers(
            reader, named, (observed.project, observed.instance_project)
        )
        return replace(observed, project_ids=ids)

    async def _read_psc(self, reader: Reader, observed: SqlPathObserved) -> SqlPathObserved:
        """The forwarding rules to the instance's service attachment, in each project the
        service's VPC lives in (the service's own and its networks' host projects)."""
        svc, inst = _canonical(observed)
        link = str(inst.get("pscServiceAttachmentLink") or "")
        attachment = parse_or_none(link, "serviceAttachments")
        if attachment is None or not attachment.is_qualified:
            return observed
        project, region = service_location(svc, observed.project, observed.region)
        _, reached = self._vpc_links(_canonical_observed(observed), svc, [], "any VPC")
        where = sorted({project, *(n.project for n in reached if n.project)})
        found: list[dict[str, Any]] = []
        for in_project in where:
            try:
                found += await reader.get(
                    psc_endpoints.list_psc_endpoints,
                    in_project,
                    attachment.location or region,
                    link,
                )
            except ProbeError as exc:
                return replace(observed, psc_error=exc.message)
        return replace(observed, psc_endpoints=tuple(found))

    async def _read_iam(self, reader: Reader, observed: SqlPathObserved) -> SqlPathObserved:
        """The service account, the instance's project and its IAM policy; what cannot be read
        is kept as ``iam_error`` (a warning, never a FAIL)."""
        svc, _ = _canonical(observed)
        project, _ = service_location(svc, observed.project, observed.region)
        db_project = _canonical_observed(observed).instance_project or project
        account = str((svc.get("template") or {}).get("serviceAccount") or "") or None
        errors: list[str] = []
        info: dict[str, Any] | None = None
        policy: dict[str, Any] | None = None
        try:
            info = await reader.get(projects.get_project, db_project)
        except ProbeError as exc:
            errors.append(exc.message)
        if account is None:
            try:
                if info is not None and project == db_project:
                    own: dict[str, Any] = info
                else:
                    own = await reader.get(projects.get_project, project)
                number = str(own.get("projectNumber") or "")
                account = default_compute_account(number) if number else None
                if account is None:
                    errors.append(f"project {project} has no projectNumber")
            except ProbeError as exc:
                errors.append(
                    "the default compute service account is named by project "
                    f"{project}'s number: {exc.message}"
                )
        try:
            policy = await reader.get(projects.get_project_iam_policy, db_project)
        except ProbeError as exc:
            errors.append(exc.message)
        return replace(
            observed,
            account=account,
            iam_policy=policy,
            iam_project=info,
            iam_error="; ".join(errors) or None,
        )

    async def _read_connector(
        self, reader: Reader, svc: dict[str, Any], project: str, region: str
    ) -> dict[str, Any] | None:
        """The connector the service names, read in the project and region its path names."""
        name = parse_or_none(service_connector(svc), "connectors")
        if name is None:
            return None
        name = name.qualified(project, region)
        return await reader.get_or_none(
            reads.get_connector, name.location or region, name.name, project=name.project
        )

    def judge(self, observed: SqlPathObserved) -> Outcome:
        """The way judged, link by link; then (``probe: true``, a way holds) the handshake."""
        found = self._judge_ways(observed)
        if found is None:
            return self._not_found(observed)
        way, outcome = found
        if outcome.status is not Status.PASS or not self.probe_:
            return outcome
        if not way.target:
            return replace(
                outcome,
                warnings=(
                    *outcome.warnings,
                    f"probe: true: the {WAY_NAMES[way.way]} way has no address to dial; no handshake",
                ),
            )
        return self._judge_handshake(observed, outcome, way.target)

    def _not_found(self, observed: SqlPathObserved) -> Outcome:
        if observed.service is None:
            return not_found(
                f"Cloud Run service {self.service_short} ({observed.region})",
                observed.project,
                "deploy the service",
                observed.missing,
            )
        return not_found(
            f"Cloud SQL instance {self.instance_short}",
            observed.instance_project or observed.project,
            "create the instance",
            observed.missing,
        )

    def _judge_ways(self, observed: SqlPathObserved) -> tuple[_Way, Outcome] | None:
        """Each candidate way judged; the first that holds, else the first; None: 404s."""
        if observed.service is None or observed.instance is None:
            return None
        observed = _canonical_observed(observed)
        svc, inst = observed.service, observed.instance
        assert svc is not None and inst is not None
        ways = [
            self._way(w, why, observed, svc, inst)
            for w, why in self._candidates(svc, inst, observed)
        ]
        judged = [(w, self._outcome(w)) for w in ways]
        return next(((w, o) for w, o in judged if o.status is Status.PASS), judged[0])

    def _candidates(
        self, svc: dict[str, Any], inst: dict[str, Any], observed: SqlPathObserved
    ) -> list[tuple[str, str]]:
        """The ways to judge, each with why it applies."""
        if self.via != "auto":
            return [(self.via, "the policy says via: " + self.via)]
        out: list[tuple[str, str]] = []
        if private_ip(inst) or private_network(inst):
            out.append(("private_ip", "the instance has a private IP"))
        if psc_config(inst):
            out.append(("psc", "the instance has Private Service Connect enabled"))
        attached = self._attachment(svc, inst, observed)
        if attached and public_ip(inst):
            out.append(
                (
                    "connector",
                    f"the service attaches the instance ({attached}) and it has a public IP",
                )
            )
        if not out and public_ip(inst):
            out.append(("connector", "the instance has only a public IP"))
        if not out:
            out.append(("private_ip", "no other way is configured"))
        return out

    def _connection_name(self, inst: dict[str, Any], observed: SqlPathObserved) -> str:
        project = observed.instance_project or observed.project
        return str(
            inst.get("connectionName")
            or f"{project}:{inst.get('region', observed.region)}:{self.instance_short}"
        )

    def _attachment(
        self, svc: dict[str, Any], inst: dict[str, Any], observed: SqlPathObserved
    ) -> str:
        """How the service attaches the instance ('' when it does not)."""
        conn_name = self._connection_name(inst, observed)
        if conn_name in service_sql_instances(svc):
            return "a cloudSqlInstance volume"
        image = proxy_sidecars(svc).get(conn_name)
        return f"a Cloud SQL Auth Proxy sidecar, {image}" if image else ""

    def _way(
        self,
        way: str,
        why: str,
        observed: SqlPathObserved,
        svc: dict[str, Any],
        inst: dict[str, Any],
    ) -> _Way:
        if way == "psc":
            return self._psc_way(why, observed, svc, inst)
        if way == "connector":
            return self._connector_way(why, observed, svc, inst)
        return self._private_way(why, observed, svc, inst)

    def _outcome(self, way: _Way) -> Outcome:
        """PASS when every link holds, else FAIL at the first broken one; the way last."""
        judged = Observation(
            "path judged", None, f"{WAY_NAMES[way.way]}: {way.why}", True, self.service_short
        )
        obs = (*(o for o, _ in way.links), judged)
        bad = [(o, h) for o, h in way.links if not o.ok]
        if bad and way.error:
            o, hint = bad[0]
            return Outcome.error(
                f"could not judge the {WAY_NAMES[way.way]} way from {self.service_short} to "
                f"{self.instance_short}: {way.error}",
                obs,
                hint=hint,
                warnings=way.warnings,
            )
        if bad:
            o, hint = bad[0]
            return Outcome.failed(
                f"no path from {self.service_short} to {self.instance_short}: {o.property}: expected {o.expected}, got {o.actual}",
                obs,
                hint=hint,
                warnings=way.warnings,
            )
        return Outcome.passed(way.ok_summary, obs, warnings=way.warnings)

    def _vpc_links(
        self,
        observed: SqlPathObserved,
        svc: dict[str, Any],
        target_networks: Sequence[ResourceName],
        target_label: str,
    ) -> tuple[list[tuple[Observation, str]], list[ResourceName]]:
        """The service's VPC access links (connector or Direct VPC) and the networks it reaches.

        ``target_networks``: the networks that reach the instance (empty: any VPC will do,
        only access is judged).
        """
        project, region = service_location(svc, observed.project, observed.region)
        base = f"gcloud run services update {self.service_short} --region={region}"
        conn = observed.connector
        connector_name = service_connector(svc)
        if conn is None and connector_name:
            conn = {"name": connector_name, "state": "MISSING"}
        direct = service_vpc_networks(svc, project, region, observed.subnetworks)
        links: list[tuple[Observation, str]] = []
        reached: list[ResourceName] = []
        want_label = ", ".join(n.display(project) for n in target_networks) or target_label
        if conn is None and not direct:
            links.append(
                (
                    Observation(
                        "service VPC access",
                        "a VPC connector or Direct VPC egress",
                        "none",
                        False,
                        self.service_short,
                    ),
                    f"{base} --vpc-connector=CONNECTOR --vpc-egress=private-ranges-only",
                )
            )
            return links, reached
        if conn is not None:
            cname = parse_or_none(str(conn.get("name") or ""), "connectors")
            cq = cname.qualified(project, region) if cname else None
            name = cq.name if cq else str(conn.get("name") or "?")
            flag = f" --project={cq.project}" if cq and cq.project != project else ""
            state = conn.get("state", "?")
            links.append(
                (
                    Observation(
                        "connector state", "READY", f"{name}: {state}", state == "READY", name
                    ),
                    f"gcloud compute networks vpc-access connectors describe {name} --region={cq.location if cq else region}{flag}",
                )
            )
            conn_region = (cq.location if cq else None) or region
            links.append(
                (
                    Observation(
                        "connector region", region, conn_region, conn_region == region, name
                    ),
                    f"create a connector in {region}: a connector only serves services in its own region",
                )
            )
            net = connector_network(conn, cq.project if cq and cq.project else project)
            if net is None:
                net = _subnet_network(conn, observed.subnetworks, cq, project, region)
            if net is not None:
                reached.append(net)
            shown = net.display(project) if net else "(none)"
            if target_networks:
                links.append(
                    (
                        Observation(
                            "connector network = Cloud SQL network",
                            want_label,
                            shown,
                            net is not None and any(t.same(net) for t in target_networks),
                            name,
                        ),
                        f"the connector is on {shown} but Cloud SQL is on {want_label}: create a connector on {want_label} and attach it",
                    )
                )
            return links, reached
        reached = [n for _, n in direct if n is not None]
        if target_networks:
            links.append(
                (
                    Observation(
                        "Direct VPC egress network = Cloud SQL network",
                        want_label,
                        ", ".join(label for label, _ in direct),
                        any(t.same(n) for n in reached for t in target_networks),
                        self.service_short,
                    ),
                    f"{base} --network={want_label} --subnet=SUBNET",
                )
            )
        return links, reached

    def _egress_link(self, svc: dict[str, Any], region: str) -> tuple[Observation, str]:
        """The VPC egress in effect (omitted: the API's default, PRIVATE_RANGES_ONLY) routes
        private addresses into the VPC."""
        egress = service_egress(svc)
        base = f"gcloud run services update {self.service_short} --region={region}"
        return (
            Observation(
                "egress routes private ranges",
                "PRIVATE_RANGES_ONLY or ALL_TRAFFIC",
                egress or "(unset)",
                egress in ("PRIVATE_RANGES_ONLY", "ALL_TRAFFIC"),
                self.service_short,
            ),
            f"{base} --vpc-egress=private-ranges-only",
        )

    def _private_way(
        self, why: str, observed: SqlPathObserved, svc: dict[str, Any], inst: dict[str, Any]
    ) -> _Way:
        project, region = service_location(svc, observed.project, observed.region)
        sql_net = private_network_name(inst, observed.instance_project or observed.project)
        targets = [sql_net] if sql_net else []
        links, _ = self._vpc_links(observed, svc, targets, "(no private network)")
        pip = private_ip(inst)
        links.append(
            (
                Observation(
                    "Cloud SQL private IP",
                    "present",
                    pip or "absent",
                    bool(pip),
                    self.instance_short,
                ),
                f"gcloud sql instances patch {self.instance_short} --network={sql_net.path if sql_net else 'NETWORK'}",
            )
        )
        links.append(self._egress_link(svc, region))
        via = sql_net.display(project) if sql_net else "(none)"
        return _Way(
            "private_ip",
            why,
            links,
            f"{self.service_short} reaches {self.instance_short} at {pip} via network {via}",
            target=pip,
        )

    def _psc_way(
        self, why: str, observed: SqlPathObserved, svc: dict[str, Any], inst: dict[str, Any]
    ) -> _Way:
        project, region = service_location(svc, observed.project, observed.region)
        psc = psc_config(inst)
        links, reached = self._vpc_links(observed, svc, [], "any VPC")
        autos = [a for a in psc.get("pscAutoConnections", []) if a.get("consumerNetwork")]
        auto = next(
            (
                a
                for a in autos
                for n in reached
                if (c := parse_or_none(str(a["consumerNetwork"]), "networks"))
                and c.qualified(project).same(n)
            ),
            None,
        )
        link = str(inst.get("pscServiceAttachmentLink") or "")
        rule = psc_endpoints.accepted_endpoint(observed.psc_endpoints, reached, project)
        allowed = [str(p) for p in psc.get("allowedConsumerProjects", [])]
        projects_ = sorted({n.project for n in reached if n.project} or {project})
        if not psc:
            ok, seen = False, "disabled"
        elif auto is not None:
            ok, seen = True, f"auto-connection on {auto['consumerNetwork']}"
        elif rule is not None:
            ok, seen = True, f"endpoint {rule.get('name')} ACCEPTED"
        else:
            ok = any(p in allowed for p in projects_)
            seen = "allowed consumer projects: " + (", ".join(allowed) or "(none)")
        links.append(
            (
                Observation(
                    "PSC accepts the service's VPC",
                    f"network or project {', '.join(projects_)}",
                    seen,
                    ok,
                    self.instance_short,
                ),
                f"gcloud sql instances patch {self.instance_short} --enable-private-service-connect --allowed-psc-projects={','.join(projects_)}",
            )
        )
        nets = ", ".join(n.display(project) for n in reached) or "the service's VPC"
        if auto is not None:
            ip, endpoint_seen = str(auto.get("ipAddress") or ""), "auto-connection"
            endpoint_ok = True
        elif rule is not None:
            ip = str(rule.get("IPAddress") or "")
            endpoint_ok, endpoint_seen = True, f"{rule.get('name')} ({ip or 'no IP'}): ACCEPTED"
        else:
            ip, endpoint_ok = "", False
            endpoint_seen = (
                ", ".join(
                    f"{r.get('name')} on {r.get('network', '?')}: {r.get('pscConnectionStatus', '?')}"
                    for r in observed.psc_endpoints
                )
                or "none"
            )
        links.append(
            (
                Observation(
                    "PSC endpoint on the service's network",
                    f"an ACCEPTED endpoint to {link or '(no service attachment)'} on {nets}",
                    endpoint_seen,
                    endpoint_ok,
                    self.instance_short,
                ),
                f"gcloud compute forwarding-rules create ENDPOINT --project={projects_[0]} "
                f"--region={region} --network={reached[0].path if reached else 'NETWORK'} "
                f"--address=ADDRESS --target-service-attachment={link or 'ATTACHMENT'}",
            )
        )
        links.append(self._egress_link(svc, region))
        dns = inst.get("dnsName") or "(no DNS name)"
        return _Way(
            "psc",
            why,
            links,
            f"{self.service_short} reaches {self.instance_short} through Private Service Connect at {dns}"
            + (f" ({ip})" if ip else ""),
            target=ip or None,
            error=f"the PSC endpoints could not be read: {observed.psc_error}"
            if observed.psc_error and not endpoint_ok
            else None,
        )

    def _connector_way(
        self, why: str, observed: SqlPathObserved, svc: dict[str, Any], inst: dict[str, Any]
    ) -> _Way:
        _, region = service_location(svc, observed.project, observed.region)
        conn_name = self._connection_name(inst, observed)
        attached = self._attachment(svc, inst, observed)
        pub = public_ip(inst)
        links = [
            (
                Observation(
                    "Cloud SQL attached",
                    "a cloudSqlInstance volume or an Auth Proxy sidecar",
                    attached or "not attached",
                    bool(attached),
                    self.service_short,
                ),
                f"gcloud run services update {self.service_short} --region={region} --add-cloudsql-instances={conn_name}",
            ),
            (
                Observation(
                    "Cloud SQL public IP",
                    "present",
                    pub or "absent",
                    bool(pub),
                    self.instance_short,
                ),
                f"gcloud sql instances patch {self.instance_short} --assign-ip (or reach it by private IP or PSC)",
            ),
        ]
        db_project = observed.instance_project or observed.project
        account = observed.account or (svc.get("template") or {}).get("serviceAccount") or None
        grant = judge_sql_client(
            account, db_project, observed.iam_policy, observed.iam_project, observed.iam_error
        )
        links.append(
            (
                Observation(
                    "service account may connect",
                    f"roles/cloudsql.client on project {db_project}",
                    grant.evidence,
                    grant.ok,
                    account or self.service_short,
                ),
                f"gcloud projects add-iam-policy-binding {db_project} "
                f"--member=serviceAccount:{account or 'ACCOUNT'} --role=roles/cloudsql.client",
            )
        )
        return _Way(
            "connector",
            why,
            links,
            f"{self.service_short} reaches {self.instance_short} through the Cloud SQL connector ({conn_name}, public IP {pub})",
            warnings=grant.warnings,
        )

    def _judge_handshake(self, observed: SqlPathObserved, outcome: Outcome, ip: str) -> Outcome:
        if observed.handshake_error is not None:
            return Outcome.failed(
                f"the path is configured, but {ip}:{self.port} does not answer: {observed.handshake_error}",
                outcome.observations,
                hint="check firewall rules and that the gate runs inside the VPC",
                warnings=outcome.warnings,
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
            warnings=outcome.warnings,
        )


def _canonical_observed(observed: SqlPathObserved) -> SqlPathObserved:
    """``observed`` with every resolved project number replaced by its project ID."""
    ids = observed.project_ids
    if not ids:
        return observed
    return replace(
        observed,
        project=by_id(observed.project, ids),
        instance_project=by_id(observed.instance_project, ids),
        service=by_id(observed.service, ids),
        instance=by_id(observed.instance, ids),
        connector=by_id(observed.connector, ids),
        subnetworks={by_id(k, ids): by_id(v, ids) for k, v in observed.subnetworks.items()},
        psc_endpoints=tuple(by_id(e, ids) for e in observed.psc_endpoints),
        project_ids={},
    )


def _canonical(observed: SqlPathObserved) -> tuple[dict[str, Any], dict[str, Any]]:
    """The service and instance read (both present), project numbers resolved to IDs."""
    canonical = _canonical_observed(observed)
    assert canonical.service is not None and canonical.instance is not None
    return canonical.service, canonical.instance


def _same_short(other: Check, attr: str, mine: str) -> bool:
    """Another check's resource (short or path) has the same own name as ``mine``."""
    theirs = getattr(other, attr, None)
    if not isinstance(theirs, str):
        return False
    return _own_name(theirs) == _own_name(mine)


def _own_name(text: str) -> str:
    for kind in ("services", "instances", "connectors"):
        try:
            return ResourceName.parse(text, kind).name
        except ValueError:
            continue
    return text


def _same_connector(a: str, b: str) -> bool:
    """Two policy connector names that may be the same connector (projects compared when both say)."""
    try:
        x, y = ResourceName.parse(a, "connectors"), ResourceName.parse(b, "connectors")
    except ValueError:
        return False
    if x.name != y.name:
        return False
    if x.project and y.project and x.project != y.project:
        return False
    return not (x.location and y.location and x.location != y.location)


def _connector_subnet(
    conn: dict[str, Any] | None, project: str, region: str
) -> ResourceName | None:
    """A connector that names no network but a subnet: the subnet, to read its network."""
    if not conn or conn.get("network") or not (conn.get("subnet") or {}).get("name"):
        return None
    subnet = conn["subnet"]
    cname = parse_or_none(str(conn.get("name") or ""), "connectors")
    cq = cname.qualified(project, region) if cname else None
    owner = str(subnet.get("projectId") or (cq.project if cq else "") or project)
    return ResourceName(
        "subnetworks", str(subnet["name"]), owner, (cq.location if cq else None) or region
    )


def _subnet_network(
    conn: dict[str, Any],
    subnetworks: Mapping[str, dict[str, Any] | None],
    cq: ResourceName | None,
    project: str,
    region: str,
) -> ResourceName | None:
    subnet = _connector_subnet(conn, project, region)
    read = subnetworks.get(subnet.path) if subnet else None
    found = parse_or_none(str((read or {}).get("network") or ""), "networks")
    return found.qualified(subnet.project or project) if found and subnet else None


__all__ = ["GcpCloudSqlPath", "SqlPathObserved", "instance_name"]
