"""Hostile servers on loopback cannot make a check pass, crash it, or exhaust the process.

- A PostgreSQL handshake is exactly one byte (``S`` then a completed TLS handshake, or ``N``);
  an SSH banner, a lone ``S`` with no TLS behind it, or a pre-7.0 ``E`` is "not PostgreSQL".
- Compressed HTTP bodies are decoded in bounded steps: stacked encodings are refused, and a
  body that inflates past the limit like a bomb is refused, with little memory used.
- A rejected WebSocket upgrade with two ``Server`` headers is a FAIL, not an internal error.
"""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import Iterator

import pytest

from infra_verify.check import Check
from infra_verify.checks.http import Http
from infra_verify.checks.postgres import Postgres
from infra_verify.checks.websocket import WebSocket
from infra_verify.context import CheckContext
from infra_verify.gate import Gate
from infra_verify.model import Result, Status
from tests.servers.faulty import FaultyServer
from tests.servers.postgres import PostgresServer

MEMORY_BOUND = 100 * 1024 * 1024
"""A generous bound on what one check may allocate while reading a hostile body."""


def _run(check: Check, timeout: float = 10.0) -> Result:
    """One check through a real gate in the 'test' environment."""
    ctx = CheckContext(environment="test", timeout=timeout)
    return Gate([check], context=ctx, deadline=60.0).run().results[0]


@pytest.fixture
def faulty(request: pytest.FixtureRequest) -> Iterator[FaultyServer]:
    """A FaultyServer with the behaviour named by the test's parameter."""
    with FaultyServer(request.param) as server:
        yield server


# -- postgres: exactly one byte, and S means TLS -------------------------------------------------


@pytest.mark.parametrize("require_ssl", [False, True])
@pytest.mark.parametrize("faulty", ["ssh_banner"], indirect=True)
def test_an_ssh_server_is_not_postgres(faulty: FaultyServer, require_ssl: bool) -> None:
    """An SSH banner starts with 'S' but is no SSLRequest answer: FAIL "not PostgreSQL"."""
    result = _run(Postgres(host="127.0.0.1", port=faulty.port, require_ssl=require_ssl))
    assert result.status is Status.FAIL, result
    assert "is not a PostgreSQL server" in result.summary
    assert "SSH-2.0" in result.summary


@pytest.mark.parametrize("faulty", ["pg_s_then_plain"], indirect=True)
def test_s_without_a_tls_handshake_is_not_postgres(faulty: FaultyServer) -> None:
    """'S' must be followed by a completed TLS handshake."""
    result = _run(Postgres(host="127.0.0.1", port=faulty.port))
    assert result.status is Status.FAIL, result
    assert "is not a PostgreSQL server" in result.summary
    assert "TLS" in result.summary


@pytest.mark.parametrize("faulty", ["pg_error_response"], indirect=True)
def test_an_error_response_is_not_postgres_or_too_old(faulty: FaultyServer) -> None:
    """An 'E' ErrorResponse to the SSLRequest is what pre-7.0 servers send: FAIL."""
    result = _run(Postgres(host="127.0.0.1", port=faulty.port))
    assert result.status is Status.FAIL, result
    assert "not a PostgreSQL server" in result.summary
    assert "7.0" in result.summary


@pytest.mark.parametrize("require_ssl", [False, True])
def test_real_postgres_answers_s_and_completes_tls(
    postgres: PostgresServer, require_ssl: bool
) -> None:
    """The real server answers exactly 'S' and completes the TLS handshake: PASS."""
    check = Postgres(host=postgres.host, port=postgres.port, require_ssl=require_ssl)
    result = _run(check)
    assert result.status is Status.PASS, result
    observed = asyncio.run(check.probe(CheckContext(environment="test", timeout=10.0)))
    assert observed.ssl is not None and observed.ssl.answer == b"S"
    assert observed.ssl.tls is not None and observed.ssl.tls.startswith("TLS"), observed.ssl


# -- http: bounded decoding ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("faulty", "said"),
    [("gzip_stacked", "stacked"), ("gzip_bomb", "decompression bomb")],
    indirect=["faulty"],
)
def test_a_compression_bomb_fails_with_bounded_memory(faulty: FaultyServer, said: str) -> None:
    """A gzip bomb (stacked, or single and far over the limit) is refused; memory stays small."""
    check = Http(url=faulty.url("/health"))
    tracemalloc.start()
    try:
        result = _run(check)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.status is Status.FAIL, result
    assert said in result.summary, result.summary
    assert peak < MEMORY_BOUND, f"peak {peak / 2**20:.0f} MiB while reading a hostile body"


# -- websocket: a rejection with repeated headers ------------------------------------------------


@pytest.mark.parametrize("faulty", ["ws_reject_two_servers"], indirect=True)
def test_a_rejected_upgrade_with_two_server_headers_fails_cleanly(faulty: FaultyServer) -> None:
    """Two Server headers on a 403 are reported, not an internal error."""
    result = _run(WebSocket(url=faulty.url("/ws", scheme="ws")))
    assert result.status is Status.FAIL, result
    assert "rejected: HTTP 403" in result.summary
    assert "edge-proxy" in result.summary and "backend" in result.summary
