"""The event loop a run uses: uvloop's where it is installed (the ``fast`` extra), unless
``INFRA_VERIFY_LOOP=asyncio``; asyncio's own otherwise. Verdicts are the same on both."""

from __future__ import annotations

import asyncio
import sys

import pytest

from infra_verify.check import Check
from infra_verify.context import CheckContext
from infra_verify.gate import LOOP_ENV, Gate, loop_factory, run_coroutine
from infra_verify.model import Outcome, Status
from tests.fakes import Scripted

LOOPS: list[str] = []


class LoopSeen(Check):
    """Passes, recording the module of the running event loop's class."""

    kind = "loop_seen"

    async def run(self, ctx: CheckContext) -> Outcome:
        """Record the loop's module."""
        LOOPS.append(type(asyncio.get_running_loop()).__module__)
        return Outcome.passed("seen")


def _run_on(monkeypatch: pytest.MonkeyPatch, loop: str) -> list[str]:
    """The loop module a gate run's check saw with ``INFRA_VERIFY_LOOP=loop``."""
    monkeypatch.setenv(LOOP_ENV, loop)
    LOOPS.clear()
    result = Gate([LoopSeen(id="seen")], context=CheckContext(environment="test")).run()
    assert result.ok, result.summary()
    return list(LOOPS)


def test_asyncio_is_used_when_declined(monkeypatch: pytest.MonkeyPatch) -> None:
    """INFRA_VERIFY_LOOP=asyncio: no factory, the check runs on asyncio's own loop."""
    monkeypatch.setenv(LOOP_ENV, "asyncio")
    assert loop_factory() is None
    assert _run_on(monkeypatch, "asyncio") == [asyncio.get_event_loop_policy().__module__]


def test_asyncio_is_used_without_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where uvloop is not installed, the run uses asyncio's loop and still passes."""
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop -> ImportError
    monkeypatch.delenv(LOOP_ENV, raising=False)
    assert loop_factory() is None
    seen = _run_on(monkeypatch, "")
    assert seen and not seen[0].startswith("uvloop")


def test_uvloop_is_used_where_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """With uvloop installed (the fast extra), the run's checks run on uvloop's loop."""
    pytest.importorskip("uvloop")
    assert _run_on(monkeypatch, "") == ["uvloop"]


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_verdicts_are_the_same_on_either_loop(monkeypatch: pytest.MonkeyPatch, loop: str) -> None:
    """PASS, FAIL, ERROR and BLOCKED come out the same on asyncio's loop and on uvloop's."""
    if loop == "uvloop":
        pytest.importorskip("uvloop")
    monkeypatch.setenv(LOOP_ENV, loop)
    checks = [
        Scripted(id="ok"),
        Scripted(id="bad", statuses=(Status.FAIL,)),
        Scripted(id="unsure", statuses=(Status.ERROR,)),
        Scripted(id="after-bad", after=("bad",)),
    ]
    result = Gate(checks, context=CheckContext(environment="test", timeout=5)).run()
    assert {r.id: r.status for r in result.results} == {
        "ok": Status.PASS,
        "bad": Status.FAIL,
        "unsure": Status.ERROR,
        "after-bad": Status.BLOCKED,
    }


def test_run_coroutine_returns_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """run_coroutine runs a coroutine to its end and returns what it returned."""
    monkeypatch.setenv(LOOP_ENV, "asyncio")

    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    assert run_coroutine(answer()) == 42
