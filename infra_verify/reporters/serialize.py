"""GateRun <-> plain JSON data. The JSON report is exactly this serialization (schema v1)."""

from __future__ import annotations

from typing import Any

from infra_verify.gate import GateRun
from infra_verify.result_data import result_from_dict, result_to_dict

__all__ = [
    "SCHEMA",
    "SCHEMA_VERSION",
    "result_from_dict",
    "result_to_dict",
    "run_from_dict",
    "run_to_dict",
]

SCHEMA = "https://infra-verify.dev/schema/report/v1"
SCHEMA_VERSION = 1


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
