"""``gcp.cloud_sql_instance``: the instance is RUNNABLE with activation policy ALWAYS, has a
private IP on the expected VPC network when expected (compared fully qualified: a Shared VPC
host's ``default`` is not the service project's ``default``), Private Service Connect when
expected, and the expected version and SSL mode.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from infra_verify.check import Check
from infra_verify.checks.gcp.base import GcpCheck, Reader, not_found, qualified, valid_name
from infra_verify.checks.gcp.project_numbers import by_id, resolve_project_numbers
from infra_verify.context import CheckContext
from infra_verify.durations import DurationLike
from infra_verify.gcp import reads
from infra_verify.gcp.names import ResourceName
from infra_verify.model import Observation, Outcome


def private_ip(instance: dict[str, Any]) -> str | None:
    """The instance's private IP address, if any."""
    return next(
        (a.get("ipAddress") for a in instance.get("ipAddresses", []) if a.get("type") == "PRIVATE"),
        None,
    )


def public_ip(instance: dict[str, Any]) -> str | None:
    """The instance's public (PRIMARY) IP address when public IP is enabled, else None."""
    ipc = (instance.get("settings") or {}).get("ipConfiguration") or {}
    if ipc.get("ipv4Enabled") is False:
        return None
    return next(
        (a.get("ipAddress") for a in instance.get("ipAddresses", []) if a.get("type") == "PRIMARY"),
        None,
    )


def private_network(instance: dict[str, Any]) -> str:
    """The instance's private network path (``/projects/P/global/networks/N``), or ''."""
    return str(
        ((instance.get("settings") or {}).get("ipConfiguration") or {}).get("privateNetwork", "")
    )


def private_network_name(instance: dict[str, Any], project: str) -> ResourceName | None:
    """The instance's private network, fully qualified (a bare name is in ``project``)."""
    text = private_network(instance)
    if not text:
        return None
    try:
        return ResourceName.parse(text, "networks").qualified(project)
    except ValueError:
        return None


def psc_config(instance: dict[str, Any]) -> dict[str, Any]:
    """``settings.ipConfiguration.pscConfig`` when PSC is enabled, else {}."""
    psc = ((instance.get("settings") or {}).get("ipConfiguration") or {}).get("pscConfig") or {}
    return dict(psc) if psc.get("pscEnabled") else {}


def instance_name(text: str, project: str) -> ResourceName:
    """A policy's instance (name, PROJECT:REGION:INSTANCE or projects/P/instances/I), qualified."""
    return ResourceName.parse(text, "instances").qualified(project)


async def read_instance(
    reader: Reader, text: str, project: str
) -> tuple[str, dict[str, Any] | None]:
    """The instance's project and the instance (None: 404), read where its name says."""
    name = instance_name(text, project)
    in_project = name.project or project
    return in_project, await reader.get_or_none(
        reads.get_sql_instance, name.name, project=in_project
    )


@dataclass(frozen=True)
class CloudSqlObserved:
    """What the gcp.cloud_sql_instance probe read."""

    project: str
    """The project read."""
    instance: dict[str, Any] | None
    """The sqladmin v1 instance as the REST API returns it; None: it does not exist (404)."""
    missing: tuple[str, ...] = ()
    """The server's words for the 404, when the instance does not exist."""
    project_ids: Mapping[str, str] = field(default_factory=dict)
    """Project numbers named by ``network:`` or the instance, resolved to IDs (projects.get)."""


class GcpCloudSqlInstance(GcpCheck):
    """A Cloud SQL instance is RUNNABLE, always on, reachable on its private network."""

    kind = "gcp.cloud_sql_instance"

    instance: str = Field(
        description="instance name (or PROJECT:REGION:INSTANCE, or projects/P/instances/NAME)"
    )
    database_version: str | None = Field(default=None, description="e.g. POSTGRES_15")
    private_ip: bool | None = Field(
        default=None, description="true: must have a private IP; false: must not"
    )
    network: str | None = Field(
        default=None,
        description="expected private network: short name (in the instance's project) or "
        "projects/P/global/networks/NAME (a Shared VPC host's)",
    )
    psc: bool | None = Field(
        default=None, description="true: Private Service Connect must be enabled; false: must not"
    )
    ssl_mode: str | None = Field(default=None, description="e.g. ENCRYPTED_ONLY")
    activation_policy: str = Field(default="ALWAYS", description="expected activation policy")

    if TYPE_CHECKING:

        def __init__(
            self,
            instance: str,
            *,
            region: str | None = None,
            project: str | None = None,
            database_version: str | None = None,
            private_ip: bool | None = None,
            network: str | None = None,
            psc: bool | None = None,
            ssl_mode: str | None = None,
            activation_policy: str = "ALWAYS",
            id: str = "",
            after: Sequence[str | Check] | str | Check = (),
            timeout: DurationLike | None = None,
            poll: DurationLike | None = None,
            poll_max: DurationLike | None = None,
            description: str | None = None,
        ) -> None:
            """Build the check (the subject may be positional)."""

    @field_validator("instance")
    @classmethod
    def _instance_name(cls, value: str) -> str:
        return valid_name(value, "instances") or value

    @field_validator("network")
    @classmethod
    def _network_name(cls, value: str | None) -> str | None:
        return valid_name(value, "networks")

    def subject(self) -> str:
        """The instance."""
        return self.instance

    async def probe(self, ctx: CheckContext) -> CloudSqlObserved:
        """Read the instance (in its own project)."""
        reader = self.reader(ctx)
        await reader.ensure_project()
        project, inst = await read_instance(reader, self.instance, self.project_for(reader))
        ids: dict[str, str] = {}
        if inst is not None and self.network:
            ids = await resolve_project_numbers(reader, [self.network, inst], [project])
        return CloudSqlObserved(project, inst, tuple(reader.missing), ids)

    def judge(self, observed: CloudSqlObserved) -> Outcome:
        """State, activation, private IP/network, PSC, version and SSL, each an observation."""
        inst = observed.instance
        short_name = ResourceName.parse(self.instance, "instances").name
        if inst is None:
            return not_found(
                f"Cloud SQL instance {short_name}",
                observed.project,
                f"gcloud sql instances create {short_name} --database-version={self.database_version or 'POSTGRES_15'} --network={self.network or 'NETWORK'} --no-assign-ip",
                observed.missing,
            )
        where = short_name
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
            ids, home = observed.project_ids, by_id(observed.project, observed.project_ids)
            got = private_network_name(by_id(inst, ids), home)
            want = qualified(by_id(self.network, ids), "networks", home)
            obs.append(
                Observation(
                    "private network",
                    self.network,
                    private_network(inst) or "(none)",
                    bool(got and want and want.same(got)),
                    where,
                )
            )
        psc = psc_config(inst)
        if self.psc is not None:
            obs.append(
                Observation(
                    "Private Service Connect",
                    "enabled" if self.psc else "disabled",
                    "enabled" if psc else "disabled",
                    bool(psc) == self.psc,
                    where,
                )
            )
        elif psc:
            dns = inst.get("dnsName") or "(no DNS name yet)"
            obs.append(Observation("Private Service Connect", None, f"enabled, {dns}", True, where))
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
            + short_name,
        }.get(
            state,
            f"gcloud sql instances patch {short_name} (activation policy, private network, SSL mode)",
        )
        return Outcome.judge(
            obs,
            ok=f"Cloud SQL {short_name} RUNNABLE" + (f", private IP {pip}" if pip else ""),
            hint=hint,
        )
