"""DNS answers shared within a run: what the dns check heard, reused by tls/http/websocket.

A tls, http or websocket check resolves its host through the policy's resolvers before it
dials. When a dns check (or another probe) has just asked the same resolver the same question
(name, type), the answer is reused while its TTL lasts, as a caching resolver would do, instead
of asking again. Only answers with records are kept; an answer without records is always asked
again, so nothing cached can hide a record that has appeared since. The dns check itself never
reads the cache: every attempt asks the servers (it only refreshes what is kept).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Generic, TypeVar, cast

from infra_verify.context import CheckContext

T = TypeVar("T")

SHARED_KEY = "dns-answers"
"""Where the run's cache lives in ``CheckContext.shared``."""


@dataclass
class AnswerCache(Generic[T]):
    """Answers by (name, type, resolver), each until its TTL runs out."""

    entries: dict[tuple[str, str, str], tuple[float, T]] = field(default_factory=dict)
    hits: int = 0

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


def answer_cache(ctx: CheckContext) -> AnswerCache[object]:
    """The run's answer cache (made on first use; ``CheckContext.close`` drops it)."""
    return cast(AnswerCache[object], ctx.shared.setdefault(SHARED_KEY, AnswerCache[object]()))
