"""Helpers for inferring dependency edges between checks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from infra_verify.check import Check


def norm_host(host: str | None) -> str | None:
    """Lower-case a DNS name and drop the trailing dot."""
    return host.lower().rstrip(".") if host else None


class CheckList(list[Check]):
    """The checks of a gate, with a host index so edge inference stays linear in their number."""

    def __init__(self, checks: Iterable[Check]) -> None:
        super().__init__(checks)
        self._by_host: dict[str, list[Check]] | None = None
        self._by_kind: dict[str, list[Check]] | None = None

    def of_kind(self, kind: str) -> list[Check]:
        """Checks of one kind."""
        if self._by_kind is None:
            index: dict[str, list[Check]] = {}
            for check in self:
                index.setdefault(check.kind, []).append(check)
            self._by_kind = index
        return self._by_kind.get(kind, [])

    def on_host(self, host: str) -> list[Check]:
        """Checks whose host() is ``host`` (already normalized)."""
        if self._by_host is None:
            index: dict[str, list[Check]] = {}
            for check in self:
                h = norm_host(check.host())
                if h:
                    index.setdefault(h, []).append(check)
            self._by_host = index
        return self._by_host.get(host, [])


def of_kind(others: Sequence[Check], kind: str) -> Iterable[Check]:
    """The checks of one kind among ``others`` (indexed when ``others`` is a CheckList)."""
    if isinstance(others, CheckList):
        return others.of_kind(kind)
    return (o for o in others if o.kind == kind)


def _candidates(others: Sequence[Check], host: str) -> Iterable[Check]:
    if isinstance(others, CheckList):
        return others.on_host(host)
    return (o for o in others if norm_host(o.host()) == host)


def checks_on_host(
    others: Sequence[Check], host: str | None, kinds: Iterable[str], *, port: int | None = None
) -> list[str]:
    """Ids of checks of the given kinds that are about ``host`` (and ``port`` when given)."""
    return [c.id for c in _matching(others, host, kinds, port=port)]


def _matching(
    others: Sequence[Check], host: str | None, kinds: Iterable[str], *, port: int | None = None
) -> list[Check]:
    wanted = set(kinds)
    host = norm_host(host)
    if not host:
        return []
    out = []
    for other in _candidates(others, host):
        if other.kind in wanted:
            if port is not None and getattr(other, "port", port) != port:
                continue
            out.append(other)
    return out


def address_records_on_host(others: Sequence[Check], host: str | None) -> list[str]:
    """Ids of live DNS checks for ``host``'s addresses (A/AAAA/CNAME), the ones traffic needs."""
    return [
        c.id
        for c in _matching(others, host, ["dns"])
        if str(getattr(c, "type", "A")).upper() in {"A", "AAAA", "CNAME"}
    ]
