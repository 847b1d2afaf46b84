"""A background thread with its own asyncio loop, and the start/stop base of the local servers.

Synchronous callers (scripts, pytest) call ``start()``/``stop()``: the server then runs in a
daemon thread with a private event loop. Async callers ``await astart()``/``astop()``: the server
then runs in the caller's own loop. Every blocking wait is time-bound.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Coroutine
from types import TracebackType
from typing import Any, Self, TypeVar, cast

from infra_verify.testing.lifecycle import StartStop

__all__ = ["BackgroundServer", "ConnectionTracker", "LoopThread", "stop_accepting"]

T = TypeVar("T")
StreamHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class LoopThread:
    """A daemon thread that runs one asyncio event loop until stopped."""

    def __init__(self, name: str) -> None:
        """Prepare (but do not start) a loop thread called ``name``."""
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The running loop; RuntimeError when the thread is not started."""
        if self._loop is None:
            raise RuntimeError(f"{self._name}: loop thread is not running")
        return self._loop

    def start(self, *, timeout: float = 10.0) -> None:
        """Start the thread and wait until its loop is running."""
        if self._thread is not None:
            raise RuntimeError(f"{self._name}: loop thread already started")
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def main() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        self._loop = loop
        self._thread = threading.Thread(target=main, name=self._name, daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise TimeoutError(f"{self._name}: event loop did not start within {timeout}s")

    def run(self, coro: Coroutine[Any, Any, T], *, timeout: float = 10.0) -> T:
        """Run ``coro`` on the thread's loop and return its result, waiting at most ``timeout``."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def stop(self, *, timeout: float = 10.0) -> None:
        """Cancel leftover tasks, stop the loop, join the thread and close the loop."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if thread.is_alive():
            with contextlib.suppress(Exception):
                self.run(_cancel_other_tasks(), timeout=timeout)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout)
        if thread.is_alive():
            raise TimeoutError(f"{self._name}: loop thread did not stop within {timeout}s")
        loop.close()
        self._loop = None
        self._thread = None


async def _cancel_other_tasks() -> None:
    """Cancel every task of the running loop but this one, and wait for them briefly."""
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current]
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=5.0)
    loop = asyncio.get_running_loop()
    await loop.shutdown_asyncgens()
    await loop.shutdown_default_executor()


class BackgroundServer(StartStop, abc.ABC):
    """Base of the local servers: sync start/stop on a loop thread, async in the caller's loop."""

    #: Upper bound for starting or stopping, in seconds.
    lifecycle_timeout: float = 10.0

    def __init__(self) -> None:
        """Initialise the lifecycle state; subclasses call this first."""
        self._loop_thread: LoopThread | None = None
        self._owner_loop: asyncio.AbstractEventLoop | None = None

    @property
    def running(self) -> bool:
        """Whether the server is started and not yet stopped."""
        return self._owner_loop is not None

    @abc.abstractmethod
    async def _serve(self) -> None:
        """Open the listening sockets (runs in the serving loop)."""

    @abc.abstractmethod
    async def _shutdown(self) -> None:
        """Close listeners and every open connection (runs in the serving loop)."""

    def start(self) -> Self:
        """Start serving in a background thread with its own event loop."""
        if self.running:
            raise RuntimeError(f"{type(self).__name__} is already running")
        thread = LoopThread(type(self).__name__)
        thread.start(timeout=self.lifecycle_timeout)
        try:
            thread.run(self._serve(), timeout=self.lifecycle_timeout)
        except BaseException:
            thread.stop(timeout=self.lifecycle_timeout)
            raise
        self._loop_thread = thread
        self._owner_loop = thread.loop
        return self

    def stop(self) -> None:
        """Stop serving and release every socket; a no-op when not running."""
        loop = self._owner_loop
        if loop is None:
            return
        thread = self._loop_thread
        if thread is None:
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                raise RuntimeError("started with astart(); use 'await astop()' in that loop")
            future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
            future.result(self.lifecycle_timeout)
            self._owner_loop = None
            return
        try:
            thread.run(self._shutdown(), timeout=self.lifecycle_timeout)
        finally:
            self._owner_loop = None
            self._loop_thread = None
            thread.stop(timeout=self.lifecycle_timeout)

    async def astart(self) -> Self:
        """Start serving in the running event loop (the caller's)."""
        if self.running:
            raise RuntimeError(f"{type(self).__name__} is already running")
        async with asyncio.timeout(self.lifecycle_timeout):
            await self._serve()
        self._owner_loop = asyncio.get_running_loop()
        return self

    async def astop(self) -> None:
        """Stop serving; works whichever way the server was started."""
        if self._owner_loop is None:
            return
        if self._loop_thread is not None or self._owner_loop is not asyncio.get_running_loop():
            await asyncio.to_thread(self.stop)
            return
        try:
            async with asyncio.timeout(self.lifecycle_timeout):
                await self._shutdown()
        finally:
            self._owner_loop = None

    async def __aenter__(self) -> Self:
        """Start in the running loop."""
        return await self.astart()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop and release every socket."""
        await self.astop()


class ConnectionTracker:
    """Every TCP transport a server accepted, registered the moment it exists, for clean stops."""

    def __init__(self) -> None:
        """Start with no connections."""
        self.transports: set[asyncio.Transport] = set()

    async def start_server(
        self, handler: StreamHandler, host: str | None = None, port: int | None = None, **kw: Any
    ) -> asyncio.Server:
        """Like ``asyncio.start_server``, but each connection's transport is tracked."""
        loop = asyncio.get_running_loop()

        def factory() -> asyncio.Protocol:
            reader = asyncio.StreamReader(limit=2**16, loop=loop)
            return _TrackedStreamProtocol(reader, handler, self.transports)

        return await loop.create_server(factory, host, port, **kw)

    async def close(self, server: asyncio.Server) -> None:
        """Stop accepting, close the listening sockets and abort every connection."""
        await stop_accepting(server)
        server.close()
        for transport in list(self.transports):
            transport.abort()
        self.transports.clear()
        await asyncio.sleep(0)  # let the connection_lost callbacks close the sockets
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5.0):
                await server.wait_closed()


#: Loop iterations from accept() to a transport attached to its server (asyncio internals).
_SETTLE_ITERATIONS = 5


async def stop_accepting(server: asyncio.Server | Any) -> None:
    """Stop accepting on ``server``'s sockets, then let accepts in flight become transports.

    Call it before ``server.close()``. On CPython 3.11 a connection accepted just before
    ``Server.close()`` fails ``Server._attach()``'s assertion once the server is closed; the
    error is swallowed and the socket leaks until garbage collection. Removing the accept
    reader first (a public loop API) and letting the loop run a few iterations avoids that.
    """
    loop = asyncio.get_running_loop()
    for sock in server.sockets or ():
        with contextlib.suppress(Exception):  # loops without remove_reader: nothing to do
            loop.remove_reader(sock.fileno())
    for _ in range(_SETTLE_ITERATIONS):
        await asyncio.sleep(0)


class _TrackedStreamProtocol(asyncio.StreamReaderProtocol):
    """A StreamReaderProtocol that keeps its transport in a shared set while connected."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        handler: StreamHandler,
        live: set[asyncio.Transport],
    ) -> None:
        """Wrap ``handler`` as asyncio.start_server does, remembering the live set."""
        super().__init__(reader, handler)
        self._live = live
        self._tracked: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Register the transport, then start the handler."""
        self._tracked = cast(asyncio.Transport, transport)
        self._live.add(self._tracked)
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the transport."""
        if self._tracked is not None:
            self._live.discard(self._tracked)
        super().connection_lost(exc)
