"""Plain values a run produces: Status, Observation, Outcome and Result (no I/O, no resources)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """The verdict of one check. Only PASS passes the gate."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    BLOCKED = "blocked"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Observation:
    """One property a check looked at: what was expected, what was seen, and where."""

    property: str
    expected: str | None
    actual: str | None
    ok: bool
    where: str | None = None


@dataclass(frozen=True)
class Eta:
    """When a not-yet-converged finding can converge: earliest and latest wall-clock times (epoch
    seconds), and the fact that bounds them (a cached answer's TTL, a documented window)."""

    earliest: float
    latest: float
    why: str
    action: str = ""
    """What would make it converge sooner (e.g. flush the resolver's cache); may be empty."""

    def window(self) -> str:
        """``05:10:00 UTC`` or ``05:10:00-05:20:00 UTC``."""
        from datetime import UTC, datetime

        def clock(t: float) -> str:
            return datetime.fromtimestamp(t, UTC).strftime("%H:%M:%S")

        if self.latest <= self.earliest:
            return f"{clock(self.earliest)} UTC"
        return f"{clock(self.earliest)}-{clock(self.latest)} UTC"


@dataclass(frozen=True)
class Outcome:
    """What a check concluded about the world; the gate turns it into a Result."""

    status: Status
    summary: str
    observations: tuple[Observation, ...] = ()
    hint: str | None = None
    terminal: bool = False
    warnings: tuple[str, ...] = ()
    eta: Eta | None = None
    """Still converging: when it can converge (never set on PASS or a terminal FAIL)."""
    cause: str | None = None
    """The cause behind an ERROR, said without this check's own names, so that checks that
    share it (one silent DNS server) are reported as one cause."""

    @classmethod
    def passed(cls, summary: str, observations: tuple[Observation, ...] = (), **kw: Any) -> Outcome:
        """Build a PASS outcome."""
        return cls(Status.PASS, summary, observations, **kw)

    @classmethod
    def failed(cls, summary: str, observations: tuple[Observation, ...] = (), **kw: Any) -> Outcome:
        """Build a FAIL outcome."""
        return cls(Status.FAIL, summary, observations, **kw)

    @classmethod
    def error(cls, summary: str, observations: tuple[Observation, ...] = (), **kw: Any) -> Outcome:
        """Build an ERROR outcome (the check could not decide)."""
        return cls(Status.ERROR, summary, observations, **kw)

    @classmethod
    def judge(
        cls,
        observations: list[Observation] | tuple[Observation, ...],
        *,
        ok: str,
        hint: str | None = None,
        **kw: Any,
    ) -> Outcome:
        """PASS with ``ok`` when every observation holds, else FAIL naming the first that does not."""
        obs = tuple(observations)
        bad = [o for o in obs if not o.ok]
        if not bad:
            return cls(Status.PASS, ok, obs, **kw)
        first = bad[0]
        summary = f"{first.property}: expected {first.expected}, got {first.actual}"
        if first.where:
            summary += f" (at {first.where})"
        if len(bad) > 1:
            summary += f" (+{len(bad) - 1} more)"
        return cls(Status.FAIL, summary, obs, hint=hint, **kw)


@dataclass(frozen=True)
class Source:
    """Where a result points in the user's files: a policy check's line, or a ``.tf`` resource."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class Result:
    """A check's final, reportable verdict with evidence and timings."""

    id: str
    kind: str
    status: Status
    summary: str
    observations: tuple[Observation, ...] = ()
    hint: str | None = None
    duration: float = 0.0
    attempts: int = 0
    terminal: bool = False
    after: tuple[str, ...] = ()
    blocked_by: tuple[str, ...] = ()
    explained_by: tuple[str, ...] = ()
    converged_after: float | None = None
    warnings: tuple[str, ...] = ()
    not_in_shard: str | None = None
    """For a SKIPPED check another shard runs: this run's shard, "i/n" (``merge`` keys on it)."""
    eta: Eta | None = None
    """Still converging (FAIL, not terminal): the earliest and latest expected convergence."""
    cause: str | None = None
    """The outcome's shared cause, when it names one (see ``Outcome.cause``)."""
    source: Source | None = None
    """Where the check is written (policy file and line), or for a plan finding the ``.tf``
    file and line of the resource; None for checks built in code."""

    @property
    def ok(self) -> bool:
        """True when the check passed."""
        return self.status is Status.PASS

    def evolve(self, **changes: Any) -> Result:
        """Return a copy with some fields changed."""
        return replace(self, **changes)
