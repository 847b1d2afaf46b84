"""The ``postgres`` check. Without credentials: TCP connect plus PostgreSQL's SSLRequest
handshake, which proves a PostgreSQL server answers. With a DSN from an env var: an
authenticated ``SELECT 1`` under the timeout. The DSN's password never appears anywhere.

A PostgreSQL server (7.0 and later) answers the SSLRequest with exactly one byte: ``N``, or
``S`` followed by a TLS handshake. Anything else is "not PostgreSQL" (:meth:`SslAnswer.
not_postgres`, the one rule the check and ``gcp.cloud_sql_path`` share): more bytes (an SSH
banner starts with ``S``), an ``S`` with no TLS behind it, or an ``E`` ErrorResponse, which is
what servers older than 7.0 send.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import struct
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from infra_verify.budget import Budget
from infra_verify.check import Check
from infra_verify.checks.dsn import parse_dsn
from infra_verify.checks.resolve import RESOLVE_PART, Resolution, is_ip, resolve_address
from infra_verify.context import CheckContext
from infra_verify.durations import DurationLike
from infra_verify.edges import address_records_on_host, norm_host
from infra_verify.errors import ProbeError, ProbeFailed
from infra_verify.model import Observation, Outcome

SSL_REQUEST = struct.pack("!ii", 8, 80877103)

SESSION_PART = 0.9
"""The part of the probe's budget the authenticated session (connect, SELECT 1, close) gets;
the rest is the margin for cancelling a libpq connection that hangs."""


@dataclass(frozen=True)
class SslAnswer:
    """What a server said to PostgreSQL's SSLRequest."""

    address: str
    """host:port as dialed."""
    answer: bytes
    """Every byte that came back (up to 16) before the client's next step; b"" when none
    came. PostgreSQL sends exactly one: b"S" or b"N"."""
    broke: str | None = None
    """How the connection broke during the handshake, when it did (the OS's words)."""
    tls: str | None = None
    """After b"S": the TLS version the handshake that followed negotiated."""
    tls_error: str | None = None
    """After b"S": why the TLS handshake that must follow did not complete (the probe always
    attempts it; None with b"S" means it completed)."""

    def failure(self) -> Outcome | None:
        """FAIL when the connection broke or closed without an answer, else None (pure)."""
        if self.broke is not None:
            return Outcome.failed(
                f"{self.address}: the connection broke during the handshake ({self.broke})"
            )
        if not self.answer:
            return Outcome.failed(
                f"{self.address} closed the connection without answering the SSLRequest",
                hint="this is not a PostgreSQL server, or it rejects this client",
            )
        return None

    def not_postgres(self) -> str | None:
        """Why this answer is not PostgreSQL's, else None (pure): the one rule for both kinds."""
        if self.answer[:1] == b"E":
            return (
                "answered the SSLRequest with an ErrorResponse (E): not PostgreSQL, "
                "or a server older than 7.0"
            )
        if self.answer not in (b"S", b"N"):
            return f"answered {self.answer[:16]!r}"
        if self.answer == b"S" and self.tls_error is not None:
            return f"said S (SSL) but no TLS handshake followed: {self.tls_error}"
        return None

    def shown(self) -> str:
        """The answer as a reader sees it, e.g. ``S (SSL supported)``."""
        if self.answer == b"S":
            return "S (SSL supported)"
        if self.answer == b"N":
            return "N (no SSL)"
        return repr(self.answer[:16])


@dataclass(frozen=True)
class PostgresObserved:
    """What the postgres probe saw: the SSLRequest's answer, or the authenticated session."""

    where: str
    """host:port (handshake), or host:port/database as user (with a DSN)."""
    resolution: Resolution | None = None
    """How the host (or the DSN's host) resolved, and the guards' verdict on its address
    (None: an IP literal, a Unix socket, or a DSN hostaddr)."""
    ssl: SslAnswer | None = None
    """The answer to the SSLRequest (handshake only)."""
    refused_by: Outcome | None = None
    """The guards' verdict on the address libpq would dial, when they refuse it (not dialed)."""
    login_error: str | None = None
    """The server's refusal of the credentials or database (redacted), when it refused."""
    row: tuple[Any, ...] | None = None
    """The row ``SELECT 1`` returned (None: no row)."""
    took: float = 0.0
    """Seconds the authenticated session took."""


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

    if TYPE_CHECKING:

        def __init__(
            self,
            host: str | None = None,
            *,
            port: int | None = None,
            dsn_env: str | None = None,
            require_ssl: bool = False,
            id: str = "",
            after: Sequence[str | Check] | str | Check = (),
            timeout: DurationLike | None = None,
            poll: DurationLike | None = None,
            poll_max: DurationLike | None = None,
            description: str | None = None,
        ) -> None:
            """Build the check (the subject may be positional)."""

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

    async def probe(self, ctx: CheckContext) -> PostgresObserved:
        """Send the SSLRequest, or (with ``dsn_env``) authenticate and run ``SELECT 1``."""
        budget = self.budget(ctx)
        if self.dsn_env:
            return await self._select_one(ctx, budget)
        host, port = self.host_ or "", self.port or 5432
        where = f"{host}:{port}"
        resolution = await resolve_address(host, ctx, budget.part(RESOLVE_PART))
        if resolution.failure() is not None:
            return PostgresObserved(where, resolution)
        sni = None if is_ip(host) else host
        answer = await ssl_exchange(resolution.dial(host), port, budget, sni=sni)
        return PostgresObserved(where, resolution, ssl=answer)

    def judge(self, observed: PostgresObserved) -> Outcome:
        """Exactly 'N', or 'S' and a TLS handshake, means PostgreSQL; with a DSN, SELECT 1."""
        unresolved = observed.resolution.failure() if observed.resolution else None
        if unresolved is not None:
            return unresolved
        if self.dsn_env:
            return self._judge_select(observed)
        if observed.ssl is None:
            return Outcome.error(f"{observed.where}: no SSLRequest answer was observed")
        broken = observed.ssl.failure()
        if broken is not None:
            return broken
        answer, where = observed.ssl.answer, observed.where
        shown = observed.ssl.shown()
        why_not = observed.ssl.not_postgres()
        obs = [Observation("SSLRequest answer", "S or N", shown, why_not is None, where)]
        if self.require_ssl:
            obs.append(Observation("SSL", "supported (S)", shown, answer == b"S", where))
        if why_not is not None:
            return Outcome.failed(
                f"{where} is not a PostgreSQL server ({why_not})",
                tuple(obs),
                hint="check the host and port: something else listens there",
            )
        return Outcome.judge(
            obs,
            ok=f"PostgreSQL answers at {where} ({shown})",
            hint="enable ssl on the server (Cloud SQL: require SSL)",
        )

    def _judge_select(self, observed: PostgresObserved) -> Outcome:
        """The guards allow the DSN's host, the server accepts the login, SELECT 1 returns 1."""
        where = observed.where
        if observed.refused_by is not None:
            return observed.refused_by
        if observed.login_error is not None:
            return Outcome.failed(
                f"PostgreSQL at {where}: {observed.login_error}",
                hint=f"fix the credentials in {self.dsn_env} (the secret's current version)",
            )
        row = observed.row
        return Outcome.judge(
            [Observation("SELECT 1", "1", str(row[0]) if row else "(no row)", row == (1,), where)],
            ok=f"SELECT 1 on {where} in {observed.took * 1000:.0f} ms",
        )

    async def _select_one(self, ctx: CheckContext, budget: Budget) -> PostgresObserved:
        import psycopg

        raw = ctx.env.get(self.dsn_env or "")
        if not raw:
            raise ProbeError(
                f"the environment variable {self.dsn_env} is not set in {ctx.env_source}",
                hint=f"export {self.dsn_env}=postgresql://USER:PASSWORD@HOST:5432/DB",
            )
        dsn = parse_dsn(raw)
        ctx.redactor.add(raw)
        ctx.redactor.add(dsn.password)
        host = self.host_ or dsn.host or "localhost"
        port = self.port or dsn.port or 5432
        where = f"{host}:{port}/{dsn.database or ''} as {dsn.user or '?'}"
        from infra_verify.guard import check_guards_for_host

        # libpq must dial exactly the address the guards judged: the DSN's hostaddr when it
        # gives one (and the check names no host), a Unix socket (local: judged as localhost),
        # else the host's resolved address, passed on as hostaddr with host kept for TLS.
        dial: str | None = None
        if self.host_ is None and dsn.hostaddr:
            dial = dsn.hostaddr
        elif not host.startswith("/"):
            resolution = await resolve_address(host, ctx, budget.part(RESOLVE_PART))
            if resolution.failure() is not None:
                return PostgresObserved(where, resolution)
            dial = resolution.address or host
        guarded = check_guards_for_host(dial or "localhost", ctx)
        if guarded is not None:
            return PostgresObserved(where, refused_by=guarded)
        hostaddr = dial if dial not in (None, host) else None
        session = budget.part(SESSION_PART)
        start = time.monotonic()
        try:
            async with session.bound():
                conn = await psycopg.AsyncConnection.connect(
                    dsn.libpq(host=host, port=port, hostaddr=hostaddr),
                    connect_timeout=max(1, int(session.total)),
                    autocommit=True,
                )
                try:
                    cur = await conn.execute("SELECT 1")
                    row = await cur.fetchone()
                finally:
                    await conn.close()
        except TimeoutError as exc:
            raise ProbeError(
                f"PostgreSQL at {where}: no answer within {session.total:.1f}s"
            ) from exc
        except psycopg.OperationalError as exc:
            text = ctx.redactor(
                str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            )
            if (
                "authentication failed" in text
                or "password" in text.lower()
                or "does not exist" in text
            ):
                return PostgresObserved(where, login_error=text)
            raise ProbeError(
                f"PostgreSQL at {where}: {text}",
                hint="is the server reachable from where the gate runs (VPC connector, private IP)?",
            ) from exc
        took = time.monotonic() - start
        return PostgresObserved(where, row=tuple(row) if row is not None else None, took=took)


async def ssl_exchange(
    host: str, port: int, budget: Budget, *, sni: str | None = None
) -> SslAnswer:
    """Send PostgreSQL's SSLRequest within ``budget`` and record the answer.

    After an answer of exactly ``S``, the TLS handshake that must follow is attempted (without
    verifying the certificate: the tls check judges certificates; this proves TLS is spoken),
    with ``sni`` as the server name. A connection that breaks or closes without an answer is
    recorded (a fact about the server); ``ProbeError`` when no connection opens or nothing
    answers in time.
    """
    try:
        async with budget.bound():  # one budget for connect and read
            reader, writer = await asyncio.open_connection(host, port)
    except TimeoutError as exc:
        raise ProbeError(f"{host}:{port}: no TCP connection within {budget.total:.1f}s") from exc
    except ConnectionRefusedError as exc:
        raise ProbeError(
            f"{host}:{port}: connection refused", hint="is PostgreSQL listening there?"
        ) from exc
    except OSError as exc:
        raise ProbeError(f"{host}:{port}: could not connect: {exc.strerror or exc}") from exc
    address = f"{host}:{port}"
    try:
        writer.write(SSL_REQUEST)
        async with budget.bound():
            await writer.drain()
            data = await reader.read(16)
        if data != b"S":
            return SslAnswer(address, data)
        return await _tls_after_s(address, writer, budget, sni)
    except TimeoutError as exc:
        raise ProbeError(
            f"{host}:{port} accepted the connection but never answered the SSLRequest",
            hint="something other than PostgreSQL may be listening, or it is overloaded",
        ) from exc
    except OSError as exc:
        return SslAnswer(address, b"", broke=str(exc))
    finally:
        writer.close()
        try:
            async with asyncio.timeout(1):
                await writer.wait_closed()
        except (TimeoutError, OSError, ssl.SSLError):
            pass


async def _tls_after_s(
    address: str, writer: asyncio.StreamWriter, budget: Budget, sni: str | None
) -> SslAnswer:
    """The TLS handshake a server that said 'S' must now complete."""
    try:
        async with budget.bound():
            await writer.start_tls(
                _tls_probe_context(),
                server_hostname=sni,
                ssl_handshake_timeout=budget.remaining(),
            )
    except TimeoutError as exc:
        raise ProbeError(
            f"{address} said S (SSL) to the SSLRequest, but the TLS handshake got no answer in time"
        ) from exc
    except (ssl.SSLError, OSError, EOFError) as exc:
        why = str(getattr(exc, "reason", None) or exc) or type(exc).__name__
        return SslAnswer(address, b"S", tls_error=why)
    sslobj = writer.get_extra_info("ssl_object")
    return SslAnswer(address, b"S", tls=sslobj.version() if sslobj is not None else None)


@functools.cache
def _tls_probe_context() -> ssl.SSLContext:
    """A client context that speaks TLS without judging the certificate (built once)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def ssl_request(host: str, port: int, timeout: float) -> bytes:
    """Send PostgreSQL's SSLRequest and return the answer: b"S" (TLS followed) or b"N".

    Raises ``ProbeError`` when the server could not be reached in ``timeout`` seconds and
    ``ProbeFailed`` when it broke or closed the connection without answering, or answered as
    no PostgreSQL server does (:meth:`SslAnswer.not_postgres`).
    """
    seen = await ssl_exchange(host, port, Budget.start(timeout))
    broken = seen.failure()
    if broken is not None:
        raise ProbeFailed(broken.summary, hint=broken.hint)
    why_not = seen.not_postgres()
    if why_not is not None:
        raise ProbeFailed(
            f"{seen.address} is not a PostgreSQL server ({why_not})",
            hint="check the host and port: something else listens there",
        )
    return seen.answer
