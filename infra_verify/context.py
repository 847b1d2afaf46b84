"""CheckContext: the run's settings (defaults, guards, environment) and its shared resources.

Resources (the blocking-call pool, cached TLS contexts, Google Cloud clients) are built lazily
and released by ``close()``.

The blocking-call pool runs the synchronous google-cloud clients (and the OS resolver) on
*daemon* threads. A call that hangs in a library past the gate's deadline is abandoned, never
waited for: ``close()`` does not join it, and neither does the interpreter at exit (unlike
``ThreadPoolExecutor``, whose workers ``concurrent.futures`` joins in an atexit hook). So a run
ends at its deadline, reports written, whatever a library thread is doing.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from infra_verify.lazy import lazy_module
from infra_verify.redact import Redactor

if TYPE_CHECKING:
    import asyncio
    import concurrent.futures as futures
    import queue
    import ssl
    from concurrent.futures import Future

    from infra_verify.gcp.clients import GcpClients, GcpSettings
else:
    asyncio = lazy_module("asyncio", rebind=True)  # imported by a run, not by --list
    ssl = lazy_module("ssl", rebind=True)  # imported by a run, not by --list
    futures = lazy_module("concurrent.futures", rebind=True)  # imported by a run, not by --list
    queue = lazy_module("queue", rebind=True)  # the thread pool's, built by a run

T = TypeVar("T")


class BlockingPool:
    """At most ``max_workers`` daemon threads running blocking calls; never joined.

    ``submit`` returns a ``concurrent.futures.Future``; ``shutdown`` cancels queued calls and
    lets idle workers end. A worker stuck in a call stays stuck without holding anyone up: the
    process exits without it.
    """

    def __init__(self, max_workers: int, name: str = "infra-verify-blocking") -> None:
        self.max_workers = max(1, max_workers)
        self.name = name
        self._queue: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = (
            queue.SimpleQueue()
        )
        self._idle = threading.Semaphore(0)
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._closed = False

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        """Queue ``fn``; start a worker when none is idle and the bound allows."""
        future: Future[T] = futures.Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the blocking pool is shut down")
            self._queue.put((future, fn))
            if not self._idle.acquire(blocking=False) and len(self._threads) < self.max_workers:
                thread = threading.Thread(
                    target=self._work, name=f"{self.name}-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        return future

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            future, fn = item
            if future.set_running_or_notify_cancel():
                try:
                    result = fn()
                except BaseException as exc:  # handed to the awaiting coroutine
                    future.set_exception(exc)
                else:
                    future.set_result(result)
            self._idle.release()

    def shutdown(self) -> None:
        """Cancel the calls not started yet and let idle workers end; join nothing."""
        with self._lock:
            self._closed = True
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item[0].cancel()
            for _ in self._threads:
                self._queue.put(None)


@dataclass
class CheckContext:
    """What a running check may use: defaults, environment, guards, shared clients."""

    environment: str = "local"
    timeout: float = 10.0
    resolvers: Sequence[str] = ()
    ca_bundle: str | None = None
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
    """Where checks read variables (``dsn_env``, ``headers_from_env``, the ``environment``
    check): the process environment unless a mapping is given."""
    env_source: str = ""
    """Where ``env`` came from, as messages name it; by default "the process environment" or
    "the env mapping given to CheckContext"."""
    allow_loopback: bool = False
    allow_loopback_settings: bool = False
    """Application settings (the ``environment`` check's ``no_loopback``) may point at loopback
    in a real environment: ``--allow-loopback-settings``, separate from ``allow_loopback``."""
    environment_named: bool = True
    """False when only the policy file named the environment (``--policy FILE`` without an
    environment name): then a local name (demo, dev, test, ...) lifts no loopback guard."""
    allow_metadata: bool = False
    gcp: GcpSettings | None = None
    redactor: Redactor = field(default_factory=Redactor)
    _ssl: dict[tuple[str | None, bool, bool], ssl.SSLContext] = field(
        default_factory=dict, repr=False
    )
    _gcp_clients: GcpClients | None = field(default=None, repr=False)
    _executor: BlockingPool | None = field(default=None, repr=False)
    blocking_workers: int = 16
    shared: dict[str, Any] = field(default_factory=dict, repr=False)
    """State the kinds share within one run (DNS answers, TLS connections); ``close()``
    empties it, so a run never sees the previous run's."""

    def __post_init__(self) -> None:
        """Keep resolvers as a tuple and name where ``env`` came from."""
        self.resolvers = tuple(self.resolvers)
        if not self.env_source:
            self.env_source = (
                "the process environment"
                if self.env is os.environ
                else "the env mapping given to CheckContext"
            )

    async def run_blocking(self, fn: Callable[[], T]) -> T:
        """Run a blocking call (the google-cloud clients are synchronous) in a bounded pool.

        The caller passes ``fn`` its time budget (e.g. the read's ``timeout=``); cancelling the
        await (the gate's deadline) abandons the call: its daemon thread is never waited for.
        """
        if self._executor is None:
            self._executor = BlockingPool(self.blocking_workers)
        return await asyncio.wrap_future(self._executor.submit(fn))

    def close(self) -> None:
        """Release threads and HTTP sessions; the context can be used again afterwards.

        Calls still running are abandoned, not joined (see :class:`BlockingPool`).
        """
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown()
        for value in self.shared.values():  # parked connections, ...
            closer = getattr(value, "close", None)
            if callable(closer):
                closer()
        self.shared.clear()
        clients, self._gcp_clients = self._gcp_clients, None
        if clients is not None:
            clients.close()

    def ssl_context(
        self, ca_bundle: str | None = None, *, verify: bool = True, check_hostname: bool = True
    ) -> ssl.SSLContext:
        """Return a cached client SSL context (contexts are reusable; connections are not)."""
        key = (ca_bundle or self.ca_bundle, verify, check_hostname and verify)
        ctx = self._ssl.get(key)
        if ctx is None:
            ctx = ssl.create_default_context(cafile=key[0]) if key[0] else _default_context()
            ctx.check_hostname = key[2]
            if not verify:
                ctx.verify_mode = ssl.CERT_NONE
            self._ssl[key] = ctx
        return ctx

    def gcp_clients(self) -> GcpClients:
        """Return the shared, lazily built Google Cloud clients."""
        if self._gcp_clients is None:
            from infra_verify.errors import ProbeError
            from infra_verify.gcp.clients import GcpClients

            if self.gcp is None:
                raise ProbeError(
                    "this check needs Google Cloud settings",
                    hint="add a 'gcp:' section with 'project:' to the policy, or pass --project",
                )
            self._gcp_clients = GcpClients(self.gcp)
        return self._gcp_clients


def _default_context() -> ssl.SSLContext:
    return ssl.create_default_context()
