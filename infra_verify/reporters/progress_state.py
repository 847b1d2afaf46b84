"""What the waiting displays show: every check's status, attempts and next attempt, the counts,
the time left and the current root causes, kept from the gate's callbacks.

Pure state and text (no threads, no terminal): ``progress.py`` draws it live on a terminal and
prints it as heartbeat lines in CI logs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from infra_verify.durations import format_duration
from infra_verify.model import Outcome, Result, Status

if TYPE_CHECKING:
    from infra_verify.gate import Gate

COUNTED = ("pass", "fail", "error", "blocked", "pending")
"""The counts a header or heartbeat shows, in this order."""


def retry_delay(poll: float, poll_max: float, attempts: int) -> float:
    """The gate's backoff after attempt ``attempts``: poll, 2*poll, 4*poll, ... up to poll_max."""
    # tenacity's wait_exponential(multiplier=poll, min=poll, max=poll_max), as gate.py builds it
    return max(poll, min(poll * 2.0 ** (attempts - 1), max(poll, poll_max)))


def state_of(outcome: Outcome) -> str:
    """The three states while waiting: passed, failed for good, or converging (with its ETA)."""
    if outcome.status is Status.PASS:
        return "passed"
    if outcome.terminal or outcome.status is not Status.FAIL:
        return "failed for good" if outcome.terminal else outcome.status.value
    if outcome.eta is not None:
        return f"converging, ETA {outcome.eta.window()} ({outcome.eta.why})"
    return "converging"


@dataclass
class Row:
    """One check as the display sees it."""

    id: str
    status: str = "pending"  # pass, fail, error, blocked, skipped, or pending (not attempted yet)
    attempts: int = 0
    summary: str = ""
    next_at: float | None = None  # monotonic time of the next attempt, when one is due
    final: bool = False
    waiting: str = ""  # while not passed: failed for good, or converging (with its ETA)
    eta: str = ""  # a converging finding's ETA window, e.g. 05:10:00-05:20:00 UTC


class ProgressState:
    """The state of a waiting gate, fed by ``Gate.on_attempt`` / ``Gate.on_result``."""

    def __init__(self, budget: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.budget = budget
        self.clock = clock
        self.start = clock()
        self.rows: dict[str, Row] = {}
        self.hard: dict[str, list[str]] = {}
        self.soft: dict[str, list[str]] = {}
        self._poll: dict[str, tuple[float, float]] = {}
        self.retrying = budget > 0

    def attach(self, gate: Gate) -> None:
        """Learn every check (so blocked and pending ones show too) and each one's backoff."""
        graph = gate.graph
        self.retrying = gate.wait > 0
        self.hard = {cid: list(deps) for cid, deps in graph.hard.items()}
        self.soft = {cid: list(deps) for cid, deps in graph.soft.items()}
        for cid in graph.order():
            check = graph.checks[cid]
            self.rows.setdefault(cid, Row(cid))
            poll = check.poll if check.poll is not None else gate.poll
            poll_max = check.poll_max if check.poll_max is not None else gate.poll_max
            self._poll[cid] = (poll, poll_max)
            if cid in gate.skip:
                self.rows[cid] = Row(cid, "skipped", final=True)

    def attempted(self, cid: str, outcome: Outcome, attempts: int) -> None:
        """Record an attempt and, when the gate will try again, when."""
        row = self.rows.setdefault(cid, Row(cid))
        row.status, row.attempts, row.summary = outcome.status.value, attempts, outcome.summary
        row.waiting = "" if outcome.status is Status.PASS else state_of(outcome)
        row.eta = outcome.eta.window() if outcome.eta is not None else ""
        row.next_at = None
        if self.retrying and outcome.status is not Status.PASS and not outcome.terminal:
            poll, poll_max = self._poll.get(cid, (0.0, 0.0))
            if poll > 0:
                row.next_at = self.clock() + retry_delay(poll, poll_max, attempts)

    def finished(self, result: Result) -> None:
        """Record a check's final result."""
        row = self.rows.setdefault(result.id, Row(result.id))
        row.status, row.summary, row.final, row.next_at = (
            result.status.value,
            result.summary,
            True,
            None,
        )
        row.attempts = max(row.attempts, result.attempts)

    def elapsed(self) -> float:
        """Seconds since the wait began."""
        return self.clock() - self.start

    def remaining(self) -> float:
        """Seconds left of the wait."""
        return max(0.0, self.budget - self.elapsed())

    def counts(self) -> dict[str, int]:
        """How many checks are in each of COUNTED (skipped ones are not counted)."""
        counts = dict.fromkeys(COUNTED, 0)
        for row in self.rows.values():
            if row.status in counts:
                counts[row.status] += 1
        return counts

    def counts_text(self) -> str:
        """``3 pass, 1 fail, 0 error, 2 blocked, 1 pending``."""
        return ", ".join(f"{n} {name}" for name, n in self.counts().items())

    def not_converged(self) -> list[Row]:
        """The checks that have not passed (yet), skipped ones aside."""
        return [r for r in self.rows.values() if r.status not in ("pass", "skipped")]

    def waiting_for(self, cid: str) -> list[str]:
        """The hard dependencies of a pending check that have not passed yet."""
        return [d for d in self.hard.get(cid, []) if self.rows.get(d, Row(d)).status != "pass"]

    def root_causes(self) -> list[str]:
        """The failing checks whose dependencies passed and that no failing soft one explains."""
        failing = {cid for cid, r in self.rows.items() if r.status in ("fail", "error")}
        return [
            cid
            for cid in failing
            if not any(self.rows.get(d, Row(d)).status != "pass" for d in self.hard.get(cid, []))
            and not any(d in failing for d in self.soft.get(cid, []))
        ]

    def next_text(self, row: Row) -> str:
        """When this check is attempted next: ``in 8s``, ``now``, ``-`` or what it waits for."""
        if row.status == "pending" and not row.final:
            deps = self.waiting_for(row.id)
            return f"after {', '.join(deps)}" if deps else "now"
        if row.final or row.next_at is None:
            return "-"
        left = row.next_at - self.clock()
        text = f"in {format_duration(left)}" if left > 0 else "now"
        return f"{text}, ETA {row.eta}" if row.eta else text

    def heartbeat(self, *, limit: int = 8) -> str:
        """One line for CI logs: elapsed, counts, what has not converged, time left."""
        rest = self.not_converged()
        shown = []
        for row in rest[:limit]:
            if row.status == "pending":
                deps = self.waiting_for(row.id)
                what = f"waiting for {', '.join(deps)}" if deps else "pending"
            else:
                what = f"{row.status.upper()}, attempt {row.attempts}"
                nxt = self.next_text(row)
                if row.waiting == "failed for good":
                    what += ", failed for good"
                elif nxt != "-":
                    what += f", next {nxt}"
            shown.append(f"{row.id} ({what})")
        if len(rest) > limit:
            shown.append(f"and {len(rest) - limit} more")
        causes = sorted(self.root_causes())
        line = (
            f"[{format_duration(self.elapsed()):>7}] still waiting... [{self.counts_text()}; "
            f"{format_duration(self.remaining())} left]"
        )
        if causes:
            line += f" root cause{'s' if len(causes) > 1 else ''}: {', '.join(causes)};"
        return f"{line} not converged: {'; '.join(shown) or 'none'}"
