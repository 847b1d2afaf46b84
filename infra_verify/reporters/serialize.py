"""GateRun <-> plain JSON data. The JSON report is exactly this serialization (schema v1)."""

from __future__ import annotations

from typing import Any

from infra_verify.gate import GateRun
from infra_verify.model import Eta, Observation, Result, Source, Status

SCHEMA = "https://infra-verify.dev/schema/report/v1"
SCHEMA_VERSION = 1


def result_to_dict(r: Result) -> dict[str, Any]:
    """One result as JSON-ready data."""
    return {
        "id": r.id,
        "kind": r.kind,
        "status": r.status.value,
        "summary": r.summary,
        "hint": r.hint,
        "observations": [
            {
                "property": o.property,
                "expected": o.expected,
                "actual": o.actual,
                "ok": o.ok,
                "where": o.where,
            }
            for o in r.observations
        ],
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
        "eta": None
        if r.eta is None
        else {
            "earliest": r.eta.earliest,
            "latest": r.eta.latest,
            "why": r.eta.why,
            "action": r.eta.action,
        },
    }


def result_from_dict(d: dict[str, Any]) -> Result:
    """Read back one result."""
    return Result(
        id=d["id"],
        kind=d["kind"],
        status=Status(d["status"]),
        summary=d["summary"],
        hint=d.get("hint"),
        observations=tuple(
            Observation(
                o["property"], o.get("expected"), o.get("actual"), bool(o["ok"]), o.get("where")
            )
            for o in d.get("observations", [])
        ),
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


def run_to_dict(run: GateRun) -> dict[str, Any]:
    """A whole run as JSON-ready data."""
    return {
        "$schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "environment": run.environment,
        "ok": run.ok,
        "exit_code": run.exit_code,
        "started_at": run.started_at,
        "duration_s": round(run.duration, 6),
        "deadline_reached": run.deadline_reached,
        "interrupted": run.interrupted,
        "counts": run.counts(),
        "root_causes": [r.id for r in run.root_causes],
        "shared_causes": [
            {
                "status": c.status.value,
                "summary": c.summary,
                "hint": c.hint,
                "checks": list(c.checks),
                "affects": list(c.affects),
            }
            for c in run.shared_causes
        ],
        "results": [result_to_dict(r) for r in run.results],
    }


def run_from_dict(d: dict[str, Any]) -> GateRun:
    """Read back a run from its JSON report."""
    if d.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"unsupported report schema_version {d.get('schema_version')!r}")
    return GateRun(
        results=tuple(result_from_dict(r) for r in d["results"]),
        environment=d["environment"],
        duration=float(d["duration_s"]),
        deadline_reached=bool(d.get("deadline_reached")),
        interrupted=bool(d.get("interrupted")),
        started_at=float(d.get("started_at", 0.0)),
    )
