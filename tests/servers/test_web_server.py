"""The HTTP(S) + WebSocket demo server, exercised with httpx, websockets and ssl on loopback."""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import time
from collections.abc import Iterator
from typing import cast

import httpx
import pytest
import trustme
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.servers.web_server import SERVER_HEADER, WebServer, sni_context


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    """A throwaway certificate authority."""
    return trustme.CA()


@pytest.fixture(scope="module")
def client_ctx(ca: trustme.CA) -> ssl.SSLContext:
    """A client context that trusts only the throwaway CA."""
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    return ctx


def server_ctx(ca: trustme.CA, *hosts: str) -> ssl.SSLContext:
    """A server context with a certificate for ``hosts``."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*hosts).configure_cert(ctx)
    return ctx


@pytest.fixture
def web(ca: trustme.CA) -> Iterator[WebServer]:
    """A running HTTPS server with a certificate for 127.0.0.1."""
    with WebServer(ssl_context=server_ctx(ca, "127.0.0.1")) as srv:
        yield srv


def open_fds() -> int:
    """How many file descriptors this process has open."""
    return len(os.listdir("/proc/self/fd"))


def peer_names(port: int, server_hostname: str | None, ca: trustme.CA) -> list[str]:
    """The DNS names in the certificate the server presents for ``server_hostname`` (SNI)."""
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    ctx.check_hostname = False
    with (
        socket.create_connection(("127.0.0.1", port), timeout=3) as raw,
        ctx.wrap_socket(raw, server_hostname=server_hostname) as tls,
    ):
        cert = tls.getpeercert()
    assert cert is not None
    names = cast(tuple[tuple[str, str], ...], cert["subjectAltName"])
    return [value for kind, value in names if kind in ("DNS", "IP Address")]


def test_https_health_is_json_200(web: WebServer, client_ctx: ssl.SSLContext) -> None:
    """GET /health over HTTPS (verified against the CA) is 200 JSON with the demo Server header."""
    response = httpx.get(web.url("/health"), verify=client_ctx, timeout=5)
    assert web.url("/health") == f"https://127.0.0.1:{web.port}/health"
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["content-type"] == "application/json"
    assert response.headers.get_list("server") == [SERVER_HEADER]


def test_routes_status_body_and_headers(web: WebServer, client_ctx: ssl.SSLContext) -> None:
    """A route answers with its status, body and headers; a route's Server header wins."""
    web.route("/down", 503, "unavailable")
    web.route("/bin", 200, b"\x00\x01", {"Server": "Google Frontend", "X-Cloud-Trace": "1"})
    with httpx.Client(verify=client_ctx, timeout=5) as client:
        down = client.get(web.url("/down"))
        binary = client.get(web.url("/bin"))
    assert (down.status_code, down.text) == (503, "unavailable")
    assert binary.content == b"\x00\x01"
    assert binary.headers.get_list("server") == ["Google Frontend"]
    assert binary.headers["x-cloud-trace"] == "1"


def test_unknown_path_is_404(web: WebServer, client_ctx: ssl.SSLContext) -> None:
    """A path with no route is 404."""
    assert httpx.get(web.url("/nope"), verify=client_ctx, timeout=5).status_code == 404


def test_head_and_other_methods(web: WebServer, client_ctx: ssl.SSLContext) -> None:
    """HEAD gets the headers without a body; a bodiless POST gets 405."""
    with httpx.Client(verify=client_ctx, timeout=5) as client:
        head = client.head(web.url("/health"))
        post = client.post(web.url("/health"))
    assert head.status_code == 200
    assert head.headers["content-length"] == "16"
    assert head.content == b""
    assert post.status_code == 405


def test_requests_are_recorded(web: WebServer, client_ctx: ssl.SSLContext) -> None:
    """Each request is recorded with method, path (with query) and lower-cased headers."""
    httpx.get(web.url("/health?probe=1"), verify=client_ctx, headers={"X-Probe": "yes"}, timeout=5)
    (seen,) = web.requests
    assert (seen.method, seen.path) == ("GET", "/health?probe=1")
    assert seen.headers["x-probe"] == "yes"


def test_plain_http_without_tls() -> None:
    """Without an SSL context the server speaks plain HTTP and URLs use http://."""
    with WebServer() as srv:
        assert srv.url("/health").startswith("http://")
        assert httpx.get(srv.url("/health"), timeout=5).status_code == 200


def test_latency_delays_each_answer() -> None:
    """With latency set, an answer takes at least that long."""
    with WebServer(latency=0.3) as srv:
        started = time.perf_counter()
        httpx.get(srv.url("/health"), timeout=5)
        assert time.perf_counter() - started >= 0.3


def test_websocket_echo_over_tls(web: WebServer, client_ctx: ssl.SSLContext) -> None:
    """A wss:// endpoint greets, then echoes text as text and bytes as bytes."""
    web.websocket("/ws", greeting="hello")

    async def talk() -> list[str | bytes]:
        async with connect(web.ws_url("/ws"), ssl=client_ctx, open_timeout=5) as ws:
            got = [await ws.recv()]
            await ws.send("ping")
            got.append(await ws.recv())
            await ws.send(b"\x01\x02")
            got.append(await ws.recv())
            return got

    assert asyncio.run(talk()) == ["hello", "ping", b"\x01\x02"]


def test_websocket_silent_endpoint(web: WebServer, client_ctx: ssl.SSLContext) -> None:
    """An endpoint with echo=False accepts messages but never answers."""
    web.websocket("/quiet", echo=False)

    async def talk() -> None:
        async with connect(web.ws_url("/quiet"), ssl=client_ctx, open_timeout=5) as ws:
            await ws.send("ping")
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.3):
                    await ws.recv()

    asyncio.run(talk())


def test_websocket_paths(web: WebServer, client_ctx: ssl.SSLContext) -> None:
    """A plain GET to a WebSocket path is 426; an upgrade to a non-WebSocket path is refused."""
    web.websocket("/ws")
    assert httpx.get(web.url("/ws"), verify=client_ctx, timeout=5).status_code == 426

    async def upgrade_health() -> None:
        async with connect(web.ws_url("/health"), ssl=client_ctx, open_timeout=5):
            pass

    with pytest.raises(InvalidStatus) as caught:
        asyncio.run(upgrade_health())
    assert caught.value.response.status_code == 200


def test_sni_picks_certificate_by_host_name(ca: trustme.CA) -> None:
    """sni_context serves the certificate for the SNI name (exact or wildcard), else the default."""
    ctx = sni_context(
        {
            "a.demo.test": server_ctx(ca, "a.demo.test"),
            "*.wild.test": server_ctx(ca, "*.wild.test"),
        },
        server_ctx(ca, "default.demo.test"),
    )
    with WebServer(ssl_context=ctx) as srv:
        assert peer_names(srv.port, "a.demo.test", ca) == ["a.demo.test"]
        assert peer_names(srv.port, "x.wild.test", ca) == ["*.wild.test"]
        assert peer_names(srv.port, "other.demo.test", ca) == ["default.demo.test"]
        assert peer_names(srv.port, None, ca) == ["default.demo.test"]


def test_stop_closes_websockets_and_releases_fds(ca: trustme.CA) -> None:
    """Stopping closes open WebSockets with 1001, drops idle connections and frees every fd."""
    before = open_fds()
    srv = WebServer().start()
    srv.websocket("/ws")
    port = srv.port

    async def scenario() -> int | None:
        idle = socket.create_connection(("127.0.0.1", port), timeout=3)  # no request sent
        try:
            async with connect(srv.ws_url("/ws"), open_timeout=5) as ws:
                await srv.astop()  # returns (no hang: pytest-timeout's guard)
                with pytest.raises(ConnectionClosed):
                    await ws.recv()
                return ws.close_code
        finally:
            idle.close()

    assert asyncio.run(scenario()) == 1001
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)
    assert open_fds() <= before


def test_async_start_in_callers_loop(client_ctx: ssl.SSLContext, ca: trustme.CA) -> None:
    """astart()/astop() run the server in the caller's loop, reachable by an async client."""

    async def scenario() -> int:
        async with (
            WebServer(ssl_context=server_ctx(ca, "127.0.0.1")) as srv,
            httpx.AsyncClient(verify=client_ctx, timeout=5) as client,
        ):
            return (await client.get(srv.url("/health"))).status_code

    assert asyncio.run(scenario()) == 200
