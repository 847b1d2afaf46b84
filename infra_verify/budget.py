"""One time budget per probe: a deadline that the probe's steps share, instead of fractions.

A check's ``timeout`` bounds one attempt. The gate adds a little grace on top, so that the
probe's own, specific message ("TLS handshake got no answer within 5s") wins over the generic
one. :meth:`Budget.for_probe` keeps :data:`PROBE_SHARE` of the timeout for the probe's network
steps; the rest is left for closing connections and judging. Steps then ask for what is left
(:meth:`remaining`), an even share of it (:meth:`share`), or a child budget (:meth:`part`)::

    budget = Budget.for_probe(self.effective_timeout(ctx))
    async with budget.bound():                        # the whole probe
        answer = await query(server, name, timeout=budget.share(len(servers)))
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from infra_verify.lazy import lazy_module

if TYPE_CHECKING:
    import asyncio
else:
    asyncio = lazy_module("asyncio", rebind=True)  # imported by a run, not by --list

PROBE_SHARE = 0.9
"""The part of a check's timeout its network steps may use; the rest closes and judges."""

MIN_STEP = 0.05
"""No step gets less than this, so a late step still sends its packet and fails cleanly."""


@dataclass(frozen=True)
class Budget:
    """A deadline on the monotonic clock, with the total it started from."""

    deadline: float
    total: float

    @classmethod
    def start(cls, seconds: float) -> Budget:
        """A budget of ``seconds`` from now."""
        return cls(time.monotonic() + seconds, seconds)

    @classmethod
    def for_probe(cls, timeout: float) -> Budget:
        """The budget of one probe attempt whose check has ``timeout`` seconds."""
        return cls.start(timeout * PROBE_SHARE)

    def remaining(self) -> float:
        """Seconds left, never less than :data:`MIN_STEP`."""
        return max(MIN_STEP, self.deadline - time.monotonic())

    @property
    def expired(self) -> bool:
        """True once the deadline has passed."""
        return time.monotonic() >= self.deadline

    def share(self, parts: int) -> float:
        """An even share of what is left, for one of ``parts`` sequential steps."""
        return max(MIN_STEP, self.remaining() / max(1, parts))

    def part(self, fraction: float) -> Budget:
        """A child budget holding ``fraction`` of what is left (its deadline never exceeds ours)."""
        seconds = self.remaining() * fraction
        return Budget(min(self.deadline, time.monotonic() + seconds), seconds)

    def bound(self) -> asyncio.Timeout:
        """An ``async with`` block that raises TimeoutError at this budget's deadline."""
        loop = asyncio.get_running_loop()
        return asyncio.timeout_at(loop.time() + (self.deadline - time.monotonic()))
