"""Helpers for inferring dependency edges between checks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from infra_verify.model import Check


def norm_host(host: str | None) -> str | None:
    """Lower-case a DNS name and drop the trailing dot."""
    return host.lower().rstrip(".") if host else None


def checks_on_host(
    others: Sequence[Check], host: str | None, kinds: Iterable[str], *, port: int | None = None
) -> list[str]:
    """Ids of checks of the given kinds that are about ``host`` (and ``port`` when given)."""
    wanted = set(kinds)
    host = norm_host(host)
    if not host:
        return []
    out = []
    for other in others:
        if other.kind in wanted and norm_host(other.host()) == host:
            if port is not None and getattr(other, "port", port) != port:
                continue
            out.append(other.id)
    return out


def address_records_on_host(others: Sequence[Check], host: str | None) -> list[str]:
    """Ids of live DNS checks for ``host``'s addresses (A/AAAA/CNAME), the ones traffic needs."""
    return [
        cid
        for cid in checks_on_host(others, host, ["dns"])
        if str(getattr(_find(others, cid), "type", "A")).upper() in {"A", "AAAA", "CNAME"}
    ]


def _find(others: Sequence[Check], cid: str) -> Check:
    return next(c for c in others if c.id == cid)
