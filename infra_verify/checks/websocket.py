"""The ``websocket`` check: the ws/wss upgrade completes within the timeout; optionally a
message is sent and a reply containing a given text is expected. Header values can come from
env vars (e.g. a bearer token) and are redacted everywhere.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import Field

from infra_verify.budget import Budget
from infra_verify.check import Check
from infra_verify.checks.addresses import (
    AddressMode,
    addresses_field,
    combine,
    each,
    not_probed_warnings,
    to_dial,
)
from infra_verify.checks.resolve import RESOLVE_PART, Resolution, resolve_address
from infra_verify.checks.url import UrlCheck, env_headers
from infra_verify.context import CheckContext
from infra_verify.durations import DurationLike, format_duration
from infra_verify.errors import ProbeError
from infra_verify.lazy import lazy_module
from infra_verify.model import Observation, Outcome

if TYPE_CHECKING:
    import asyncio
else:
    asyncio = lazy_module("asyncio", rebind=True)  # imported by a run, not by --list

MAX_MESSAGE = 64 * 1024


@dataclass(frozen=True)
class WsExchange:
    """What the WebSocket probe saw: upgrade time, negotiated subprotocol and any reply."""

    upgraded_after: float
    subprotocol: str | None
    reply: str | None


@dataclass(frozen=True)
class WebSocketObserved:
    """What the websocket probe saw: the exchange, or the fact that ended it before one."""

    exchange: WsExchange | None = None
    """The upgrade and any reply; None when the upgrade or the exchange did not complete."""
    resolution: Resolution | None = None
    """How the host resolved (the policy's resolvers, else the OS), and the guards' verdict
    on that address (None: pinned by ``resolve:``)."""
    rejected_status: int | None = None
    """The HTTP status that answered the upgrade request instead of 101."""
    rejected_server: str | None = None
    """The Server header(s) of that rejection, joined with ", " when there are several."""
    handshake_error: str | None = None
    """How the server broke the WebSocket handshake, when it answered but not with one."""
    closed: str | None = None
    """How the connection closed before a reply came."""
    cut_mid_handshake: bool = False
    """The server closed the connection in the middle of the upgrade."""
    per_address: tuple[tuple[str, WebSocketObserved], ...] = ()
    """With more than one address dialled: what each address answered (then judged each)."""
    not_probed: tuple[str, ...] = ()
    """IPv6 addresses this machine has no route to: reported, neither passed nor failed."""


class WebSocket(UrlCheck):
    """A WebSocket upgrade succeeds, and optionally a message gets the expected reply."""

    kind = "websocket"
    schemes = ("ws", "wss")

    send: str | None = Field(default=None, description="a text message to send after the upgrade")
    expect_reply: str | None = Field(default=None, description="text the first reply must contain")
    subprotocols: tuple[str, ...] = Field(default=(), description="subprotocols to offer")
    addresses: AddressMode = addresses_field()

    @classmethod
    def warm_up(cls, checks: Sequence[Check] = (), ctx: CheckContext | None = None) -> None:
        """Import websockets and the lean DNS exchange before any check's timer starts."""
        import websockets.asyncio.client  # noqa: F401

        from infra_verify.checks.dns import warm_up_resolving

        warm_up_resolving()

    if TYPE_CHECKING:

        def __init__(
            self,
            url: str,
            *,
            headers: Mapping[str, str] = ...,
            headers_from_env: Mapping[str, str] = ...,
            resolve: str | None = None,
            ca_bundle: str | None = None,
            send: str | None = None,
            expect_reply: str | None = None,
            subprotocols: Sequence[str] = (),
            addresses: AddressMode = "all",
            id: str = "",
            after: Sequence[str | Check] | str | Check = (),
            timeout: DurationLike | None = None,
            poll: DurationLike | None = None,
            poll_max: DurationLike | None = None,
            description: str | None = None,
        ) -> None:
            """Build the check (the subject may be positional)."""

    async def probe(self, ctx: CheckContext) -> WebSocketObserved:
        """Open the WebSocket on a fresh connection at each address; optionally exchange one
        message."""
        budget = self.budget(ctx)
        headers = env_headers(self.headers, self.headers_from_env, ctx)
        kwargs: dict[str, object] = {}
        if self.url.startswith("wss://"):
            kwargs["ssl"] = ctx.ssl_context(self.ca_bundle)
        if self.resolve:
            return await self._probe_at(ctx, budget, headers, kwargs, None, self.resolve)
        resolution = await resolve_address(self.host() or "", ctx, budget.part(RESOLVE_PART))
        if resolution.failure() is not None:
            return WebSocketObserved(resolution=resolution)
        if not resolution.every():  # an IP literal: dialled as written
            return await self._probe_at(ctx, budget, headers, kwargs, resolution, None)
        dial, skipped = to_dial(resolution, self.host() or "", self.addresses)

        async def at(address: str) -> WebSocketObserved:
            return await self._probe_at(ctx, budget, headers, dict(kwargs), resolution, address)

        seen = await each(dial, at)
        if len(seen) == 1 and not skipped:
            return seen[0]
        return WebSocketObserved(
            resolution=resolution,
            per_address=tuple(zip(dial, seen, strict=True)),
            not_probed=skipped,
        )

    async def _probe_at(
        self,
        ctx: CheckContext,
        budget: Budget,
        headers: dict[str, str],
        kwargs: dict[str, object],
        resolution: Resolution | None,
        pin: str | None,
    ) -> WebSocketObserved:
        """Open the WebSocket through ``pin`` (or the URL's host) and exchange one message."""
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
        from websockets.typing import Subprotocol

        timeout = self.effective_timeout(ctx)  # named in messages: the check's own timeout
        if pin:
            kwargs["host"] = pin
            kwargs["port"] = self.port
        start = time.monotonic()
        try:
            async with connect(
                self.url,
                additional_headers=headers,
                open_timeout=budget.remaining(),
                close_timeout=1,
                subprotocols=[Subprotocol(s) for s in self.subprotocols] or None,
                max_size=MAX_MESSAGE,  # type: ignore[arg-type]
                proxy=None,
                user_agent_header="infra_verify",
                logger=_RedactingLog(ctx),
                **kwargs,  # type: ignore[arg-type]
            ) as ws:
                upgraded = time.monotonic() - start
                reply = None
                if self.send is not None or self.expect_reply is not None:
                    async with budget.bound():  # the close after it has its own close_timeout
                        if self.send is not None:
                            await ws.send(self.send)
                        message = await ws.recv()
                    reply = (
                        message if isinstance(message, str) else message.decode("utf-8", "replace")
                    )
                return WebSocketObserved(WsExchange(upgraded, ws.subprotocol, reply), resolution)
        except InvalidStatus as exc:
            return WebSocketObserved(
                resolution=resolution,
                rejected_status=exc.response.status_code,
                rejected_server=", ".join(exc.response.headers.get_all("server")) or None,
            )
        except InvalidHandshake as exc:
            return WebSocketObserved(resolution=resolution, handshake_error=str(exc))
        except ConnectionClosed as exc:
            return WebSocketObserved(resolution=resolution, closed=str(exc))
        except TimeoutError as exc:
            raise ProbeError(
                f"{self.url}: no upgrade or reply within {format_duration(timeout)}"
            ) from exc
        except ConnectionRefusedError as exc:
            raise ProbeError(
                f"{self.url}: connection refused", hint="is the service listening?"
            ) from exc
        except OSError as exc:
            raise ProbeError(f"{self.url}: could not connect: {exc.strerror or exc}") from exc
        except asyncio.IncompleteReadError:
            return WebSocketObserved(resolution=resolution, cut_mid_handshake=True)

    def judge(self, observed: WebSocketObserved) -> Outcome:
        """The upgrade happened and the reply contains the expected text, at each address."""
        if observed.per_address or observed.not_probed:
            notes = observed.resolution.notes if observed.resolution else ()
            return combine(
                [(a, self._judge_one(seen)) for a, seen in observed.per_address],
                not_probed_warnings(observed.not_probed, notes),
            )
        return self._judge_one(observed)

    def _judge_one(self, observed: WebSocketObserved) -> Outcome:
        """The upgrade and reply of one connection."""
        stopped = self._stopped(observed)
        if stopped is not None or observed.exchange is None:
            return stopped or Outcome.error(f"{self.url}: no WebSocket exchange was observed")
        x = observed.exchange
        obs = [
            Observation(
                "upgrade",
                "101 Switching Protocols",
                f"upgraded after {format_duration(x.upgraded_after)}",
                True,
                self.url,
            )
        ]
        if self.expect_reply is not None:
            got = x.reply if x.reply is not None else "(no reply)"
            obs.append(
                Observation(
                    "reply contains",
                    repr(self.expect_reply),
                    got[:200],
                    self.expect_reply in got,
                    self.url,
                )
            )
        return Outcome.judge(
            obs,
            ok=f"{self.url} upgraded in {format_duration(x.upgraded_after)}",
            hint="the WebSocket endpoint answered, but not as expected",
        )

    def _stopped(self, observed: WebSocketObserved) -> Outcome | None:
        """FAIL for a fact that ended the upgrade or exchange before it could be judged."""
        unresolved = observed.resolution.failure() if observed.resolution else None
        if unresolved is not None:
            return unresolved
        if observed.rejected_status is not None:
            server = observed.rejected_server
            return Outcome.failed(
                f"upgrade of {self.url} rejected: HTTP {observed.rejected_status}"
                + (f" (server: {server})" if server else ""),
                hint="the backend must accept WebSocket upgrades on this path; a 503 means no healthy backend",
            )
        if observed.handshake_error is not None:
            return Outcome.failed(
                f"upgrade of {self.url} failed: {observed.handshake_error}",
                hint="the server answered but did not complete a WebSocket handshake",
            )
        if observed.closed is not None:
            return Outcome.failed(
                f"{self.url}: the connection closed before a reply ({observed.closed})"
            )
        if observed.cut_mid_handshake:
            return Outcome.failed(f"{self.url}: the server closed the connection mid-handshake")
        return None


class _RedactingLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """websockets' client log with this run's secrets masked (at DEBUG it logs every header)."""

    def __init__(self, ctx: CheckContext) -> None:
        super().__init__(logging.getLogger("websockets.client"), {})
        self.redactor = ctx.redactor

    def log(self, level: int, msg: object, *args: object, **kwargs: object) -> None:
        """Format, redact, then log."""
        if self.isEnabledFor(level):
            text = str(msg) % args if args else str(msg)
            self.logger.log(level, self.redactor(text), **kwargs)
