"""Which check runs next: a check is ready once its hard dependencies have finished, and a free
concurrency slot goes to the deepest ready check first.

Depth is the length of the longest hard-dependency chain above a check (dns 0, tls 1, http 2),
so the dependents of finished checks go before fresh roots: a host that has started is finished
before a new one starts, and the hosts in flight stay bounded by the concurrency (their parked
connections, buffers and tasks with them). Ties go to the earlier check in dependency order.

The gate creates a check's task only when the check gets its slot (``launch``); a check that
is attempted again (``--wait``) asks for a slot again with the same rank (``acquire``). Slots
are handed out on the next turn of the event loop, once every check that the current step made
ready has been queued, so a dependent always competes with the fresh roots it should beat.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from infra_verify.graph import Graph
from infra_verify.lazy import lazy_module

if TYPE_CHECKING:
    import asyncio
else:
    asyncio = lazy_module("asyncio", rebind=True)  # imported by a run, not by --list

Rank = tuple[int, int]
"""(minus the depth, position in dependency order): smaller goes first."""


class Schedule:
    """One run's readiness bookkeeping and its concurrency slots, handed out by rank."""

    def __init__(
        self,
        graph: Graph,
        order: Sequence[str],
        concurrency: int,
        launch: Callable[[str], None],
    ) -> None:
        self.free = max(1, concurrency)
        self.launch = launch
        """Called with a ready check that now holds a slot: the gate starts its task."""
        self.rank: dict[str, Rank] = {}
        depth: dict[str, int] = {}
        self.missing: dict[str, int] = {}
        """Check id -> how many of its hard dependencies have not finished yet."""
        self.dependents: dict[str, list[str]] = {}
        for i, cid in enumerate(order):
            deps = graph.hard[cid]
            depth[cid] = 1 + max(depth[d] for d in deps) if deps else 0
            self.rank[cid] = (-depth[cid], i)
            self.missing[cid] = len(deps)
            for dep in deps:
                self.dependents.setdefault(dep, []).append(cid)
        self._queue: list[tuple[Rank, int, str | asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._dispatching = False
        self._closed = False

    def close(self) -> None:
        """The run is over (deadline, interrupt): no slot is handed out any more."""
        self._closed = True
        for _, _, item in self._queue:
            if not isinstance(item, str):
                item.cancel()
        self._queue.clear()

    def roots(self) -> list[str]:
        """The checks without hard dependencies, ready at the start (in dependency order)."""
        return [cid for cid, n in self.missing.items() if n == 0]

    def finished(self, cid: str) -> list[str]:
        """``cid`` has its result: the dependents that have every dependency finished now."""
        ready = []
        for dependent in self.dependents.get(cid, ()):
            self.missing[dependent] -= 1
            if self.missing[dependent] == 0:
                ready.append(dependent)
        return ready

    def submit(self, cid: str) -> None:
        """Queue a ready check; ``launch`` gets it with a slot when its rank comes up."""
        if self._closed:
            return
        heapq.heappush(self._queue, (self.rank[cid], next(self._seq), cid))
        self._soon()

    async def acquire(self, cid: str) -> None:
        """A slot for another attempt of the running check ``cid`` (waits its rank's turn)."""
        if self._closed:
            raise asyncio.CancelledError
        if self.free > 0 and not self._queue:
            self.free -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._queue, (self.rank[cid], next(self._seq), waiter))
        self._soon()
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # handed over, then cancelled
                self.release()
            raise

    def release(self) -> None:
        """Give a slot back; it goes to the best-ranked waiter on the next turn of the loop."""
        self.free += 1
        if self._queue:
            self._soon()

    def queued(self) -> int:
        """How many ready checks and attempts wait for a slot."""
        return len(self._queue)

    def _soon(self) -> None:
        if not self._dispatching:
            self._dispatching = True
            asyncio.get_running_loop().call_soon(self._dispatch)

    def _dispatch(self) -> None:
        self._dispatching = False
        while self.free > 0 and self._queue and not self._closed:
            _, _, item = heapq.heappop(self._queue)
            if isinstance(item, str):
                self.free -= 1
                self.launch(item)
            elif not item.done():  # a waiter cancelled meanwhile is dropped
                self.free -= 1
                item.set_result(None)
