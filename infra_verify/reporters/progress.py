"""Progress while the gate waits: a live table on a TTY, one plain line per state change in CI logs."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, TextIO

from infra_verify.durations import format_duration
from infra_verify.model import Outcome, Result, Status

if TYPE_CHECKING:
    from infra_verify.gate import Gate


def state_of(outcome: Outcome) -> str:
    """The three states while waiting: passed, failed for good, or converging (with its ETA)."""
    if outcome.status is Status.PASS:
        return "passed"
    if outcome.terminal or outcome.status is not Status.FAIL:
        return "failed for good" if outcome.terminal else outcome.status.value
    if outcome.eta is not None:
        return f"converging, ETA {outcome.eta.window()} ({outcome.eta.why})"
    return "converging"


class PlainProgress:
    """Prints one line whenever a check's status or finding changes (never a spinner)."""

    def __init__(self, stream: TextIO, budget: float) -> None:
        self.stream = stream
        self.start = time.monotonic()
        self.budget = budget
        self._last: dict[str, tuple[str, str]] = {}

    def attach(self, gate: Gate) -> None:
        """Subscribe to the gate's callbacks."""
        gate.on_attempt = self.on_attempt
        gate.on_result = self.on_result

    def _stamp(self) -> str:
        return f"[{format_duration(time.monotonic() - self.start):>7}]"

    def on_attempt(self, cid: str, outcome: Outcome, attempts: int) -> None:
        """Print a line when the finding changed since the last attempt."""
        state = (outcome.status.value, outcome.summary + state_of(outcome))
        if self._last.get(cid) != state:
            self._last[cid] = state
            waiting = "" if outcome.status is Status.PASS else f" [{state_of(outcome)}]"
            self.stream.write(
                f"{self._stamp()} {outcome.status.value.upper():<7} {cid} (attempt {attempts}): {outcome.summary}{waiting}\n"
            )
            self.stream.flush()

    def on_result(self, result: Result) -> None:
        """Print a line when a check is final after several attempts, or blocked."""
        if result.status is Status.PASS and result.attempts > 1:
            self.stream.write(
                f"{self._stamp()} PASS    {result.id} converged after {result.attempts} attempts\n"
            )
        elif result.status is Status.BLOCKED:
            self.stream.write(f"{self._stamp()} BLOCKED {result.id}: {result.summary}\n")
        self.stream.flush()

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class LiveProgress(PlainProgress):
    """A rich live table of the checks still pending: latest finding, attempts, elapsed, remaining."""

    def __init__(self, stream: TextIO, budget: float) -> None:
        super().__init__(stream, budget)
        from rich.console import Console
        from rich.live import Live

        self._rows: dict[str, tuple[Outcome, int]] = {}
        self._done: set[str] = set()
        self._live = Live(
            console=Console(file=stream),
            refresh_per_second=4,
            transient=True,
            get_renderable=self._render,
        )

    def on_attempt(self, cid: str, outcome: Outcome, attempts: int) -> None:
        """Remember the latest finding (the table redraws itself)."""
        self._rows[cid] = (outcome, attempts)

    def on_result(self, result: Result) -> None:
        """Drop a finished check from the table."""
        self._done.add(result.id)

    def _render(self) -> Any:
        from rich.table import Table

        elapsed = time.monotonic() - self.start
        table = Table(
            title=f"waiting: {format_duration(elapsed)} elapsed, {format_duration(max(0.0, self.budget - elapsed))} left",
            expand=True,
        )
        for col in ("check", "status", "attempts", "latest finding", "state"):
            table.add_column(col, overflow="fold")
        for cid, (outcome, attempts) in sorted(self._rows.items()):
            if cid not in self._done:
                table.add_row(
                    cid, outcome.status.value, str(attempts), outcome.summary, state_of(outcome)
                )
        return table

    def __enter__(self) -> LiveProgress:
        self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.stop()


def progress_for(stream: TextIO, budget: float, *, live: bool) -> PlainProgress:
    """A live display on a terminal, plain lines otherwise."""
    return LiveProgress(stream, budget) if live else PlainProgress(stream, budget)
