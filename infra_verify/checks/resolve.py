"""Resolve a hostname the way the policy says: through ``defaults.resolvers``, never a cache.

With resolvers configured, tls/http/websocket/tcp checks dial the address *those* resolvers
give (what the world sees), not whatever /etc/hosts or a stale local cache says. Without
resolvers, the operating system resolves. The resolved address passes the same loopback and
metadata guards as the policy's own targets.
"""

from __future__ import annotations

import ipaddress

from infra_verify.checks.dns import query  # at import time, not inside the first probe
from infra_verify.context import CheckContext
from infra_verify.errors import ProbeError, ProbeFailed
from infra_verify.guard import check_targets


def is_ip(host: str) -> bool:
    """True for an IPv4 or IPv6 literal."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


async def resolve_address(host: str, ctx: CheckContext, timeout: float) -> str | None:
    """The IP to dial for ``host`` via the policy's resolvers; None lets the OS resolve."""
    if is_ip(host) or not ctx.resolvers:
        return None
    answers = []
    timeout = timeout * 0.8 / (2 * len(ctx.resolvers))
    for server in ctx.resolvers:
        for rdtype in ("A", "AAAA"):
            ans = await query(server, host, rdtype, "resolver", timeout)
            if ans.rcode == "NOERROR" and ans.values:
                ip = sorted(ans.values)[0]
                blocked = check_targets((ip,), ctx)
                if blocked is not None:
                    raise ProbeFailed(
                        f"{host} resolves to {ip}: {blocked.summary}", hint=blocked.hint
                    )
                return ip
            answers.append(ans)
    decided = [a for a in answers if a.rcode not in {"TIMEOUT", "UNREACHABLE", "REFUSED"}]
    if decided and len(decided) == len(answers):  # every question got a real (negative) answer
        a = decided[0]
        raise ProbeFailed(
            f"{host} does not resolve at {a.server}: {a.describe()}",
            hint=f"add a dns check for {host} to see the DNS problem as the root cause",
        )
    silent = next(a for a in answers if a not in decided)
    raise ProbeError(
        f"could not resolve {host}: {silent.server} did not answer ({silent.describe()})"
    )
