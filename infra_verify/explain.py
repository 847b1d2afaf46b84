"""Root causes: which failures are causes, and which are explained by (or blocked on) another.

A failing check (FAIL or ERROR) is a root cause unless a soft dependency of it *failed* (FAIL:
a decided fact), or is BLOCKED behind a FAIL: then it is *explained by* those root causes. An
ERROR means "could not decide": it explains nothing, and a check blocked only behind ERRORs
explains nothing either. A BLOCKED check points at the root causes behind the hard dependency
that did not pass. :func:`shared_causes` names a cause once with every check it affects
(three checks that ERROR because one DNS server is silent are one cause: their results name it
as ``Result.cause``). The live gate and the plan check (``infra_verify.iac``) both name root
causes this way, so they agree on what to fix first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from infra_verify.graph import Graph
from infra_verify.model import Result, Status


def explain(graph: Graph, final: dict[str, Result], order: Sequence[str]) -> list[Result]:
    """Fill explained_by (soft edges) and rewrite blocked_by to point at root causes.

    ``final`` holds every check's result by id; ``order`` is the order to return them in.
    """
    failing = (Status.FAIL, Status.ERROR)
    roots: dict[str, tuple[str, ...]] = {}

    def roots_of(cid: str, seen: frozenset[str] = frozenset()) -> tuple[str, ...]:
        if cid in roots:
            return roots[cid]
        if cid in seen:
            return ()
        seen = seen | {cid}
        r = final[cid]
        out: tuple[str, ...] = ()
        if r.status is Status.BLOCKED:
            out = unique(x for d in r.blocked_by for x in roots_of(d, seen))
        elif r.status in failing:
            explaining = [d for d in graph.soft[cid] if final[d].status in _EXPLAINS]
            decided = (x for d in explaining for x in roots_of(d, seen))
            explained = unique(x for x in decided if final[x].status is Status.FAIL)
            out = explained or (cid,)
        roots[cid] = out
        return out

    results = []
    for cid in order:
        r = final[cid]
        rc = roots_of(cid)
        if r.status is Status.BLOCKED:
            r = r.evolve(blocked_by=rc or r.blocked_by)
        elif r.status in failing and rc != (cid,):
            r = r.evolve(explained_by=rc)
        results.append(r)
    return results


_EXPLAINS = (Status.FAIL, Status.BLOCKED)
"""The statuses of a soft dependency that may explain a failure (through its FAIL roots)."""


@dataclass(frozen=True)
class Cause:
    """One root cause as a reader should see it: said once, with everything it affects."""

    status: Status
    summary: str
    hint: str | None
    checks: tuple[str, ...]
    """The root-cause checks that report this very cause (the same ``Result.cause``, or the
    same status, summary and hint)."""
    affects: tuple[str, ...]
    """The other checks it explains or blocks."""


def shared_causes(results: Sequence[Result]) -> list[Cause]:
    """The root causes, identical ones merged, in the order their first check appears.

    Root causes are one cause when they name the same ``Result.cause`` (one silent DNS server
    behind checks of different hosts), or have the same status, summary and hint.
    """
    groups: dict[tuple[Status, str, str | None], list[str]] = {}
    for r in results:
        if r.status in (Status.FAIL, Status.ERROR) and not r.explained_by:
            key = (r.status, r.cause, None) if r.cause else (r.status, r.summary, r.hint)
            groups.setdefault(key, []).append(r.id)
    hints = {r.id: r.hint for r in results}
    causes = []
    for (status, summary, hint), ids in groups.items():
        affected = unique(
            x.id
            for x in results
            if x.id not in ids and any(i in x.blocked_by or i in x.explained_by for i in ids)
        )
        hint = hint or next((h for h in (hints[i] for i in ids) if h), None)
        causes.append(Cause(status, summary, hint, tuple(ids), affected))
    return causes


def unique(items: Iterable[str]) -> tuple[str, ...]:
    """The items in first-seen order, once each."""
    return tuple(dict.fromkeys(items))
