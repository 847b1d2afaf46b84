"""``gcp.dns_propagation``: Cloud DNS and the wire agree. What the managed zone holds for a name
(its record set's ``rrdatas``) is what the zone's authoritative servers (its ``nameServers``)
and the policy's resolvers answer.

A difference is propagation, not a broken record: the authoritative servers pick up a change
by themselves, and a resolver's cached answer lives until its remaining TTL runs out (a cached
NXDOMAIN for the SOA's negative-caching TTL), which bounds the wait and makes the ETA. A record
Cloud DNS does not hold is a FAIL (``gcp.dns_record`` names the fix).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from infra_verify.check import Check
from infra_verify.checks.dns import ServerAnswer, dns_name, normalize, query, system_resolvers
from infra_verify.checks.gcp.base import GcpCheck, not_found
from infra_verify.context import CheckContext
from infra_verify.durations import DurationLike
from infra_verify.edges import norm_host
from infra_verify.gcp import reads
from infra_verify.lazy import lazy_module
from infra_verify.model import Eta, Observation, Outcome

if TYPE_CHECKING:
    import asyncio
else:
    asyncio = lazy_module("asyncio", rebind=True)  # imported by a run, not by --list


@dataclass(frozen=True)
class PropagationObserved:
    """Cloud DNS's record set and every server's answer, and when they were asked."""

    project: str
    zone: dict[str, Any] | None
    """The managed zone; None: it does not exist (404)."""
    rrdatas: tuple[str, ...] | None
    """What Cloud DNS holds; None: no record set of this name and type."""
    answers: tuple[ServerAnswer, ...] = ()
    observed_at: float = 0.0
    missing: tuple[str, ...] = ()


class GcpDnsPropagation(GcpCheck):
    """The zone's authoritative servers and the resolvers answer what Cloud DNS holds."""

    kind = "gcp.dns_propagation"

    zone: str = Field(description="Cloud DNS managed zone name")
    name: str = Field(description="the record's DNS name")
    type: str = Field(default="A", description="record type")
    resolvers: tuple[str, ...] | None = Field(
        default=None, description="resolvers (ip or ip:port); default: defaults.resolvers"
    )
    nameservers: tuple[str, ...] = Field(
        default=(),
        description="authoritative servers (ip or ip:port) instead of the zone's nameServers",
    )
    nameserver_port: int = Field(
        default=53, description="port of the zone's nameServers (tests use another)"
    )

    if TYPE_CHECKING:

        def __init__(
            self,
            zone: str,
            *,
            region: str | None = None,
            project: str | None = None,
            name: str,
            type: str = "A",
            resolvers: Sequence[str] | None = None,
            nameservers: Sequence[str] = (),
            nameserver_port: int = 53,
            id: str = "",
            after: Sequence[str | Check] | str | Check = (),
            timeout: DurationLike | None = None,
            poll: DurationLike | None = None,
            poll_max: DurationLike | None = None,
            description: str | None = None,
        ) -> None:
            """Build the check (the subject may be positional)."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return dns_name(value)

    def subject(self) -> str:
        """Name and type."""
        return f"{self.name}/{self.type}"

    def host(self) -> str | None:
        """The record's name."""
        return norm_host(self.name)

    def targets(self) -> tuple[str, ...]:
        """The servers asked directly."""
        return tuple(self.resolvers or ()) + self.nameservers

    async def probe(self, ctx: CheckContext) -> PropagationObserved:
        """Read the zone and its record set, then ask every authoritative server and resolver."""
        reader = self.reader(ctx)
        await reader.ensure_project()
        project = self.project_for(reader)
        zone = await reader.get_or_none(reads.get_managed_zone, self.zone, project=project)
        if zone is None:
            return PropagationObserved(project, None, None, missing=tuple(reader.missing))
        rrsets = await reader.get(
            reads.list_rrsets, self.zone, self.name, self.type, project=project
        )
        rrdatas = tuple(str(r) for s in rrsets for r in s.get("rrdatas") or []) or None
        resolvers = list(self.resolvers if self.resolvers is not None else ctx.resolvers)
        resolvers = resolvers or system_resolvers()
        timeout = reader.budget.remaining()
        auth = list(self.nameservers)
        if not auth:
            for ns in zone.get("nameServers") or []:
                found = await query(resolvers[0], str(ns), "A", "resolver", timeout / 4)
                auth += [f"{ip}:{self.nameserver_port}" for ip in sorted(found.values)]
        timeout = reader.budget.remaining()
        jobs = [query(s, self.name, self.type, "authoritative", timeout) for s in auth]
        jobs += [query(s, self.name, self.type, "resolver", timeout) for s in resolvers]
        answers = tuple(await asyncio.gather(*jobs))
        return PropagationObserved(project, zone, rrdatas, answers, time.time())

    def judge(self, observed: PropagationObserved) -> Outcome:
        """Each server's answer against Cloud DNS's rrdatas; the cached ones bound the ETA."""
        label = f"{self.name} {self.type}"
        if observed.zone is None:
            return not_found(
                f"Cloud DNS zone {self.zone}", observed.project, "create the zone", observed.missing
            )
        if observed.rrdatas is None:
            return Outcome.failed(
                f"Cloud DNS zone {self.zone} holds no {label} record: nothing to propagate",
                hint=f"add it: gcloud dns record-sets create {self.name}. --zone={self.zone} "
                f"--type={self.type} --rrdatas=VALUE",
            )
        if not observed.answers:
            return Outcome.error(f"{label}: no authoritative server or resolver to ask")
        want = frozenset(normalize(self.type, v) for v in observed.rrdatas)
        shown = ", ".join(sorted(want))
        obs = []
        stale: list[ServerAnswer] = []
        for a in observed.answers:
            ok = a.rcode == "NOERROR" and a.values == want
            obs.append(Observation(f"{a.role} answer", shown, a.describe(), ok, a.server))
            if not ok:
                stale.append(a)
        if not stale:
            return Outcome.passed(
                f"{label}: Cloud DNS's {shown} answered by {len(obs)} server(s)", tuple(obs)
            )
        silent = [a for a in stale if a.rcode in ("TIMEOUT", "UNREACHABLE", "REFUSED")]
        if silent:
            a = silent[0]
            return Outcome.error(
                f"{label}: {a.server} did not answer ({a.describe()})",
                tuple(obs),
                hint="check that every server is reachable from where the gate runs",
            )
        views = "; ".join(f"{a.role} {a.server} says {a.describe()}" for a in stale)
        return Outcome.failed(
            f"{label}: Cloud DNS holds {shown}, but {views} (propagating)",
            tuple(obs),
            hint="wait for the cached answers' TTL to run out, or flush the resolvers' caches",
            eta=_eta(stale, observed.observed_at, label),
        )


def _eta(stale: list[ServerAnswer], at: float, label: str) -> Eta | None:
    """The latest moment a cached answer can still be served: the largest remaining TTL.
    An authoritative server that disagrees has no TTL to wait out: no ETA."""
    bounds: list[tuple[int, str]] = []
    for a in stale:
        if a.role != "resolver" or not a.cached:
            return None
        ttl = a.negative_ttl if not a.values else a.ttl
        if ttl is None:
            return None
        bounds.append((ttl, f"resolver {a.server} cached {a.describe()} for {label} for {ttl} s"))
    if not bounds or not at:
        return None
    ttl, why = max(bounds)
    return Eta(at + ttl, at + ttl, why, action="flush the resolver's cache")
