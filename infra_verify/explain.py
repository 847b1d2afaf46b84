"""Root causes: which failures are causes, and which are explained by (or blocked on) another.

A failing check (FAIL or ERROR) is a root cause unless a soft dependency of it also failed (or
was blocked): then it is *explained by* that dependency's root causes. A BLOCKED check points
at the root causes behind the hard dependency that did not pass. The live gate and the plan
check (``infra_verify.iac``) both name root causes this way, so they agree on what to fix first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

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
            bad_soft = [d for d in graph.soft[cid] if final[d].status in (*failing, Status.BLOCKED)]
            explained = unique(x for d in bad_soft for x in roots_of(d, seen))
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


def unique(items: Iterable[str]) -> tuple[str, ...]:
    """The items in first-seen order, once each."""
    return tuple(dict.fromkeys(items))
