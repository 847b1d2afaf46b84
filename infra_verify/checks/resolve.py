"""Resolve a hostname the way the policy says, and guard the address that will be dialled.

With ``defaults.resolvers``, tls/http/websocket/tcp/postgres checks dial the address *those*
resolvers give (what the world sees), not whatever /etc/hosts or a stale local cache says.
Without resolvers, the operating system resolves (``getaddrinfo`` in the blocking pool, inside
the probe's budget). Either way the check then dials exactly that address (SNI and the Host
header keep the name), and that address passes the loopback and metadata guards first: a name
that /etc/hosts or a resolver maps to 127.0.0.1 is judged as 127.0.0.1.

:func:`resolve_address` returns what it saw as a :class:`Resolution`; a name that does not
resolve, or resolves where the guards forbid, is a fact the check's ``judge`` turns into FAIL
(:meth:`Resolution.failure`). Only resolvers that did not answer raise ``ProbeError``.
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from infra_verify.budget import Budget
from infra_verify.checks.dns import (  # at import time, not in a probe
    SILENT_RESOLVER_HINT,
    ServerAnswer,
    cached_query,
)
from infra_verify.context import CheckContext
from infra_verify.errors import ProbeError
from infra_verify.guard import check_targets
from infra_verify.lazy import lazy_module
from infra_verify.model import Outcome

if TYPE_CHECKING:
    import asyncio
    import socket
else:
    asyncio = lazy_module("asyncio", rebind=True)  # imported by a run, not by --list
    socket = lazy_module("socket", rebind=True)  # imported by a run, not by --list

RESOLVE_PART = 0.5
"""The part of a probe's remaining budget that resolving the host may use; the rest dials."""

UNDECIDED = frozenset({"TIMEOUT", "UNREACHABLE", "REFUSED"})
"""Server answers that say nothing about the name (the server did not really answer)."""

SYSTEM_RESOLVER = "the system resolver"
"""How a Resolution names the operating system's resolver (``getaddrinfo``)."""

_NEGATIVE_GAI_NAMES = (
    ("EAI_NONAME", "NXDOMAIN"),
    ("EAI_NODATA", "NOERROR"),
    ("EAI_ADDRFAMILY", "NOERROR"),
    ("EAI_FAIL", "SERVFAIL"),
)


@functools.cache
def _negative_gai() -> dict[int, str]:
    """getaddrinfo errors that are the resolver's answer about the name (not a failure to ask),
    by error code; read from :mod:`socket` on first use (a run's), not when --list imports this."""
    return {
        getattr(socket, name): rcode for name, rcode in _NEGATIVE_GAI_NAMES if hasattr(socket, name)
    }


@dataclass(frozen=True)
class Resolution:
    """What the policy's resolvers said about a host: the address to dial, or why there is none."""

    host: str
    address: str | None = None
    """The IP to dial; None only when ``host`` is an IP literal (dialled as written)."""
    refused: Outcome | None = None
    """The guards' verdict on ``address`` when it may not be dialed (loopback, metadata)."""
    negative: ServerAnswer | None = None
    """Every resolver answered, none with an address: the first such answer."""
    addresses: tuple[str, ...] = ()
    """Every address the resolver gave (A records first, then AAAA); ``address`` is the first."""
    notes: tuple[str, ...] = ()
    """What could not be asked (an AAAA question left unanswered while A had records)."""

    def every(self) -> tuple[str, ...]:
        """Every address to dial (the resolved ones, else the one ``address``)."""
        return self.addresses or ((self.address,) if self.address else ())

    def dial(self, fallback: str) -> str:
        """The address to connect to: the resolved IP, else ``fallback`` for the OS to resolve."""
        return self.address or fallback

    def failure(self) -> Outcome | None:
        """FAIL when the host resolves where the guards forbid or not at all, else None (pure)."""
        if self.refused is not None:
            shown = ", ".join(self.every()) or self.address
            return Outcome.failed(
                f"{self.host} resolves to {shown}: {self.refused.summary}",
                hint=self.refused.hint,
            )
        if self.negative is not None:
            a = self.negative
            return Outcome.failed(
                f"{self.host} does not resolve at {a.server}: {a.describe()}",
                hint=f"add a dns check for {self.host} to see the DNS problem as the root cause",
            )
        return None


def is_ip(host: str) -> bool:
    """True for an IPv4 or IPv6 literal."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


async def resolve_address(host: str, ctx: CheckContext, budget: Budget) -> Resolution:
    """Resolve ``host`` within ``budget`` and guard the address to dial.

    With the policy's resolvers: A and AAAA at once, at the first resolver that has records,
    each resolver an even share of what is left. Without: the operating system's resolver.
    Every address found goes through the loopback and metadata guards (``Resolution.refused``). Raises ``ProbeError`` only when no resolver
    answered (the probe could not look).
    """
    if is_ip(host):
        return Resolution(host)
    if not ctx.resolvers:
        found = await system_addresses(host, ctx, budget)
        if isinstance(found, ServerAnswer):
            return Resolution(host, negative=found)
        return Resolution(host, found[0], check_targets(found, ctx), addresses=found)
    answers: list[ServerAnswer] = []
    for i, server in enumerate(ctx.resolvers):
        share = budget.share(len(ctx.resolvers) - i)  # A and AAAA are asked at once
        a, aaaa = await asyncio.gather(
            cached_query(server, host, "A", share, ctx),
            cached_query(server, host, "AAAA", share, ctx),
        )
        ips = tuple(
            ip
            for ans in (a, aaaa)
            if ans.rcode == "NOERROR"
            for ip in sorted(ans.values, key=ipaddress.ip_address)
        )
        if ips:
            notes = tuple(
                f"{ans.server} did not answer the {rdtype} question ({ans.describe()}): "
                f"{'IPv4' if rdtype == 'A' else 'IPv6'} addresses, if any, were not probed"
                for rdtype, ans in (("A", a), ("AAAA", aaaa))
                if ans.rcode in UNDECIDED
            )
            return Resolution(host, ips[0], check_targets(ips, ctx), addresses=ips, notes=notes)
        answers += [a, aaaa]
    decided = [a for a in answers if a.rcode not in UNDECIDED]
    if len(decided) == len(answers):  # every question got a real (negative) answer
        return Resolution(host, negative=decided[0])
    silent = next(a for a in answers if a not in decided)
    raise ProbeError(
        f"could not resolve {host}: {silent.server} did not answer ({silent.describe()})",
        hint=SILENT_RESOLVER_HINT,
        cause=f"the DNS server {silent.server} did not answer",
    )


async def system_addresses(
    host: str, ctx: CheckContext, budget: Budget
) -> tuple[str, ...] | ServerAnswer:
    """Every address the OS resolves ``host`` to (IPv4 first, like the resolvers' A then AAAA).

    Returns the negative answer when the name does not resolve; raises ``ProbeError`` when the
    resolver gave no answer within ``budget``. ``getaddrinfo`` runs in the context's blocking
    pool, so a resolver that hangs past the deadline holds no one up.
    """
    try:
        async with budget.bound():
            infos = await ctx.run_blocking(
                lambda: socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
            )
    except TimeoutError as exc:
        raise ProbeError(
            f"could not resolve {host}: {SYSTEM_RESOLVER} did not answer within {budget.total:.1f}s",
            cause=f"{SYSTEM_RESOLVER} did not answer",
        ) from exc
    except (socket.gaierror, UnicodeError) as exc:
        code = getattr(exc, "errno", None)
        why = getattr(exc, "strerror", None) or str(exc)
        negative = _negative_gai()
        if isinstance(exc, UnicodeError) or code in negative:
            rcode = negative.get(code, "NXDOMAIN") if code is not None else "NXDOMAIN"
            return ServerAnswer(SYSTEM_RESOLVER, "resolver", rcode, detail=why)
        raise ProbeError(f"could not resolve {host}: {SYSTEM_RESOLVER} failed ({why})") from exc
    addresses = [str(info[4][0]) for info in infos if info[0] in (socket.AF_INET, socket.AF_INET6)]
    if not addresses:
        return ServerAnswer(SYSTEM_RESOLVER, "resolver", "NOERROR")
    unique = list(dict.fromkeys(addresses))
    return tuple([a for a in unique if ":" not in a] + [a for a in unique if ":" in a])
