"""``gcp.dns_record``: the Cloud DNS managed zone holds NAME/TYPE with exactly the expected
rrdatas, and the zone is really delegated: the name servers the world gets for the zone are the
ones Cloud DNS assigned to it (a zone that is not delegated is a classic silent failure).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field, model_validator

from infra_verify.budget import Budget
from infra_verify.checks.dns import ServerAnswer, query, system_resolvers
from infra_verify.checks.gcp.base import GcpCheck, Reader, not_found
from infra_verify.context import CheckContext
from infra_verify.edges import norm_host
from infra_verify.gcp import reads
from infra_verify.model import Observation, Outcome

DELEGATION_MAX = 5.0
"""The longest a resolver may take to answer the delegation's NS question (seconds)."""

DELEGATION_SHARE = 3
"""The delegation's NS question gets one of this many shares of what is left of the budget,
so that a silent resolver does not hold the check for the whole budget."""


def fqdn(name: str) -> str:
    """``name`` with exactly one trailing dot, lower-cased."""
    return name.lower().rstrip(".") + "."


@dataclass(frozen=True)
class DnsRecordObserved:
    """What the gcp.dns_record probe read: the zone, its record sets, and its live delegation."""

    project: str
    """The project read."""
    zone: dict[str, Any] | None
    """The Cloud DNS managed zone as the REST API returns it; None: it does not exist (404),
    or no zone has ``zone_dns_name``. When None, nothing else was read."""
    rrsets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Per record name of the check (as written in the policy), the record sets the zone holds
    for that name and type (an empty list: none)."""
    delegation: tuple[ServerAnswer, ...] | None = None
    """Each resolver's answer to the zone's NS question; None: the delegation was not checked."""


class GcpDnsRecord(GcpCheck):
    """A Cloud DNS record set holds exactly the expected rrdatas, in a zone that is delegated."""

    kind = "gcp.dns_record"
    positional = "name"

    zone: str | None = Field(default=None, description="managed zone name, e.g. staging-zone")
    zone_dns_name: str | None = Field(
        default=None, description="find the zone by its DNS name instead, e.g. staging.example.com."
    )
    name: str | None = Field(default=None, description="one record name")
    names: tuple[str, ...] = Field(
        default=(), description="several record names with the same type and rrdatas"
    )
    type: str = Field(default="A", description="record type")
    rrdatas: tuple[str, ...] = Field(description="the exact expected rrdatas")
    ttl: int = Field(default=300, description="TTL used in the remediation command")
    check_delegation: bool = Field(
        default=True, description="also check the zone's NS delegation with live DNS"
    )
    delegation_resolvers: tuple[str, ...] | None = Field(
        default=None, description="resolvers for the delegation check (default: defaults.resolvers)"
    )

    @model_validator(mode="after")
    def _some_name(self) -> GcpDnsRecord:
        if not self.name and not self.names:
            raise ValueError("give 'name' or 'names'")
        if not self.zone and not self.zone_dns_name:
            raise ValueError("give 'zone' (the managed zone's name) or 'zone_dns_name'")
        return self

    @property
    def all_names(self) -> tuple[str, ...]:
        """Every record name this check covers."""
        return ((self.name,) if self.name else ()) + self.names

    def subject(self) -> str:
        """Names and type."""
        return f"{','.join(self.all_names)}/{self.type}"

    def host(self) -> str | None:
        """The first name."""
        return norm_host(self.all_names[0])

    def covers_host(self, host: str | None) -> bool:
        """True for any of the names."""
        return norm_host(host) in {norm_host(n) for n in self.all_names}

    def targets(self) -> tuple[str, ...]:
        """The resolvers used for the delegation check and the expected addresses."""
        return tuple(self.delegation_resolvers or ()) + (
            self.rrdatas if self.type in {"A", "AAAA"} else ()
        )

    async def probe(self, ctx: CheckContext) -> DnsRecordObserved:
        """Read the zone and its record sets, then ask the resolvers for the zone's NS."""
        budget = self.budget(ctx)
        reader = Reader(ctx, budget)
        zone = await self._read_zone(reader)
        if zone is None:
            return DnsRecordObserved(reader.project, None)
        zone_name = zone.get("name", self.zone or "?")
        found: dict[str, list[dict[str, Any]]] = {}
        for name in self.all_names:
            found[name] = await reader.get(reads.list_rrsets, zone_name, fqdn(name), self.type)
        delegation = None
        if self.check_delegation:
            delegation = await self._ask_delegation(zone, ctx, budget)
        return DnsRecordObserved(reader.project, zone, found, delegation)

    async def _read_zone(self, reader: Reader) -> dict[str, Any] | None:
        if self.zone:
            return await reader.get_or_none(reads.get_managed_zone, self.zone)
        return await reader.get(reads.find_managed_zone_by_dns_name, fqdn(self.zone_dns_name or ""))

    async def _ask_delegation(
        self, zone: dict[str, Any], ctx: CheckContext, budget: Budget
    ) -> tuple[ServerAnswer, ...]:
        resolvers = list(self.delegation_resolvers or ctx.resolvers)
        if not resolvers:
            resolvers = system_resolvers()
        timeout = min(DELEGATION_MAX, budget.share(DELEGATION_SHARE))
        answers = await asyncio.gather(
            *(query(r, zone.get("dnsName", ""), "NS", "resolver", timeout) for r in resolvers)
        )
        return tuple(answers)

    def judge(self, observed: DnsRecordObserved) -> Outcome:
        """Exact rrdatas per name; the delegation matches the zone's name servers."""
        zone = observed.zone
        if zone is None:
            return self._no_zone(observed.project)
        delegation = None
        if observed.delegation is not None:
            answers = observed.delegation
            if not answers or all(a.rcode in {"TIMEOUT", "UNREACHABLE"} for a in answers):
                detail = answers[0].describe() if answers else "no resolver was asked"
                return Outcome.error(
                    f"could not check the delegation of {zone.get('dnsName')}: no resolver answered ({detail})",
                    hint="check that the resolvers are reachable, or set check_delegation: false",
                )
            delegation = _delegated_to(answers)
        return self._judge_zone(zone, observed.rrsets, delegation)

    def _no_zone(self, project: str) -> Outcome:
        if self.zone:
            return not_found(
                f"managed zone {self.zone}",
                project,
                f"gcloud dns managed-zones create {self.zone} --dns-name={self.zone_dns_name or 'DNS_NAME.'} --description=...",
            )
        return Outcome.failed(
            f"no managed zone for {fqdn(self.zone_dns_name or '')} in project {project}",
            hint="create the zone, or name it with 'zone:'",
        )

    def _judge_zone(
        self,
        zone: dict[str, Any],
        found: dict[str, list[dict[str, Any]]],
        delegation: tuple[str, frozenset[str]] | None,
    ) -> Outcome:
        zone_name = zone.get("name", self.zone or "?")
        want = sorted(self.rrdatas)
        obs: list[Observation] = []
        missing: list[str] = []
        wrong: list[str] = []
        for name, rrsets in found.items():
            actual = sorted(
                v for rr in rrsets if rr.get("type") == self.type for v in rr.get("rrdatas", [])
            )
            ok = actual == want
            obs.append(
                Observation(
                    f"{fqdn(name)} {self.type}",
                    ", ".join(want),
                    ", ".join(actual) or "(no record set)",
                    ok,
                    f"zone {zone_name}",
                )
            )
            if not actual:
                missing.append(name)
            elif not ok:
                wrong.append(name)
        if delegation is not None:
            server, ns = delegation
            assigned = {fqdn(n) for n in zone.get("nameServers", [])}
            seen = {fqdn(n) if not n.startswith("(") else n for n in ns}
            ok = bool(assigned) and seen == assigned
            obs.append(
                Observation(
                    "delegation (NS)",
                    ", ".join(sorted(assigned)),
                    ", ".join(sorted(seen)),
                    ok,
                    server,
                )
            )
        commands = [
            f"gcloud dns record-sets {'create' if n in missing else 'update'} {fqdn(n)} --zone={zone_name} "
            f"--type={self.type} --ttl={self.ttl} --rrdatas={','.join(self.rrdatas)}"
            for n in (*missing, *wrong)
        ]
        if commands:
            what = "missing" if not wrong else ("wrong" if not missing else "missing or wrong")
            names = ", ".join(fqdn(n) for n in (*missing, *wrong))
            return Outcome.failed(
                f"Cloud DNS zone {zone_name}: {self.type} record {what} for {names} (expected {', '.join(want)})",
                tuple(obs),
                hint=" && ".join(commands),
            )
        if delegation is not None and not obs[-1].ok:
            return Outcome.failed(
                f"zone {zone_name} ({zone.get('dnsName')}) is not delegated to its Cloud DNS name servers",
                tuple(obs),
                hint=(
                    f"at the registrar or parent zone, set the NS records of {zone.get('dnsName')} to "
                    + " ".join(sorted(fqdn(n) for n in zone.get("nameServers", [])))
                ),
            )
        return Outcome.passed(
            f"Cloud DNS zone {zone_name} holds {self.subject()} → {', '.join(want)}"
            + (", and the zone is delegated" if delegation is not None else ""),
            tuple(obs),
        )


def _delegated_to(answers: tuple[ServerAnswer, ...]) -> tuple[str, frozenset[str]]:
    """The first resolver naming name servers, and them; else the first answer, described."""
    for a in answers:
        if a.rcode == "NOERROR" and a.values:
            return a.server, a.values
    a = answers[0]
    return a.server, frozenset({f"({a.describe()})"})
