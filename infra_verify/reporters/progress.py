"""Progress while the gate waits: a live table on a terminal; in CI logs, one plain line per state
change plus a heartbeat line at a fixed interval (as Terraform's "Still creating... [1m0s elapsed]").
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, TextIO

from infra_verify.durations import format_duration
from infra_verify.model import Outcome, Result, Status
from infra_verify.reporters.progress_state import ProgressState, state_of

if TYPE_CHECKING:
    from infra_verify.gate import Gate

DEFAULT_HEARTBEAT = 30.0
"""Seconds between heartbeat lines in CI logs (``--heartbeat``)."""


class PlainProgress:
    """Plain lines for CI logs: one per change of a check, and a heartbeat every ``heartbeat`` s."""

    def __init__(self, stream: TextIO, budget: float, *, heartbeat: float = 0.0) -> None:
        self.stream = stream
        self.state = ProgressState(budget)
        self.start = self.state.start
        self.budget = budget
        self.heartbeat = heartbeat
        self._last: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def attach(self, gate: Gate) -> None:
        """Subscribe to the gate's callbacks and learn its checks."""
        self.state.attach(gate)
        gate.on_attempt = self.on_attempt
        gate.on_result = self.on_result

    def _stamp(self) -> str:
        return f"[{format_duration(time.monotonic() - self.start):>7}]"

    def _write(self, line: str) -> None:
        with self._lock:
            self.stream.write(line)
            self.stream.flush()

    def on_attempt(self, cid: str, outcome: Outcome, attempts: int) -> None:
        """Print a line when the finding changed since the last attempt."""
        self.state.attempted(cid, outcome, attempts)
        state = (outcome.status.value, outcome.summary + state_of(outcome))
        if self._last.get(cid) != state:
            self._last[cid] = state
            waiting = "" if outcome.status is Status.PASS else f" [{state_of(outcome)}]"
            self._write(
                f"{self._stamp()} {outcome.status.value.upper():<7} {cid} (attempt {attempts}): {outcome.summary}{waiting}\n"
            )

    def on_result(self, result: Result) -> None:
        """Print a line when a check is final after several attempts, or blocked."""
        self.state.finished(result)
        if result.status is Status.PASS and result.attempts > 1:
            self._write(
                f"{self._stamp()} PASS    {result.id} converged after {result.attempts} attempts\n"
            )
        elif result.status is Status.BLOCKED:
            self._write(f"{self._stamp()} BLOCKED {result.id}: {result.summary}\n")

    def beat(self) -> None:
        """Print one heartbeat line now."""
        self._write(self.state.heartbeat() + "\n")

    def _beat_loop(self) -> None:
        while not self._stop.wait(self.heartbeat):
            self.beat()

    def __enter__(self) -> PlainProgress:
        if self.heartbeat > 0:
            self._thread = threading.Thread(
                target=self._beat_loop, name="infra_verify-heartbeat", daemon=True
            )
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


class LiveProgress(PlainProgress):
    """A rich live table of every check under the counts and times, with the root causes below."""

    def __init__(self, stream: TextIO, budget: float, *, color: bool = True) -> None:
        super().__init__(stream, budget)
        from rich.console import Console
        from rich.live import Live

        # stream must be bound to the terminal itself, not to "sys.stderr at each write": Live
        # redirects sys.stderr into its console while it runs (see cli.common.terminal_stderr).
        self._live = Live(
            console=Console(file=stream, no_color=not color, highlight=False),
            refresh_per_second=4,
            transient=True,
            redirect_stdout=False,
            get_renderable=self._render,
        )

    def on_attempt(self, cid: str, outcome: Outcome, attempts: int) -> None:
        """Remember the latest finding (the table redraws itself)."""
        self.state.attempted(cid, outcome, attempts)

    def on_result(self, result: Result) -> None:
        """Remember the final result (the table redraws itself)."""
        self.state.finished(result)

    def _render(self) -> Any:
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        state = self.state
        header = (
            f"waiting: {state.counts_text()} | {format_duration(state.elapsed())} elapsed, "
            f"{format_duration(state.remaining())} left"
        )
        table = Table(title=header, expand=True, title_justify="left")
        table.add_column("check", overflow="fold")
        table.add_column("status", no_wrap=True)
        table.add_column("attempts", justify="right", no_wrap=True)
        table.add_column("next attempt", no_wrap=True)
        table.add_column("latest finding", overflow="fold", ratio=1)
        styles = {"pass": "green", "fail": "red", "error": "red", "blocked": "yellow"}
        for row in state.rows.values():
            summary = row.summary or ("not attempted yet" if row.status == "pending" else "")
            table.add_row(
                row.id,
                Text(row.status.upper(), style=styles.get(row.status, "")),
                str(row.attempts),
                state.next_text(row),
                summary,
            )
        causes = sorted(state.root_causes())
        footer = Text(f"root cause{'s' if len(causes) > 1 else ''}: {', '.join(causes) or 'none'}")
        return Group(table, footer)

    def __enter__(self) -> LiveProgress:
        self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.stop()


def progress_for(
    stream: TextIO,
    budget: float,
    *,
    live: bool,
    heartbeat: float = DEFAULT_HEARTBEAT,
    color: bool = True,
) -> PlainProgress:
    """A live display on a terminal; plain lines with a heartbeat otherwise."""
    if live:
        return LiveProgress(stream, budget, color=color)
    return PlainProgress(stream, budget, heartbeat=heartbeat)
