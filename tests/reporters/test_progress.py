"""Progress displays: plain lines for CI logs, a live table on a terminal."""

from __future__ import annotations

import io

from rich.console import Console

from infra_verify.model import Outcome, Result, Status
from infra_verify.reporters.progress import LiveProgress, PlainProgress, progress_for


def test_plain_progress_prints_one_line_per_state_change() -> None:
    """The same finding twice prints once; a change prints again; no escape codes."""
    out = io.StringIO()
    p = PlainProgress(out, budget=60)
    p.on_attempt("dns", Outcome.failed("NXDOMAIN"), 1)
    p.on_attempt("dns", Outcome.failed("NXDOMAIN"), 2)
    p.on_attempt("dns", Outcome.passed("ok"), 3)
    p.on_result(Result("dns", "dns", Status.PASS, "ok", attempts=3))
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert (
        "FAIL    dns (attempt 1): NXDOMAIN" in lines[0]
        and "PASS    dns (attempt 3): ok" in lines[1]
    )
    assert "converged after 3 attempts" in lines[2] and "\x1b" not in out.getvalue()


def test_live_progress_table_shows_every_check_with_counts() -> None:
    """The live table lists every check under the counts and time left, root cause below."""
    p = LiveProgress(io.StringIO(), budget=600)
    p.on_attempt("cert", Outcome.failed("PROVISIONING"), 4)
    p.on_attempt("dns", Outcome.passed("ok"), 1)
    p.on_result(Result("dns", "dns", Status.PASS, "ok", attempts=1))
    console = Console(file=io.StringIO(), width=120)
    console.print(p._render())
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "cert" in text and "PROVISIONING" in text and "4" in text and "left" in text
    assert "dns" in text and "1 pass, 1 fail, 0 error, 0 blocked" in text
    assert "root cause: cert" in text


def test_progress_for_picks_live_only_on_a_terminal() -> None:
    """progress_for gives a live display only when asked to (a TTY)."""
    assert type(progress_for(io.StringIO(), 10, live=False)) is PlainProgress
    assert isinstance(progress_for(io.StringIO(), 10, live=True), LiveProgress)
