"""``gcp.dns_record``: the Cloud DNS managed zone holds NAME/TYPE with exactly the expected
rrdatas, and the zone is really delegated: the name servers the world gets for the zone are the
ones Cloud DNS assigned to it (a zone that is not delegated is a classic silent failure).
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import Field, model_validator

from infra_verify.checks.dns import query
from infra_verify.checks.gcp.base import GcpCheck, Reader
from infra_verify.context import CheckContext
from infra_verify.edges import norm_host
from infra_verify.errors import ProbeError, ProbeFailed
from infra_verify.gcp import reads
from infra_verify.model import Observation, Outcome


def fqdn(name: str) -> str:
    """``name`` with exactly one trailing dot, lower-cased."""
    return name.lower().rstrip(".") + "."


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

    async def run(self, ctx: CheckContext) -> Outcome:
        """Read the zone and record sets, then check the delegation."""
        reader = Reader(self, ctx)
        zone = await self._zone(reader)
        zone_name = zone.get("name", self.zone or "?")
        found: dict[str, list[dict[str, Any]]] = {}
        for name in self.all_names:
            found[name] = await reader.get(reads.list_rrsets, zone_name, fqdn(name), self.type)
        delegation = None
        if self.check_delegation:
            delegation = await self._delegation(zone, ctx)
        return self.judge(zone, found, delegation)

    async def _zone(self, reader: Reader) -> dict[str, Any]:
        if self.zone:
            return await reader.get_or_fail(
                reads.get_managed_zone,
                self.zone,
                missing=f"managed zone {self.zone}",
                hint=f"gcloud dns managed-zones create {self.zone} --dns-name={self.zone_dns_name or 'DNS_NAME.'} --description=...",
            )
        zone = await reader.get(reads.find_managed_zone_by_dns_name, fqdn(self.zone_dns_name or ""))
        if zone is None:
            raise ProbeFailed(
                f"no managed zone for {fqdn(self.zone_dns_name or '')} in project {reader.project}",
                hint="create the zone, or name it with 'zone:'",
            )
        return zone

    async def _delegation(
        self, zone: dict[str, Any], ctx: CheckContext
    ) -> tuple[str, frozenset[str]]:
        resolvers = list(self.delegation_resolvers or ctx.resolvers)
        if not resolvers:
            from infra_verify.checks.dns import _system_resolvers

            resolvers = _system_resolvers()
        timeout = min(5.0, self.effective_timeout(ctx) / 3)
        answers = await asyncio.gather(
            *(query(r, zone.get("dnsName", ""), "NS", "resolver", timeout) for r in resolvers)
        )
        for a in answers:
            if a.rcode == "NOERROR" and a.values:
                return a.server, a.values
        if all(a.rcode in {"TIMEOUT", "UNREACHABLE"} for a in answers):
            raise ProbeError(
                f"could not check the delegation of {zone.get('dnsName')}: no resolver answered ({answers[0].describe()})",
                hint="check that the resolvers are reachable, or set check_delegation: false",
            )
        a = answers[0]
        return a.server, frozenset({f"({a.describe()})"})

    def judge(
        self,
        zone: dict[str, Any],
        found: dict[str, list[dict[str, Any]]],
        delegation: tuple[str, frozenset[str]] | None,
    ) -> Outcome:
        """Exact rrdatas per name; the delegation matches the zone's name servers."""
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
