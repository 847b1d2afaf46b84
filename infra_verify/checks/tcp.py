"""The ``tcp`` check: a TCP connection to host:port opens within the timeout."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable, Sequence

from pydantic import Field

from infra_verify.check import Check
from infra_verify.checks.resolve import resolve_address
from infra_verify.context import CheckContext
from infra_verify.edges import address_records_on_host, norm_host
from infra_verify.errors import ProbeError, ProbeFailed
from infra_verify.model import Observation, Outcome


class Tcp(Check):
    """A TCP connection to host:port opens within the timeout."""

    kind = "tcp"

    host_: str = Field(alias="host", description="hostname or IP")
    port: int = Field(ge=1, le=65535, description="TCP port")

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

    async def run(self, ctx: CheckContext) -> Outcome:
        """Connect, then close at once."""
        address = await resolve_address(self.host_, ctx, self.effective_timeout(ctx)) or self.host_
        start = time.monotonic()
        try:
            async with asyncio.timeout(self.effective_timeout(ctx) * 0.9):
                _, writer = await asyncio.open_connection(address, self.port)
        except TimeoutError as exc:
            raise ProbeError(
                f"{self.subject()}: no TCP connection within {self.effective_timeout(ctx) * 0.9:.1f}s",
                hint="a firewall may drop the packets, or the host is down",
            ) from exc
        except ConnectionRefusedError as exc:
            raise ProbeFailed(
                f"{self.subject()}: connection refused",
                hint="nothing listens there, or a firewall rejects the connection",
            ) from exc
        except OSError as exc:
            raise ProbeFailed(
                f"{self.subject()}: could not connect: {exc.strerror or exc}"
            ) from exc
        took = time.monotonic() - start
        writer.close()
        with contextlib.suppress(TimeoutError, OSError):
            await asyncio.wait_for(writer.wait_closed(), 1)
        return Outcome.passed(
            f"{self.subject()} accepts connections ({took * 1000:.0f} ms)",
            (
                Observation(
                    "connect", "open", f"open after {took * 1000:.0f} ms", True, self.subject()
                ),
            ),
        )
