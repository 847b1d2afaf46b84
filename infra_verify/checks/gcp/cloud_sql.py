"""``gcp.cloud_sql_instance``: the instance is RUNNABLE with activation policy ALWAYS, has a
private IP on the expected VPC network when expected, and the expected version and SSL mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field

from infra_verify.checks.gcp.base import GcpCheck, not_found, same_resource
from infra_verify.context import CheckContext
from infra_verify.gcp import reads
from infra_verify.model import Observation, Outcome


def private_ip(instance: dict[str, Any]) -> str | None:
    """The instance's private IP address, if any."""
    return next(
        (a.get("ipAddress") for a in instance.get("ipAddresses", []) if a.get("type") == "PRIVATE"),
        None,
    )


def private_network(instance: dict[str, Any]) -> str:
    """The instance's private network path (``/projects/P/global/networks/N``), or ''."""
    return str(
        ((instance.get("settings") or {}).get("ipConfiguration") or {}).get("privateNetwork", "")
    )


@dataclass(frozen=True)
class CloudSqlObserved:
    """What the gcp.cloud_sql_instance probe read."""

    project: str
    """The project read."""
    instance: dict[str, Any] | None
    """The sqladmin v1 instance as the REST API returns it; None: it does not exist (404)."""


class GcpCloudSqlInstance(GcpCheck):
    """A Cloud SQL instance is RUNNABLE, always on, reachable on its private network."""

    kind = "gcp.cloud_sql_instance"

    instance: str = Field(description="instance name (not the connection name)")
    database_version: str | None = Field(default=None, description="e.g. POSTGRES_15")
    private_ip: bool | None = Field(
        default=None, description="true: must have a private IP; false: must not"
    )
    network: str | None = Field(
        default=None, description="expected private network (short name or path)"
    )
    ssl_mode: str | None = Field(default=None, description="e.g. ENCRYPTED_ONLY")
    activation_policy: str = Field(default="ALWAYS", description="expected activation policy")

    def subject(self) -> str:
        """The instance."""
        return self.instance

    async def probe(self, ctx: CheckContext) -> CloudSqlObserved:
        """Read the instance."""
        reader = self.reader(ctx)
        inst = await reader.get_or_none(reads.get_sql_instance, self.instance)
        return CloudSqlObserved(reader.project, inst)

    def judge(self, observed: CloudSqlObserved) -> Outcome:
        """State, activation, private IP/network, version and SSL, each as an observation."""
        inst = observed.instance
        if inst is None:
            return not_found(
                f"Cloud SQL instance {self.instance}",
                observed.project,
                f"gcloud sql instances create {self.instance} --database-version={self.database_version or 'POSTGRES_15'} --network={self.network or 'NETWORK'} --no-assign-ip",
            )
        where = self.instance
        settings = inst.get("settings") or {}
        ipc = settings.get("ipConfiguration") or {}
        state = inst.get("state", "SQL_INSTANCE_STATE_UNSPECIFIED")
        activation = settings.get("activationPolicy", "(unset)")
        obs = [
            Observation("state", "RUNNABLE", state, state == "RUNNABLE", where),
            Observation(
                "activation policy",
                self.activation_policy,
                activation,
                activation == self.activation_policy,
                where,
            ),
        ]
        pip = private_ip(inst)
        if self.private_ip is not None:
            obs.append(
                Observation(
                    "private IP",
                    "present" if self.private_ip else "absent",
                    pip or "absent",
                    bool(pip) == self.private_ip,
                    where,
                )
            )
        if self.network:
            net = private_network(inst)
            obs.append(
                Observation(
                    "private network",
                    self.network,
                    net or "(none)",
                    same_resource(self.network, net),
                    where,
                )
            )
        if self.database_version:
            ver = inst.get("databaseVersion", "(unset)")
            obs.append(
                Observation(
                    "database version",
                    self.database_version,
                    ver,
                    ver == self.database_version,
                    where,
                )
            )
        if self.ssl_mode:
            mode = ipc.get("sslMode", "(unset)")
            obs.append(Observation("SSL mode", self.ssl_mode, mode, mode == self.ssl_mode, where))
        if pip and self.private_ip is None:
            obs.append(Observation("private IP", None, pip, True, where))
        hint = {
            "SUSPENDED": "the instance is suspended (often billing): resolve it in the console",
            "MAINTENANCE": "wait for maintenance to finish",
            "PENDING_CREATE": "wait while the instance is created",
            "FAILED": "the instance failed: see gcloud sql operations list --instance "
            + self.instance,
        }.get(
            state,
            f"gcloud sql instances patch {self.instance} (activation policy, private network, SSL mode)",
        )
        return Outcome.judge(
            obs,
            ok=f"Cloud SQL {self.instance} RUNNABLE" + (f", private IP {pip}" if pip else ""),
            hint=hint,
        )
