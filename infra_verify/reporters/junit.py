"""The JUnit XML report, for CI systems that show test results (Jenkins, GitLab, Cloud Build).

It follows the common JUnit schema that Jenkins reads (xunit-plugin ``junit-10.xsd``, the
Surefire/Ant shape that GitLab and most other readers also parse)::

    <testsuites name="infra_verify" tests= failures= errors= time=>
      <testsuite name="<environment>" tests= failures= errors= skipped= time= timestamp=>
                   (timestamp: ISO 8601 in UTC with its offset, 2025-11-24T16:00:00+00:00)
        <properties>   run metadata, root causes, and every observation as evidence
        <testcase classname="infra_verify.<kind>" name="<check id>" time=>
          <failure type="<kind>" message="<summary>">   FAIL: expected vs actual, hint
          <error type="<kind>" message="<summary>">     ERROR: the check could not decide
          <failure type="blocked" message="blocked by X"> BLOCKED (see below)
          <skipped message="<summary>"/>                SKIPPED (deselected)
          <system-out>   where the check is written (file:line), and its observations (evidence)
        <system-out>     the verdict

Decisions:
- BLOCKED is a ``<failure type="blocked">``, not a ``<skipped>``: the gate fails on it, and CI UIs
  show skipped tests as harmless. Its message names the root causes to fix first.
- A FAIL/ERROR that another failure explains keeps its ``<failure>``/``<error>`` and its text
  says which root cause explains it.
- Evidence goes to the testcase's ``<system-out>`` and to suite-level ``<property>`` elements:
  junit-10.xsd has no ``<properties>`` inside ``<testcase>``.
- Text is redacted before it is encoded (an encoded secret would escape a later redaction), and
  characters that XML 1.0 forbids (ANSI escapes, NUL, ...) are written as ``\\xNN``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime

from infra_verify import __version__
from infra_verify.gate import GateRun
from infra_verify.model import Result, Status
from infra_verify.redact import Redactor
from infra_verify.reporters import ReportOptions
from infra_verify.reporters.locations import place_of, source_root
from infra_verify.reporters.markdown import verdict_text

_Clean = Callable[[str], str]

_ILLEGAL_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """Replace the characters XML 1.0 cannot carry with a visible ``\\xNN``/``\\uNNNN`` escape."""

    def repl(m: re.Match[str]) -> str:
        code = ord(m.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _ILLEGAL_XML.sub(repl, text)


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"


def render(run: GateRun, options: ReportOptions) -> str:
    """Render the run as a JUnit XML document (one testsuite per run)."""
    red = options.redactor or Redactor()

    def clean(text: str) -> str:
        return xml_safe(red(text))

    counts = run.counts()
    tests = len(run.results)
    failures = counts[Status.FAIL.value] + counts[Status.BLOCKED.value]
    errors = counts[Status.ERROR.value]
    skipped = counts[Status.SKIPPED.value]
    root = ET.Element(
        "testsuites",
        {
            "name": "infra_verify",
            "tests": str(tests),
            "failures": str(failures),
            "errors": str(errors),
            "time": _seconds(run.duration),
        },
    )
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": clean(run.environment),
            "tests": str(tests),
            "failures": str(failures),
            "errors": str(errors),
            "skipped": str(skipped),
            "time": _seconds(run.duration),
            "timestamp": datetime.fromtimestamp(int(run.started_at), UTC).isoformat(),
        },
    )
    props = ET.SubElement(suite, "properties")

    def prop(name: str, value: str) -> None:
        ET.SubElement(props, "property", {"name": clean(name), "value": clean(value)})

    prop("infra_verify.version", __version__)
    prop("environment", run.environment)
    if options.title and options.title != run.environment:
        prop("title", options.title)
    prop("verdict", "passed" if run.ok else "failed")
    prop("exit_code", str(run.exit_code))
    prop("deadline_reached", str(run.deadline_reached).lower())
    prop("interrupted", str(run.interrupted).lower())
    prop("root_causes", ", ".join(r.id for r in run.root_causes))
    for r in run.results:
        for o in r.observations:
            prop(f"evidence.{r.id}.{o.property}", _observation(o.expected, o.actual, o.ok, o.where))
    base = source_root(options.source_root)
    for r in run.results:
        where = place_of(r, base)
        _testcase(suite, r, clean, f"{where.path}:{where.line or 1}" if where else None)
    out = ET.SubElement(suite, "system-out")
    out.text = clean(verdict_text(run))
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _observation(expected: str | None, actual: str | None, ok: bool, where: str | None) -> str:
    text = f"{'ok' if ok else 'BAD'}: expected {expected}, got {actual}"
    return text + (f" @ {where}" if where else "")


def _testcase(suite: ET.Element, r: Result, clean: _Clean, where: str | None) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "classname": clean(f"infra_verify.{r.kind}"),
            "name": clean(r.id),
            "time": _seconds(r.duration),
        },
    )
    details = _details(r)
    if r.status is Status.FAIL:
        el = ET.SubElement(case, "failure", {"type": clean(r.kind), "message": clean(r.summary)})
        el.text = clean(details)
    elif r.status is Status.ERROR:
        el = ET.SubElement(case, "error", {"type": clean(r.kind), "message": clean(r.summary)})
        el.text = clean(details)
    elif r.status is Status.BLOCKED:
        blockers = ", ".join(r.blocked_by) or "a dependency"
        el = ET.SubElement(
            case, "failure", {"type": "blocked", "message": clean(f"blocked by {blockers}")}
        )
        el.text = clean(
            f"not run: {blockers} did not pass; fix that first.\n"
            "A blocked check fails the gate: its fact is unverified."
        )
    elif r.status is Status.SKIPPED:
        ET.SubElement(case, "skipped", {"message": clean(r.summary)})
    evidence = [f"defined at {where}"] if where else []
    evidence += [
        f"{o.property}: {_observation(o.expected, o.actual, o.ok, o.where)}" for o in r.observations
    ]
    evidence += [f"warning: {w}" for w in r.warnings]
    if r.status not in (Status.BLOCKED, Status.SKIPPED):
        evidence.append(f"{r.status.value}: {r.summary}")
    if evidence:
        out = ET.SubElement(case, "system-out")
        out.text = clean("\n".join(evidence))


def _details(r: Result) -> str:
    lines = [r.summary]
    for o in r.observations:
        mark = "ok " if o.ok else "BAD"
        where = f"  @ {o.where}" if o.where else ""
        lines.append(f"{mark} {o.property}: expected {o.expected}, got {o.actual}{where}")
    if r.explained_by:
        lines.append(f"explained by: {', '.join(r.explained_by)} (fix that first)")
    if r.hint:
        lines.append(f"hint: {r.hint}")
    if r.attempts > 1:
        lines.append(f"attempts: {r.attempts}")
    return "\n".join(lines)
