"""Result and Outcome <-> plain JSON data: the JSON report's results (``reporters/serialize.py``)
and what a worker process streams to the gate (``workers.py``)."""

from __future__ import annotations

from typing import Any

from infra_verify.model import Eta, Observation, Outcome, Result, Source, Status


def result_to_dict(r: Result) -> dict[str, Any]:
    """One result as JSON-ready data."""
    return {
        "id": r.id,
        "kind": r.kind,
        "status": r.status.value,
        "summary": r.summary,
        "hint": r.hint,
        "observations": [_observation(o) for o in r.observations],
        "duration_s": round(r.duration, 6),
        "attempts": r.attempts,
        "terminal": r.terminal,
        "after": list(r.after),
        "blocked_by": list(r.blocked_by),
        "explained_by": list(r.explained_by),
        "converged_after_s": None if r.converged_after is None else round(r.converged_after, 6),
        "warnings": list(r.warnings),
        "not_in_shard": r.not_in_shard,
        "cause": r.cause,
        "source": None if r.source is None else {"file": r.source.file, "line": r.source.line},
        "eta": None if r.eta is None else _eta(r.eta),
    }


def result_from_dict(d: dict[str, Any]) -> Result:
    """Read back one result."""
    return Result(
        id=d["id"],
        kind=d["kind"],
        status=Status(d["status"]),
        summary=d["summary"],
        hint=d.get("hint"),
        observations=_observations(d.get("observations", [])),
        duration=float(d.get("duration_s", 0.0)),
        attempts=int(d.get("attempts", 0)),
        terminal=bool(d.get("terminal", False)),
        after=tuple(d.get("after", [])),
        blocked_by=tuple(d.get("blocked_by", [])),
        explained_by=tuple(d.get("explained_by", [])),
        converged_after=d.get("converged_after_s"),
        warnings=tuple(d.get("warnings", [])),
        not_in_shard=d.get("not_in_shard"),
        cause=d.get("cause"),
        source=_source(d.get("source")),
        eta=_eta_from(d.get("eta")),
    )


def _source(d: dict[str, Any] | None) -> Source | None:
    if not d:
        return None
    line = d.get("line")
    return Source(str(d["file"]), None if line is None else int(line))


def _eta_from(d: dict[str, Any] | None) -> Eta | None:
    if not d:
        return None
    return Eta(float(d["earliest"]), float(d["latest"]), str(d["why"]), str(d.get("action", "")))


def outcome_to_dict(o: Outcome) -> dict[str, Any]:
    """One attempt's outcome as JSON-ready data."""
    return {
        "status": o.status.value,
        "summary": o.summary,
        "observations": [_observation(x) for x in o.observations],
        "hint": o.hint,
        "terminal": o.terminal,
        "warnings": list(o.warnings),
        "eta": None if o.eta is None else _eta(o.eta),
        "cause": o.cause,
    }


def outcome_from_dict(d: dict[str, Any]) -> Outcome:
    """Read back one attempt's outcome."""
    return Outcome(
        status=Status(d["status"]),
        summary=d["summary"],
        observations=_observations(d.get("observations", [])),
        hint=d.get("hint"),
        terminal=bool(d.get("terminal", False)),
        warnings=tuple(d.get("warnings", [])),
        eta=_eta_from(d.get("eta")),
        cause=d.get("cause"),
    )


def _observation(o: Observation) -> dict[str, Any]:
    return {
        "property": o.property,
        "expected": o.expected,
        "actual": o.actual,
        "ok": o.ok,
        "where": o.where,
    }


def _observations(items: list[dict[str, Any]]) -> tuple[Observation, ...]:
    return tuple(
        Observation(
            o["property"], o.get("expected"), o.get("actual"), bool(o["ok"]), o.get("where")
        )
        for o in items
    )


def _eta(e: Eta) -> dict[str, Any]:
    return {"earliest": e.earliest, "latest": e.latest, "why": e.why, "action": e.action}
