"""Combinators: ``all_of`` and ``any_of`` turn several checks into one check with one result.

Members run concurrently, each with the gate's guards, its own timeout and the gate's error
mapping. The combined result carries every member's evidence: one observation per member
(``member: pass/fail/error — summary``) followed by the member's own observations, each
property prefixed with the member's id.

Verdicts:

- ``all_of``: PASS when every member passes; FAIL as soon as one member fails (even if another
  could not decide: one broken link already decides); otherwise ERROR when a member errored.
- ``any_of``: PASS when at least one member passes. A member that ERRORed while another passed
  does not change the verdict (one working alternative is enough), but it is carried in the
  result as a warning, so a flaky alternative is still visible. When no member passes, the
  verdict is ERROR if any member errored (that member might have passed) and FAIL only when
  every member failed.

Dependencies: the combinator waits for the union of its members' ``after:`` and inferred
edges (minus the members themselves), so ``all_of(Http(...))`` still runs after the host's DNS.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import Field, model_validator

from infra_verify.attempt import attempt
from infra_verify.check import Check
from infra_verify.context import CheckContext
from infra_verify.model import Observation, Outcome, Status

__all__ = ["AllOf", "AnyOf", "MembersObserved", "all_of", "any_of"]


@dataclass(frozen=True)
class MembersObserved:
    """What a combinator's probe saw: each member with its own outcome, in member order."""

    outcomes: tuple[tuple[Check, Outcome], ...]


class _Combinator(Check):
    """Base of all_of/any_of: members run concurrently and are judged together."""

    members: tuple[Check, ...] = Field(description="the checks combined")

    @model_validator(mode="after")
    def _members(self) -> _Combinator:
        if not self.members:
            raise ValueError(f"{self.kind} needs at least one check")
        ids = [m.id for m in self.members]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{self.kind}: two members share an id; give each a unique id")
        own = set(ids)
        merged = [*self.after, *(d for m in self.members for d in m.after if d not in own)]
        object.__setattr__(self, "after", tuple(dict.fromkeys(merged)))
        if any(m.family == "gcp" for m in self.members):
            object.__setattr__(self, "family", "gcp")  # the gate preloads the google libraries
        return self

    def subject(self) -> str:
        """The members' ids."""
        return ",".join(m.id for m in getattr(self, "members", ()))

    def host(self) -> str | None:
        """The members' host when they share one."""
        hosts = {m.host() for m in self.members}
        return hosts.pop() if len(hosts) == 1 else None

    def targets(self) -> tuple[str, ...]:
        """Every member's targets (guards look inside)."""
        return tuple(t for m in self.members for t in m.targets())

    def infer_edges(self, others: Sequence[Check]) -> Iterable[tuple[str, str]]:
        """The members' inferred edges to checks outside the combinator."""
        own = {m.id for m in self.members} | {self.id}
        pool = [*others, *self.members]
        for member in self.members:
            for dep, how in member.infer_edges(pool):
                if dep not in own:
                    yield dep, how

    def effective_timeout(self, ctx: CheckContext) -> float:
        """The slowest member's timeout (members run concurrently)."""
        if self.timeout is not None:
            return self.timeout
        return max(m.effective_timeout(ctx) for m in self.members)

    async def probe(self, ctx: CheckContext) -> MembersObserved:
        """Run every member concurrently, each as the gate would (guards, timeout, errors)."""
        outcomes = await asyncio.gather(*(run_member(m, ctx) for m in self.members))
        return MembersObserved(tuple(zip(self.members, outcomes, strict=True)))

    def judge(self, observed: MembersObserved) -> Outcome:
        """Combine the members' outcomes into one (see the module docstring)."""
        raise NotImplementedError


class AllOf(_Combinator):
    """Passes when every member passes; one result with every member's evidence."""

    kind = "all_of"

    def judge(self, observed: MembersObserved) -> Outcome:
        """FAIL when a member fails, else ERROR when one errored, else PASS."""
        outcomes = observed.outcomes
        evidence, warnings = _evidence(outcomes)
        failed = [(m, o) for m, o in outcomes if o.status is Status.FAIL]
        errored = [(m, o) for m, o in outcomes if o.status is Status.ERROR]
        n = len(outcomes)
        if failed:
            m, o = failed[0]
            return Outcome.failed(
                f"{len(failed)} of {n} failed: {_line(m, o)}" + _more(failed),
                evidence,
                hint=o.hint,
                terminal=any(o.terminal for _, o in failed),
                warnings=warnings,
            )
        if errored:
            m, o = errored[0]
            return Outcome.error(
                f"{len(errored)} of {n} could not decide: {_line(m, o)}" + _more(errored),
                evidence,
                hint=o.hint,
                warnings=warnings,
            )
        return Outcome.passed(f"all {n} passed", evidence, warnings=warnings)


class AnyOf(_Combinator):
    """Passes when at least one member passes; one result with every member's evidence."""

    kind = "any_of"

    def judge(self, observed: MembersObserved) -> Outcome:
        """PASS when one passes (errors become warnings), else ERROR if one errored, else FAIL."""
        outcomes = observed.outcomes
        evidence, warnings = _evidence(outcomes)
        passed = [(m, o) for m, o in outcomes if o.status is Status.PASS]
        errored = [(m, o) for m, o in outcomes if o.status is Status.ERROR]
        n = len(outcomes)
        if passed:
            m, o = passed[0]
            notes = tuple(
                f"{em.id} could not decide (ignored, {m.id} passed): {eo.summary}"
                for em, eo in errored
            )
            return Outcome.passed(
                f"{len(passed)} of {n} passed: {_line(m, o)}", evidence, warnings=warnings + notes
            )
        lines = "; ".join(_line(m, o) for m, o in outcomes)
        first_hint = next((o.hint for _, o in outcomes if o.hint), None)
        if errored:
            return Outcome.error(
                f"none of {n} passed and {len(errored)} could not decide: {lines}",
                evidence,
                hint=errored[0][1].hint or first_hint,
                warnings=warnings,
            )
        return Outcome.failed(
            f"none of {n} passed: {lines}",
            evidence,
            hint=first_hint,
            terminal=all(o.terminal for _, o in outcomes),
            warnings=warnings,
        )


def all_of(
    *checks: Check, id: str = "", after: Iterable[str | Check] = (), **options: Any
) -> AllOf:
    """One check that passes when every one of ``checks`` passes."""
    return AllOf(members=checks, id=id, after=_ids(after), **options)


def any_of(
    *checks: Check, id: str = "", after: Iterable[str | Check] = (), **options: Any
) -> AnyOf:
    """One check that passes when at least one of ``checks`` passes."""
    return AnyOf(members=checks, id=id, after=_ids(after), **options)


async def run_member(check: Check, ctx: CheckContext) -> Outcome:
    """Run one member the way the gate runs a check: guards, timeout and error mapping."""
    # less grace than the gate gives the combinator, so the member's own message wins
    return await attempt(check, ctx, grace=0.5)


def _ids(after: Iterable[str | Check]) -> tuple[str, ...]:
    return tuple(a.id if isinstance(a, Check) else a for a in after)


def _line(member: Check, outcome: Outcome) -> str:
    return f"{member.id}: {outcome.summary}"


def _more(items: Sequence[Any]) -> str:
    return f" (+{len(items) - 1} more)" if len(items) > 1 else ""


def _evidence(
    outcomes: Sequence[tuple[Check, Outcome]],
) -> tuple[tuple[Observation, ...], tuple[str, ...]]:
    obs: list[Observation] = []
    warnings: list[str] = []
    for member, o in outcomes:
        obs.append(
            Observation(
                member.id, "pass", f"{o.status.value}: {o.summary}", o.status is Status.PASS
            )
        )
        obs.extend(
            Observation(f"{member.id}: {x.property}", x.expected, x.actual, x.ok, x.where)
            for x in o.observations
        )
        warnings.extend(f"{member.id}: {w}" for w in o.warnings)
    return tuple(obs), tuple(warnings)
