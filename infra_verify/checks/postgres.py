"""The ``postgres`` check. Without credentials: TCP connect plus PostgreSQL's SSLRequest
handshake, which proves a PostgreSQL server answers. With a DSN from an env var: an
authenticated ``SELECT 1`` under the timeout. The DSN's password never appears anywhere.
"""

from __future__ import annotations

import asyncio
import struct
import time
from collections.abc import Iterable, Sequence

from pydantic import Field, model_validator

from infra_verify.check import Check
from infra_verify.checks.dsn import parse_dsn
from infra_verify.checks.resolve import resolve_address
from infra_verify.context import CheckContext
from infra_verify.edges import address_records_on_host, norm_host
from infra_verify.errors import ProbeError, ProbeFailed
from infra_verify.model import Observation, Outcome

SSL_REQUEST = struct.pack("!ii", 8, 80877103)


class Postgres(Check):
    """A PostgreSQL server answers at host:port; with a DSN, ``SELECT 1`` succeeds."""

    kind = "postgres"

    host_: str | None = Field(
        default=None, alias="host", description="server host (default: the DSN's host)"
    )
    port: int | None = Field(
        default=None, description="server port (default: the DSN's port, else 5432)"
    )
    dsn_env: str | None = Field(
        default=None, description="env var holding a DSN; enables the authenticated SELECT 1"
    )
    require_ssl: bool = Field(
        default=False, description="the server must accept SSL ('S' to SSLRequest)"
    )

    @model_validator(mode="after")
    def _needs_target(self) -> Postgres:
        if not self.host_ and not self.dsn_env:
            raise ValueError("give 'host' (handshake only) or 'dsn_env' (authenticated SELECT 1)")
        return self

    def subject(self) -> str:
        """host:port or the DSN's env var."""
        return f"{self.host_}:{self.port or 5432}" if self.host_ else f"${self.dsn_env}"

    def host(self) -> str | None:
        """The server host."""
        return norm_host(self.host_)

    def targets(self) -> tuple[str, ...]:
        """The server host (the DSN's host is checked at run time)."""
        return (self.host_,) if self.host_ else ()

    def infer_edges(self, others: Sequence[Check]) -> Iterable[tuple[str, str]]:
        """Needs DNS for the host."""
        for cid in address_records_on_host(others, self.host_):
            yield cid, "hard"

    async def run(self, ctx: CheckContext) -> Outcome:
        """Handshake, or authenticate and SELECT 1."""
        # leave the gate's own timeout a margin, so the probe's specific message wins the race
        timeout = self.effective_timeout(ctx) * 0.8
        if self.dsn_env:
            return await self._select_one(ctx, timeout)
        host, port = self.host_ or "", self.port or 5432
        address = await resolve_address(host, ctx, timeout) or host
        answer = await ssl_request(address, port, timeout)
        return self.judge(answer, f"{host}:{port}")

    def judge(self, answer: bytes, where: str) -> Outcome:
        """'S' or 'N' (or 'E' from old servers) means PostgreSQL answered."""
        shown = {b"S": "S (SSL supported)", b"N": "N (no SSL)", b"E": "E (error response)"}.get(
            answer, repr(answer)
        )
        is_pg = answer in (b"S", b"N", b"E")
        obs = [Observation("SSLRequest answer", "S or N", shown, is_pg, where)]
        if self.require_ssl:
            obs.append(Observation("SSL", "supported (S)", shown, answer == b"S", where))
        if not is_pg:
            return Outcome.failed(
                f"{where} is not a PostgreSQL server (answered {answer[:16]!r})",
                tuple(obs),
                hint="check the host and port: something else listens there",
            )
        return Outcome.judge(
            obs,
            ok=f"PostgreSQL answers at {where} ({shown})",
            hint="enable ssl on the server (Cloud SQL: require SSL)",
        )

    async def _select_one(self, ctx: CheckContext, timeout: float) -> Outcome:
        import psycopg

        raw = ctx.env.get(self.dsn_env or "")
        if not raw:
            raise ProbeError(
                f"the environment variable {self.dsn_env} is not set",
                hint=f"export {self.dsn_env}=postgresql://USER:PASSWORD@HOST:5432/DB",
            )
        dsn = parse_dsn(raw)
        ctx.redactor.add(raw)
        ctx.redactor.add(dsn.password)
        host = self.host_ or dsn.host or "localhost"
        port = self.port or dsn.port or 5432
        where = f"{host}:{port}/{dsn.database or ''} as {dsn.user or '?'}"
        from infra_verify.guard import check_guards_for_host

        guarded = check_guards_for_host(host, ctx)
        if guarded is not None:
            return guarded
        start = time.monotonic()
        try:
            async with asyncio.timeout(timeout):
                conn = await psycopg.AsyncConnection.connect(
                    dsn.libpq(host=host, port=port),
                    connect_timeout=max(1, int(timeout)),
                    autocommit=True,
                )
                try:
                    cur = await conn.execute("SELECT 1")
                    row = await cur.fetchone()
                finally:
                    await conn.close()
        except TimeoutError as exc:
            raise ProbeError(f"PostgreSQL at {where}: no answer within {timeout:.1f}s") from exc
        except psycopg.OperationalError as exc:
            text = ctx.redactor(
                str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            )
            if (
                "authentication failed" in text
                or "password" in text.lower()
                or "does not exist" in text
            ):
                raise ProbeFailed(
                    f"PostgreSQL at {where}: {text}",
                    hint=f"fix the credentials in {self.dsn_env} (the secret's current version)",
                ) from exc
            raise ProbeError(
                f"PostgreSQL at {where}: {text}",
                hint="is the server reachable from where the gate runs (VPC connector, private IP)?",
            ) from exc
        took = time.monotonic() - start
        ok = row == (1,)
        return Outcome.judge(
            [Observation("SELECT 1", "1", str(row[0]) if row else "(no row)", ok, where)],
            ok=f"SELECT 1 on {where} in {took * 1000:.0f} ms",
        )


async def ssl_request(host: str, port: int, timeout: float) -> bytes:
    """Send PostgreSQL's SSLRequest and return the first byte(s) of the answer."""
    deadline = asyncio.get_running_loop().time() + timeout  # one budget for connect and read
    try:
        async with asyncio.timeout_at(deadline):
            reader, writer = await asyncio.open_connection(host, port)
    except TimeoutError as exc:
        raise ProbeError(f"{host}:{port}: no TCP connection within {timeout:.1f}s") from exc
    except ConnectionRefusedError as exc:
        raise ProbeError(
            f"{host}:{port}: connection refused", hint="is PostgreSQL listening there?"
        ) from exc
    except OSError as exc:
        raise ProbeError(f"{host}:{port}: could not connect: {exc.strerror or exc}") from exc
    try:
        writer.write(SSL_REQUEST)
        async with asyncio.timeout_at(deadline):
            await writer.drain()
            data = await reader.read(16)
    except TimeoutError as exc:
        raise ProbeError(
            f"{host}:{port} accepted the connection but never answered the SSLRequest",
            hint="something other than PostgreSQL may be listening, or it is overloaded",
        ) from exc
    except OSError as exc:
        raise ProbeFailed(
            f"{host}:{port}: the connection broke during the handshake ({exc})"
        ) from exc
    finally:
        writer.close()
        try:
            async with asyncio.timeout(1):
                await writer.wait_closed()
        except (TimeoutError, OSError):
            pass
    if not data:
        raise ProbeFailed(
            f"{host}:{port} closed the connection without answering the SSLRequest",
            hint="this is not a PostgreSQL server, or it rejects this client",
        )
    return data[:1] if data[:1] in (b"S", b"N", b"E") else data
