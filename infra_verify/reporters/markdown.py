"""The Markdown report: a verdict, a table of checks and the root causes, for a PR comment or a log.

Layout::

    ## infra_verify · <title>: FAILED
    **FAILED**: deployment NOT complete (2 pass, 1 fail, ...) in 1.2s · exit code 1
    | Status | Check | Kind | Summary |       one row per check, in run order
    ### Root causes (n)                        failing observations, the hint (a fenced ``sh``
                                               block when it is a gcloud/terraform/kubectl command)
    ### Explained by another failure (n)       failures that a root cause accounts for
    ### Blocked (n)                            checks that did not run because a dependency failed
    ### Skipped (n)

Every text taken from a result is redacted first, then escaped, so no secret and no stray ``|``,
``<`` or backtick from a probe can leak or break the page.
"""

from __future__ import annotations

import re

from infra_verify.durations import format_duration
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
                        escape_text(red(r.summary)),
                    )
                )
                + " |"
            )
        lines.append("")
    roots = run.root_causes
    if roots:
        lines += [f"### Root cause{'s' if len(roots) > 1 else ''} ({len(roots)})", ""]
        for i, r in enumerate(roots, 1):
            lines += _root_cause(i, r, run, red)
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
            by = ", ".join(code_span(red(x)) for x in r.blocked_by) or "a dependency"
            lines.append(f"- {code_span(red(r.id))}: not run, blocked by {by}")
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


def _root_cause(i: int, r: Result, run: GateRun, red: Redactor) -> list[str]:
    lines = [
        f"{i}. **{code_span(red(r.id))}** ({escape_text(red(r.kind))}, "
        f"{r.status.value.upper()}): {escape_text(red(r.summary))}"
    ]
    for o in r.observations:
        if o.ok:
            continue
        where = f" at {code_span(red(o.where))}" if o.where else ""
        lines.append(
            f"   - {escape_text(red(o.property))}: expected {code_span(red(o.expected or '-'))},"
            f" got {code_span(red(o.actual or '-'))}{where}"
        )
    if r.hint:
        hint = red(r.hint)
        if is_command(hint):
            lines += ["", "   Fix:", ""]
            lines += [f"   {line}" for line in code_block(hint.strip())]
        else:
            lines.append(f"   - Fix: {escape_text(hint)}")
    if r.eta is not None:
        lines.append(
            f"   - Converging: ETA {escape_text(r.eta.window())} ({escape_text(red(r.eta.why))})"
        )
    elif r.terminal and r.status is Status.FAIL:
        lines.append("   - Failed for good: waiting cannot fix it")
    blocks = [x.id for x in run.results if r.id in x.blocked_by]
    explains = [x.id for x in run.results if r.id in x.explained_by]
    if blocks:
        lines.append(f"   - Blocks: {', '.join(code_span(red(x)) for x in blocks)}")
    if explains:
        lines.append(f"   - Explains: {', '.join(code_span(red(x)) for x in explains)}")
    lines.append("")
    return lines
