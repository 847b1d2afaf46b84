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

Locations (GitHub code scanning rejects a result without a physical location): every result
has a ``physicalLocation`` whose ``artifactLocation.uri`` is relative to the source root
(``uriBaseId`` ``%SRCROOT%``; ``locations.py``) and whose ``region.startLine`` is the check's
line in the policy file, or for a plan finding the resource's line in its ``.tf`` file (line 1
when only the file is known), beside the logical location (the check id). A result built in
code, without a source, keeps the logical location only.

Rules: ``id`` is the kind, ``name`` its PascalCase form plus ``Check``/``Rule``, ``help`` says
how to read a result, ``helpUri`` points at the kind's entry in the policy reference.

Every string is redacted before JSON encoding, since an encoded secret (``\\"`` or ``\\u``
escapes) would escape the final textual redaction.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra_verify import __version__
from infra_verify.checks.registry import BUILTIN_KINDS, get_kind
from infra_verify.gate import GateRun
from infra_verify.model import Result, Status
from infra_verify.redact import Redactor, redact_data
from infra_verify.reporters import ReportOptions
from infra_verify.reporters.locations import place_of, source_root

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://infra-verify.dev"
DOCS_URI = f"{INFORMATION_URI}/"
"""The project's documents, by their path in the repository (``docs/policy-reference.md``)."""
REFERENCE_DOC = "docs/policy-reference.md"
PLAN_RULES_DOC = "README.md#iac-checks-the-terraform-plan-before-apply"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "infraVerifyCheck/v1"


def render(run: GateRun, options: ReportOptions) -> str:
    """Render the run as a SARIF 2.1.0 log."""
    red = options.redactor or Redactor()
    log = _redacted(sarif_log(run, options), red)
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def sarif_log(run: GateRun, options: ReportOptions) -> dict[str, Any]:
    """The SARIF log as plain data (not yet redacted)."""
    kinds = list(dict.fromkeys(r.kind for r in run.results))
    root = source_root(options.source_root)
    rule_index = {k: i for i, k in enumerate(kinds)}
    started = datetime.fromtimestamp(run.started_at, UTC)
    ended = datetime.fromtimestamp(run.started_at + max(run.duration, 0.0), UTC)
    results = [
        _result(r, rule_index[r.kind], run, root)
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
                "automationDetails": {"id": f"infra_verify/{run.environment}/"},
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
    rule = _plan_rule(kind)
    if rule is not None:
        return rule[0]
    base = kind.removeprefix("plan.")
    try:
        cls = get_kind(base) or get_kind(f"gcp.{base}")
    except ImportError:
        cls = None
    doc = (cls.__doc__ or "").strip() if cls is not None else ""
    first = doc.splitlines()[0].strip() if doc else ""
    text = first.replace("``", "")
    if text and kind.startswith("plan."):
        return f"The Terraform plan declares what the live check verifies: {text}"
    return text or f"An infra_verify '{kind}' check passes."


def _plan_rule(kind: str) -> tuple[str, str] | None:
    """(title, rationale) of a built-in plan rule kind (``plan.rule.IV001``), else None."""
    if not kind.startswith("plan.rule."):
        return None
    from infra_verify.iac.rules.registry import RULES  # plan rules only; --help stays fast

    rule = RULES.get(kind.removeprefix("plan.rule."))
    return (rule.title, rule.rationale) if rule is not None else None


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading: lower case, punctuation but ``-``/``_``
    dropped, spaces as ``-``."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def help_uri(kind: str) -> str:
    """The policy reference's entry for a built-in kind (its plan form too), the README's plan
    rules for a plan rule, the reference's list of kinds for a plugin kind."""
    if kind.startswith("plan.rule."):
        return DOCS_URI + PLAN_RULES_DOC
    base = kind.removeprefix("plan.")
    name = next((k for k in (base, f"gcp.{base}") if k in BUILTIN_KINDS), "Check kinds")
    return f"{DOCS_URI}{REFERENCE_DOC}#{github_anchor(name)}"


def rule_name(kind: str) -> str:
    """A readable rule name distinct from its id: ``gcp.cloud_run_service`` -> ``GcpCloudRunServiceCheck``."""
    words = [p for p in re.split(r"[^A-Za-z0-9]+", kind) if p]
    suffix = "Rule" if kind.startswith("plan.rule.") else "Check"
    return "".join(w[:1].upper() + w[1:] for w in words) + suffix


def _rule(kind: str) -> dict[str, Any]:
    desc = kind_description(kind)
    rule = _plan_rule(kind)
    why = f"{rule[1]}\n\n" if rule is not None and rule[1] else ""
    help_text = (
        f"{desc}\n\n{why}A result for this rule is a check of kind '{kind}' that did not pass. "
        "Level error: a root cause (FAIL/ERROR that nothing explains) - fix it first. "
        "Level warning: explained by another failure, or BLOCKED because a dependency failed. "
        "Expected vs actual observations are in the result's properties; its message ends "
        "with the suggested fix."
    )
    uri = help_uri(kind)
    return {
        "id": kind,
        "name": rule_name(kind),
        "shortDescription": {"text": desc},
        "fullDescription": {"text": f"{desc} {why.strip()}".strip()},
        "help": {"text": help_text, "markdown": f"{help_text}\n\nReference: [{kind}]({uri})"},
        "helpUri": uri,
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


def _locations(r: Result, run: GateRun, root: Path) -> list[dict[str, Any]]:
    location: dict[str, Any] = {
        "logicalLocations": [
            {
                "name": r.id,
                "fullyQualifiedName": f"{run.environment}/{r.id}",
                "kind": "resource",
            }
        ]
    }
    where = place_of(r, root)
    if where is not None:
        location = {
            "physicalLocation": {
                "artifactLocation": {"uri": where.uri, "uriBaseId": SRCROOT},
                "region": {"startLine": where.line or 1},
            },
            **location,
        }
    return [location]


def _result(r: Result, index: int, run: GateRun, root: Path) -> dict[str, Any]:
    root_cause = r.status in (Status.FAIL, Status.ERROR) and not r.explained_by
    return {
        "ruleId": r.kind,
        "ruleIndex": index,
        "level": "error" if root_cause else "warning",
        "message": {"text": _message(r)},
        "locations": _locations(r, run, root),
        "partialFingerprints": {FINGERPRINT_KEY: f"{run.environment}/{r.kind}/{r.id}"},
        "properties": {
            "checkId": r.id,
            "status": r.status.value,
            "rootCause": root_cause,
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
