"""GitHub Actions workflow commands: one annotation per failing check and a final verdict.

- ``::error title=<id>::<summary> — <hint>`` for each root cause (FAIL/ERROR nothing explains),
  followed by its failing observations on further lines;
- ``::warning title=<id>::...`` for checks explained by a root cause, for BLOCKED checks and
  for each warning a check carries (e.g. ``verify: false``);
- ``::notice title=infra_verify <environment>::PASSED|FAILED: ...`` last, always.

Each annotation about a check carries ``file=`` and ``line=``: the check's line in the policy
file, or for a plan finding its resource's ``.tf`` line, relative to the repository root
(``locations.py``), so GitHub shows it on that line of the pull request's diff.

Escaping follows GitHub's toolkit (``@actions/core`` ``command.ts``): in the message ``%``,
``\\r`` and ``\\n`` become ``%25``, ``%0D`` and ``%0A``; in properties ``:`` and ``,`` become
``%3A`` and ``%2C`` too. So a probe's text can neither end the command early nor start a new
one (``\\n::add-mask::`` or ``::stop-commands::`` injection). Text is redacted *before* it is
escaped, since a ``%``-escaped secret would slip past a later redaction.
"""

from __future__ import annotations

from infra_verify.gate import GateRun
from infra_verify.model import Result, Status
from infra_verify.redact import Redactor
from infra_verify.reporters import ReportOptions
from infra_verify.reporters.locations import place_of, source_root
from infra_verify.reporters.markdown import verdict_text


def escape_data(text: str) -> str:
    """Escape a workflow command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command property value (such as ``title``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str) -> str:
    """One ``::name k=v,...::message`` line, with every part escaped."""
    props = ",".join(f"{k}={escape_property(v)}" for k, v in properties.items())
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def render(run: GateRun, options: ReportOptions) -> str:
    """Render the run as GitHub Actions annotations."""
    red = options.redactor or Redactor()
    root = source_root(options.source_root)

    def about(r: Result) -> dict[str, str]:
        props = {"title": red(r.id)}
        where = place_of(r, root)
        if where is not None:
            props["file"] = red(where.path)
            if where.line:
                props["line"] = str(where.line)
        return props

    lines: list[str] = []
    for r in run.root_causes:
        lines.append(command("error", red(_root_message(r, run)), **about(r)))
    for r in run.results:
        if r.explained_by:
            text = f"{r.summary} — explained by {', '.join(r.explained_by)}; fix that first"
            lines.append(command("warning", red(text), **about(r)))
        elif r.status is Status.BLOCKED:
            blockers = ", ".join(r.blocked_by) or "a dependency"
            text = f"not run: blocked by {blockers}; fix that first"
            lines.append(command("warning", red(text), **about(r)))
        lines += [command("warning", red(w), **about(r)) for w in r.warnings]
    title = f"infra_verify {options.title or run.environment}"
    lines.append(command("notice", red(verdict_text(run)), title=red(title)))
    return "\n".join(lines) + "\n"


def _root_message(r: Result, run: GateRun) -> str:
    text = r.summary
    if r.hint:
        text += f" — {r.hint}"
    details = [
        f"{o.property}: expected {o.expected}, got {o.actual}"
        + (f" @ {o.where}" if o.where else "")
        for o in r.observations
        if not o.ok
    ]
    if r.eta is not None:
        details.append(f"converging: ETA {r.eta.window()} ({r.eta.why})")
    elif r.terminal and r.status is Status.FAIL:
        details.append("failed for good: waiting cannot fix it")
    blocks = [x.id for x in run.results if r.id in x.blocked_by]
    if blocks:
        details.append(f"blocks: {', '.join(blocks)}")
    return "\n".join([text, *details])
