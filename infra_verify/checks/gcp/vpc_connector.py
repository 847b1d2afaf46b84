"""``gcp.vpc_connector``: a Serverless VPC Access connector is READY, on the expected network,
in the region of the services that use it; its IP range and instance bounds are reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field

from infra_verify.checks.gcp.base import GcpCheck, not_found, same_resource
from infra_verify.context import CheckContext
from infra_verify.gcp import reads
from infra_verify.model import Observation, Outcome

NOT_YET = {"CREATING", "UPDATING"}


@dataclass(frozen=True)
class VpcConnectorObserved:
    """What the gcp.vpc_connector probe read."""

    project: str
    """The project read."""
    region: str
    """The region the connector was looked up in."""
    connector: dict[str, Any] | None
    """The vpcaccess v1 connector as the REST API returns it; None: it does not exist (404)."""


class GcpVpcConnector(GcpCheck):
    """A Serverless VPC Access connector is READY on the expected network and region."""

    kind = "gcp.vpc_connector"

    connector: str = Field(description="connector name")
    network: str | None = Field(
        default=None, description="expected VPC network (short name or full path)"
    )
    ip_cidr_range: str | None = Field(default=None, description="expected /28 range")

    def subject(self) -> str:
        """The connector."""
        return self.connector

    async def probe(self, ctx: CheckContext) -> VpcConnectorObserved:
        """Read the connector in the check's region."""
        reader = self.reader(ctx)
        region = self.region_for(ctx)
        conn = await reader.get_or_none(reads.get_connector, region, self.connector)
        return VpcConnectorObserved(reader.project, region, conn)

    def judge(self, observed: VpcConnectorObserved) -> Outcome:
        """State, network and range; instance bounds are reported."""
        region, conn = observed.region, observed.connector
        if conn is None:
            return not_found(
                f"VPC connector {self.connector} ({region})",
                observed.project,
                f"gcloud compute networks vpc-access connectors create {self.connector} --region={region} --network={self.network or 'NETWORK'} --range={self.ip_cidr_range or '10.8.0.0/28'}",
            )
        where = f"{self.connector} ({region})"
        state = conn.get("state", "STATE_UNSPECIFIED")
        obs = [Observation("state", "READY", state, state == "READY", where)]
        if self.network:
            net = conn.get("network", "")
            obs.append(
                Observation(
                    "network",
                    self.network,
                    net or "(none)",
                    same_resource(self.network, net) or same_resource(net, self.network),
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
        hint = {
            "ERROR": f"the connector is broken: delete and re-create it (gcloud compute networks vpc-access connectors delete {self.connector} --region={region})",
            "DELETING": "the connector is being deleted: re-create it, and attach it to the Cloud Run service",
        }.get(
            state,
            "wait while the connector is created or updated"
            if state in NOT_YET
            else f"re-create the connector on network {self.network}",
        )
        return Outcome.judge(
            obs,
            ok=f"VPC connector {self.connector} READY on {conn.get('network')} ({rng})",
            hint=hint,
        )
