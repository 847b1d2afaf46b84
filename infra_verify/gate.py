"""The gate: run checks concurrently in dependency order, wait for convergence, name root causes.

The whole run in one screen::

    graph = build_graph(checks)                      # after: edges + inferred ones, no cycles
    for each check, concurrently (bounded):
        wait for its hard dependencies
        a dependency did not pass   -> BLOCKED
        else attempt (guards, timeout, errors mapped) and, with wait=, retry with backoff
    at the deadline, unfinished checks keep their latest finding (or become ERROR)
    root causes = failing checks whose dependencies all passed and that nothing explains
"""

from __future__ import annotations

import collections
import contextlib
import copy
import gc
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from infra_verify.attempt import attempt
from infra_verify.check import Check
from infra_verify.checks.answers import plan_lookups
from infra_verify.context import CheckContext
from infra_verify.durations import format_duration
from infra_verify.errors import InfraVerifyError, PolicyError, UsageError
from infra_verify.explain import Cause, explain, shared_causes
from infra_verify.graph import Graph, build_graph
from infra_verify.lazy import lazy_module
from infra_verify.model import Observation, Outcome, Result, Source, Status
from infra_verify.policy.load import CONTEXT_OPTIONS, LOAD_OPTIONS, Policy, load_policy
from infra_verify.policy.yaml_lines import line_of
from infra_verify.schedule import Schedule
from infra_verify.workers import (
    Send,
    Supervisor,
    WorkersSetting,
    concurrency_shares,
    fork_refusal,
    fork_workers,
    merge,
    partition,
    stop_on_signals,
    subgraph,
    worker_count,
)

_T = TypeVar("_T")
ResultCallback = Callable[[Result], None]
AttemptCallback = Callable[[str, Outcome, int], None]

if TYPE_CHECKING:
    import asyncio

    from tenacity import RetryCallState
else:
    asyncio = lazy_module("asyncio", rebind=True)  # imported by a run, not by --list

DEFAULT_CONCURRENCY = 64

GEN0_THRESHOLD = 200_000
"""Allocations between young-generation collections while a run is going (CPython's default,
700, makes a 10,000-host run spend a third of its time in the collector; 50,000 still 4-6%:
each young collection walks what the checks in flight hold). Little garbage is cyclic: at most
this many objects wait for a collection."""
OLDER_THRESHOLD = 1_000
"""Young collections between collections of the older generations while a run is going: what
survives a young collection during a run (results, connections) mostly lives until its end."""

_tuned_runs = 0
_tuned_lock = threading.Lock()
_saved_thresholds: tuple[int, int, int] = gc.get_threshold()


@contextlib.contextmanager
def collector_tuned() -> Iterator[None]:
    """During a run: objects alive at its start (the policy, the checks, imported modules) are
    frozen out of the collector's view, and young collections happen every GEN0_THRESHOLD
    allocations. Both are undone when the last concurrent run ends."""
    global _tuned_runs, _saved_thresholds
    with _tuned_lock:
        if _tuned_runs == 0:
            _saved_thresholds = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(GEN0_THRESHOLD, OLDER_THRESHOLD, OLDER_THRESHOLD)
        _tuned_runs += 1
    try:
        yield
    finally:
        with _tuned_lock:
            _tuned_runs -= 1
            if _tuned_runs == 0:
                # What the run made and kept (its results) joins the oldest generation with
                # the objects frozen at its start: the default thresholds restored below would
                # otherwise collect the younger generations, everything the run kept, at once.
                gc.freeze()
                gc.unfreeze()
                gc.set_threshold(*_saved_thresholds)


@dataclass
class GateRun:
    """The outcome of one gate run: every check's result, root causes and the exit code."""

    results: tuple[Result, ...]
    environment: str = "local"
    duration: float = 0.0
    deadline_reached: bool = False
    interrupted: bool = False
    started_at: float = field(default_factory=time.time)
    warnings: tuple[str, ...] = ()
    mode: str = "live"  # "plan" for IaC plan checks

    @property
    def ok(self) -> bool:
        """True when every selected check passed (skipped ones are shown, not counted)."""
        selected = [r for r in self.results if r.status is not Status.SKIPPED]
        return bool(selected) and all(r.ok for r in selected) and not self.interrupted

    @property
    def exit_code(self) -> int:
        """0 when the deployment is complete, 1 when it is not."""
        return 0 if self.ok else 1

    @property
    def root_causes(self) -> list[Result]:
        """Failing checks whose dependencies passed and that no other failure explains."""
        return [
            r
            for r in self.results
            if r.status in (Status.FAIL, Status.ERROR) and not r.explained_by
        ]

    @property
    def shared_causes(self) -> list[Cause]:
        """The root causes said once each: identical root causes merged, with what they affect."""
        return shared_causes(self.results)

    def by_id(self, check_id: str) -> Result:
        """The result of one check."""
        for r in self.results:
            if r.id == check_id:
                return r
        raise KeyError(check_id)

    def counts(self) -> dict[str, int]:
        """How many results have each status."""
        out = {s.value: 0 for s in Status}
        for r in self.results:
            out[r.status.value] += 1
        return out

    def summary(self) -> str:
        """One readable paragraph: verdict, counts and root causes with hints."""
        c = self.counts()
        verdict = "deployment complete" if self.ok else "deployment NOT complete"
        parts = [f"{n} {s}" for s, n in c.items() if n]
        text = f"{self.environment}: {verdict} ({', '.join(parts)}) in {format_duration(self.duration)}"
        if self.interrupted:
            text += "; interrupted"
        kinds = {r.id: r.kind for r in self.results}
        for cause in self.shared_causes:
            kind = ", ".join(dict.fromkeys(kinds[c] for c in cause.checks))
            text += f"\n  root cause: {', '.join(cause.checks)} [{kind}] {cause.summary}"
            if cause.hint:
                text += f"\n    fix: {cause.hint}"
        return text

    def raise_for_failure(self) -> GateRun:
        """Raise DeploymentIncomplete unless the gate passed; return self when it did."""
        if not self.ok:
            raise DeploymentIncomplete(self)
        return self


class DeploymentIncomplete(InfraVerifyError):
    """The gate did not pass; ``.run`` holds the full GateRun."""

    def __init__(self, run: GateRun) -> None:
        self.run = run
        super().__init__(run.summary())


class Gate:
    """Runs checks concurrently in dependency order and decides whether the deployment is done."""

    def __init__(
        self,
        checks: Iterable[Check],
        *,
        context: CheckContext | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        deadline: float = 300.0,
        wait: float = 0.0,
        poll: float = 2.0,
        poll_max: float = 30.0,
        skip: Iterable[str] = (),
        infer: bool = True,
        on_result: ResultCallback | None = None,
        on_attempt: AttemptCallback | None = None,
        sources: Mapping[str, Source] | None = None,
        workers: WorkersSetting = "auto",
    ) -> None:
        self.checks: tuple[Check, ...] = tuple(checks)
        self.context = context or CheckContext()
        self.concurrency = max(1, concurrency)
        self.deadline = deadline
        self.wait = wait
        self.poll = poll
        self.poll_max = max(poll, poll_max)
        self.skip = frozenset(skip)
        self.on_result = on_result
        self.on_attempt = on_attempt
        _require_checks(self.checks, self.skip)
        self.sources: Mapping[str, Source] = sources or {}
        """Check id -> where it is written; each Result carries its own (``Result.source``)."""
        self.graph: Graph = build_graph(self.checks, infer=infer)
        if workers != "auto" and (
            isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
        ):
            raise UsageError(
                f"Gate(workers={workers!r}): pass a whole number from 1, or 'auto' "
                "(one process per usable core for large runs)"
            )
        self.workers: WorkersSetting = workers
        """Processes for ``run()``: a count, or ``auto`` (one per usable core for large runs)."""
        self.workers_used = 1
        """How many processes the last ``run()`` ran checks in (1: this one alone)."""
        self.workers_peak_rss_kb = 0
        """The peak RSS of the last run's workers, summed (KiB; 0 without workers)."""

    @classmethod
    def from_policy(cls, policy: str | Path | Policy, **options: Any) -> Gate:
        """A gate for a policy (a file, or one already loaded).

        Keyword options are Gate's (deadline, wait, concurrency, poll, skip, ...),
        ``load_policy()``'s (environment: the one the run asks for, allow_outside_policy_dir)
        and ``Policy.context()``'s (allow_loopback, allow_loopback_settings, allow_metadata,
        project, timeout, env, ...); they override the policy's defaults.
        """
        load_opts = {k: options.pop(k) for k in list(options) if k in LOAD_OPTIONS}
        if isinstance(policy, Policy):
            loaded = policy.for_environment(load_opts.get("environment"))
        else:
            loaded = load_policy(policy, **load_opts)
        if not loaded.checks:
            raise PolicyError(
                "the policy has no checks, so a run would verify nothing",
                file=loaded.path,
                line=line_of(loaded.lines, ("checks",)),
                key="checks",
                hint="add at least one check",
            )
        ctx_opts = {k: options.pop(k) for k in list(options) if k in CONTEXT_OPTIONS}
        options.setdefault("deadline", loaded.defaults.deadline)
        options.setdefault("concurrency", loaded.defaults.concurrency)
        options.setdefault("poll", loaded.defaults.poll)
        options.setdefault("poll_max", loaded.defaults.poll_max)
        options.setdefault("workers", loaded.defaults.workers)
        options.setdefault("sources", loaded.sources)
        if options.get("context") is None:
            options["context"] = loaded.context(**ctx_opts)
        return cls(loaded.checks, **options)

    def run(self, *, cancel_on: Iterable[int] = ()) -> GateRun:
        """Run the gate synchronously (for deploy scripts), in a worker process per core when
        the run is large (``workers``); ``cancel_on``: signals that interrupt it as SIGINT does."""
        self.workers_used, self.workers_peak_rss_kb = 1, 0
        split, note = self._split()
        if split is None:
            run = asyncio.run(_cancellable(self.arun(), cancel_on))
            return replace(run, warnings=(*run.warnings, note)) if note else run
        return _run_in_workers(self, *split, cancel_on=tuple(cancel_on))

    def _split(self) -> tuple[tuple[list[str], list[list[str]]] | None, str | None]:
        """(this process's part, the workers' parts), or None to run in this process alone
        (and why, when ``workers`` asked for more than one process). Without gcp checks this
        process runs the lightest part itself, beside ``workers - 1`` forked ones; gcp checks
        (and their components) run here, beside ``workers`` forked ones."""
        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop()
            return None, None  # inside a running loop: asyncio.run() will say so, unforked
        selected = sum(1 for cid in self.graph.checks if cid not in self.skip)
        count = min(worker_count(self.workers, selected), self.concurrency)
        if count < 2:
            return None, None
        refusal = fork_refusal()
        if refusal is not None:
            note = f"workers={self.workers}: ran in one process: {refusal}"
            return None, None if self.workers == "auto" else note
        checks = self.graph.checks
        local, parts = partition(
            self.graph,
            count,
            weight=lambda cid: cid not in self.skip,
            local=lambda cid: checks[cid].family == "gcp",  # grpc: imported in the parent only
        )
        if len(parts) + bool(local) < 2:
            return None, None
        if not local:  # this process runs a part too (the lightest): one fork fewer
            local, parts = parts[-1], parts[:-1]
        return (local, parts), None

    async def arun(self) -> GateRun:
        """Run the gate; for async callers."""
        return await _Run(self).execute()


class _Run:
    """The state of one gate run."""

    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        self.graph = gate.graph
        self.ctx = gate.context
        self.start = time.monotonic()
        self.started_wall = time.time()
        budget = gate.wait if gate.wait > 0 else gate.deadline
        self.budget = budget
        self.order = self.graph.order()
        self.final: dict[str, Result] = {}
        self.latest: dict[str, tuple[Outcome, int, float]] = {}
        self.first_probe: dict[str, float] = {}
        self.schedule = Schedule(self.graph, self.order, gate.concurrency, self._launch)
        self.holding: set[str] = set()
        """Checks whose task was started with a slot their first attempt has not used yet."""
        self.tasks: set[asyncio.Task[None]] = set()
        """The checks running now (at most the concurrency, plus ``--wait`` retries asleep)."""
        self.all_done: asyncio.Future[None] | None = None

    async def execute(self) -> GateRun:
        try:
            with collector_tuned():
                return await self._execute()
        finally:
            self.ctx.close()

    async def _execute(self) -> GateRun:
        order = self.order
        interrupted = False
        if any(c.family == "gcp" for c in self.graph.checks.values()):
            try:
                await self._preload_gcp()
            except asyncio.CancelledError:  # SIGINT/SIGTERM during the import: a report still
                interrupted = True
        by_kind: dict[type[Check], list[Check]] = {}
        for check in self.graph.checks.values():
            by_kind.setdefault(type(check), []).append(check)
        for kind, checks in by_kind.items():
            warm_up = getattr(kind, "warm_up", None)  # lazy imports, before any timer starts
            if warm_up is not None:
                warm_up(checks, self.ctx)  # only what these checks will use
        plan_lookups(self.ctx, self.graph.checks.values())
        # The deadline counts from the start of the run, the imports above included: when
        # they used it all, no check starts.
        remaining = self._remaining()
        finished = False
        if remaining > 0 and not interrupted:
            self.all_done = asyncio.get_running_loop().create_future()
            self._ready(self.schedule.roots())
            try:
                async with asyncio.timeout(remaining):
                    await self.all_done
                finished = True
            except TimeoutError:
                pass
            except asyncio.CancelledError:
                interrupted = True
        self.schedule.close()  # no check starts after the deadline or an interrupt
        pending = list(self.tasks)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        deadline_reached = not finished and not interrupted
        for cid in order:
            if cid not in self.final:
                self.final[cid] = self._unfinished(cid, interrupted)
        sources = self.gate.sources
        results = [
            r.evolve(source=sources[r.id]) if r.id in sources else r
            for r in explain(self.graph, self.final, order)
        ]
        return GateRun(
            results=tuple(results),
            environment=self.ctx.environment,
            duration=time.monotonic() - self.start,
            deadline_reached=deadline_reached,
            interrupted=interrupted,
            started_at=self.started_wall,
        )

    def _remaining(self) -> float:
        """What is left of the run's budget (its deadline, or ``wait``)."""
        return max(0.0, self.budget - (time.monotonic() - self.start))

    async def _preload_gcp(self) -> None:
        """Import the google libraries (seconds) before any check's timer starts; within the
        run's deadline (an import still running then is left to finish on its thread)."""
        from infra_verify.gcp.clients import GcpClients

        # ImportError is reported by the checks themselves; past the deadline they ERROR.
        with contextlib.suppress(ImportError, TimeoutError):
            async with asyncio.timeout(self._remaining()):
                await self.ctx.run_blocking(GcpClients.preload)

    def _ready(self, ready: list[str]) -> None:
        """Every hard dependency of these checks has finished: decide the skipped and the
        blocked ones now (no task, no slot) and queue the others for a slot."""
        queue = collections.deque(ready)
        while queue:
            cid = queue.popleft()
            check = self.graph.checks[cid]
            deps = self.graph.hard[cid]
            if cid in self.gate.skip:
                result = Result(
                    cid,
                    check.kind,
                    Status.SKIPPED,
                    "deselected by --only/--skip",
                    after=tuple(deps),
                )
            else:
                blockers = tuple(
                    d for d in deps if self.final[d].status not in (Status.PASS, Status.SKIPPED)
                )
                if not blockers:
                    self.schedule.submit(cid)
                    continue
                result = Result(
                    cid,
                    check.kind,
                    Status.BLOCKED,
                    f"blocked by {', '.join(blockers)}",
                    after=tuple(deps),
                    blocked_by=blockers,
                )
            queue.extend(self._finish(result))

    def _finish(self, result: Result) -> list[str]:
        """Record a final result; returns the dependents it made ready."""
        self.final[result.id] = result
        ready = self.schedule.finished(result.id)
        if self.gate.on_result is not None:
            self.gate.on_result(result)
        done = self.all_done
        if len(self.final) == len(self.order) and done is not None and not done.done():
            done.set_result(None)
        return ready

    def _launch(self, cid: str) -> None:
        """Start the task of a ready check; it holds a slot for its first attempt."""
        self.holding.add(cid)
        task = asyncio.get_running_loop().create_task(self._drive(cid), name=cid)
        self.tasks.add(task)
        task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None and self.all_done is not None and not self.all_done.done():
            self.all_done.set_exception(exc)  # a bug in the gate or a callback: never hang

    async def _drive(self, cid: str) -> None:
        try:
            result = await self._converge(self.graph.checks[cid])
        finally:
            if cid in self.holding:  # cancelled before its first attempt
                self.holding.discard(cid)
                self.schedule.release()
        self._ready(self._finish(result))

    async def _converge(self, check: Check) -> Result:
        attempts = 0
        remaining = self.budget - (time.monotonic() - self.start)

        async def attempt() -> Outcome:
            nonlocal attempts
            attempts += 1
            outcome = await self._attempt(check)
            self.latest[check.id] = (outcome, attempts, self.first_probe[check.id])
            if self.gate.on_attempt is not None:
                self.gate.on_attempt(check.id, outcome, attempts)
            return outcome

        deadline = self.started_wall + self.budget
        if self.gate.wait > 0:
            outcome = await self._retrying(check, remaining, deadline)(attempt)
        else:  # one attempt: no retry machinery to build per check
            outcome = await attempt()
        why = futile(outcome, deadline, self.gate.wait)
        if why is not None:
            outcome = replace(outcome, summary=f"{outcome.summary} (stopped waiting: {why})")
        now = time.monotonic()
        # Duration counts from the first probe, not from waiting for a concurrency slot.
        first = self.first_probe.get(check.id, now)
        return self._result(check, outcome, attempts, now - first, now)

    def _retrying(self, check: Check, remaining: float, deadline: float) -> Any:
        """tenacity's retrying for ``--wait``: backoff from poll to poll_max until PASS, a
        terminal FAIL or the deadline (imported here: a run without --wait never needs it)."""
        from tenacity import (
            AsyncRetrying,
            retry_if_result,
            stop_before_delay,
            wait_exponential,
        )

        poll = check.poll if check.poll is not None else self.gate.poll
        poll_max = check.poll_max if check.poll_max is not None else self.gate.poll_max

        def keep_waiting(outcome: Outcome) -> bool:
            return _should_retry(outcome) and futile(outcome, deadline, self.gate.wait) is None

        return AsyncRetrying(
            stop=stop_before_delay(remaining),
            wait=wait_exponential(multiplier=poll, min=poll, max=max(poll, poll_max)),
            retry=retry_if_result(keep_waiting),
            retry_error_callback=_last_result,
        )

    def _result(
        self, check: Check, outcome: Outcome, attempts: int, took: float, now: float
    ) -> Result:
        return Result(
            id=check.id,
            kind=check.kind,
            status=outcome.status,
            summary=outcome.summary,
            observations=outcome.observations,
            hint=outcome.hint,
            duration=took,
            attempts=attempts,
            terminal=outcome.terminal,
            after=tuple(self.graph.hard[check.id]),
            converged_after=(now - self.start) if outcome.status is Status.PASS else None,
            warnings=outcome.warnings,
            eta=outcome.eta if outcome.status is Status.FAIL and not outcome.terminal else None,
            cause=outcome.cause,
        )

    async def _attempt(self, check: Check) -> Outcome:
        if check.id in self.holding:  # the slot its task was started with
            self.holding.discard(check.id)
        else:
            await self.schedule.acquire(check.id)
        try:
            self.first_probe.setdefault(check.id, time.monotonic())
            outcome = await attempt(check, self.ctx)
        finally:
            self.schedule.release()
        return _redact(outcome, self.ctx)

    def _unfinished(self, cid: str, interrupted: bool) -> Result:
        check = self.graph.checks[cid]
        after = tuple(self.graph.hard[cid])
        why = (
            "the run was interrupted"
            if interrupted
            else (f"the gate's {format_duration(self.budget)} deadline was reached")
        )
        latest = self.latest.get(cid)
        now = time.monotonic()
        if latest is not None and latest[0].status is not Status.PASS:
            outcome, attempts, first = latest
            result = self._result(check, outcome, attempts, now - first, now)
            return result.evolve(summary=f"{outcome.summary} (still so when {why})")
        unfinished_deps = tuple(d for d in after if d not in self.final or not self.final[d].ok)
        if unfinished_deps:
            return Result(
                cid,
                check.kind,
                Status.BLOCKED,
                f"blocked by {', '.join(unfinished_deps)}",
                after=after,
                blocked_by=unfinished_deps,
            )
        return Result(
            cid,
            check.kind,
            Status.ERROR,
            f"no verdict: {why} before this check finished",
            hint="run the gate again to get a verdict"
            if interrupted
            else "raise --deadline / --wait, or find out why this probe is slow",
            after=after,
            attempts=latest[1] if latest else 0,
        )


def futile(outcome: Outcome, deadline: float, wait: float) -> str | None:
    """Why waiting for ``outcome`` to converge is futile, or None when it is not.

    Futile: a converging FAIL whose earliest convergence (``outcome.eta``, wall clock) lies
    beyond ``deadline``, the wall-clock end of ``--wait`` (``wait`` seconds; 0: no waiting).
    """
    eta = outcome.eta
    if wait <= 0 or eta is None or outcome.status is not Status.FAIL or outcome.terminal:
        return None
    if eta.earliest <= deadline:
        return None
    until = datetime.fromtimestamp(eta.earliest, UTC).strftime("%H:%M:%S UTC")
    remedy = f"{eta.action} or wait until {until}" if eta.action else f"wait until {until}"
    return f"{eta.why}; --wait {format_duration(wait)} cannot see it converge; {remedy}"


def _require_checks(checks: tuple[Check, ...], skip: frozenset[str]) -> None:
    """A run that would verify nothing is a usage error, never a verdict."""
    if not checks:
        raise UsageError("a gate needs at least one check: Gate([]) would verify nothing")
    if all(c.id in skip for c in checks):
        raise UsageError(
            "every check is deselected (--only/--skip, or skip=), so a run would verify nothing;"
            " select at least one check"
        )


def _should_retry(outcome: Outcome) -> bool:
    return outcome.status is not Status.PASS and not outcome.terminal


def _last_result(state: RetryCallState) -> Outcome:
    assert state.outcome is not None
    result: Outcome = state.outcome.result()
    return result


def _redact(outcome: Outcome, ctx: CheckContext) -> Outcome:
    r = ctx.redactor
    return Outcome(
        status=outcome.status,
        summary=r(outcome.summary),
        observations=tuple(
            Observation(
                o.property, r.optional(o.expected), r.optional(o.actual), o.ok, r.optional(o.where)
            )
            for o in outcome.observations
        ),
        hint=r.optional(outcome.hint),
        terminal=outcome.terminal,
        warnings=tuple(r(w) for w in outcome.warnings),
        eta=replace(outcome.eta, why=r(outcome.eta.why)) if outcome.eta else None,
        cause=r.optional(outcome.cause),
    )


# -- a large run in a process per core (workers.py does the forking and the pipes) ----------


async def _cancellable(run: Coroutine[Any, Any, _T], signals: Iterable[int]) -> _T:
    """``run``, cancelled (so reported as interrupted) by any of ``signals``."""
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    if task is not None:
        for signum in signals:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, task.cancel)
    return await run


def _part(gate: Gate, ids: Sequence[str], concurrency: int, **callbacks: Any) -> Gate:
    """The gate restricted to whole components ``ids``, with its share of the concurrency
    (the shares add up to the gate's: the limit holds across processes) and its callbacks."""
    part = copy.copy(gate)
    part.graph = subgraph(gate.graph, ids)
    part.workers = 1
    part.concurrency = concurrency
    for name, callback in callbacks.items():
        setattr(part, name, callback)
    return part


def _started(part: Gate, start: tuple[float, float]) -> _Run:
    """A run of ``part`` whose clock started at ``start`` (monotonic, wall): the whole run's
    start, so the deadline counts from it in every process, the parent's warm-up included."""
    run = _Run(part)
    run.start, run.started_wall = start
    return run


def _run_part(
    gate: Gate, ids: Sequence[str], concurrency: int, send: Send, start: tuple[float, float]
) -> None:
    """In a worker: run its part; stream results (and attempts, when the parent listens)."""
    streamed: set[str] = set()

    def on_result(result: Result) -> None:
        streamed.add(result.id)
        send(("result", result))

    part = _part(
        gate,
        ids,
        concurrency,
        on_result=on_result,
        on_attempt=None
        if gate.on_attempt is None
        else (lambda cid, outcome, n: send(("attempt", cid, outcome, n))),
    )

    async def main() -> GateRun:
        stop_on_signals()
        return await _started(part, start).execute()

    run = asyncio.run(main())
    # What on_result streamed is each check's final result already: the parent names root
    # causes over the whole graph itself, so only the results never streamed (unfinished at
    # the deadline or an interruption) travel again.
    rest = tuple(r for r in run.results if r.id not in streamed)
    send(("done", rest, run.deadline_reached, run.interrupted))


def _warm_up(gate: Gate, ids: Iterable[str]) -> None:
    """Import, once and before the fork, what the workers' checks would each import (each
    kind's ``warm_up``, as a run calls it: it only reads the context)."""
    import importlib

    importlib.import_module("asyncio")
    by_kind: dict[type[Check], list[Check]] = {}
    for cid in ids:
        check = gate.graph.checks[cid]
        by_kind.setdefault(type(check), []).append(check)
    for kind, checks in by_kind.items():
        warm_up = getattr(kind, "warm_up", None)
        if warm_up is not None:
            with contextlib.suppress(ImportError):  # the worker's run reports it
                warm_up(checks, gate.context)


def _run_in_workers(
    gate: Gate, local: list[str], parts: list[list[str]], *, cancel_on: tuple[int, ...]
) -> GateRun:
    """Fork a worker per part, run ``local`` here, merge, name root causes over the graph."""
    start, started_wall = time.monotonic(), time.time()
    _warm_up(gate, [cid for part in parts for cid in part])
    shares = concurrency_shares(gate.concurrency, len(parts) + bool(local))
    share_of = {part[0]: share for part, share in zip(parts, shares, strict=False)}
    workers = fork_workers(
        parts,
        lambda ids, send: _run_part(gate, ids, share_of[ids[0]], send, (start, started_wall)),
    )
    gate.workers_used = len(workers) + bool(local)
    budget = gate.wait if gate.wait > 0 else gate.deadline
    supervisor = Supervisor(
        workers, on_result=gate.on_result, on_attempt=gate.on_attempt, budget=budget, started=start
    )

    async def local_part() -> tuple[Sequence[Result], bool, bool]:
        run = await _started(_part(gate, local, shares[-1]), (start, started_wall)).execute()
        return run.results, run.deadline_reached, run.interrupted

    async def main() -> GateRun:
        found, here, interrupted = await _cancellable(
            supervisor.run(local_part() if local else None), cancel_on
        )
        merged = merge(
            gate.graph,
            found,
            here,
            interrupted=interrupted,
            skip=gate.skip,
            redact=gate.context.redactor,
        )
        gate.workers_peak_rss_kb = merged.peak_rss_kb
        sources = gate.sources
        results = [
            r.evolve(source=sources[r.id]) if r.id in sources else r
            for r in explain(gate.graph, merged.final, gate.graph.order())
        ]
        return GateRun(
            results=tuple(results),
            environment=gate.context.environment,
            duration=time.monotonic() - start,
            deadline_reached=merged.deadline_reached,
            interrupted=merged.interrupted,
            started_at=started_wall,
        )

    try:
        return asyncio.run(main())
    finally:
        if not local:
            gate.context.close()
