"""Resolve a hostname the way the policy says: through ``defaults.resolvers``, never a cache.

With resolvers configured, tls/http/websocket/tcp checks dial the address *those* resolvers
give (what the world sees), not whatever /etc/hosts or a stale local cache says. Without
resolvers, the operating system resolves. The resolved address passes the same loopback and
metadata guards as the policy's own targets.

:func:`resolve_address` returns what it saw as a :class:`Resolution`; a name that does not
resolve, or resolves where the guards forbid, is a fact the check's ``judge`` turns into FAIL
(:meth:`Resolution.failure`). Only resolvers that did not answer raise ``ProbeError``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from infra_verify.budget import Budget
from infra_verify.checks.dns import ServerAnswer, query  # at import time, not in the first probe
from infra_verify.context import CheckContext
from infra_verify.errors import ProbeError
from infra_verify.guard import check_targets
from infra_verify.model import Outcome

RESOLVE_PART = 0.5
"""The part of a probe's remaining budget that resolving the host may use; the rest dials."""

UNDECIDED = frozenset({"TIMEOUT", "UNREACHABLE", "REFUSED"})
"""Server answers that say nothing about the name (the server did not really answer)."""


@dataclass(frozen=True)
class Resolution:
    """What the policy's resolvers said about a host: the address to dial, or why there is none."""

    host: str
    address: str | None = None
    """The IP to dial; None lets the OS resolve ``host`` (an IP literal, or no resolvers)."""
    refused: Outcome | None = None
    """The guards' verdict on ``address`` when it may not be dialed (loopback, metadata)."""
    negative: ServerAnswer | None = None
    """Every resolver answered, none with an address: the first such answer."""

    def dial(self, fallback: str) -> str:
        """The address to connect to: the resolved IP, else ``fallback`` for the OS to resolve."""
        return self.address or fallback

    def failure(self) -> Outcome | None:
        """FAIL when the host resolves where the guards forbid or not at all, else None (pure)."""
        if self.refused is not None:
            return Outcome.failed(
                f"{self.host} resolves to {self.address}: {self.refused.summary}",
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
    """Ask the policy's resolvers for ``host`` (A, then AAAA) within ``budget``.

    Each question gets an even share of what is left of the budget. Raises ``ProbeError`` only
    when a resolver did not answer and none gave an address (the probe could not look).
    """
    if is_ip(host) or not ctx.resolvers:
        return Resolution(host)
    questions = [(server, rdtype) for server in ctx.resolvers for rdtype in ("A", "AAAA")]
    answers: list[ServerAnswer] = []
    for i, (server, rdtype) in enumerate(questions):
        ans = await query(server, host, rdtype, "resolver", budget.share(len(questions) - i))
        if ans.rcode == "NOERROR" and ans.values:
            ip = sorted(ans.values)[0]
            return Resolution(host, ip, refused=check_targets((ip,), ctx))
        answers.append(ans)
    decided = [a for a in answers if a.rcode not in UNDECIDED]
    if len(decided) == len(answers):  # every question got a real (negative) answer
        return Resolution(host, negative=decided[0])
    silent = next(a for a in answers if a not in decided)
    raise ProbeError(
        f"could not resolve {host}: {silent.server} did not answer ({silent.describe()})"
    )
