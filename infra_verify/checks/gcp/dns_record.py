"""``gcp.dns_record``: the Cloud DNS managed zone holds NAME/TYPE with exactly the expected
rrdatas, and the zone is really delegated: the name servers the world gets for the zone are the
ones Cloud DNS assigned to it (a zone that is not delegated is a classic silent failure).

Cloud DNS stores a name's addresses in three shapes, and all are judged: plain ``rrdatas``; a
routing policy (``routingPolicy``: geo, weighted round robin or primary/backup, no
``rrdatas``), whose items together must hold exactly the expected addresses; and a CNAME to
another name of the zone, followed (up to :data:`CNAME_DEPTH` links) to the record set that
holds the addresses. A private zone answers only inside its VPC networks: it is refused for a
public name unless the policy says ``visibility: private``. The zone may live in another project
(a DNS hub): give ``project:`` or ``zone: projects/P/managedZones/NAME``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from infra_verify.budget import Budget
from infra_verify.check import Check
from infra_verify.checks.dns import ServerAnswer, query, system_resolvers
from infra_verify.checks.gcp.base import GcpCheck, Reader, not_found, valid_name
from infra_verify.context import CheckContext
from infra_verify.durations import DurationLike
from infra_verify.edges import norm_host
from infra_verify.gcp import reads
from infra_verify.gcp.names import ResourceName
from infra_verify.lazy import lazy_module
from infra_verify.model import Observation, Outcome

if TYPE_CHECKING:
    import asyncio
else:
    asyncio = lazy_module("asyncio", rebind=True)  # imported by a run, not by --list

DELEGATION_MAX = 5.0
"""The longest a resolver may take to answer the delegation's NS question (seconds)."""

DELEGATION_SHARE = 3
"""The delegation's NS question gets one of this many shares of what is left of the budget,
so that a silent resolver does not hold the check for the whole budget."""

CNAME_DEPTH = 8
"""The most CNAME links followed inside the zone before the chain is judged too long."""

ROUTING = {"geo": "geo", "wrr": "wrr", "primary_backup": "primaryBackup"}
"""The policy's ``routing`` values and the ``routingPolicy`` keys they name."""


def fqdn(name: str) -> str:
    """``name`` with exactly one trailing dot, lower-cased."""
    return name.lower().rstrip(".") + "."


def routing_kind(rrset: Mapping[str, Any]) -> str | None:
    """The routing policy of a record set (``geo``, ``wrr``, ``primary_backup``), or None."""
    policy = rrset.get("routingPolicy") or {}
    return next((k for k, key in ROUTING.items() if policy.get(key)), None)


def routing_rrdatas(rrset: Mapping[str, Any]) -> list[str]:
    """Every address a routing policy's items answer with (rrdatas and health-checked IPs)."""
    policy = rrset.get("routingPolicy") or {}
    items: list[Mapping[str, Any]] = []
    items += (policy.get("geo") or {}).get("items", [])
    items += (policy.get("wrr") or {}).get("items", [])
    backup = policy.get("primaryBackup") or {}
    items += (backup.get("backupGeoTargets") or {}).get("items", [])
    out: list[str] = []
    for item in items:
        out += item.get("rrdatas", [])
        out += (item.get("healthCheckedTargets") or {}).get("externalEndpoints", [])
    out += (backup.get("primaryTargets") or {}).get("externalEndpoints", [])
    return out


def rrset_values(rrset: Mapping[str, Any]) -> list[str]:
    """A record set's answers: its rrdatas, or its routing policy's addresses."""
    return list(rrset.get("rrdatas") or []) or routing_rrdatas(rrset)


def in_zone(name: str, zone_dns_name: str) -> bool:
    """True when ``name`` is the zone's apex or below it."""
    name, apex = fqdn(name), fqdn(zone_dns_name)
    return name == apex or name.endswith("." + apex)


@dataclass(frozen=True)
class _Resolved:
    """A name's record set of the check's type, found directly or at the end of a CNAME chain."""

    rrset: dict[str, Any] | None
    chain: tuple[str, ...] = ()
    """The CNAME chain followed, from the name to the name that holds the record set."""
    broken: str | None = None
    """Why the chain could not be followed to a record set (outside the zone, a loop, ...)."""


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
    for that name (every type: a CNAME there is followed; an empty list: none)."""
    delegation: tuple[ServerAnswer, ...] | None = None
    """Each resolver's answer to the zone's NS question; None: the delegation was not checked."""
    cnames: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)
    """The record sets of each name a CNAME points to inside the zone (keyed by its FQDN)."""
    missing: tuple[str, ...] = ()
    """The server's words for the 404, when the zone does not exist."""


class GcpDnsRecord(GcpCheck):
    """A Cloud DNS record set holds exactly the expected rrdatas, in a zone that is delegated."""

    kind = "gcp.dns_record"
    positional = "name"

    zone: str | None = Field(
        default=None,
        description="managed zone name, e.g. staging-zone (or projects/P/managedZones/NAME)",
    )
    zone_dns_name: str | None = Field(
        default=None, description="find the zone by its DNS name instead, e.g. staging.example.com."
    )
    name: str | None = Field(default=None, description="one record name")
    names: tuple[str, ...] = Field(
        default=(), description="several record names with the same type and rrdatas"
    )
    type: str = Field(default="A", description="record type")
    rrdatas: tuple[str, ...] = Field(
        description="the exact expected rrdatas (for a routing policy: every address its items "
        "answer with, together)"
    )
    ttl: int = Field(default=300, description="TTL used in the remediation command")
    routing: Literal["geo", "wrr", "primary_backup"] | None = Field(
        default=None,
        description="expect a routing-policy record set of this kind (geo, wrr, primary_backup)",
    )
    visibility: Literal["public", "private"] | None = Field(
        default=None,
        description="the zone's visibility; unset: public (a private zone answers only inside "
        "its VPC networks, so it is refused unless this says private)",
    )
    check_delegation: bool = Field(
        default=True,
        description="also check the public zone's NS delegation with live DNS",
    )
    delegation_resolvers: tuple[str, ...] | None = Field(
        default=None, description="resolvers for the delegation check (default: defaults.resolvers)"
    )

    if TYPE_CHECKING:

        def __init__(
            self,
            name: str | None = None,
            *,
            region: str | None = None,
            project: str | None = None,
            zone: str | None = None,
            zone_dns_name: str | None = None,
            names: Sequence[str] = (),
            type: str = "A",
            rrdatas: Sequence[str],
            ttl: int = 300,
            routing: Literal["geo", "wrr", "primary_backup"] | None = None,
            visibility: Literal["public", "private"] | None = None,
            check_delegation: bool = True,
            delegation_resolvers: Sequence[str] | None = None,
            id: str = "",
            after: Sequence[str | Check] | str | Check = (),
            timeout: DurationLike | None = None,
            poll: DurationLike | None = None,
            poll_max: DurationLike | None = None,
            description: str | None = None,
        ) -> None:
            """Build the check (the subject may be positional)."""

    @field_validator("zone")
    @classmethod
    def _zone_name(cls, value: str | None) -> str | None:
        return valid_name(value, "managedZones")

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

    @property
    def wants_private(self) -> bool:
        """True when the policy says the zone is private."""
        return self.visibility == "private"

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

    def zone_name(self, project: str) -> ResourceName | None:
        """The zone the policy names, qualified (None: found by its DNS name)."""
        if not self.zone:
            return None
        return ResourceName.parse(self.zone, "managedZones").qualified(self.project or project)

    async def probe(self, ctx: CheckContext) -> DnsRecordObserved:
        """Read the zone and its record sets (following CNAMEs inside the zone), then, for a
        public zone, ask the resolvers for the zone's NS."""
        budget = self.budget(ctx)
        reader = Reader(ctx, budget)
        await reader.ensure_project()
        project, zone = await self._read_zone(reader)
        if zone is None:
            return DnsRecordObserved(project, None, missing=tuple(reader.missing))
        zone_name = zone.get("name", self.zone or "?")
        found: dict[str, list[dict[str, Any]]] = {}
        cnames: dict[str, list[dict[str, Any]]] = {}
        for name in self.all_names:
            found[name] = await reader.get(
                reads.list_rrsets, zone_name, fqdn(name), project=project
            )
            await self._follow(reader, zone, project, found[name], cnames)
        delegation = None
        if self.check_delegation and _visibility(zone) == "public":
            delegation = await self._ask_delegation(zone, ctx, budget)
        return DnsRecordObserved(
            project, zone, found, delegation, cnames, missing=tuple(reader.missing)
        )

    async def _follow(
        self,
        reader: Reader,
        zone: dict[str, Any],
        project: str,
        rrsets: list[dict[str, Any]],
        cnames: dict[str, list[dict[str, Any]]],
    ) -> None:
        """Read the record sets of each CNAME target inside the zone, link after link."""
        if self.type == "CNAME":
            return
        current = rrsets
        for _ in range(CNAME_DEPTH):
            if any(rr.get("type") == self.type for rr in current):
                return
            target = _cname_target(current)
            if target is None or not in_zone(target, zone.get("dnsName", "")):
                return
            if target in cnames:
                return  # a loop, or already read for another name
            cnames[target] = await reader.get(
                reads.list_rrsets, zone.get("name", ""), target, project=project
            )
            current = cnames[target]

    async def _read_zone(self, reader: Reader) -> tuple[str, dict[str, Any] | None]:
        named = self.zone_name(reader.project)
        if named is not None:
            project = named.project or reader.project
            zone = await reader.get_or_none(reads.get_managed_zone, named.name, project=project)
            return project, zone
        project = self.project_for(reader)
        zone = await reader.get(
            reads.find_managed_zone_by_dns_name,
            fqdn(self.zone_dns_name or ""),
            project=project,
            visibility=self.visibility or "public",
        )
        return project, zone

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
        """Visibility; exact rrdatas per name (through CNAMEs and routing policies); the
        delegation matches the zone's name servers."""
        zone = observed.zone
        if zone is None:
            return self._no_zone(observed.project, observed.missing)
        visible = self._judge_visibility(zone)
        if visible is not None:
            return visible
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
        return self._judge_zone(zone, observed, delegation)

    def _judge_visibility(self, zone: dict[str, Any]) -> Outcome | None:
        """FAIL for a zone whose visibility is not the one expected (public unless said)."""
        seen = _visibility(zone)
        want = self.visibility or "public"
        if seen == want:
            return None
        zone_name = zone.get("name", self.zone or "?")
        obs = (Observation("zone visibility", want, seen, False, f"zone {zone_name}"),)
        if seen == "private":
            return Outcome.failed(
                f"Cloud DNS zone {zone_name} is private: it answers only inside its VPC networks, "
                f"not for the public name(s) {', '.join(fqdn(n) for n in self.all_names)}",
                obs,
                terminal=True,
                hint="name the public zone that serves these names (zone: or zone_dns_name:), "
                "or set visibility: private if the names are meant to resolve only inside the VPC",
            )
        return Outcome.failed(
            f"Cloud DNS zone {zone_name} is public, but the policy expects a private zone",
            obs,
            terminal=True,
            hint="name the private zone (zone:), or drop visibility: private",
        )

    def _no_zone(self, project: str, missing: tuple[str, ...]) -> Outcome:
        if self.zone:
            short_name = ResourceName.parse(self.zone, "managedZones").name
            return not_found(
                f"managed zone {short_name}",
                project,
                f"gcloud dns managed-zones create {short_name} --dns-name={self.zone_dns_name or 'DNS_NAME.'} --description=...",
                missing,
            )
        return Outcome.failed(
            f"no managed zone for {fqdn(self.zone_dns_name or '')} in project {project}",
            hint="create the zone, or name it with 'zone:'",
        )

    def _resolve(
        self, rrsets: list[dict[str, Any]], cnames: Mapping[str, list[dict[str, Any]]], zone: str
    ) -> _Resolved:
        """The record set of the check's type for a name, following CNAMEs inside the zone."""
        chain: list[str] = []
        current = rrsets
        for _ in range(CNAME_DEPTH + 1):
            own = next((rr for rr in current if rr.get("type") == self.type), None)
            if own is not None or self.type == "CNAME":
                return _Resolved(own, tuple(chain))
            target = _cname_target(current)
            if target is None:
                return _Resolved(None, tuple(chain))
            chain.append(target)
            if not in_zone(target, zone):
                return _Resolved(None, tuple(chain), f"CNAME to {target}, outside the zone")
            if chain.count(target) > 1:
                return _Resolved(None, tuple(chain), f"CNAME loop at {target}")
            if target not in cnames:
                return _Resolved(None, tuple(chain), f"CNAME to {target}, not read")
            current = cnames[target]
        return _Resolved(None, tuple(chain), f"more than {CNAME_DEPTH} CNAMEs")

    def _judge_zone(
        self,
        zone: dict[str, Any],
        observed: DnsRecordObserved,
        delegation: tuple[str, frozenset[str]] | None,
    ) -> Outcome:
        zone_name = zone.get("name", self.zone or "?")
        want = sorted(self.rrdatas)
        obs: list[Observation] = []
        commands: list[str] = []
        missing: list[str] = []
        wrong: list[str] = []
        flag = (
            f" --project={observed.project}"
            if self.project or (self.zone and "/" in self.zone)
            else ""
        )
        for name, rrsets in observed.rrsets.items():
            resolved = self._resolve(rrsets, observed.cnames, zone.get("dnsName", ""))
            rr = resolved.rrset
            values = sorted(rrset_values(rr)) if rr else []
            kind = routing_kind(rr) if rr else None
            ok = values == want and (self.routing is None or kind == self.routing)
            actual = ", ".join(values) or "(no record set)"
            if kind:
                actual += f" (routing policy {kind})"
            if resolved.chain:
                actual += f" (via CNAME {' -> '.join([fqdn(name), *resolved.chain])})"
            if resolved.broken:
                actual = f"(not followed: {resolved.broken})"
            obs.append(
                Observation(
                    f"{fqdn(name)} {self.type}", ", ".join(want), actual, ok, f"zone {zone_name}"
                )
            )
            if self.routing is not None:
                obs.append(
                    Observation(
                        f"{fqdn(name)} routing policy",
                        self.routing,
                        kind or "(none)",
                        kind == self.routing,
                        f"zone {zone_name}",
                    )
                )
            if ok:
                continue
            holder = resolved.chain[-1] if resolved.chain and not resolved.broken else fqdn(name)
            (missing if rr is None else wrong).append(name)
            commands.append(self._fix(holder, zone_name, rr, resolved, flag))
        if delegation is not None:
            server, ns = delegation
            assigned = {fqdn(n) for n in zone.get("nameServers", [])}
            seen = {fqdn(n) if not n.startswith("(") else n for n in ns}
            obs.append(
                Observation(
                    "delegation (NS)",
                    ", ".join(sorted(assigned)),
                    ", ".join(sorted(seen)),
                    bool(assigned) and seen == assigned,
                    server,
                )
            )
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

    def _fix(
        self,
        holder: str,
        zone_name: str,
        rr: dict[str, Any] | None,
        resolved: _Resolved,
        flag: str,
    ) -> str:
        """The gcloud command that makes ``holder`` answer the expected rrdatas."""
        common = f"--zone={zone_name} --type={self.type} --ttl={self.ttl}{flag}"
        if self.routing is not None or (rr is not None and routing_kind(rr)):
            kind = self.routing or routing_kind(rr or {}) or "geo"
            data = ";".join(f"KEY={v}" for v in self.rrdatas)
            return (
                f"gcloud dns record-sets update {fqdn(holder)} {common} "
                f"--routing-policy-type={kind.upper().replace('PRIMARY_BACKUP', 'FAILOVER')} "
                f'--routing-policy-data="{data}"'
            )
        rrdatas = f"--rrdatas={','.join(self.rrdatas)}"
        if rr is not None:
            return f"gcloud dns record-sets update {fqdn(holder)} {common} {rrdatas}"
        if resolved.broken:
            # the name holds a CNAME that cannot be followed: no other type can sit beside it
            return (
                f"gcloud dns record-sets delete {fqdn(holder)} --zone={zone_name} --type=CNAME{flag} && "
                f"gcloud dns record-sets create {fqdn(holder)} {common} {rrdatas}"
            )
        return f"gcloud dns record-sets create {fqdn(holder)} {common} {rrdatas}"


def _visibility(zone: Mapping[str, Any]) -> str:
    return str(zone.get("visibility") or "public").lower()


def _cname_target(rrsets: list[dict[str, Any]]) -> str | None:
    """The CNAME target of a name's record sets, as an FQDN; None when it holds no CNAME."""
    cname = next((rr for rr in rrsets if rr.get("type") == "CNAME"), None)
    targets = (cname or {}).get("rrdatas") or []
    return fqdn(str(targets[0])) if targets else None


def _delegated_to(answers: tuple[ServerAnswer, ...]) -> tuple[str, frozenset[str]]:
    """The first resolver naming name servers, and them; else the first answer, described."""
    for a in answers:
        if a.rcode == "NOERROR" and a.values:
            return a.server, a.values
    a = answers[0]
    return a.server, frozenset({f"({a.describe()})"})
