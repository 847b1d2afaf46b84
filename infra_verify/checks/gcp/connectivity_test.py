"""``gcp.connectivity_test`` (opt-in): reachability as Google's network analyser sees it.

From a Cloud Run revision (the service's latest ready one, or ``revision:``) to a Cloud SQL
instance or an address and port, through the Network Management API's Connectivity Tests: the
probe creates the test (or reuses it by name: reruns it, or repoints it at the new revision),
waits for the long-running operation, and reads ``reachabilityDetails``. REACHABLE passes;
UNREACHABLE fails with the first step that drops the packet (firewall rule, route, connector,
egress setting) as evidence; AMBIGUOUS fails (some paths drop); UNDETERMINED is ERROR (the
analysis did not complete). It *writes* a test resource, so it needs
``roles/networkmanagement.admin``; the read-only ``gcp.cloud_sql_path`` stays the default.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from infra_verify.check import Check
from infra_verify.checks.gcp.base import GcpCheck, Reader, short
from infra_verify.context import CheckContext
from infra_verify.durations import DurationLike
from infra_verify.errors import ProbeError
from infra_verify.gcp import network_management as nm
from infra_verify.gcp import reads
from infra_verify.gcp.errors import GcpError, GcpNotFound
from infra_verify.lazy import lazy_module
from infra_verify.model import Observation, Outcome

if TYPE_CHECKING:
    import asyncio
else:
    asyncio = lazy_module("asyncio", rebind=True)  # imported by a run, not by --list

DROP_STATES = frozenset({"DROP", "ABORT"})


@dataclass(frozen=True)
class ConnectivityObserved:
    """The test as the API returned it after its latest run."""

    name: str
    source: str
    """The Cloud Run revision URI tested from ('' when the service has no ready revision)."""
    destination: str
    test: Mapping[str, Any] | None
    """The ConnectivityTest after the run; None when there was no revision to test from."""
    action: str = ""
    """What the probe did: created, reran or repointed the test."""


class GcpConnectivityTest(GcpCheck):
    """Google's Connectivity Tests say a Cloud Run revision reaches Cloud SQL (or an address)."""

    kind = "gcp.connectivity_test"

    service: str = Field(description="Cloud Run service whose latest ready revision is the source")
    revision: str | None = Field(
        default=None, description="test from this revision instead of the latest ready one"
    )
    cloud_sql_instance: str | None = Field(
        default=None, description="destination Cloud SQL instance name (in the check's project)"
    )
    ip: str | None = Field(default=None, description="destination IP address (instead of SQL)")
    port: int = Field(default=5432, ge=1, le=65535, description="destination port")
    protocol: str = Field(default="TCP", description="IP protocol analysed")
    test_name: str | None = Field(
        default=None,
        description="connectivity test id to create or reuse (default: infra-verify-SERVICE-to-DEST)",
    )

    if TYPE_CHECKING:

        def __init__(
            self,
            service: str,
            *,
            region: str | None = None,
            project: str | None = None,
            revision: str | None = None,
            cloud_sql_instance: str | None = None,
            ip: str | None = None,
            port: int = 5432,
            protocol: str = "TCP",
            test_name: str | None = None,
            id: str = "",
            after: Sequence[str | Check] | str | Check = (),
            timeout: DurationLike | None = None,
            poll: DurationLike | None = None,
            poll_max: DurationLike | None = None,
            description: str | None = None,
        ) -> None:
            """Build the check (the subject may be positional)."""

    @model_validator(mode="after")
    def _one_destination(self) -> GcpConnectivityTest:
        if bool(self.cloud_sql_instance) == bool(self.ip):
            raise ValueError("give exactly one destination: cloud_sql_instance or ip")
        return self

    def subject(self) -> str:
        """Source and destination."""
        return f"{self.service}->{self.cloud_sql_instance or f'{self.ip}:{self.port}'}"

    def test_id(self) -> str:
        """The connectivity test's id."""
        if self.test_name:
            return self.test_name
        dest = self.cloud_sql_instance or str(self.ip).replace(".", "-").replace(":", "-")
        return f"infra-verify-{self.service}-to-{dest}"[:63].rstrip("-").lower()

    async def probe(self, ctx: CheckContext) -> ConnectivityObserved:
        """Create, rerun or repoint the test, wait for its operation, read the result."""
        reader = self.reader(ctx)
        await reader.ensure_project()
        project, region = self.project_for(reader), self.region_for(ctx)
        destination: dict[str, Any] = {"port": self.port, "projectId": project}
        if self.cloud_sql_instance:
            destination["cloudSqlInstance"] = (
                f"projects/{project}/instances/{self.cloud_sql_instance}"
            )
        else:
            destination["ipAddress"] = self.ip
        dest_words = self.cloud_sql_instance or f"{self.ip}:{self.port}"
        revision = self.revision
        if revision is None:
            svc = await reader.get_or_none(
                reads.get_run_service, region, self.service, project=project
            )
            revision = short((svc or {}).get("latestReadyRevision")) or None
        if revision is None:
            return ConnectivityObserved(self.test_id(), "", dest_words, None)
        source = f"projects/{project}/locations/{region}/revisions/{revision}"
        body = {
            "source": {"cloudRunRevision": {"uri": source}, "projectId": project},
            "destination": destination,
            "protocol": self.protocol,
        }
        name = self.test_id()
        try:
            existing: dict[str, Any] | None = await reader.get(nm.get_test, project, name)
        except GcpNotFound:
            existing = None
        if existing is None:
            action, operation = "created", await reader.get(nm.create_test, project, name, body)
        elif _same_endpoints(existing, body):
            action, operation = "reran", await reader.get(nm.rerun_test, project, name)
        else:
            action, operation = "repointed", await reader.get(nm.patch_test, project, name, body)
        await _wait(reader, project, operation)
        test = await reader.get(nm.get_test, project, name)
        return ConnectivityObserved(name, source, dest_words, test, action)

    def judge(self, observed: ConnectivityObserved) -> Outcome:
        """REACHABLE passes; UNREACHABLE/AMBIGUOUS fail with the dropping step; else ERROR."""
        where = f"connectivity test {observed.name}"
        if observed.test is None:
            return Outcome.failed(
                f"Cloud Run {self.service} has no ready revision to test from",
                hint=f"gcloud run services describe {self.service}",
            )
        details = observed.test.get("reachabilityDetails") or {}
        result = str(details.get("result") or "RESULT_UNSPECIFIED")
        source = short(observed.source)
        obs = [Observation("reachability", "REACHABLE", result, result == "REACHABLE", where)]
        drop = drop_evidence(details.get("traces") or [])
        if drop is not None:
            obs.append(Observation("dropped at", None, drop, False, where))
        if result == "REACHABLE":
            return Outcome.passed(
                f"{source} reaches {observed.destination} (Connectivity Tests, {observed.action})",
                tuple(obs),
            )
        if result in ("UNREACHABLE", "AMBIGUOUS"):
            said = drop or "no step names the drop"
            kind = "cannot reach" if result == "UNREACHABLE" else "may not reach (AMBIGUOUS)"
            return Outcome.failed(
                f"{source} {kind} {observed.destination}: {said}",
                tuple(obs),
                hint=f"gcloud network-management connectivity-tests describe {observed.name}",
            )
        error = (details.get("error") or {}).get("message") or "no reason given"
        return Outcome.error(
            f"Connectivity Tests could not decide whether {source} reaches "
            f"{observed.destination} ({result}): {error}",
            tuple(obs),
            hint=f"grant {nm.ADMIN_ROLE} and read access to every resource on the path",
        )


def _same_endpoints(existing: Mapping[str, Any], body: Mapping[str, Any]) -> bool:
    src = ((existing.get("source") or {}).get("cloudRunRevision") or {}).get("uri")
    want_src = body["source"]["cloudRunRevision"]["uri"]
    dest = existing.get("destination") or {}
    want = body["destination"]
    return bool(
        src == want_src
        and dest.get("cloudSqlInstance") == want.get("cloudSqlInstance")
        and dest.get("ipAddress") == want.get("ipAddress")
        and int(dest.get("port") or 0) == want["port"]
    )


async def _wait(reader: Reader, project: str, operation: dict[str, Any]) -> None:
    """Poll the long-running operation until done, within the probe's budget."""
    delay = 0.05
    while not operation.get("done"):
        if reader.budget.remaining() <= delay:
            raise ProbeError(
                f"connectivity test operation {operation.get('name')} not done in time"
            )
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)
        operation = await reader.get(nm.get_operation, project, str(operation.get("name") or ""))
    error = operation.get("error")
    if error:
        raise GcpError(f"connectivity test run failed: {error.get('message') or error}")


def drop_evidence(traces: list[Mapping[str, Any]]) -> str | None:
    """The first step of any trace that drops (or aborts) the packet, in words, with the cause
    the trace's DROP/ABORT step gives (the firewall rule, route or connector that dropped it)."""
    for trace in traces:
        steps = [dict(s) for s in trace.get("steps") or []]
        for i, step in enumerate(steps):
            if not (step.get("causesDrop") or step.get("state") in DROP_STATES):
                continue
            text = describe_step(step)
            ending = next((s for s in steps[i:] if s.get("state") in DROP_STATES), None)
            if ending is not None and ending is not step:
                text += f" -> {describe_step(ending)}"
            return text
    return None


def describe_step(step: Mapping[str, Any]) -> str:
    """A step in words: its state, the cause and the resource (firewall rule, route, ...)."""
    parts = [str(step.get("state") or "")]
    for key in ("drop", "abort"):
        info = step.get(key) or {}
        if info.get("cause"):
            parts.append(str(info["cause"]))
        if info.get("resourceUri"):
            parts.append(str(info["resourceUri"]))
    for key in ("firewall", "route", "vpcConnector", "directVpcEgressConnection"):
        info = step.get(key) or {}
        label = info.get("displayName") or info.get("uri")
        if label:
            parts.append(f"{key} {label}")
    if step.get("description"):
        parts.append(str(step["description"]))
    return ": ".join(p for p in parts if p) or "(unnamed step)"
