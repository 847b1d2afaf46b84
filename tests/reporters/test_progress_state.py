"""What the waiting displays know: counts, next attempts, root causes and the heartbeat line,
driven through a real Gate's graph with a clock the test moves."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from tenacity import RetryCallState, wait_exponential

from infra_verify.gate import Gate
from infra_verify.model import Outcome, Result, Status
from infra_verify.reporters.progress import PlainProgress
from infra_verify.reporters.progress_state import ProgressState, retry_delay

POLICY = """\
environment: test
defaults: {poll: 2s, poll_max: 10s}
checks:
  dns: {kind: dns, name: api.example.test, expect: [192.0.2.1]}
  tls: {kind: tls, host: api.example.test, port: 443, after: [dns]}
  settings: {kind: environment, require: [HOME]}
  skipped: {kind: environment, require: [HOME]}
"""


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def state(tmp_path: Path) -> tuple[ProgressState, Clock]:
    """A state attached to a waiting gate over POLICY, on a hand-moved clock."""
    path = tmp_path / "p.yaml"
    path.write_text(POLICY)
    gate = Gate.from_policy(path, wait=600, skip={"skipped"})
    clock = Clock()
    s = ProgressState(600, clock=clock)
    s.attach(gate)
    return s, clock


@pytest.mark.parametrize("attempts", range(1, 9))
def test_retry_delay_is_the_gates_backoff(attempts: int) -> None:
    """retry_delay matches tenacity's wait_exponential as the gate configures it."""
    state = RetryCallState(None, None, (), {})  # type: ignore[arg-type]
    state.attempt_number = attempts
    wait = wait_exponential(multiplier=2.0, min=2.0, max=10.0)
    assert retry_delay(2.0, 10.0, attempts) == pytest.approx(wait(state))


def test_every_check_is_shown_from_the_start(state: tuple[ProgressState, Clock]) -> None:
    """Before any attempt, every check is pending (the deselected one skipped, not counted)."""
    s, _ = state
    assert list(s.rows) == ["dns", "tls", "settings", "skipped"]
    assert s.counts() == {"pass": 0, "fail": 0, "error": 0, "blocked": 0, "pending": 3}
    assert s.next_text(s.rows["tls"]) == "after dns"
    assert s.next_text(s.rows["dns"]) == "now"


def test_counts_next_attempt_and_root_cause(state: tuple[ProgressState, Clock]) -> None:
    """A failing dns is the root cause, due again after the backoff; tls waits for it."""
    s, clock = state
    s.attempted("settings", Outcome.passed("ok"), 1)
    s.finished(Result("settings", "environment", Status.PASS, "ok", attempts=1))
    s.attempted("dns", Outcome.failed("NXDOMAIN"), 3)
    assert s.counts() == {"pass": 1, "fail": 1, "error": 0, "blocked": 0, "pending": 1}
    assert s.next_text(s.rows["dns"]) == "in 8.0s"  # 2s * 2**2
    clock.now += 5
    assert s.next_text(s.rows["dns"]) == "in 3.0s"
    assert s.root_causes() == ["dns"]
    assert s.waiting_for("tls") == ["dns"]


def test_terminal_failure_has_no_next_attempt(state: tuple[ProgressState, Clock]) -> None:
    """A terminal failure will not be retried: no next attempt is shown."""
    s, _ = state
    s.attempted("dns", Outcome(Status.FAIL, "wrong names", terminal=True), 1)
    assert s.next_text(s.rows["dns"]) == "-"


def test_blocked_checks_are_counted_and_not_root_causes(state: tuple[ProgressState, Clock]) -> None:
    """A blocked check counts as blocked; the failing check behind it stays the root cause."""
    s, _ = state
    s.attempted("dns", Outcome.failed("NXDOMAIN"), 1)
    s.finished(Result("dns", "dns", Status.FAIL, "NXDOMAIN", attempts=1))
    s.finished(Result("tls", "tls", Status.BLOCKED, "blocked by dns", blocked_by=("dns",)))
    assert s.counts()["blocked"] == 1 and s.root_causes() == ["dns"]


def test_heartbeat_line_says_what_has_not_converged(state: tuple[ProgressState, Clock]) -> None:
    """One line: elapsed, counts, time left, root cause, what has not converged."""
    s, clock = state
    s.attempted("settings", Outcome.passed("ok"), 1)
    s.attempted("dns", Outcome.failed("NXDOMAIN"), 2)
    clock.now += 60
    line = s.heartbeat()
    assert line == (
        "[  1m00s] still waiting... [1 pass, 1 fail, 0 error, 0 blocked, 1 pending; 9m00s left]"
        " root cause: dns; not converged: dns (FAIL, attempt 2, next now); tls (waiting for dns)"
    )


def test_heartbeat_lists_at_most_a_few_checks() -> None:
    """A long list of unconverged checks ends with "and N more"."""
    s = ProgressState(60)
    for i in range(12):
        s.attempted(f"c{i}", Outcome.failed("no"), 1)
    assert s.heartbeat(limit=8).count("(FAIL") == 8 and "and 4 more" in s.heartbeat(limit=8)


def test_plain_progress_beats_while_nothing_changes() -> None:
    """The heartbeat thread prints lines at its interval until the display closes."""
    out = io.StringIO()
    seen = threading.Event()

    class Stream(io.StringIO):
        def write(self, text: str) -> int:
            out.write(text)
            if out.getvalue().count("still waiting") >= 2:
                seen.set()
            return len(text)

    with PlainProgress(Stream(), 60, heartbeat=0.05) as progress:
        progress.on_attempt("dns", Outcome.failed("NXDOMAIN"), 1)
        assert seen.wait(30)
    after = out.getvalue()
    assert "dns (FAIL, attempt 1" in after and "\x1b" not in after
