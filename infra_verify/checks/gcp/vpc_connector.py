"""``gcp.vpc_connector``: a Serverless VPC Access connector is READY, on the expected network,
in the region of the services that use it; its IP range and instance bounds are reported.

The connector may be named by its short name (read in ``project:``, default the gate's project,
and ``region:``) or by its full path ``projects/P/locations/R/connectors/NAME`` (read there: a
connector in a Shared VPC host project). Its network is compared fully qualified: the API gives
the network's short name, which lives in the subnet's ``projectId`` or else the connector's own
project.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from infra_verify.check import Check
from infra_verify.checks.gcp.base import GcpCheck, not_found, qualified, valid_name
from infra_verify.checks.gcp.project_numbers import by_id, resolve_project_numbers
from infra_verify.context import CheckContext
from infra_verify.durations import DurationLike
from infra_verify.gcp import reads
from infra_verify.gcp.names import ResourceName
from infra_verify.model import Observation, Outcome

NOT_YET = {"CREATING", "UPDATING"}


def connector_network(conn: dict[str, Any], project: str) -> ResourceName | None:
    """The connector's VPC network, fully qualified (None: the API names none)."""
    text = str(conn.get("network") or "")
    if not text:
        return None
    try:
        name = ResourceName.parse(text, "networks")
    except ValueError:
        return None
    subnet_project = str((conn.get("subnet") or {}).get("projectId") or "")
    return name.qualified(subnet_project or connector_project(conn, project))


def connector_project(conn: dict[str, Any], project: str) -> str:
    """The project in the connector's ``name``, else the one it was read in."""
    try:
        name = ResourceName.parse(str(conn.get("name") or ""), "connectors")
    except ValueError:
        return project
    return name.project or project


@dataclass(frozen=True)
class VpcConnectorObserved:
    """What the gcp.vpc_connector probe read."""

    project: str
    """The project read (the connector's own: its path's, ``project:``, or the gate's)."""
    region: str
    """The region the connector was looked up in."""
    connector: dict[str, Any] | None
    """The vpcaccess v1 connector as the REST API returns it; None: it does not exist (404)."""
    missing: tuple[str, ...] = ()
    """The server's words for the 404, when the connector does not exist."""
    project_ids: Mapping[str, str] = field(default_factory=dict)
    """Project numbers named by ``network:`` or the connector, resolved to IDs (projects.get)."""


class GcpVpcConnector(GcpCheck):
    """A Serverless VPC Access connector is READY on the expected network and region."""

    kind = "gcp.vpc_connector"

    connector: str = Field(
        description="connector name, or projects/P/locations/R/connectors/NAME (another "
        "project's, e.g. a Shared VPC host's)"
    )
    network: str | None = Field(
        default=None,
        description="expected VPC network: short name (in the connector's project) or "
        "projects/P/global/networks/NAME",
    )
    ip_cidr_range: str | None = Field(default=None, description="expected /28 range")

    if TYPE_CHECKING:

        def __init__(
            self,
            connector: str,
            *,
            region: str | None = None,
            project: str | None = None,
            network: str | None = None,
            ip_cidr_range: str | None = None,
            id: str = "",
            after: Sequence[str | Check] | str | Check = (),
            timeout: DurationLike | None = None,
            poll: DurationLike | None = None,
            poll_max: DurationLike | None = None,
            description: str | None = None,
        ) -> None:
            """Build the check (the subject may be positional)."""

    @field_validator("connector")
    @classmethod
    def _connector_name(cls, value: str) -> str:
        return valid_name(value, "connectors") or value

    @field_validator("network")
    @classmethod
    def _network_name(cls, value: str | None) -> str | None:
        return valid_name(value, "networks")

    def subject(self) -> str:
        """The connector."""
        return self.connector

    async def probe(self, ctx: CheckContext) -> VpcConnectorObserved:
        """Read the connector where its name says (else in the check's project and region)."""
        reader = self.reader(ctx)
        await reader.ensure_project()
        name = ResourceName.parse(self.connector, "connectors").qualified(
            self.project_for(reader), self.region_for(ctx)
        )
        project, region = name.project or reader.project, name.location or self.region_for(ctx)
        conn = await reader.get_or_none(reads.get_connector, region, name.name, project=project)
        ids: dict[str, str] = {}
        if conn is not None and self.network:
            ids = await resolve_project_numbers(reader, [self.network, conn], [project])
        return VpcConnectorObserved(project, region, conn, tuple(reader.missing), ids)

    def judge(self, observed: VpcConnectorObserved) -> Outcome:
        """State, network and range; instance bounds are reported."""
        region, conn = observed.region, observed.connector
        short_name = ResourceName.parse(self.connector, "connectors").name
        if conn is None:
            project_flag = (
                f" --project={observed.project}" if "/" in self.connector or self.project else ""
            )
            return not_found(
                f"VPC connector {short_name} ({region})",
                observed.project,
                f"gcloud compute networks vpc-access connectors create {short_name} --region={region} --network={self.network or 'NETWORK'} --range={self.ip_cidr_range or '10.8.0.0/28'}{project_flag}",
                observed.missing,
            )
        where = f"{short_name} ({region})"
        state = conn.get("state", "STATE_UNSPECIFIED")
        obs = [Observation("state", "READY", state, state == "READY", where)]
        if self.network:
            ids, home = observed.project_ids, by_id(observed.project, observed.project_ids)
            got = connector_network(by_id(conn, ids), home)
            want = qualified(by_id(self.network, ids), "networks", home)
            shown = got.display(want.project if want else None) if got else None
            obs.append(
                Observation(
                    "network",
                    self.network,
                    shown or conn.get("network") or "(none)",
                    bool(got and want and want.same(got)),
                    where,
                )
            )
        rng = conn.get("ipCidrRange") or (conn.get("subnet") or {}).get("name", "")
        if self.ip_cidr_range:
            obs.append(
                Observation(
                    "IP range",
                    self.ip_cidr_range,
                    rng or "(none)",
                    rng == self.ip_cidr_range,
                    where,
                )
            )
        else:
            obs.append(Observation("IP range", None, rng or "(none)", True, where))
        obs.append(
            Observation(
                "instances",
                None,
                f"{conn.get('minInstances', '?')}..{conn.get('maxInstances', '?')}",
                True,
                where,
            )
        )
        project_flag = (
            f" --project={observed.project}" if "/" in self.connector or self.project else ""
        )
        hint = {
            "ERROR": f"the connector is broken: delete and re-create it (gcloud compute networks vpc-access connectors delete {short_name} --region={region}{project_flag})",
            "DELETING": "the connector is being deleted: re-create it, and attach it to the Cloud Run service",
        }.get(
            state,
            "wait while the connector is created or updated"
            if state in NOT_YET
            else f"re-create the connector on network {self.network}",
        )
        return Outcome.judge(
            obs,
            ok=f"VPC connector {short_name} READY on {conn.get('network')} ({rng})",
            hint=hint,
        )
