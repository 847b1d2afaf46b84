"""The Markdown report: a verdict, a table of checks and the root causes, for a PR comment or a log.

Layout::

    ## infra_verify · <title>: FAILED
    **FAILED**: deployment NOT complete (2 pass, 1 fail, ...) in 1.2s · exit code 1
    | Status | Check | Kind | Summary |       one row per check, in run order
    ### Root causes (n)
    #### 1. `id` (kind, FAIL)                   one sub-heading per root cause: its summary, the
                                               failing observations, what it blocks and explains,
                                               the hint (a fenced ``sh`` block when it is a
                                               gcloud/terraform/kubectl command)
    ### Explained by another failure (n)       failures that a root cause accounts for
    ### Blocked (n)                            checks that did not run, and the root causes behind
    ### Skipped (n)

It renders the same under a strict CommonMark renderer (plus the GFM table extension) as on
GitHub: no code block is nested in a list item (where indentation rules differ between
renderers), every block is separated by a blank line. A BLOCKED check says the same thing in the
table, in the "Blocked" list and under each root cause's "Blocks": the root causes behind it
(``Result.blocked_by`` after ``explain``), not the direct dependency its summary names; a check
that two root causes block is listed under both.

Every text taken from a result is redacted first, then escaped, so no secret and no stray ``|``,
``<`` or backtick from a probe can leak or break the page.
"""

from __future__ import annotations

import re

from infra_verify.durations import format_duration
from infra_verify.explain import Cause
from infra_verify.gate import GateRun
from infra_verify.model import Result, Status
from infra_verify.redact import Redactor
from infra_verify.reporters import ReportOptions

COMMAND_PREFIXES = ("gcloud", "terraform", "kubectl")

# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that can start
# emphasis, links, code, HTML or table cells in running text.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#!])")


def verdict_text(run: GateRun) -> str:
    """The one-line verdict: PASSED/FAILED, counts, duration and why the run stopped early."""
    counts = ", ".join(f"{n} {s}" for s, n in run.counts().items() if n) or "no checks"
    took = format_duration(run.duration)
    if run.ok:
        return f"PASSED: deployment complete ({counts}) in {took}"
    why = ""
    if run.interrupted:
        why = " — interrupted"
    elif run.deadline_reached:
        why = " — deadline reached"
    return f"FAILED: deployment NOT complete ({counts}) in {took}{why}"


def is_command(hint: str | None) -> bool:
    """True when a hint is a shell command we know (gcloud, terraform or kubectl)."""
    if not hint:
        return False
    first = hint.strip().split(maxsplit=1)[0] if hint.strip() else ""
    return first in COMMAND_PREFIXES


def escape_text(text: str) -> str:
    """Escape free text for a Markdown paragraph or table cell (one line, no markup)."""
    one_line = " ".join(text.split())
    return _SPECIAL.sub(r"\\\1", one_line)


def code_span(text: str) -> str:
    """Wrap text in an inline code span whose fence is longer than any backtick run inside."""
    one_line = " ".join(text.split())
    longest = max((len(m) for m in re.findall(r"`+", one_line)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if one_line.startswith("`") or one_line.endswith("`") or not one_line else ""
    return f"{fence}{pad}{one_line}{pad}{fence}"


def code_block(text: str, lang: str = "sh") -> list[str]:
    """Lines of a fenced code block whose fence cannot be closed by the content."""
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{lang}", *text.splitlines(), fence]


def blocked_text(r: Result, red: Redactor) -> str:
    """ "not run: blocked by `a`, `b`" naming the root causes behind a BLOCKED check."""
    by = ", ".join(code_span(red(x)) for x in r.blocked_by) or "a dependency"
    return f"not run: blocked by {by}"


def _cell(text: str) -> str:
    """A table cell: GFM splits cells on every unescaped ``|``, even inside code spans."""
    return re.sub(r"(?<!\\)\|", r"\\|", text)


def render(run: GateRun, options: ReportOptions) -> str:
    """Render the run as GitHub-flavoured Markdown."""
    red = options.redactor or Redactor()
    title = red(options.title or run.environment)
    word = "PASSED" if run.ok else "FAILED"
    lines = [
        f"## infra\\_verify · {escape_text(title)}: {word}",
        "",
        f"**{word}**: {escape_text(red(verdict_text(run)).partition(': ')[2])}"
        f" · exit code {run.exit_code}",
        "",
    ]
    if run.results:
        lines += ["| Status | Check | Kind | Summary |", "| --- | --- | --- | --- |"]
        for r in run.results:
            status = r.status.value.upper()
            if r.explained_by:
                status += " (explained)"
            lines.append(
                "| "
                + " | ".join(
                    _cell(c)
                    for c in (
                        status,
                        code_span(red(r.id)),
                        escape_text(red(r.kind)),
                        blocked_text(r, red)
                        if r.status is Status.BLOCKED
                        else escape_text(red(r.summary)),
                    )
                )
                + " |"
            )
        lines.append("")
    causes = run.shared_causes
    if causes:
        lines += [f"### Root cause{'s' if len(causes) > 1 else ''} ({len(causes)})", ""]
        for i, cause in enumerate(causes, 1):
            lines += _root_cause(i, cause, run, red)
    explained = [r for r in run.results if r.explained_by]
    if explained:
        lines += [f"### Explained by another failure ({len(explained)})", ""]
        for r in explained:
            by = ", ".join(code_span(red(x)) for x in r.explained_by)
            lines.append(
                f"- {code_span(red(r.id))} ({r.status.value.upper()}): "
                f"{escape_text(red(r.summary))}; explained by {by}"
            )
        lines.append("")
    blocked = [r for r in run.results if r.status is Status.BLOCKED]
    if blocked:
        lines += [f"### Blocked ({len(blocked)})", ""]
        for r in blocked:
            lines.append(f"- {code_span(red(r.id))}: {blocked_text(r, red)}")
        lines.append("")
    warned = [(r, w) for r in run.results for w in r.warnings]
    if warned:
        lines += [f"### Warnings ({len(warned)})", ""]
        lines += [f"- {code_span(red(r.id))}: {escape_text(red(w))}" for r, w in warned]
        lines.append("")
    skipped = [r for r in run.results if r.status is Status.SKIPPED]
    if skipped:
        lines += [f"### Skipped ({len(skipped)})", ""]
        for r in skipped:
            lines.append(f"- {code_span(red(r.id))}: {escape_text(red(r.summary))}")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _root_cause(i: int, cause: Cause, run: GateRun, red: Redactor) -> list[str]:
    by_id = {r.id: r for r in run.results}
    ids = ", ".join(code_span(red(c)) for c in cause.checks)
    kinds = ", ".join(dict.fromkeys(escape_text(red(by_id[c].kind)) for c in cause.checks))
    lines = [
        f"#### {i}. {ids} ({kinds}, {cause.status.value.upper()})",
        "",
        escape_text(red(cause.summary)),
        "",
    ]
    items = []
    for cid in cause.checks:
        at = f" ({code_span(red(cid))})" if len(cause.checks) > 1 else ""
        for o in by_id[cid].observations:
            if o.ok:
                continue
            where = f" at {code_span(red(o.where))}" if o.where else ""
            items.append(
                f"- {escape_text(red(o.property))}{at}: expected "
                f"{code_span(red(o.expected or '-'))}, got {code_span(red(o.actual or '-'))}{where}"
            )
    for cid in cause.checks:
        r = by_id[cid]
        at = f" ({code_span(red(cid))})" if len(cause.checks) > 1 else ""
        if r.eta is not None:
            items.append(
                f"- Converging{at}: ETA {escape_text(r.eta.window())} "
                f"({escape_text(red(r.eta.why))})"
            )
        elif r.terminal and r.status is Status.FAIL:
            items.append(f"- Failed for good{at}: waiting cannot fix it")
    mine = set(cause.checks)
    blocks = [x.id for x in run.results if mine & set(x.blocked_by)]
    explains = [x.id for x in run.results if mine & set(x.explained_by)]
    if blocks:
        items.append(f"- Blocks: {', '.join(code_span(red(x)) for x in blocks)}")
    if explains:
        items.append(f"- Explains: {', '.join(code_span(red(x)) for x in explains)}")
    if items:
        lines += [*items, ""]
    if cause.hint:
        hint = red(cause.hint)
        if is_command(hint):
            lines += ["Fix:", "", *code_block(hint.strip()), ""]
        else:
            lines += [f"Fix: {escape_text(hint)}", ""]
    return lines
