"""The dependency graph: written ``after:`` edges plus the edges we can infer.

Hard edges block: a check runs only once every hard dependency passed. Soft edges explain: a
check still runs, but if it fails while a soft dependency failed, it is reported as *explained
by* that dependency's root cause instead of as a root cause of its own. Inferred edges:

- tls, http and websocket on host H  --hard-->  the dns check for H
- http/websocket over TLS on host H   --hard-->  the tls check for H
- a live dns check for H              --soft-->  the gcp.dns_record check for H
- a managed certificate               --soft-->  the dns checks of its domains
- further rules come from the checks themselves (``Check.infer_edges``)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from infra_verify.check import Check
from infra_verify.collector import paused
from infra_verify.errors import UsageError


@dataclass
class Graph:
    """Checks by id with their hard (blocking) and soft (explaining) dependencies."""

    checks: dict[str, Check]
    hard: dict[str, list[str]] = field(default_factory=dict)
    soft: dict[str, list[str]] = field(default_factory=dict)
    inferred: dict[str, list[str]] = field(default_factory=dict)

    def order(self) -> list[str]:
        """Ids in a dependency-respecting order (stable with respect to input order)."""
        seen: set[str] = set()
        out: list[str] = []

        def visit(cid: str) -> None:
            if cid in seen:
                return
            seen.add(cid)
            for dep in self.hard[cid]:
                visit(dep)
            out.append(cid)

        for cid in self.checks:
            visit(cid)
        return out

    def depth(self, cid: str) -> int:
        """Length of the longest hard-dependency chain above ``cid``."""
        deps = self.hard[cid]
        return 0 if not deps else 1 + max(self.depth(d) for d in deps)


def component_names(graph: Graph) -> dict[str, str]:
    """Each check id -> the name of its dependency component (the component's smallest id)."""
    parent = {cid: cid for cid in graph.checks}

    def find(cid: str) -> str:
        while parent[cid] != cid:
            parent[cid] = parent[parent[cid]]
            cid = parent[cid]
        return cid

    for cid in graph.checks:
        for dep in (*graph.hard.get(cid, ()), *graph.soft.get(cid, ())):
            if dep in parent:
                a, b = find(cid), find(dep)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    return {cid: find(cid) for cid in graph.checks}


def build_graph(checks: Sequence[Check], *, infer: bool = True) -> Graph:
    """Validate ids and edges, infer the implicit ones, and reject cycles."""
    with paused():  # the graph and its lists all stay alive (see collector.py)
        return _build_graph(checks, infer=infer)


def _build_graph(checks: Sequence[Check], *, infer: bool) -> Graph:
    by_id: dict[str, Check] = {}
    for check in checks:
        if check.id in by_id:
            raise UsageError(f"two checks share the id '{check.id}'; give each a unique id")
        by_id[check.id] = check
    graph = Graph(by_id)
    for cid, check in by_id.items():
        for dep in check.after:
            if dep not in by_id:
                raise UsageError(f"check '{cid}': after: unknown check id '{dep}'")
        graph.hard[cid] = list(dict.fromkeys(check.after))
        graph.soft[cid] = []
        graph.inferred[cid] = []
    if infer:
        _infer(graph)
    cycle = find_cycle(graph.checks, lambda c: graph.hard[c])
    if cycle:
        raise UsageError("dependency cycle: " + " -> ".join(cycle))
    return graph


def _infer(graph: Graph) -> None:
    from infra_verify.edges import CheckList

    checks = CheckList(graph.checks.values())
    for check in checks:
        for dep, kind in check.infer_edges(checks):
            _add(graph, check.id, dep, kind)


def _add(graph: Graph, cid: str, dep: str, kind: str) -> None:
    if dep == cid:
        return
    target = graph.hard if kind == "hard" else graph.soft
    if dep in graph.hard[cid] or dep in graph.soft[cid]:
        return
    if kind == "hard" and _reaches(graph, dep, cid):
        return  # never let an inferred edge create a cycle
    target[cid].append(dep)
    graph.inferred[cid].append(dep)


def _reaches(graph: Graph, start: str, goal: str) -> bool:
    stack, seen = [start], set()
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        if node in seen:
            continue
        seen.add(node)
        stack.extend(graph.hard.get(node, []))
    return False


def find_cycle(nodes: Iterable[str], deps: Callable[[str], Iterable[str]]) -> list[str] | None:
    """Return one dependency cycle as a list of ids (first id repeated at the end), or None."""
    color: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        color[node] = 1
        path.append(node)
        for nxt in deps(node):
            if color.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if color.get(nxt) is None:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        color[node] = 2
        return None

    for node in nodes:
        if color.get(node) is None:
            found = visit(node)
            if found:
                return found
    return None
