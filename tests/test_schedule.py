"""The gate's scheduler: deepest ready check first, in-flight state bounded by the concurrency.

Counts and orders only, never times: each host is a chain stage 0 -> 1 -> 2 of test checks
that record which hosts have started and not finished, the order of attempts and how many
asyncio tasks were alive.
"""

from __future__ import annotations

import asyncio

import pytest

from infra_verify.check import Check
from infra_verify.context import CheckContext
from infra_verify.gate import Gate, GateRun
from infra_verify.graph import build_graph
from infra_verify.model import Result, Status
from infra_verify.schedule import Schedule
from tests.fakes import STAGES, Scripted, Staged

HOSTS = 40


def hosts(
    n: int = HOSTS, *, statuses: dict[tuple[int, int], Status] | None = None
) -> tuple[list[Check], dict[str, object]]:
    """``n`` hosts, each a chain of three stages, sharing one log (a fresh group)."""
    group = f"g{len(STAGES)}"
    log = STAGES.setdefault(group, {})
    checks: list[Check] = []
    for h in range(n):
        for stage in range(3):
            checks.append(
                Staged(
                    id=f"h{h}-s{stage}",
                    host=f"h{h}",
                    stage=stage,
                    status=(statuses or {}).get((h, stage), Status.PASS),
                    after=(f"h{h}-s{stage - 1}",) if stage else (),
                    group=group,
                )
            )
    return checks, log


def run(checks: list[Check], **kw: object) -> GateRun:
    """One gate run with a generous deadline (a hang guard, not a measurement)."""
    ctx = CheckContext(environment="test", timeout=30)
    return Gate(checks, context=ctx, deadline=60, **kw).run()  # type: ignore[arg-type]


def peaks(log: dict[str, object]) -> dict[str, int]:
    """The most hosts in flight and the most asyncio tasks alive that the checks saw."""
    found = log["peaks"]
    assert isinstance(found, dict)
    return found


@pytest.mark.parametrize("concurrency", [1, 3, 8])
def test_hosts_in_flight_never_exceed_the_concurrency(concurrency: int) -> None:
    """40 hosts of dns -> tls -> http-like chains all pass, and the number of hosts started
    but not finished never exceeds the concurrency: a host is finished before a new one starts."""
    checks, log = hosts()
    result = run(checks, concurrency=concurrency)
    assert result.ok, result.summary()
    assert 1 <= peaks(log)["hosts"] <= concurrency


def test_tasks_alive_stay_bounded_by_the_concurrency() -> None:
    """120 checks at concurrency 4: never more than 4 check tasks (plus the run's own) alive;
    a check's task is created when it gets its slot, not at the start of the run."""
    checks, log = hosts()
    result = run(checks, concurrency=4)
    assert result.ok, result.summary()
    assert peaks(log)["tasks"] <= 4 + 1


def test_dependents_of_finished_checks_go_before_fresh_roots() -> None:
    """At concurrency 1 the attempts go host by host: h0's three stages, then h1's, ..."""
    checks, log = hosts(5)
    result = run(checks, concurrency=1)
    assert result.ok, result.summary()
    assert log["order"] == [f"h{h}-s{s}" for h in range(5) for s in range(3)]


def test_failures_and_errors_block_only_their_own_hosts() -> None:
    """A FAIL at h1's first stage and an ERROR at h2's second block those hosts' later stages
    (never run) and are the root causes; every other host passes, still host by host."""
    checks, log = hosts(6, statuses={(1, 0): Status.FAIL, (2, 1): Status.ERROR})
    result = run(checks, concurrency=2)
    status = {r.id: r.status for r in result.results}
    assert status["h1-s0"] is Status.FAIL
    assert status["h1-s1"] is Status.BLOCKED and status["h1-s2"] is Status.BLOCKED
    assert status["h2-s1"] is Status.ERROR and status["h2-s2"] is Status.BLOCKED
    assert sorted(r.id for r in result.root_causes) == ["h1-s0", "h2-s1"]
    ran = log["order"]
    assert isinstance(ran, list)
    assert not {"h1-s1", "h1-s2", "h2-s2"} & set(ran)
    assert sum(s is Status.PASS for s in status.values()) == 6 * 3 - 5
    assert peaks(log)["hosts"] <= 2


def test_on_result_sees_every_dependency_before_its_dependents() -> None:
    """Results are reported as they are decided: each check after its hard dependencies,
    BLOCKED and SKIPPED ones included."""
    checks, _ = hosts(5, statuses={(3, 0): Status.FAIL})
    seen: list[Result] = []
    ctx = CheckContext(environment="test", timeout=30)
    Gate(
        checks, context=ctx, concurrency=2, skip={"h4-s1"}, on_result=seen.append, deadline=60
    ).run()
    position = {r.id: i for i, r in enumerate(seen)}
    assert len(seen) == 15
    for r in seen:
        for dep in r.after:
            assert position[dep] < position[r.id], (dep, r.id)
    statuses = {r.id: r.status for r in seen}
    assert statuses["h4-s1"] is Status.SKIPPED and statuses["h4-s2"] is Status.PASS
    assert statuses["h3-s1"] is Status.BLOCKED


def test_a_check_waiting_for_a_slot_at_the_deadline_has_no_verdict() -> None:
    """At concurrency 1 a slow check holds the only slot past the deadline: the ready check
    that never got a slot is ERROR (never PASS), never attempted, and its dependent BLOCKED."""
    slow = Scripted(id="slow", delay=30)
    waiting = Scripted(id="waiting")
    child = Scripted(id="child", after=("waiting",))
    ctx = CheckContext(environment="test", timeout=60)
    result = Gate([slow, waiting, child], context=ctx, concurrency=1, deadline=0.5).run()
    status = {r.id: r.status for r in result.results}
    assert status == {"slow": Status.ERROR, "waiting": Status.ERROR, "child": Status.BLOCKED}
    assert waiting.calls == [] and child.calls == []
    assert result.deadline_reached and not result.ok
    assert "no verdict" in result.by_id("waiting").summary


def test_a_crashing_callback_is_raised_not_hidden() -> None:
    """An exception in on_result is a bug of the caller: the run raises it rather than waiting
    for the deadline with the dependents never started."""

    def broken(result: Result) -> None:
        raise ValueError("callback broke")

    ctx = CheckContext(environment="test", timeout=30)
    gate = Gate([Scripted(id="a"), Scripted(id="b", after=("a",))], context=ctx, on_result=broken)
    with pytest.raises(ValueError, match="callback broke"):
        gate.run()


def test_the_schedule_hands_slots_by_rank() -> None:
    """Schedule alone: with one slot taken, a waiting retry of a deeper check gets the freed
    slot before a fresh root queued earlier, and ranks follow the longest chain above a check."""
    checks: list[Check] = [
        Scripted(id="r1"),
        Scripted(id="r2"),
        Scripted(id="mid", after=("r1",)),
        Scripted(id="deep", after=("mid", "r2")),
    ]
    graph = build_graph(checks)
    order = graph.order()
    launched: list[str] = []

    async def scenario() -> list[str]:
        schedule = Schedule(graph, order, 1, launched.append)
        assert schedule.rank["deep"][0] == -2 and schedule.rank["r2"][0] == 0
        assert schedule.roots() == ["r1", "r2"]
        schedule.submit("r1")
        await asyncio.sleep(0)
        assert launched == ["r1"]
        schedule.submit("r2")  # queued: the slot is taken
        retry = asyncio.ensure_future(schedule.acquire("deep"))
        await asyncio.sleep(0)
        schedule.release()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert retry.done() and launched == ["r1"]
        schedule.release()
        await asyncio.sleep(0)
        assert launched == ["r1", "r2"]
        assert schedule.finished("r1") == ["mid"] and schedule.finished("mid") == []
        assert schedule.finished("r2") == ["deep"]
        return launched

    assert asyncio.run(scenario()) == ["r1", "r2"]
