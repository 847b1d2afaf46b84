"""A worker process per core for large runs: the checks split by dependency component.

The gate is CPU-bound in Python from about a hundred hosts up, and one process uses one core.
``Gate.run()`` (synchronous, so before any event loop exists) can fork one worker per usable
core; the unit it distributes is the one ``--shard`` distributes, the connected component of
the dependency graph (hard and soft edges), so a host's dns, tls and http checks run in one
process: the DNS answers and parked TLS connections they share, their dependency order and the
root causes stay exactly those of a single process. Components go greedily to the least loaded
worker, largest first.

Each worker runs the ordinary run on its part and streams what it learns to the parent over a
pipe (one JSON line per message; results encoded as the JSON report encodes them,
``result_data.py``): every final Result (``on_result``), every attempt (``on_attempt``, when the
parent listens: the live table, heartbeats) and at the end its run's results and flags. The
parent merges them the way ``merge`` merges shards and names root causes over the whole graph.

What the parent guarantees: a worker that dies (a signal, an exit code, a crash) makes each
of its checks without a verdict ERROR naming the worker and why (a check behind one of them is
BLOCKED), so a bug never passes and never fails silently; SIGINT/SIGTERM stop the workers,
which report what they have, and the run is "interrupted"; a worker that does not report
within the run's budget and a grace is killed, and its unfinished checks ERROR.

When a run stays in one process: ``workers=1``; ``auto`` below ``AUTO_MIN_CHECKS`` selected
checks or on one usable core; fewer than two components; a thread the package did not start is
alive (a lock it holds would stay held in the child); the grpc library is already imported
(it is not fork-safe). Components holding a ``gcp.*`` check run in the parent, after the fork,
so the google libraries and grpc are only ever imported there.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from infra_verify.errors import UsageError
from infra_verify.graph import Graph, component_names
from infra_verify.model import Outcome, Result, Status
from infra_verify.result_data import (
    outcome_from_dict,
    outcome_to_dict,
    result_from_dict,
    result_to_dict,
)

if TYPE_CHECKING:
    import asyncio
else:
    from infra_verify.lazy import lazy_module

    asyncio = lazy_module("asyncio", rebind=True)

WorkersSetting = int | Literal["auto"]
"""``Gate(workers=...)``, ``--workers`` and ``defaults.workers``: a count, or ``auto``."""

AUTO_MIN_CHECKS = 300
"""``auto`` forks only from this many selected checks on (100 hosts' dns, tls and http). Measured
with scripts/bench_fair.py on 2 cores: the parent's share (fork, reading the pipes, the merge)
is about 0.1 s of CPU, while a run's CPU grows by about 1 ms per check, so the second core
starts to pay around 100 hosts; at 30 hosts two workers were no faster."""

MAX_WORKERS = 256

GRACE = 10.0
"""Seconds past the run's budget the parent waits for a worker's report before killing it."""

Send = Callable[[tuple[Any, ...]], None]
"""What a worker's part uses to stream a message to the parent: ``("result", Result)``,
``("attempt", check id, Outcome, attempts)``, ``("done", results, deadline_reached,
interrupted)`` or ``("crash", text)``."""

PartRunner = Callable[[Sequence[str], Send], None]
"""Runs one part (check ids) in a worker, streaming results and finishing with ``done``."""

_BATCH = 1 << 16
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
_PIPE_SIZE = 1 << 20


def parse_workers(value: str) -> WorkersSetting:
    """``--workers N|auto``: a whole number from 1, or ``auto``."""
    text = value.strip()
    if text == "auto":
        return "auto"
    if not text.isdigit() or not 1 <= int(text) <= MAX_WORKERS:
        raise UsageError(
            f"--workers {value!r}: write a whole number from 1 to {MAX_WORKERS}, or auto "
            "(one worker per usable core for large runs)"
        )
    return int(text)


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def worker_count(setting: WorkersSetting, checks: int) -> int:
    """How many processes a run of ``checks`` selected checks uses under ``setting``."""
    if setting == "auto":
        return usable_cores() if checks >= AUTO_MIN_CHECKS else 1
    return max(1, setting)


def concurrency_shares(total: int, processes: int) -> list[int]:
    """``total`` (the gate's concurrency, at least ``processes``) split into ``processes``
    shares that add up to it, so the limit holds across processes."""
    base, extra = divmod(total, processes)
    return [base + (i < extra) for i in range(processes)]


def fork_refusal() -> str | None:
    """Why forking now would be unsafe, or None when it is not."""
    if sys.platform == "win32" or not hasattr(os, "fork"):  # pragma: no cover - POSIX only
        return "this platform has no fork()"
    if "grpc" in sys.modules:
        return "the grpc library is already imported, and it is not fork-safe"
    foreign = [t.name for t in threading.enumerate() if not _own_thread(t)]
    if foreign:
        return (
            f"other threads are running ({', '.join(sorted(foreign)[:3])}): a lock one of them "
            "holds would stay held in a worker"
        )
    return None


def _own_thread(thread: threading.Thread) -> bool:
    """The main thread, and the display threads of this package and of rich's live table:
    they only write the parent's terminal, which a worker never touches."""
    return (
        thread is threading.main_thread()
        or thread.name.startswith("infra_verify-")
        or type(thread).__module__ == "rich.live"
    )


def partition(
    graph: Graph,
    count: int,
    weight: Callable[[str], int],
    local: Callable[[str], bool] = lambda cid: False,
) -> tuple[list[str], list[list[str]]]:
    """Whole components: those holding a ``local`` check (they stay in the parent), and the
    rest in at most ``count`` parts balanced greedily by ``weight`` (largest component first,
    to the lightest part); each list in graph order."""
    names = component_names(graph)
    sizes: dict[str, int] = {}
    stays = {name for cid, name in names.items() if local(cid)}
    for cid, name in names.items():
        sizes[name] = sizes.get(name, 0) + weight(cid)
    loads = [0] * count
    part_of: dict[str, int] = {}
    for name in sorted(sizes, key=lambda n: (-sizes[n], n)):
        if name in stays:
            continue
        lightest = min(range(count), key=lambda i: (loads[i], i))
        part_of[name] = lightest
        loads[lightest] += max(1, sizes[name])
    kept: list[str] = []
    parts: list[list[str]] = [[] for _ in range(count)]
    for cid in graph.checks:
        name = names[cid]
        if name in stays:
            kept.append(cid)
        else:
            parts[part_of[name]].append(cid)
    ranked = sorted(range(count), key=lambda i: -loads[i])  # the heaviest part first
    return kept, [parts[i] for i in ranked if parts[i]]


def subgraph(graph: Graph, ids: Iterable[str]) -> Graph:
    """The graph restricted to ``ids`` (whole components: no edge leaves them)."""
    keep = set(ids)
    return Graph(
        checks={cid: c for cid, c in graph.checks.items() if cid in keep},
        hard={cid: graph.hard[cid] for cid in graph.checks if cid in keep},
        soft={cid: graph.soft[cid] for cid in graph.checks if cid in keep},
        inferred={cid: graph.inferred.get(cid, []) for cid in graph.checks if cid in keep},
    )


# -- the worker side --------------------------------------------------------------------------


class _Sender:
    """One JSON line per message (results as the JSON report writes them); inside an event
    loop, the messages of one loop iteration are written together (one system call, not one
    per result)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.pending = bytearray()
        self.scheduled = False

    def __call__(self, message: tuple[Any, ...]) -> None:
        import json  # not at module level: --list imports this module

        self.pending += json.dumps(_encode(message), separators=(",", ":")).encode()
        self.pending += b"\n"
        loop = _running_loop()
        if loop is None or len(self.pending) >= _BATCH:
            self.flush()
        elif not self.scheduled:
            self.scheduled = True
            loop.call_soon(self.flush)

    def flush(self) -> None:
        """Write everything pending (blocking: a slow parent slows the worker down)."""
        self.scheduled = False
        view = memoryview(self.pending)
        try:
            while view:
                view = view[os.write(self.fd, view) :]
        except BrokenPipeError:  # the parent is gone: nobody left to report to
            os._exit(1)
        view.release()
        self.pending.clear()


def _encode(message: tuple[Any, ...]) -> list[Any]:
    what = message[0]
    if what == "result":
        return [what, result_to_dict(message[1])]
    if what == "attempt":
        return [what, message[1], outcome_to_dict(message[2]), message[3]]
    if what == "done":
        return [what, [result_to_dict(r) for r in message[1]], message[2], message[3]]
    return list(message)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def stop_on_signals() -> None:
    """In a worker's event loop: the first SIGINT or SIGTERM cancels the running task (the run
    reports "interrupted"); later ones are ignored, so the report still gets written."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    fired: list[int] = []

    def stop(signum: int) -> None:
        if not fired and task is not None:
            fired.append(signum)
            task.cancel()

    for signum in _STOP_SIGNALS:
        loop.add_signal_handler(signum, stop, signum)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)  # held since the fork: now handled


def _child(
    index: int, ids: Sequence[str], write_fd: int, others: Sequence[int], run: PartRunner
) -> None:
    """In the forked worker: run the part, then leave without touching the parent's state."""
    code = 70
    send = _Sender(write_fd)
    try:
        for fd in others:
            os.close(fd)
        # Fresh stream objects: a lock a parent's display thread held at the fork stays held.
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # blocked until its loop handles them
        run(ids, send)
        code = 0
    except BaseException as exc:  # every failure is reported, then the worker exits
        with contextlib.suppress(BaseException):
            import traceback  # not at module level: --list imports this module

            frames = traceback.extract_tb(exc.__traceback__)
            at = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
            send(("crash", f"{type(exc).__name__}: {exc}{at}"))
    finally:
        with contextlib.suppress(BaseException):  # what the worker printed (warnings) shows
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


# -- the parent side --------------------------------------------------------------------------


@dataclass
class Worker:
    """One forked worker as the parent sees it."""

    index: int
    pid: int
    fd: int
    ids: tuple[str, ...]
    buffer: bytearray = field(default_factory=bytearray)
    streamed: dict[str, Result] = field(default_factory=dict)
    final: tuple[Result, ...] | None = None
    deadline_reached: bool = False
    interrupted: bool = False
    crash: str | None = None
    closed: bool = False
    wait_status: int | None = None
    peak_rss_kb: int = 0
    killed_at_bound: bool = False

    def death(self) -> str:
        """How the worker ended, in words (after it was reaped)."""
        status = self.wait_status
        how = "ended without a report"
        if status is not None and os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            try:
                name = signal.Signals(sig).name
            except ValueError:
                name = str(sig)
            how = f"was killed by {name}"
        elif status is not None and os.WIFEXITED(status):
            how = f"exited with code {os.WEXITSTATUS(status)}"
        if self.killed_at_bound:
            how = f"gave no report within the run's budget and a {GRACE:.0f}s grace, so was killed"
        if self.crash:
            how += f" ({self.crash})"
        return f"worker {self.index} (pid {self.pid}) {how}"


def fork_workers(parts: Sequence[Sequence[str]], run: PartRunner) -> list[Worker]:
    """Fork one worker per part; each runs ``run(part, send)`` and exits."""
    workers: list[Worker] = []
    gc.freeze()  # the policy, checks and modules: shared pages the children never dirty
    # SIGINT/SIGTERM wait (blocked) in each worker until its loop can turn them into a report.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        for index, ids in enumerate(parts, start=1):
            read_fd, write_fd = os.pipe()
            with contextlib.suppress(AttributeError, OSError):  # Linux: fewer blocked writes
                fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child, which never returns
                os.close(read_fd)
                _child(index, ids, write_fd, [w.fd for w in workers], run)
            os.close(write_fd)
            workers.append(Worker(index, pid, read_fd, tuple(ids)))
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        gc.unfreeze()
    return workers


@dataclass
class Merged:
    """What the workers (and the parent's own part) found, before root causes are named."""

    final: dict[str, Result]
    deadline_reached: bool
    interrupted: bool
    peak_rss_kb: int


class Supervisor:
    """The parent's side: read the workers' pipes, call the callbacks, bound and stop them."""

    def __init__(
        self,
        workers: list[Worker],
        *,
        on_result: Callable[[Result], None] | None,
        on_attempt: Callable[[str, Outcome, int], None] | None,
        budget: float,
        started: float,
    ) -> None:
        self.workers = workers
        self.on_result = on_result
        self.on_attempt = on_attempt
        self.budget = budget
        self.started = started
        self._open = 0
        self._all_closed: asyncio.Event | None = None

    async def run(
        self, local: Coroutine[Any, Any, tuple[Sequence[Result], bool, bool]] | None
    ) -> tuple[list[Worker], tuple[Sequence[Result], bool, bool] | None, bool]:
        """Until every worker reported (and the local part ended); returns the workers, the
        local part's (results, deadline_reached, interrupted), and whether the run was
        interrupted here (SIGINT/SIGTERM to the parent)."""
        loop = asyncio.get_running_loop()
        self._all_closed = asyncio.Event()
        self._open = len(self.workers)
        for w in self.workers:
            os.set_blocking(w.fd, False)
            loop.add_reader(w.fd, self._readable, w)
        if not self.workers:
            self._all_closed.set()
        local_task = asyncio.ensure_future(local) if local is not None else None
        closed = asyncio.ensure_future(self._all_closed.wait())
        waiting: set[asyncio.Future[Any]] = {closed}
        if local_task is not None:
            waiting.add(local_task)
        interrupted = False
        bound = self.budget + GRACE - (time.monotonic() - self.started)
        try:
            await asyncio.wait(waiting, timeout=max(0.0, bound))
        except asyncio.CancelledError:
            interrupted = True
            self._signal_all(signal.SIGTERM)
            if local_task is not None:
                local_task.cancel()
            await asyncio.wait(waiting, timeout=GRACE)
        if not closed.done():  # past the budget and grace, or deaf to SIGTERM: no more waiting
            for w in self.workers:
                w.killed_at_bound = not w.closed
            self._signal_all(signal.SIGKILL)
            await asyncio.wait({closed}, timeout=GRACE)
        closed.cancel()
        for w in self.workers:
            if not w.closed:
                self._close(w)
        local_result = None
        if local_task is not None:
            if not local_task.done():
                local_task.cancel()
                await asyncio.wait({local_task})
            if not local_task.cancelled():
                local_result = local_task.result()
        return self.workers, local_result, interrupted

    def _signal_all(self, signum: int) -> None:
        for w in self.workers:
            if not w.closed:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(w.pid, signum)

    def _readable(self, w: Worker) -> None:
        try:
            data = os.read(w.fd, 1 << 16)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._close(w)
            return
        w.buffer += data
        end = w.buffer.rfind(b"\n")
        if end < 0:
            return
        lines = bytes(w.buffer[:end]).split(b"\n")
        del w.buffer[: end + 1]
        for line in lines:
            import json  # not at module level: --list imports this module

            self._dispatch(w, json.loads(line))

    def _dispatch(self, w: Worker, message: list[Any]) -> None:
        what = message[0]
        if what == "result":
            result = result_from_dict(message[1])
            w.streamed[result.id] = result
            if self.on_result is not None:
                self.on_result(result)
        elif what == "attempt":
            if self.on_attempt is not None:
                self.on_attempt(message[1], outcome_from_dict(message[2]), message[3])
        elif what == "done":
            w.final = tuple(result_from_dict(r) for r in message[1])
            w.deadline_reached, w.interrupted = bool(message[2]), bool(message[3])
        elif what == "crash":
            w.crash = message[1]

    def _close(self, w: Worker) -> None:
        loop = asyncio.get_running_loop()
        loop.remove_reader(w.fd)
        os.close(w.fd)
        w.closed = True
        _, status, usage = os.wait4(w.pid, 0)
        w.wait_status = status
        w.peak_rss_kb = usage.ru_maxrss
        self._open -= 1
        if self._open == 0 and self._all_closed is not None:
            self._all_closed.set()


def merge(
    graph: Graph,
    workers: Sequence[Worker],
    local: tuple[Sequence[Result], bool, bool] | None,
    *,
    interrupted: bool,
    skip: frozenset[str],
    redact: Callable[[str], str],
) -> Merged:
    """Every check's result, taken from the process that ran it. A worker that ended without
    its report leaves what it streamed; its other checks ERROR naming it (or are BLOCKED
    behind such a check, or stay SKIPPED); so does a local part that never finished."""
    final: dict[str, Result] = {}
    deadline_reached = False
    if local is not None:
        final.update((r.id, r) for r in local[0])
        deadline_reached |= local[1]
        interrupted |= local[2]
    why: dict[str, str] = {}
    for w in workers:
        final.update(w.streamed)
        if w.final is not None and w.crash is None:  # the results it never streamed
            final.update((r.id, r) for r in w.final)
            deadline_reached |= w.deadline_reached
            interrupted |= w.interrupted
            continue
        deadline_reached |= w.killed_at_bound
        said = redact(w.death())
        why.update((cid, said) for cid in w.ids)
    stopped = "the run was interrupted" if interrupted else "the run ended"
    for cid in graph.order():
        if cid not in final:
            final[cid] = _without_verdict(graph, cid, final, why.get(cid, stopped), skip)
    return Merged(final, deadline_reached, interrupted, sum(w.peak_rss_kb for w in workers))


def _without_verdict(
    graph: Graph, cid: str, final: dict[str, Result], why: str, skip: frozenset[str]
) -> Result:
    check = graph.checks[cid]
    after = tuple(graph.hard[cid])
    if cid in skip:
        return Result(cid, check.kind, Status.SKIPPED, "deselected by --only/--skip", after=after)
    blockers = tuple(d for d in after if final[d].status not in (Status.PASS, Status.SKIPPED))
    if blockers:
        return Result(
            cid,
            check.kind,
            Status.BLOCKED,
            f"blocked by {', '.join(blockers)}",
            after=after,
            blocked_by=blockers,
        )
    return Result(
        cid,
        check.kind,
        Status.ERROR,
        f"no verdict: {why} before this check finished",
        hint="run again; if it recurs, run with --workers 1 and report the worker's end as a bug",
        after=after,
        cause=why,
    )
