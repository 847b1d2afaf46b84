"""DNS answers shared within a run: what the dns check heard, reused by tls/http/websocket.

A tls, http or websocket check resolves its host through the policy's resolvers before it
dials. When a dns check (or another probe) has just asked the same resolver the same question
(name, type), the answer is reused while its TTL lasts, as a caching resolver would do, instead
of asking again. Only answers with records are kept; an answer without records is always asked
again, so nothing cached can hide a record that has appeared since. The dns check itself never
reads the cache: every attempt asks the servers (it only refreshes what is kept).

Questions in flight are shared too: a check that needs an answer another probe is waiting for
right now waits for that answer instead of asking again (an answer that arrives after it
started waiting is as fresh as its own). And since tls, http, websocket, tcp and postgres
checks ask A and AAAA at once, a dns check that asks one of the two types for a name such a
check will resolve (``plan_lookups``) asks the other type at the same resolver at the same time
(``companion``): the check that dials finds both answered, one round trip earlier. The verdicts
never change: what is shared is the resolver's answer to the same question.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from infra_verify.check import Check
from infra_verify.context import CheckContext
from infra_verify.lazy import lazy_module

if TYPE_CHECKING:
    import asyncio
else:
    asyncio = lazy_module("asyncio", rebind=True)  # imported by a run, not by --list

T = TypeVar("T")

SHARED_KEY = "dns-answers"
"""Where the run's cache lives in ``CheckContext.shared``."""

RESOLVING_KINDS = frozenset({"tls", "http", "websocket", "tcp", "postgres"})
"""Kinds that resolve their host through the policy's resolvers, asking A and AAAA at once."""

PAIRED = {"A": "AAAA", "AAAA": "A"}


@dataclass
class AnswerCache(Generic[T]):
    """Answers by (name, type, resolver), each until its TTL runs out."""

    entries: dict[tuple[str, str, str], tuple[float, T]] = field(default_factory=dict)
    hits: int = 0
    shared: int = 0
    """Answers a check took from a question another probe had in flight."""
    wanted: frozenset[str] = frozenset()
    """Names (normalized) that a check of the run will resolve, A and AAAA at once."""
    inflight: dict[tuple[str, str, str], asyncio.Future[T]] = field(default_factory=dict)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    @staticmethod
    def key(name: str, rdtype: str, server: str) -> tuple[str, str, str]:
        """The cache key: the name in lower case without its final dot, the type, the server."""
        return (name.lower().rstrip("."), rdtype.upper(), server)

    def get(self, name: str, rdtype: str, server: str) -> T | None:
        """The kept answer while its TTL lasts, else None."""
        found = self.entries.get(self.key(name, rdtype, server))
        if found is None:
            return None
        expires, answer = found
        if time.monotonic() >= expires:
            return None
        self.hits += 1
        return answer

    def put(self, name: str, rdtype: str, server: str, answer: T, ttl: int | None) -> None:
        """Keep ``answer`` for ``ttl`` seconds (nothing kept without a positive TTL)."""
        key = self.key(name, rdtype, server)
        if ttl is None or ttl <= 0:
            self.entries.pop(key, None)
            return
        self.entries[key] = (time.monotonic() + ttl, answer)

    def flying(self, name: str, rdtype: str, server: str) -> asyncio.Future[T] | None:
        """The answer to this question while another probe is asking it, else None."""
        return self.inflight.get(self.key(name, rdtype, server))

    async def track(self, name: str, rdtype: str, server: str, ask: Awaitable[T]) -> T:
        """Await ``ask``, sharing its answer with ``flying`` callers until it arrives (in
        flight from the moment this is awaited, before ``ask`` suspends)."""
        return await self._tracked(self._take_off(name, rdtype, server), ask)

    def companion(
        self, name: str, rdtype: str, server: str, resolvers: Sequence[str]
    ) -> str | None:
        """The other address type to ask ``server`` now, or None: only for a name a check
        will resolve through ``resolvers``, and only when it is neither kept nor in flight."""
        other = PAIRED.get(rdtype.upper())
        if other is None or server not in resolvers:
            return None
        if self.key(name, other, server)[0] not in self.wanted:
            return None
        key = self.key(name, other, server)
        if key in self.inflight:
            return None
        found = self.entries.get(key)
        if found is not None and time.monotonic() < found[0]:
            return None
        return other

    def prefetch(self, name: str, rdtype: str, server: str, ask: Awaitable[T]) -> None:
        """Ask in the background (shared through ``flying``); ``close`` cancels it."""
        key = self._take_off(name, rdtype, server)
        task = asyncio.get_running_loop().create_task(self._tracked(key, ask))
        self._tasks.add(task)
        task.add_done_callback(self._landed)

    def close(self) -> None:
        """Cancel the questions still asked in the background (the run is over)."""
        for task in list(self._tasks):
            task.cancel()
        self._tasks.clear()

    def _take_off(self, name: str, rdtype: str, server: str) -> tuple[tuple[str, str, str], Any]:
        key = self.key(name, rdtype, server)
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self.inflight[key] = future
        return (key, future)

    async def _tracked(self, flight: tuple[tuple[str, str, str], Any], ask: Awaitable[T]) -> T:
        key, future = flight
        try:
            answer = await ask
        except BaseException:
            future.cancel()  # whoever waits asks for itself
            raise
        finally:
            if self.inflight.get(key) is future:
                del self.inflight[key]
        future.set_result(answer)
        return answer

    def _landed(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: a failed prefetch is asked again by whoever needs it


def plan_lookups(ctx: CheckContext, checks: Iterable[Check]) -> None:
    """Tell the run's cache which names its checks will resolve (for ``companion``)."""
    names = {
        AnswerCache.key(host, "A", "")[0]
        for check in checks
        if check.kind in RESOLVING_KINDS and (host := check.host())
    }
    if names:
        answer_cache(ctx).wanted = frozenset(names)


def answer_cache(ctx: CheckContext) -> AnswerCache[object]:
    """The run's answer cache (made on first use; ``CheckContext.close`` drops it)."""
    return cast(AnswerCache[object], ctx.shared.setdefault(SHARED_KEY, AnswerCache[object]()))
