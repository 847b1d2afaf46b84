"""The ``tcp`` check: a TCP connection to host:port opens within the timeout."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import Field

from infra_verify.check import Check
from infra_verify.checks.resolve import RESOLVE_PART, Resolution, resolve_address
from infra_verify.context import CheckContext
from infra_verify.durations import DurationLike
from infra_verify.edges import address_records_on_host, norm_host
from infra_verify.errors import ProbeError
from infra_verify.model import Observation, Outcome


@dataclass(frozen=True)
class TcpObserved:
    """What the tcp probe saw: how the host resolved, and whether the connection opened."""

    resolution: Resolution | None = None
    """How the host resolved (the policy's resolvers, else the OS), and the guards' verdict
    on that address."""
    connected_after: float | None = None
    """Seconds until the connection opened; None when it did not."""
    refused: bool = False
    """The host answered the SYN with a reset: nothing listens, or a firewall rejects."""
    error: str | None = None
    """Why the connection could not be made otherwise (the OS's words)."""


class Tcp(Check):
    """A TCP connection to host:port opens within the timeout."""

    kind = "tcp"

    host_: str = Field(alias="host", description="hostname or IP")
    port: int = Field(ge=1, le=65535, description="TCP port")

    if TYPE_CHECKING:

        def __init__(
            self,
            host: str,
            *,
            port: int,
            id: str = "",
            after: Sequence[str | Check] | str | Check = (),
            timeout: DurationLike | None = None,
            poll: DurationLike | None = None,
            poll_max: DurationLike | None = None,
            description: str | None = None,
        ) -> None:
            """Build the check (the subject may be positional)."""

    def subject(self) -> str:
        """host:port."""
        return f"{self.host_}:{self.port}"

    def host(self) -> str | None:
        """The host."""
        return norm_host(self.host_)

    def targets(self) -> tuple[str, ...]:
        """The dialed host."""
        return (self.host_,)

    def infer_edges(self, others: Sequence[Check]) -> Iterable[tuple[str, str]]:
        """Needs DNS for the host."""
        for cid in address_records_on_host(others, self.host_):
            yield cid, "hard"

    async def probe(self, ctx: CheckContext) -> TcpObserved:
        """Connect, then close at once; a refused or failed connection is recorded, not raised."""
        budget = self.budget(ctx)
        resolution = await resolve_address(self.host_, ctx, budget.part(RESOLVE_PART))
        if resolution.failure() is not None:
            return TcpObserved(resolution)
        start = time.monotonic()
        try:
            async with budget.bound():
                _, writer = await asyncio.open_connection(resolution.dial(self.host_), self.port)
        except TimeoutError as exc:
            raise ProbeError(
                f"{self.subject()}: no TCP connection within {budget.total:.1f}s",
                hint="a firewall may drop the packets, or the host is down",
            ) from exc
        except ConnectionRefusedError:
            return TcpObserved(resolution, refused=True)
        except OSError as exc:
            return TcpObserved(resolution, error=str(exc.strerror or exc))
        took = time.monotonic() - start
        writer.close()
        with contextlib.suppress(TimeoutError, OSError):
            await asyncio.wait_for(writer.wait_closed(), 1)
        return TcpObserved(resolution, connected_after=took)

    def judge(self, observed: TcpObserved) -> Outcome:
        """Open passes; refused or any other connect failure fails."""
        unresolved = observed.resolution.failure() if observed.resolution else None
        if unresolved is not None:
            return unresolved
        if observed.refused:
            return Outcome.failed(
                f"{self.subject()}: connection refused",
                hint="nothing listens there, or a firewall rejects the connection",
            )
        if observed.connected_after is None:
            return Outcome.failed(f"{self.subject()}: could not connect: {observed.error}")
        took = observed.connected_after
        return Outcome.passed(
            f"{self.subject()} accepts connections ({took * 1000:.0f} ms)",
            (
                Observation(
                    "connect", "open", f"open after {took * 1000:.0f} ms", True, self.subject()
                ),
            ),
        )
