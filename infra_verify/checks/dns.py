"""The ``dns`` check: NAME of TYPE resolves to the expected set at every resolver and at the
zone's authoritative servers. Distinguishes NXDOMAIN, NODATA, SERVFAIL, timeout and a wrong
answer, and reports disagreement between servers as its own finding.

Every attempt queries the servers directly (no resolver cache), so a negatively cached
NXDOMAIN from an earlier attempt can never mask a record that has since appeared.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal, cast

from pydantic import Field, field_validator

from infra_verify.budget import Budget
from infra_verify.check import Check
from infra_verify.checks.answers import answer_cache
from infra_verify.context import CheckContext
from infra_verify.durations import DurationLike
from infra_verify.edges import norm_host, of_kind
from infra_verify.errors import ProbeError
from infra_verify.lazy import lazy_module
from infra_verify.model import Eta, Observation, Outcome, Status

if TYPE_CHECKING:
    import asyncio

    import dns.asyncquery
    import dns.exception
    import dns.flags
    import dns.message
    import dns.name
    import dns.rcode
    import dns.rdatatype

    from infra_verify.checks import dns_wire
else:
    dns = lazy_module("dns")  # dnspython: imported by the first query, not by listing
    asyncio = lazy_module("asyncio", rebind=True)  # imported by a run, not by --list
    dns_wire = lazy_module("infra_verify.checks.dns_wire", rebind=True)  # needs asyncio


def dns_name(value: str) -> str:
    """A policy's DNS name without its trailing dot; ValueError for an empty or spaced one."""
    if not value or " " in value:
        raise ValueError("must be a DNS name such as api.example.com")
    return value.rstrip(".")


SILENT_RESOLVER_HINT = (
    "check that the resolvers in the policy are reachable from where the gate runs"
)
"""The fix for a policy resolver that did not answer (every kind that resolves says the same)."""

RecordType = Literal["A", "AAAA", "CNAME", "TXT", "CAA", "NS", "MX"]

MAX_NODATA_REUSE = 5
"""Seconds an answer without records (NODATA, e.g. no AAAA) is reused within a run, at most:
a record that appears meanwhile is seen by the next probe a few seconds later at worst."""

DISCOVERY_PART = 0.5
"""The part of the probe's budget that finding the authoritative servers (via NS) may use."""


@dataclass(frozen=True)
class ServerAnswer:
    """What one DNS server said: its rcode, the values with TTL, or why it did not answer."""

    server: str
    role: str  # "resolver" or "authoritative"
    rcode: str  # NOERROR, NXDOMAIN, SERVFAIL, REFUSED, ..., TIMEOUT, UNREACHABLE
    values: frozenset[str] = frozenset()
    ttl: int | None = None
    detail: str = ""
    cached: bool = False
    """The answer came without the AA flag: from a cache, whose TTLs count down."""
    negative_ttl: int | None = None
    """NXDOMAIN/NODATA: how long the answer may be cached (the authority SOA's TTL, capped by its
    minimum field, RFC 2308); from a caching resolver, what remains of it."""

    def describe(self) -> str:
        """One-line rendering, e.g. ``34.54.41.44 (ttl 300)`` or ``NXDOMAIN``."""
        if self.rcode == "NOERROR" and self.values:
            return f"{', '.join(sorted(self.values))} (ttl {self.ttl})"
        if self.rcode == "NOERROR":
            return "NODATA (the name exists, but has no record of this type)"
        return self.rcode + (f": {self.detail}" if self.detail else "")


@dataclass(frozen=True)
class DnsObserved:
    """What the dns probe saw: one answer per server asked (resolvers, then authoritative)."""

    answers: tuple[ServerAnswer, ...]
    observed_at: float = 0.0
    """Wall-clock time of the questions (for ETAs: the judge keeps no clock)."""


def parse_server(spec: str, default_port: int = 53) -> tuple[str, int]:
    """Parse ``ip``, ``ip:port``, ``[v6]:port`` or a bare IPv6 address."""
    spec = spec.strip()
    if spec.startswith("["):
        host, _, rest = spec[1:].partition("]")
        return host, int(rest.lstrip(":") or default_port)
    if spec.count(":") == 1:
        host, port = spec.split(":")
        return host, int(port)
    return spec, default_port


def normalize(rdtype: str, value: str) -> str:
    """Canonical text of one record value, so that answers compare as sets."""
    value = value.strip()
    if rdtype in {"CNAME", "NS", "MX"}:
        return value.lower().rstrip(".") + "."
    if rdtype == "TXT":
        return value if value.startswith('"') else f'"{value}"'
    if rdtype == "AAAA":
        import ipaddress

        return str(ipaddress.ip_address(value))
    if rdtype == "CAA":  # 0 issue pki.goog == 0 issue "pki.goog"
        import dns.rdata

        try:
            return str(dns.rdata.from_text("IN", "CAA", value).to_text())
        except (dns.exception.DNSException, ValueError):
            return value
    return value


class Dns(Check):
    """NAME of TYPE resolves to the expected values at every resolver and authoritative server."""

    kind = "dns"

    name: str = Field(description="the DNS name to resolve, e.g. api.staging.example.com")
    type: RecordType = Field(
        default="A", description="record type: A, AAAA, CNAME, TXT, CAA, NS, MX"
    )
    expect: tuple[str, ...] = Field(
        default=(), description="expected values (a set); empty = any non-empty answer"
    )
    resolvers: tuple[str, ...] | None = Field(
        default=None,
        description="resolvers (ip or ip:port); default: defaults.resolvers, else the system's",
    )
    authoritative: bool = Field(
        default=False, description="also ask the zone's authoritative servers (found via NS)"
    )
    nameservers: tuple[str, ...] = Field(
        default=(),
        description="authoritative servers to ask (ip or ip:port), instead of NS discovery",
    )
    nameserver_port: int = Field(
        default=53, description="port of NS-discovered authoritative servers"
    )
    zone: str | None = Field(
        default=None, description="Cloud DNS zone name, used in the remediation command"
    )
    ttl: int = Field(default=300, description="TTL used in the remediation command")

    if TYPE_CHECKING:

        def __init__(
            self,
            name: str,
            *,
            type: RecordType = "A",
            expect: Sequence[str] = (),
            resolvers: Sequence[str] | None = None,
            authoritative: bool = False,
            nameservers: Sequence[str] = (),
            nameserver_port: int = 53,
            zone: str | None = None,
            ttl: int = 300,
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
    def _name(cls, v: str) -> str:
        return dns_name(v)

    @classmethod
    def warm_up(cls, checks: Sequence[Check] = (), ctx: CheckContext | None = None) -> None:
        """Import what the run's dns ``checks`` will ask with, before any check's timer starts:
        the lean exchange, and dnspython only when a check needs it (listing imports neither)."""
        warm_up_resolving()
        if not checks or any(c.needs_dnspython(ctx) for c in checks if isinstance(c, Dns)):
            warm_up_dns()

    def needs_dnspython(self, ctx: CheckContext | None) -> bool:
        """True when this check asks a question the lean exchange does not (another type, an
        authoritative server, the system's resolvers read by dnspython)."""
        resolvers = self.resolvers if self.resolvers is not None else (ctx.resolvers if ctx else ())
        return (
            self.type not in ("A", "AAAA")
            or self.authoritative
            or bool(self.nameservers)
            or not resolvers
        )

    def subject(self) -> str:
        """The DNS name and type."""
        return f"{self.name}/{self.type}"

    def host(self) -> str | None:
        """The DNS name."""
        return norm_host(self.name)

    def targets(self) -> tuple[str, ...]:
        """The servers asked and the addresses expected."""
        servers = tuple(self.resolvers or ()) + self.nameservers
        ips = self.expect if self.type in {"A", "AAAA"} else ()
        return servers + ips

    def infer_edges(self, others: Sequence[Check]) -> Iterable[tuple[str, str]]:
        """A live answer is explained by the Cloud DNS record for the same name."""
        for other in of_kind(others, "gcp.dns_record"):
            covers = getattr(other, "covers_host", None)
            same_type = str(getattr(other, "type", "A")) == self.type
            if covers is not None and covers(self.host()) and same_type:
                yield other.id, "soft"

    async def probe(self, ctx: CheckContext) -> DnsObserved:
        """Ask every resolver and authoritative server, concurrently, without any cache."""
        budget = self.budget(ctx)
        resolvers = list(self.resolvers if self.resolvers is not None else ctx.resolvers)
        if not resolvers:
            resolvers = system_resolvers()
        auth = list(self.nameservers)
        if self.authoritative and not auth:  # before creating any query coroutine (may raise)
            found = await discover_authoritative(
                self.name, resolvers[0], budget.part(DISCOVERY_PART)
            )
            auth = [
                f"[{ip}]:{self.nameserver_port}" if ":" in ip else f"{ip}:{self.nameserver_port}"
                for ip in found
            ]
        timeout = budget.remaining()  # the questions run concurrently: each may use all of it
        jobs = [
            query(s, self.name, self.type, "resolver", timeout, ctx)
            for s in dict.fromkeys(resolvers)
        ]
        jobs += [
            query(s, self.name, self.type, "authoritative", timeout) for s in dict.fromkeys(auth)
        ]
        return DnsObserved(tuple(await asyncio.gather(*jobs)), time.time())

    def judge(self, observed: DnsObserved) -> Outcome:
        """The verdict; a FAIL while resolvers still hold a cached answer carries an ETA."""
        outcome = self._verdict(observed)
        if outcome.status is not Status.FAIL or not observed.observed_at:
            return outcome
        return replace(outcome, eta=self._eta(observed))

    def _eta(self, observed: DnsObserved) -> Eta | None:
        """When every resolver's cached wrong answer has expired: its remaining TTL, or for a
        cached NXDOMAIN/NODATA the SOA's negative-caching TTL. None: a server gave no TTL.
        Answers with the AA flag come from the zone itself, not a cache: they bound nothing."""
        want = frozenset(normalize(self.type, v) for v in self.expect)
        cached: list[tuple[int, str, str]] = []
        for a in observed.answers:
            ok = a.rcode == "NOERROR" and bool(a.values) and (not want or a.values == want)
            if ok or a.role != "resolver" or not a.cached:
                continue
            if a.rcode == "NXDOMAIN" or (a.rcode == "NOERROR" and not a.values):
                ttl, what = a.negative_ttl, "NXDOMAIN" if a.rcode == "NXDOMAIN" else "NODATA"
            elif a.rcode == "NOERROR":
                ttl, what = a.ttl, ", ".join(sorted(a.values))
            else:
                return None
            if ttl is None:
                return None
            cached.append((ttl, a.server, what))
        if not cached:
            return None
        ttl, server, what = max(cached)
        at = observed.observed_at + ttl
        why = f"resolver {server} cached {what} for {self.name} {self.type} for {ttl} s"
        return Eta(at, at, why, action="flush the resolver's cache")

    def _verdict(self, observed: DnsObserved) -> Outcome:
        """Compare every server's answer with the expected set; find disagreement."""
        answers = observed.answers
        want = frozenset(normalize(self.type, v) for v in self.expect)
        label = f"{self.name} {self.type}"
        obs: list[Observation] = []
        for a in answers:
            ok = a.rcode == "NOERROR" and bool(a.values) and (not want or a.values == want)
            obs.append(
                Observation(
                    f"{a.role} answer",
                    ", ".join(sorted(want)) if want else "any record",
                    a.describe(),
                    ok,
                    where=a.server,
                )
            )
        observations = tuple(obs)
        exists = any(a.rcode == "NOERROR" and a.values for a in answers)
        hint = self._hint(exists)
        decided = [a for a in answers if a.rcode not in {"TIMEOUT", "UNREACHABLE", "REFUSED"}]
        undecided = [a for a in answers if a not in decided]
        if all(o.ok for o in observations):
            return Outcome.passed(
                f"{label} → {answers[0].describe()} at {len(answers)} server(s)", observations
            )
        distinct = {(a.rcode, a.values) for a in decided}
        if len(distinct) > 1:
            views = "; ".join(f"{a.server} says {a.describe()}" for a in decided)
            return Outcome.failed(
                f"{label}: servers disagree (propagation in progress?): {views}",
                observations,
                hint="wait for the old records' TTL to expire, or check that every authoritative server serves the same zone serial",
            )
        decided_ok = [o.ok for a, o in zip(answers, observations, strict=True) if a in decided]
        if decided and all(decided_ok):
            # every server that answered gave the expected set: the silent ones leave it open
            silent = "; ".join(f"{a.server}: {a.describe()}" for a in undecided)
            return Outcome.error(
                f"{label} → {decided[0].describe()} as expected, but "
                f"{len(undecided)} server(s) did not answer ({silent})",
                observations,
                hint="check that every server in the policy is reachable from where the gate runs",
            )
        if decided:
            a = decided[0]
            if a.rcode == "NXDOMAIN":
                summary = f"{label}: NXDOMAIN at {a.server} (the name does not exist)"
            elif a.rcode == "NOERROR" and not a.values:
                summary = f"{label}: NODATA at {a.server} (the name exists, but has no {self.type} record)"
            elif a.rcode == "NOERROR":
                summary = (
                    f"{label} → {a.describe()} at {a.server}, expected {', '.join(sorted(want))}"
                )
            elif a.rcode == "CNAME_LOOP":
                summary = f"{label}: CNAME loop at {a.server} ({a.detail})"
                hint = "point one CNAME of the chain at a name that has records"
            else:
                summary = f"{label}: {a.rcode} at {a.server}"
            if undecided:
                summary += f"; {len(undecided)} other server(s) did not answer"
            return Outcome.failed(summary, observations, hint=hint)
        u = undecided[0]
        servers = ", ".join(dict.fromkeys(a.server for a in undecided))
        return Outcome.error(
            f"{label}: no DNS server answered ({u.server}: {u.describe()})",
            observations,
            hint=SILENT_RESOLVER_HINT,
            cause=f"the DNS server {servers} did not answer"
            if len({a.server for a in undecided}) == 1
            else f"the DNS servers {servers} did not answer",
        )

    def _hint(self, exists: bool) -> str:
        """A runnable command: create the record, or update it when a wrong one exists."""
        rrdatas = ",".join(self.expect) if self.expect else "VALUE"
        zone = self.zone or "ZONE"
        verb = "update" if exists else "create"
        if self.expect:
            return (
                f"gcloud dns record-sets {verb} {self.name}. --zone={zone} --type={self.type} "
                f"--ttl={self.ttl} --rrdatas={rrdatas}"
            )
        return f"publish a {self.type} record for {self.name} in its zone"


def warm_up_dns() -> None:
    """Import dnspython's query machinery (what the first query would import)."""
    import dns.asyncquery
    import dns.message
    import dns.rdatatype
    import dns.resolver  # noqa: F401


def warm_up_resolving() -> None:
    """What tls, http and websocket checks resolve with: the lean A/AAAA exchange (the policy's
    resolvers) or the OS (getaddrinfo); dnspython only answers what the lean exchange cannot
    decide (a CNAME, a truncated answer), and is imported then."""
    from infra_verify.checks import dns_wire  # noqa: F401


async def query(
    server: str,
    name: str,
    rdtype: str,
    role: str,
    timeout: float,
    ctx: CheckContext | None = None,
) -> ServerAnswer:
    """Ask one server one question (UDP, falling back to TCP when truncated).

    With ``ctx``, a resolver's answer with records is kept for the run's other checks while
    its TTL lasts (``checks/answers.py``); the question is asked either way.
    """
    if ctx is None or role != "resolver":
        return (await _ask(server, name, rdtype, role, timeout))[0]
    cache = answer_cache(ctx)
    other = cache.companion(name, rdtype, server, ctx.resolvers)
    if other is not None:  # a check will ask both types: ask the other one now too
        cache.prefetch(name, other, server, query(server, name, other, role, timeout, ctx))
    asked = _ask_and_keep(server, name, rdtype, timeout, ctx)
    return cast(ServerAnswer, await cache.track(name, rdtype, server, asked))


async def _ask_and_keep(
    server: str, name: str, rdtype: str, timeout: float, ctx: CheckContext
) -> ServerAnswer:
    """A resolver's answer, kept for the run while its TTL lasts (NODATA: its SOA's, bounded)."""
    answer, negative_ttl = await _ask(server, name, rdtype, "resolver", timeout)
    if answer.rcode == "NOERROR" and answer.values:
        keep = answer.ttl
    elif answer.rcode == "NOERROR" and negative_ttl is not None:  # NODATA (RFC 2308)
        keep = min(negative_ttl, MAX_NODATA_REUSE)
    else:
        keep = None
    answer_cache(ctx).put(name, rdtype, server, answer, keep)
    return answer


async def cached_query(
    server: str, name: str, rdtype: str, timeout: float, ctx: CheckContext
) -> ServerAnswer:
    """A resolver's answer: the one kept from earlier in the run while its TTL lasts, else
    asked now (and kept)."""
    cache = answer_cache(ctx)
    kept = cache.get(name, rdtype, server)
    if isinstance(kept, ServerAnswer):
        return kept
    flying = cache.flying(name, rdtype, server)
    if flying is not None:  # asked right now by another probe: its answer is as fresh
        started = time.monotonic()
        await asyncio.wait((flying,), timeout=timeout)
        if flying.done() and not flying.cancelled():
            answer = flying.result()
            if isinstance(answer, ServerAnswer) and answer.rcode not in ("TIMEOUT", "UNREACHABLE"):
                cache.shared += 1
                return answer
        left = timeout - (time.monotonic() - started)
        if left <= 0:
            return ServerAnswer(
                server, "resolver", "TIMEOUT", detail=f"no answer within {timeout:.1f}s"
            )
        timeout = left
    return await query(server, name, rdtype, "resolver", timeout, ctx)


async def _ask(
    server: str, name: str, rdtype: str, role: str, timeout: float
) -> tuple[ServerAnswer, int | None]:
    """The server's answer, and for an answer without records the negative-caching TTL its
    SOA gives (RFC 2308: the smaller of the SOA's TTL and its minimum field), if any.

    A resolver's A or AAAA answer is read by ``dns_wire`` when it is plain; anything else
    (CNAMEs, truncation, odd names) is asked again through dnspython.
    """
    host, port = parse_server(server)
    if role == "resolver" and rdtype in dns_wire.TYPES:
        started = time.monotonic()
        try:
            wire = await dns_wire.ask(host, port, name, rdtype, timeout)
        except dns_wire.Unhandled:
            timeout = max(0.1, timeout - (time.monotonic() - started))
        except TimeoutError:
            return ServerAnswer(
                server, role, "TIMEOUT", detail=f"no answer within {timeout:.1f}s"
            ), None
        except OSError as exc:
            why = f"{type(exc).__name__}: {exc}"
            return ServerAnswer(server, role, "UNREACHABLE", detail=why), None
        else:
            if wire.rcode == "NXDOMAIN":
                nx = ServerAnswer(
                    server, role, wire.rcode, cached=wire.cached, negative_ttl=wire.negative_ttl
                )
                return nx, None
            if wire.rcode != "NOERROR":
                return ServerAnswer(server, role, wire.rcode, cached=wire.cached), None
            answer = ServerAnswer(
                server,
                role,
                "NOERROR",
                wire.values,
                wire.ttl,
                cached=wire.cached,
                negative_ttl=wire.negative_ttl,
            )
            return answer, wire.negative_ttl
    msg = dns.message.make_query(name, rdtype)
    if role == "authoritative":
        msg.flags &= ~dns.flags.RD
    try:
        resp, _ = await dns.asyncquery.udp_with_fallback(msg, host, timeout=timeout, port=port)
    except dns.exception.Timeout:
        return ServerAnswer(
            server, role, "TIMEOUT", detail=f"no answer within {timeout:.1f}s"
        ), None
    except (OSError, dns.exception.DNSException, EOFError) as exc:
        return ServerAnswer(
            server, role, "UNREACHABLE", detail=f"{type(exc).__name__}: {exc}"
        ), None
    rcode = dns.rcode.to_text(resp.rcode())
    cached = not resp.flags & dns.flags.AA
    if rcode == "NXDOMAIN":
        nx = ServerAnswer(server, role, rcode, cached=cached, negative_ttl=negative_ttl(resp))
        return nx, None
    if rcode != "NOERROR":
        return ServerAnswer(server, role, rcode), None
    qname = dns.name.from_text(name)
    loop = _cname_loop(resp, qname)
    if loop:
        return ServerAnswer(server, role, "CNAME_LOOP", detail=" → ".join(loop)), None
    want = dns.rdatatype.from_text(rdtype)
    values: set[str] = set()
    ttl: int | None = None
    for rrset in resp.answer:
        if (
            (
                rrset.rdtype == want
                or (rrset.rdtype == dns.rdatatype.CNAME and want != dns.rdatatype.CNAME)
            )
            and rrset.rdtype == want
            and (rrset.name == qname or _in_chain(resp, qname, rrset.name))
        ):
            values.update(normalize(rdtype, r.to_text()) for r in rrset)
            ttl = rrset.ttl if ttl is None else min(ttl, rrset.ttl)
    if not values and resp.answer and not any(r.name == qname for r in resp.answer):
        names = ", ".join(sorted({r.name.to_text() for r in resp.answer}))
        return ServerAnswer(server, role, "WRONG_NAME", detail=f"answered for {names}"), None
    negative = negative_ttl(resp) if not values else None
    answer = ServerAnswer(
        server, role, "NOERROR", frozenset(values), ttl, cached=cached, negative_ttl=negative
    )
    return answer, negative


def negative_ttl(resp: dns.message.Message) -> int | None:
    """How long a negative answer may be cached: the authority SOA's TTL capped by its minimum."""
    for rrset in resp.authority:
        if rrset.rdtype == dns.rdatatype.SOA and len(rrset):
            return int(min(rrset.ttl, rrset[0].minimum))
    return None


def _cname_loop(resp: dns.message.Message, qname: dns.name.Name) -> list[str]:
    """The CNAME chain from ``qname`` when it comes back to a name already seen, else []."""
    cnames = {r.name: r[0].target for r in resp.answer if r.rdtype == dns.rdatatype.CNAME}
    chain = [qname]
    while chain[-1] in cnames:
        chain.append(cnames[chain[-1]])
        if chain[-1] in chain[:-1]:
            return [n.to_text() for n in chain]
    return []


def _in_chain(resp: dns.message.Message, qname: dns.name.Name, target: dns.name.Name) -> bool:
    """True when ``target`` is reached from ``qname`` through the CNAMEs in the answer."""
    current, seen = qname, set()
    while current not in seen:
        seen.add(current)
        if current == target:
            return True
        nxt = None
        for rrset in resp.answer:
            if rrset.rdtype == dns.rdatatype.CNAME and rrset.name == current:
                nxt = dns.name.from_text(rrset[0].to_text())
        if nxt is None:
            return False
        current = nxt
    return False


async def discover_authoritative(name: str, resolver: str, budget: Budget) -> list[str]:
    """Find the zone's authoritative servers through NS records (within ``budget``), as IPs."""
    host, port = parse_server(resolver)
    labels = dns.name.from_text(name)
    while True:
        msg = dns.message.make_query(labels, "NS")
        try:
            resp, _ = await dns.asyncquery.udp_with_fallback(
                msg, host, timeout=budget.remaining(), port=port
            )
        except dns.exception.DNSException as exc:
            raise ProbeError(
                f"could not discover the authoritative servers of {name}: {exc}",
                hint="list the servers in 'nameservers:'",
            ) from exc
        ns_names = [
            r.target for rrset in resp.answer if rrset.rdtype == dns.rdatatype.NS for r in rrset
        ]
        if ns_names:
            break
        if labels == dns.name.root or len(labels) <= 1:
            raise ProbeError(
                f"no NS records found above {name}", hint="list the servers in 'nameservers:'"
            )
        labels = labels.parent()
    servers: list[str] = []
    questions = [(ns.to_text(), rdtype) for ns in ns_names for rdtype in ("A", "AAAA")]
    for i, (ns_name, rdtype) in enumerate(questions):
        timeout = budget.share(len(questions) - i)
        ans = await query(resolver, ns_name, rdtype, "resolver", timeout)
        servers.extend(sorted(ans.values))
    if not servers:
        raise ProbeError(
            f"the NS names of {name} do not resolve", hint="list the servers in 'nameservers:'"
        )
    return servers


def system_resolvers() -> list[str]:
    """The operating system's resolvers; ProbeError when it has none."""
    import dns.resolver

    try:
        return [str(ns) for ns in dns.resolver.Resolver().nameservers]
    except dns.resolver.NoResolverConfiguration as exc:
        raise ProbeError(
            "no resolvers configured and the system has none",
            hint="set defaults.resolvers in the policy",
        ) from exc
