"""Misbehaving servers do what their behaviour says, seen by real clients on loopback."""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import struct
import time
from collections.abc import Iterator

import httpx
import psycopg
import pytest
import trustme
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError, InvalidHandshake

from tests.servers.faulty import BEHAVIOURS, FaultyServer

SSL_REQUEST = struct.pack("!ii", 8, 80877103)
HTTP_GET = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    """A throwaway certificate authority."""
    return trustme.CA()


@pytest.fixture(scope="module")
def server_ctx(ca: trustme.CA) -> ssl.SSLContext:
    """A server context with a certificate for 127.0.0.1."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(ctx)
    return ctx


@pytest.fixture(scope="module")
def client_ctx(ca: trustme.CA) -> ssl.SSLContext:
    """A client context that trusts only the throwaway CA."""
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    return ctx


@pytest.fixture
def faulty(request: pytest.FixtureRequest) -> Iterator[FaultyServer]:
    """A running plain-TCP FaultyServer with the behaviour given by indirect parametrization."""
    with FaultyServer(request.param) as srv:
        yield srv


def open_fds() -> int:
    """How many file descriptors this process has open."""
    return len(os.listdir("/proc/self/fd"))


def dial(srv: FaultyServer, timeout: float = 3.0) -> socket.socket:
    """A plain TCP connection to ``srv``."""
    return socket.create_connection(srv.address, timeout=timeout)


def test_unknown_behaviour_is_rejected() -> None:
    """Constructing with a behaviour that does not exist fails at once."""
    with pytest.raises(ValueError, match="unknown behaviour"):
        FaultyServer("sleepy")  # type: ignore[arg-type]


@pytest.mark.parametrize("faulty", ["silent"], indirect=True)
def test_silent_read_times_out(faulty: FaultyServer) -> None:
    """silent accepts and reads but never sends, so a client read times out."""
    with dial(faulty, timeout=0.3) as sock:
        sock.sendall(HTTP_GET)
        with pytest.raises(TimeoutError):
            sock.recv(1)
    assert faulty.connections == 1


def test_silent_tls_port_stalls_after_handshake(
    server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext
) -> None:
    """With TLS the handshake completes, then nothing: an HTTPS read times out."""
    with (
        FaultyServer("silent", ssl_context=server_ctx) as srv,
        pytest.raises(httpx.ReadTimeout),
    ):
        httpx.get(srv.url("/health"), verify=client_ctx, timeout=httpx.Timeout(0.5))


@pytest.mark.parametrize("faulty", ["silent"], indirect=True)
def test_tls_client_on_silent_plain_port_times_out_in_handshake(
    faulty: FaultyServer, client_ctx: ssl.SSLContext
) -> None:
    """A TLS client against a silent plain port waits for a ServerHello that never comes."""
    with dial(faulty, timeout=0.3) as raw, pytest.raises(TimeoutError):
        client_ctx.wrap_socket(raw, server_hostname="127.0.0.1")


@pytest.mark.parametrize("faulty", ["reset"], indirect=True)
def test_reset_sends_rst(faulty: FaultyServer) -> None:
    """reset reads a little, then the client sees ConnectionResetError."""
    with dial(faulty) as sock:
        sock.sendall(HTTP_GET)
        with pytest.raises(ConnectionResetError):
            sock.recv(1024)


def test_reset_inside_tls(server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext) -> None:
    """With TLS, reset comes after the handshake: an asyncio TLS client sees a reset."""

    async def attempt() -> bytes:
        reader, writer = await asyncio.open_connection(srv.host, srv.port, ssl=client_ctx)
        try:
            writer.write(HTTP_GET)
            return await reader.read(1024)
        finally:
            writer.close()

    with FaultyServer("reset", ssl_context=server_ctx) as srv, pytest.raises(ConnectionResetError):
        asyncio.run(attempt())


@pytest.mark.parametrize("faulty", ["close"], indirect=True)
def test_close_gives_eof(faulty: FaultyServer) -> None:
    """close ends the connection cleanly: a raw read gets EOF, httpx sees a disconnect."""
    with dial(faulty) as sock:
        assert sock.recv(1024) == b""
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(faulty.url("/"), timeout=3)


def test_http_plain_on_tls_port(server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext) -> None:
    """http_plain ignores the SSL context: HTTPS fails in the handshake, plain HTTP gets 200."""
    with FaultyServer("http_plain", ssl_context=server_ctx) as srv:
        with pytest.raises(httpx.ConnectError, match=r"(?i)ssl"):
            httpx.get(f"https://127.0.0.1:{srv.port}/", verify=client_ctx, timeout=3)
        response = httpx.get(f"http://127.0.0.1:{srv.port}/", timeout=3)
    assert response.status_code == 200


def test_trickle_sends_one_byte_per_interval() -> None:
    """trickle sends headers at once, then the body at one byte per interval: four bytes past
    the first read take at least three intervals (a lower bound only: a busy machine only
    makes it slower)."""
    with (
        FaultyServer("trickle", interval=0.1) as srv,
        httpx.stream("GET", srv.url("/"), timeout=30) as response,
    ):
        assert response.status_code == 200
        chunks = response.iter_raw()
        started = time.perf_counter()  # before byte first + 1 was sent
        first = received = len(next(chunks))
        while received < first + 4:
            received += len(next(chunks))
        elapsed = time.perf_counter() - started
    assert elapsed >= 3 * 0.1 * 0.9


def test_endless_body_never_ends() -> None:
    """endless streams more than 4 MiB without the body ending."""
    with (
        FaultyServer("endless") as srv,
        httpx.stream("GET", srv.url("/"), timeout=3) as response,
    ):
        received = 0
        for chunk in response.iter_raw():
            received += len(chunk)
            if received > 4 * 1024 * 1024:
                break
        else:
            pytest.fail("the body ended")


@pytest.mark.parametrize("faulty", ["redirect_loop"], indirect=True)
def test_redirect_loop_points_at_itself(faulty: FaultyServer) -> None:
    """redirect_loop answers 302 to the requested path, so following redirects never ends."""
    first = httpx.get(faulty.url("/a?b=1"), timeout=3)
    assert (first.status_code, first.headers["location"]) == (302, "/a?b=1")
    with (
        httpx.Client(follow_redirects=True, max_redirects=5, timeout=3) as client,
        pytest.raises(httpx.TooManyRedirects),
    ):
        client.get(faulty.url("/a"))
    assert faulty.connections >= 7


@pytest.mark.parametrize("faulty", ["garbage"], indirect=True)
def test_garbage_is_not_http(faulty: FaultyServer) -> None:
    """garbage answers with bytes no HTTP client accepts."""
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(faulty.url("/"), timeout=3)


@pytest.mark.parametrize("faulty", ["ws_101_bad"], indirect=True)
def test_ws_101_with_bad_accept_fails_handshake(faulty: FaultyServer) -> None:
    """ws_101_bad switches protocols with a wrong Sec-WebSocket-Accept: the handshake fails."""

    async def attempt() -> None:
        async with connect(faulty.url("/ws", "ws"), open_timeout=3):
            pass

    with pytest.raises(InvalidHandshake, match="Sec-WebSocket-Accept"):
        asyncio.run(attempt())


@pytest.mark.parametrize("faulty", ["ws_close_after_upgrade"], indirect=True)
def test_ws_close_after_upgrade_drops_without_close_frame(faulty: FaultyServer) -> None:
    """ws_close_after_upgrade opens fine, then the connection dies without a close frame."""

    async def attempt() -> int | None:
        async with connect(faulty.url("/ws", "ws"), open_timeout=3) as ws:
            with pytest.raises(ConnectionClosedError):
                await ws.recv()
            return ws.close_code

    assert asyncio.run(attempt()) == 1006


@pytest.mark.parametrize("faulty", ["pg_not_postgres"], indirect=True)
def test_pg_not_postgres(faulty: FaultyServer) -> None:
    """pg_not_postgres answers the SSLRequest with HTTP; psycopg fails to connect."""
    with dial(faulty) as sock:
        sock.sendall(SSL_REQUEST)
        assert sock.recv(5) == b"HTTP/"
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(
            host=faulty.host,
            port=faulty.port,
            user="probe",
            dbname="probe",
            connect_timeout=3,
            sslmode="prefer",
            gssencmode="disable",
        )


@pytest.mark.parametrize("behaviour", sorted(BEHAVIOURS))
def test_stop_closes_every_socket(behaviour: str) -> None:
    """stop() aborts held connections, closes the listener and leaves no fd behind."""
    before = open_fds()
    srv = FaultyServer(behaviour).start()  # type: ignore[arg-type]
    port = srv.port
    clients = [dial(srv) for _ in range(3)]
    for sock in clients:
        sock.sendall(HTTP_GET)
    deadline = time.monotonic() + 60  # a generous bound for polling, not a measurement
    while srv.connections < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    srv.stop()
    for sock in clients:
        sock.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)
    assert srv.connections == 3
    assert open_fds() <= before


def test_async_start_and_connection_count() -> None:
    """astart()/astop() run in the caller's loop; each accepted connection is counted."""

    async def scenario() -> int:
        async with FaultyServer("close") as srv:
            for _ in range(2):
                reader, writer = await asyncio.open_connection(srv.host, srv.port)
                assert await reader.read() == b""
                writer.close()
                await writer.wait_closed()
            return srv.connections

    assert asyncio.run(scenario()) == 2
