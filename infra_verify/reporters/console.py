"""The console report: one line per check, expected vs actual for failures, root causes last.

A root cause is said once, with every check that reports it (``GateRun.shared_causes``).
"""

from __future__ import annotations

from infra_verify.durations import format_duration
from infra_verify.gate import GateRun
from infra_verify.model import Result, Status
from infra_verify.reporters import ReportOptions

_COLORS = {
    Status.PASS: "32",
    Status.FAIL: "31",
    Status.ERROR: "35",
    Status.BLOCKED: "33",
    Status.SKIPPED: "2",
}


def _paint(text: str, code: str, on: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if on else text


def status_label(status: Status, color: bool) -> str:
    """The padded, optionally colored status word."""
    return _paint(f"{status.value.upper():<7}", _COLORS[status], color)


def render(run: GateRun, options: ReportOptions) -> str:
    """Render the whole run as plain (or ANSI-colored) text."""
    color = options.color
    width = max((len(r.id) for r in run.results), default=4)
    title = options.title or run.environment
    lines = [_paint(f"infra_verify · {title} · {len(run.results)} checks", "1", color)]
    for r in run.results:
        lines.append(f"{status_label(r.status, color)} {r.id:<{width}}  {r.summary}{_timing(r)}")
        for w in r.warnings:
            lines.append(f"        {'':<{width}}  {_paint('warning:', '33', color)} {w}")
        if r.status in (Status.FAIL, Status.ERROR) or options.verbose > 0:
            for o in r.observations:
                if o.ok and options.verbose == 0:
                    continue
                mark = "ok " if o.ok else "BAD"
                where = f"  @ {o.where}" if o.where else ""
                lines.append(
                    f"        {'':<{width}}  {mark} {o.property}: expected {o.expected}, got {o.actual}{where}"
                )
        if r.eta is not None:
            lines.append(f"        {'':<{width}}  converging: ETA {r.eta.window()} ({r.eta.why})")
        elif r.terminal and r.status is Status.FAIL:
            lines.append(f"        {'':<{width}}  failed for good: waiting cannot fix it")
        if r.explained_by:
            lines.append(f"        {'':<{width}}  explained by: {', '.join(r.explained_by)}")
    causes = run.shared_causes
    if causes:
        kinds = {r.id: r.kind for r in run.results}
        lines.append("")
        lines.append(
            _paint(f"Root cause{'s' if len(causes) > 1 else ''} ({len(causes)}):", "1", color)
        )
        for i, cause in enumerate(causes, 1):
            kind = ", ".join(dict.fromkeys(kinds[c] for c in cause.checks))
            lines.append(f"  {i}. {', '.join(cause.checks)} [{kind}] {cause.summary}")
            if cause.hint:
                lines.append(f"     fix: {cause.hint}")
            blocked = [x.id for x in run.results if set(cause.checks) & set(x.blocked_by)]
            explained = [x.id for x in run.results if set(cause.checks) & set(x.explained_by)]
            if blocked:
                lines.append(f"     blocks: {', '.join(blocked)}")
            if explained:
                lines.append(f"     explains: {', '.join(explained)}")
    lines.append("")
    lines.append(_verdict(run, color))
    return "\n".join(lines) + "\n"


def _timing(r: Result) -> str:
    if r.status in (Status.BLOCKED, Status.SKIPPED):
        return ""
    text = f"  [{format_duration(r.duration)}"
    if r.attempts > 1:
        text += f", {r.attempts} attempts"
        if r.converged_after is not None:
            text += f", converged after {format_duration(r.converged_after)}"
    return text + "]"


def _verdict(run: GateRun, color: bool) -> str:
    counts = ", ".join(f"{n} {s}" for s, n in run.counts().items() if n)
    took = format_duration(run.duration)
    if run.mode == "plan":
        if run.ok:
            return _paint(
                f"PASSED: the plan declares what the policy expects ({counts})", "1;32", color
            )
        return _paint(
            f"FAILED: the plan does NOT declare what the policy expects ({counts})", "1;31", color
        )
    if run.ok:
        return _paint(f"PASSED: deployment complete ({counts}) in {took}", "1;32", color)
    why = ""
    if run.interrupted:
        why = " — interrupted"
    elif run.deadline_reached:
        why = " — deadline reached"
    return _paint(f"FAILED: deployment NOT complete ({counts}) in {took}{why}", "1;31", color)
