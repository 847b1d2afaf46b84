"""The SARIF 2.1.0 report, for code-scanning views (GitHub code scanning, Azure DevOps, IDEs).

Shape: one run; ``tool.driver.rules`` has one rule per check *kind* present in the run; every
check that did not pass (FAIL, ERROR, BLOCKED) is one ``result`` whose ``ruleId`` is its kind and
whose logical location is the check id (kind ``"resource"``). PASS and SKIPPED checks are not
results (SARIF lists problems), but they are counted in ``runs[0].properties``.

Levels (every result keeps SARIF's default ``kind: "fail"``, as each one fails the gate):
- ``error``: a root cause, i.e. a FAIL or ERROR that no other failure explains. Fix these.
- ``warning``: a FAIL/ERROR that a root cause explains, and a BLOCKED check (not run because a
  dependency failed). They fail the gate too, so they are never ``note``/``none``, but they are
  not what to fix first. ``properties.status`` and ``properties.rootCause`` say which is which.

Policy file/line: results carry no source position yet, so there are no physical locations.
When ``Result`` gains one, add ``physicalLocation`` (``artifactLocation.uri`` = the policy
path, ``region.startLine``) next to the logical location in ``_locations``.

Every string is redacted before JSON encoding, since an encoded secret (``\\"`` or ``\\u``
escapes) would escape the final textual redaction.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from infra_verify import __version__
from infra_verify.checks.registry import get_kind
from infra_verify.gate import GateRun
from infra_verify.model import Result, Status
from infra_verify.redact import Redactor, redact_data
from infra_verify.reporters import ReportOptions

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://infra-verify.dev"
FINGERPRINT_KEY = "infraVerifyCheck/v1"


def render(run: GateRun, options: ReportOptions) -> str:
    """Render the run as a SARIF 2.1.0 log."""
    red = options.redactor or Redactor()
    log = _redacted(sarif_log(run, options), red)
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def sarif_log(run: GateRun, options: ReportOptions) -> dict[str, Any]:
    """The SARIF log as plain data (not yet redacted)."""
    kinds = list(dict.fromkeys(r.kind for r in run.results))
    rule_index = {k: i for i, k in enumerate(kinds)}
    started = datetime.fromtimestamp(run.started_at, UTC)
    ended = datetime.fromtimestamp(run.started_at + max(run.duration, 0.0), UTC)
    results = [
        _result(r, rule_index[r.kind], run)
        for r in run.results
        if r.status in (Status.FAIL, Status.ERROR, Status.BLOCKED)
    ]
    notes = [  # warnings of every check, passing ones included (e.g. verify: false)
        {"level": "warning", "message": {"text": f"{r.id}: {w}"}}
        for r in run.results
        for w in r.warnings
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "infra_verify",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(k) for k in kinds],
                    }
                },
                "automationDetails": {"id": f"infra_verify/{options.title or run.environment}/"},
                "invocations": [
                    {
                        "executionSuccessful": not run.interrupted,
                        "exitCode": run.exit_code,
                        "exitCodeDescription": (
                            "deployment complete" if run.ok else "deployment NOT complete"
                        ),
                        "startTimeUtc": _utc(started),
                        "endTimeUtc": _utc(ended),
                        **({"toolExecutionNotifications": notes} if notes else {}),
                    }
                ],
                "results": results,
                "properties": {
                    "environment": run.environment,
                    "ok": run.ok,
                    "counts": run.counts(),
                    "rootCauses": [r.id for r in run.root_causes],
                    "deadlineReached": run.deadline_reached,
                    "interrupted": run.interrupted,
                },
            }
        ],
    }


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def kind_description(kind: str) -> str:
    """One sentence saying what a check kind verifies (its class docstring's first line)."""
    try:
        cls = get_kind(kind)
    except ImportError:
        cls = None
    doc = (cls.__doc__ or "").strip() if cls is not None else ""
    first = doc.splitlines()[0].strip() if doc else ""
    return first.replace("``", "") or f"An infra_verify '{kind}' check passes."


def _rule(kind: str) -> dict[str, Any]:
    desc = kind_description(kind)
    name = "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", kind) if part)
    help_text = (
        f"{desc}\n\nA result for this rule is a check of kind '{kind}' that did not pass. "
        "Level error: a root cause (FAIL/ERROR that nothing explains) - fix it first. "
        "Level warning: explained by another failure, or BLOCKED because a dependency failed. "
        "Expected vs actual observations are in the result's properties; its message ends "
        "with the suggested fix."
    )
    return {
        "id": kind,
        "name": name or kind,
        "shortDescription": {"text": desc},
        "help": {"text": help_text},
        "defaultConfiguration": {"level": "error"},
    }


def _message(r: Result) -> str:
    if r.status is Status.BLOCKED:
        blockers = ", ".join(r.blocked_by) or "a dependency"
        return f"{r.id} was not run: blocked by {blockers}. Fix {blockers} first."
    text = f"{r.id}: {r.summary}"
    if r.explained_by:
        text += f" (explained by {', '.join(r.explained_by)})"
    if r.hint:
        text += f". Fix: {r.hint}"
    return text


def _locations(r: Result, run: GateRun) -> list[dict[str, Any]]:
    return [
        {
            "logicalLocations": [
                {
                    "name": r.id,
                    "fullyQualifiedName": f"{run.environment}/{r.id}",
                    "kind": "resource",
                }
            ]
        }
    ]


def _result(r: Result, index: int, run: GateRun) -> dict[str, Any]:
    root = r.status in (Status.FAIL, Status.ERROR) and not r.explained_by
    return {
        "ruleId": r.kind,
        "ruleIndex": index,
        "level": "error" if root else "warning",
        "message": {"text": _message(r)},
        "locations": _locations(r, run),
        "partialFingerprints": {FINGERPRINT_KEY: f"{run.environment}/{r.kind}/{r.id}"},
        "properties": {
            "checkId": r.id,
            "status": r.status.value,
            "rootCause": root,
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
            "blockedBy": list(r.blocked_by),
            "explainedBy": list(r.explained_by),
            "attempts": r.attempts,
            "durationSeconds": round(r.duration, 6),
            "warnings": list(r.warnings),
        },
    }


def _redacted(value: Any, red: Redactor) -> Any:
    """Redact every string (keys included) in nested JSON-ready data."""
    return redact_data(value, red)
