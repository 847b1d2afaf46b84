"""The gate: concurrency, dependency order, BLOCKED, deadlines, waiting and root causes."""

from __future__ import annotations

import pytest

from infra_verify.context import CheckContext
from infra_verify.errors import UsageError
from infra_verify.gate import DeploymentIncomplete, Gate, GateRun
from infra_verify.model import Status
from tests.fakes import IN_FLIGHT, Crashing, Gathering, Scripted

CTX = CheckContext(environment="test", timeout=5)
P, F, E = Status.PASS, Status.FAIL, Status.ERROR


def run(checks: list, **kw: object):  # type: ignore[no-untyped-def]
    """Run a gate over ``checks`` with the test context."""
    return Gate(
        checks, context=CheckContext(environment="test", timeout=kw.pop("timeout", 5)), **kw
    ).run()  # type: ignore[arg-type]


def test_all_pass_is_ok_and_exit_zero() -> None:
    """A gate whose checks all pass is ok and exits 0."""
    r = run([Scripted(id="a"), Scripted(id="b")])
    assert r.ok and r.exit_code == 0 and r.root_causes == []


def test_one_failure_fails_the_gate() -> None:
    """A single FAIL makes the gate not ok, exit code 1."""
    r = run([Scripted(id="a"), Scripted(id="b", statuses=(F,))])
    assert not r.ok and r.exit_code == 1
    assert [x.id for x in r.root_causes] == ["b"]


def test_error_fails_the_gate() -> None:
    """An ERROR (could not decide) fails the gate too."""
    r = run([Scripted(id="a", statuses=(E,))])
    assert not r.ok and r.by_id("a").status is E


def test_crash_in_a_check_becomes_error() -> None:
    """An unexpected exception inside a check is an ERROR result naming it, never a pass."""
    r = run([Crashing(id="c")])
    res = r.by_id("c")
    assert res.status is E and "RuntimeError: boom" in res.summary


def test_checks_run_concurrently() -> None:
    """Twenty checks that each pass only once all twenty are in flight pass: they ran at once
    (run one after another, the first would wait for the others until its timeout)."""
    IN_FLIGHT.pop("concurrent", None)
    checks = [Gathering(id=f"c{i}", group="concurrent", size=20) for i in range(20)]
    r = run(checks, timeout=60)
    assert r.ok, [x.summary for x in r.results]
    assert IN_FLIGHT["concurrent"][1] == 20


def test_concurrency_limit_is_respected() -> None:
    """With concurrency=1 no two checks are ever in flight at once; with 5, never more than 5
    (and 5 do run together)."""
    IN_FLIGHT.pop("one", None)
    r = run([Gathering(id=f"c{i}", group="one", hold=0.02) for i in range(5)], concurrency=1)
    assert r.ok and IN_FLIGHT["one"][1] == 1
    IN_FLIGHT.pop("five", None)
    checks = [Gathering(id=f"c{i}", group="five", size=5, hold=0.02) for i in range(20)]
    r = run(checks, concurrency=5, timeout=60)
    assert r.ok and IN_FLIGHT["five"][1] == 5


def test_dependent_runs_after_its_dependency() -> None:
    """A check with after: starts only when its dependency has finished."""
    dep = Scripted(id="dep", delay=0.2)
    child = Scripted(id="child", after=("dep",))
    run([child, dep])
    assert child.calls[0] >= dep.calls[0] + 0.2 * 0.9


def test_failed_dependency_blocks_and_is_the_root_cause() -> None:
    """A failing dependency makes its dependents BLOCKED; only it is a root cause."""
    r = run(
        [
            Scripted(id="dns", statuses=(F,)),
            Scripted(id="tls", after=("dns",)),
            Scripted(id="http", after=("tls",)),
        ]
    )
    assert r.by_id("tls").status is Status.BLOCKED
    assert r.by_id("http").status is Status.BLOCKED
    assert r.by_id("http").blocked_by == ("dns",)
    assert [x.id for x in r.root_causes] == ["dns"]


def test_blocked_check_is_never_run() -> None:
    """A blocked check's probe never runs."""
    child = Scripted(id="child", after=("dep",))
    run([Scripted(id="dep", statuses=(F,)), child])
    assert child.calls == []


def test_soft_dependency_explains_instead_of_adding_a_root_cause() -> None:
    """A failure whose soft dependency failed is 'explained by' it, not another root cause."""
    r = run(
        [Scripted(id="dns", statuses=(F,)), Scripted(id="cert", statuses=(F,), soft_after=("dns",))]
    )
    assert r.by_id("cert").explained_by == ("dns",)
    assert [x.id for x in r.root_causes] == ["dns"]


def test_independent_failures_are_separate_root_causes() -> None:
    """Two unrelated failures are two root causes."""
    r = run([Scripted(id="dns", statuses=(F,)), Scripted(id="vpc", statuses=(F,))])
    assert sorted(x.id for x in r.root_causes) == ["dns", "vpc"]


def test_probe_timeout_is_error_with_elapsed_time() -> None:
    """A probe that exceeds its timeout is ERROR naming the timeout; the 300 s probe was cut
    short (cancelled, never finished; a run waiting for it would trip pytest-timeout's 120 s guard)."""
    slow = Scripted(id="slow", delay=300, timeout=0.2)
    r = run([slow])
    res = r.by_id("slow")
    assert res.status is E and "200ms" in res.summary
    assert len(slow.calls) == len(slow.cancelled) == 1 and slow.finished == []


def test_gate_deadline_holds() -> None:
    """The overall deadline ends the run, cancelling the 300 s probe (it never finished), and
    unfinished checks become ERROR."""
    slow = Scripted(id="slow", delay=300, timeout=600)
    r = run([slow, Scripted(id="fast")], deadline=0.5)
    assert len(slow.calls) == len(slow.cancelled) == 1 and slow.finished == []
    assert r.by_id("slow").status is E and "deadline" in r.by_id("slow").summary
    assert r.by_id("fast").status is P and r.deadline_reached and not r.ok


def test_wait_retries_until_pass() -> None:
    """With wait=, a check failing twice then passing converges and the gate passes."""
    c = Scripted(id="cert", statuses=(F, F, P))
    r = run([c], wait=5, poll=0.05, poll_max=0.1)
    res = r.by_id("cert")
    assert r.ok and res.attempts == 3 and res.converged_after is not None


def test_wait_stops_early_on_terminal_failure() -> None:
    """A terminal failure ends a 300 s wait at once: one attempt, no retry."""
    c = Scripted(id="cert", statuses=(F,), terminal_on_fail=True)
    r = run([c], wait=300, poll=0.05)
    assert len(c.calls) == 1
    assert r.by_id("cert").attempts == 1 and r.by_id("cert").terminal


def test_wait_respects_its_deadline() -> None:
    """A check that never converges is reported FAIL with its last finding when wait runs out:
    attempts are at least a poll apart, so a 3 s wait holds at most 3 / 0.1 + 1 of them."""
    r = run([Scripted(id="x", statuses=(F,))], wait=3, poll=0.1, poll_max=0.1)
    res = r.by_id("x")
    assert res.status is F and 3 <= res.attempts <= 3 / 0.1 + 1


def test_passed_dependency_unblocks_dependent_while_waiting() -> None:
    """While waiting, a dependent runs once its dependency converges."""
    r = run(
        [Scripted(id="dns", statuses=(F, P)), Scripted(id="tls", after=("dns",))], wait=5, poll=0.05
    )
    assert r.ok and r.by_id("tls").status is P


def test_skipped_checks_are_shown_and_not_run() -> None:
    """Deselected checks are SKIPPED, not run, and do not fail the gate."""
    s = Scripted(id="s", statuses=(F,))
    r = Gate([Scripted(id="a"), s], context=CTX, skip={"s"}).run()
    assert r.by_id("s").status is Status.SKIPPED and s.calls == [] and r.ok


def test_raise_for_failure_carries_the_run() -> None:
    """raise_for_failure raises DeploymentIncomplete with the run and a readable summary."""
    r = run([Scripted(id="dns", statuses=(F,))])
    with pytest.raises(DeploymentIncomplete) as info:
        r.raise_for_failure()
    assert info.value.run is r and "root cause: dns" in str(info.value)


def test_raise_for_failure_returns_run_when_ok() -> None:
    """raise_for_failure returns the run itself when the gate passed."""
    r = run([Scripted(id="a")])
    assert r.raise_for_failure() is r


def test_duplicate_ids_are_rejected() -> None:
    """Two checks with one id are a usage error."""
    with pytest.raises(UsageError, match="share the id"):
        Gate([Scripted(id="a"), Scripted(id="a")])


def test_cycles_are_rejected() -> None:
    """A dependency cycle built in code is a usage error naming the cycle."""
    with pytest.raises(UsageError, match="cycle"):
        Gate([Scripted(id="a", after=("b",)), Scripted(id="b", after=("a",))])


def test_on_result_callback_sees_every_result() -> None:
    """The on_result callback is called once per check."""
    seen: list[str] = []
    Gate(
        [Scripted(id="a"), Scripted(id="b")], context=CTX, on_result=lambda r: seen.append(r.id)
    ).run()
    assert sorted(seen) == ["a", "b"]


def test_an_error_does_not_explain_another_failure() -> None:
    """An ERROR (could not decide) explains nothing: its soft dependent is a root cause too."""
    r = run(
        [Scripted(id="dns", statuses=(E,)), Scripted(id="cert", statuses=(E,), soft_after=("dns",))]
    )
    assert r.by_id("cert").explained_by == ()
    assert sorted(x.id for x in r.root_causes) == ["cert", "dns"]


def test_a_dependency_blocked_behind_an_error_explains_nothing() -> None:
    """A BLOCKED soft dependency whose only root is an ERROR does not explain a failure away."""
    r = run(
        [
            Scripted(id="dns", statuses=(E,)),
            Scripted(id="lb", after=("dns",)),
            Scripted(id="cert", statuses=(F,), soft_after=("lb",)),
        ]
    )
    assert r.by_id("lb").status is Status.BLOCKED
    assert r.by_id("cert").explained_by == ()
    assert sorted(x.id for x in r.root_causes) == ["cert", "dns"]


def test_only_a_decided_failure_explains() -> None:
    """A FAIL explains its soft dependent; an ERROR does not, even one a FAIL explains."""
    r = run(
        [
            Scripted(id="dns", statuses=(F,)),
            Scripted(id="cert", statuses=(E,), soft_after=("dns",)),
            Scripted(id="http", statuses=(F,), soft_after=("cert",)),
        ]
    )
    assert r.by_id("cert").explained_by == ("dns",)
    assert r.by_id("http").explained_by == ()
    assert [x.id for x in r.root_causes] == ["dns", "http"]


def test_a_shared_cause_is_named_once_with_every_check_it_affects() -> None:
    """Identical root causes (one silent DNS server) are one cause listing every check."""
    from infra_verify.explain import shared_causes

    r = run(
        [
            Scripted(id="tls", statuses=(E,)),
            Scripted(id="http", statuses=(E,), soft_after=("tls",)),
            Scripted(id="ws", statuses=(E,)),
            Scripted(id="page", after=("ws",)),
            Scripted(id="vpc", statuses=(F,)),
        ]
    )
    causes = shared_causes(r.results)
    assert [(c.summary, c.checks, c.affects) for c in causes] == [
        ("scripted error", ("tls", "http", "ws"), ("page",)),
        ("scripted fail", ("vpc",), ()),
    ]


def test_an_empty_gate_is_a_usage_error() -> None:
    """Gate([]) would verify nothing: a UsageError, never a verdict."""
    with pytest.raises(UsageError, match="at least one check"):
        Gate([])


def test_a_gate_with_every_check_deselected_is_a_usage_error() -> None:
    """skip= covering every check leaves nothing to verify: a UsageError."""
    with pytest.raises(UsageError, match="every check is deselected"):
        Gate([Scripted(id="a"), Scripted(id="b")], skip={"a", "b"})


def test_the_run_reports_a_shared_cause_once() -> None:
    """GateRun.shared_causes, the summary, the text report and the JSON name a shared cause once."""
    import json

    from infra_verify.reporters import ReportOptions, render

    r = run(
        [
            Scripted(id="tls", statuses=(E,)),
            Scripted(id="http", statuses=(E,), soft_after=("tls",)),
            Scripted(id="ws", statuses=(E,)),
            Scripted(id="page", after=("ws",)),
        ]
    )
    assert [(c.checks, c.affects) for c in r.shared_causes] == [(("tls", "http", "ws"), ("page",))]
    assert r.summary().count("root cause:") == 1
    assert "root cause: tls, http, ws [scripted] scripted error" in r.summary()
    text = render("text", r, ReportOptions())
    assert "Root cause (1):\n  1. tls, http, ws [scripted] scripted error" in text
    assert "     blocks: page" in text
    data = json.loads(render("json", r, ReportOptions()))
    assert data["shared_causes"] == [
        {
            "status": "error",
            "summary": "scripted error",
            "hint": "scripted hint",
            "checks": ["tls", "http", "ws"],
            "affects": ["page"],
        }
    ]


class _ScriptedGcp(Scripted):
    """A scripted check of the gcp family: the gate imports the google libraries first."""

    kind = "scripted_gcp"
    family = "gcp"


def test_the_deadline_counts_the_google_library_import(monkeypatch: pytest.MonkeyPatch) -> None:
    """An import that is still running at the deadline is abandoned: the run ends with a verdict
    (before: the deadline only started after the import, so a slow import extended it)."""
    import threading

    from infra_verify.gcp.clients import GcpClients

    release = threading.Event()
    outlived: list[bool] = []

    def slow_import() -> None:
        if not release.wait(120):  # a hang guard: the gate must not wait for this thread
            outlived.append(True)

    monkeypatch.setattr(GcpClients, "preload", staticmethod(slow_import))
    r = run([_ScriptedGcp(id="cert")], deadline=0.5)
    release.set()
    assert outlived == [] and r.deadline_reached
    assert r.by_id("cert").status is E and "deadline" in r.by_id("cert").summary


def test_a_signal_during_the_google_library_import_still_gives_a_report(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cancelling the run (SIGTERM) while the import runs returns an interrupted run, every check
    ERROR (before: CancelledError escaped with a traceback and no report)."""
    import asyncio
    import threading

    from infra_verify.gcp.clients import GcpClients

    started, release = threading.Event(), threading.Event()

    def slow_import() -> None:
        started.set()
        release.wait(120)

    monkeypatch.setattr(GcpClients, "preload", staticmethod(slow_import))
    gate = Gate([_ScriptedGcp(id="cert")], context=CTX, deadline=300)

    async def cancel_during_import() -> object:
        task = asyncio.create_task(gate.arun())
        assert await asyncio.to_thread(started.wait, 120)
        task.cancel()
        return await task

    try:
        r = asyncio.run(cancel_during_import())
    finally:
        release.set()
    assert isinstance(r, GateRun) and r.interrupted and not r.deadline_reached
    assert r.by_id("cert").status is E and "interrupted" in r.by_id("cert").summary
