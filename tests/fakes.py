"""Check kinds for gate tests: they return a scripted outcome after a delay (no network)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

from pydantic import Field

from infra_verify.check import Check
from infra_verify.context import CheckContext
from infra_verify.model import Outcome, Status


class Scripted(Check):
    """Returns the scripted statuses in order (the last one repeats), after ``delay`` seconds."""

    kind = "scripted"

    statuses: tuple[Status, ...] = (Status.PASS,)
    delay: float = 0.0
    terminal_on_fail: bool = False
    soft_after: tuple[str, ...] = ()
    calls: list[float] = Field(default_factory=list)  # mutable on purpose: records attempt times
    finished: list[float] = Field(default_factory=list)  # attempts whose delay ran to its end
    cancelled: list[float] = Field(default_factory=list)  # attempts cancelled during the delay

    def subject(self) -> str:
        """The scripted statuses."""
        return ",".join(s.value for s in self.statuses)

    def infer_edges(self, others: Sequence[Check]) -> Iterable[tuple[str, str]]:
        """Soft edges as scripted."""
        return [(s, "soft") for s in self.soft_after]

    async def run(self, ctx: CheckContext) -> Outcome:
        """Sleep, then return the next scripted status."""
        loop = asyncio.get_running_loop()
        self.calls.append(loop.time())
        try:
            await asyncio.sleep(self.delay)
        except asyncio.CancelledError:
            self.cancelled.append(loop.time())
            raise
        self.finished.append(loop.time())
        status = self.statuses[min(len(self.calls) - 1, len(self.statuses) - 1)]
        terminal = self.terminal_on_fail and status is Status.FAIL
        return Outcome(status, f"scripted {status.value}", hint="scripted hint", terminal=terminal)


class Crashing(Check):
    """Raises an unexpected exception: the gate must report ERROR, not crash."""

    kind = "crashing"

    async def run(self, ctx: CheckContext) -> Outcome:
        """Crash."""
        raise RuntimeError("boom")


IN_FLIGHT: dict[str, list[int]] = {}
"""Per ``group``: [probes running now, the most that ever ran at once, probes that arrived]."""


class Gathering(Check):
    """Passes once ``size`` probes of its ``group`` have arrived (all in flight at once); records
    the peak concurrency of its group in :data:`IN_FLIGHT`. A gate that ran them one after
    another would leave the first waiting until its timeout: ERROR, not PASS."""

    kind = "gathering"

    group: str = "g"
    size: int = 1
    hold: float = 0.0

    def subject(self) -> str:
        """The group and its size."""
        return f"{self.group} x{self.size}"

    async def run(self, ctx: CheckContext) -> Outcome:
        """Arrive, wait for the rest of the group (polling), hold, leave."""
        gauge = IN_FLIGHT.setdefault(self.group, [0, 0, 0])
        gauge[0] += 1
        gauge[1] = max(gauge[1], gauge[0])
        gauge[2] += 1
        try:
            while gauge[2] < self.size:
                await asyncio.sleep(0.005)
            await asyncio.sleep(self.hold)
        finally:
            gauge[0] -= 1
        return Outcome(Status.PASS, f"{self.group}: {gauge[1]} at once")


STAGES: dict[str, dict[str, object]] = {}
"""Per ``group`` of Staged checks: hosts started and ended, attempts in order, peaks."""


class Staged(Check):
    """One stage of a host's chain (stage 0 first, ``last`` ends the host): records in
    :data:`STAGES` which hosts have started and not finished, the order of attempts, and how
    many asyncio tasks were alive at each attempt."""

    kind = "staged"

    host_: str = Field(alias="host")
    stage: int = 0
    last: int = 2
    status: Status = Status.PASS
    group: str = "staged"

    def subject(self) -> str:
        """The host and the stage."""
        return f"{self.host_} stage {self.stage}"

    async def run(self, ctx: CheckContext) -> Outcome:
        """Record, yield to the loop a few times, return the scripted status."""
        log = STAGES.setdefault(self.group, {})
        started = log.setdefault("started", set())
        ended = log.setdefault("ended", set())
        order = log.setdefault("order", [])
        peaks = log.setdefault("peaks", {"hosts": 0, "tasks": 0})
        assert isinstance(started, set) and isinstance(ended, set)
        assert isinstance(order, list) and isinstance(peaks, dict)
        started.add(self.host_)
        order.append(self.id)
        peaks["hosts"] = max(peaks["hosts"], len(started - ended))
        peaks["tasks"] = max(peaks["tasks"], len(asyncio.all_tasks()))
        for _ in range(3):
            await asyncio.sleep(0)
        if self.stage == self.last or self.status is not Status.PASS:
            ended.add(self.host_)
        return Outcome(self.status, f"stage {self.stage}: {self.status.value}")
