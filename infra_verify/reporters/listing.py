"""Views of a gate before it runs: the check list (``--list``, as text or JSON) and the dependency
tree (``--graph``)."""

from __future__ import annotations

from infra_verify.gate import Gate
from infra_verify.policy.load import Policy


def list_checks(policy: Policy, gate: Gate) -> str:
    """Render the checks with written and inferred dependencies, without running anything."""
    graph = gate.graph
    width = max((len(c) for c in graph.checks), default=4)
    lines = [f"{policy.environment}: {len(graph.checks)} checks from {policy.path}"]
    for cid in graph.order():
        check = graph.checks[cid]
        mark = "  (skipped)" if cid in gate.skip else ""
        lines.append(f"  {cid:<{width}}  {check.kind:<24} {check.subject()}{mark}")
        inferred = set(graph.inferred[cid])
        hard = [d + (" (inferred)" if d in inferred else "") for d in graph.hard[cid]]
        if hard:
            lines.append(f"  {'':<{width}}    after: {', '.join(hard)}")
        if graph.soft[cid]:
            lines.append(
                f"  {'':<{width}}    explained by a failure of: {', '.join(graph.soft[cid])} (inferred)"
            )
    return "\n".join(lines) + "\n"


def list_json(policy: Policy, gate: Gate) -> str:
    """The check list as JSON (``--list --format json``): checks in order with their edges."""
    graph = gate.graph
    checks = [
        {
            "id": cid,
            "kind": graph.checks[cid].kind,
            "subject": graph.checks[cid].subject(),
            "after": list(graph.hard[cid]),
            "inferred": [d for d in graph.hard[cid] if d in set(graph.inferred[cid])],
            "explained_by": list(graph.soft[cid]),
            "skipped": cid in gate.skip,
        }
        for cid in graph.order()
    ]
    import json  # --format json only

    document = {"environment": policy.environment, "policy": str(policy.path), "checks": checks}
    return json.dumps(document, indent=2) + "\n"


def graph_tree(gate: Gate) -> str:
    """The dependency tree: each root check with what depends on it, indented."""
    graph = gate.graph
    children: dict[str, list[str]] = {cid: [] for cid in graph.checks}
    for cid in graph.checks:
        for dep in graph.hard[cid]:
            children[dep].append(cid)
    lines: list[str] = []

    def walk(cid: str, prefix: str, last: bool, seen: frozenset[str]) -> None:
        soft = graph.soft[cid]
        note = f"  (explained by a failure of {', '.join(soft)})" if soft else ""
        lines.append(f"{prefix}{'└── ' if last else '├── '}{cid} [{graph.checks[cid].kind}]{note}")
        kids = [k for k in children[cid] if k not in seen]
        for i, kid in enumerate(kids):
            walk(kid, prefix + ("    " if last else "│   "), i == len(kids) - 1, seen | {cid})

    roots = [cid for cid in graph.order() if not graph.hard[cid]]
    for i, root in enumerate(roots):
        walk(root, "", i == len(roots) - 1, frozenset())
    return "\n".join(lines) + "\n"
