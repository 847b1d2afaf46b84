"""An HTTP(S) and WebSocket server on loopback, built on the websockets asyncio server.

Plain requests are answered in ``process_request`` from a table of routes; WebSocket upgrades
to a registered endpoint proceed to the echo handler. Each plain response closes its connection.

Limitations (those of the websockets HTTP parser, which only needs a WebSocket handshake): a
request with a body (Content-Length other than 0, or Transfer-Encoding) is dropped before it
reaches the routes (the client sees the connection close without a usable response), so POST
with a body and PUT cannot be served. GET and HEAD are served; any other method without a body
gets 405. Responses carry ``Connection: close``: there is no keep-alive.

Example::

    with WebServer(ssl_context=ctx) as web:
        web.route("/broken", 503, "down")
        httpx.get(web.url("/health"), verify=ca_path)
"""

from __future__ import annotations

import asyncio
import email.utils
import http
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.protocol import State

from tests.servers.loop_thread import BackgroundServer, stop_accepting

__all__ = ["SERVER_HEADER", "SeenRequest", "WebServer", "sni_context"]

#: The ``Server`` header of every response unless a route sets its own.
SERVER_HEADER = "infra_verify-demo"
_HEALTH_BODY = '{"status": "ok"}'


class SeenRequest(NamedTuple):
    """One request the server received: method, path (with query) and lower-cased headers."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass(frozen=True)
class _Route:
    """A canned answer to GET (and HEAD) on one path."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _Endpoint:
    """A WebSocket endpoint: optional greeting, then echo or silence."""

    echo: bool
    greeting: str | None


class WebServer(BackgroundServer):
    """An HTTP(S) + WebSocket server with canned routes, for tests and the offline demo."""

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        gather: int = 0,
    ) -> None:
        """Prepare a server with ``/health`` routed; ``port=0`` picks a free port at start.
        With ``gather``, no request is answered before that many have arrived (or 60 s)."""
        super().__init__()
        self.host = host
        self.latency = latency
        self.gather = gather
        self.arrived = 0
        self.in_flight = 0
        self.peak_in_flight = 0
        self.ssl_context = ssl_context
        self.requests: list[SeenRequest] = []
        self._port = port
        self._routes: dict[str, _Route] = {}
        self._endpoints: dict[str, _Endpoint] = {}
        self._server: Server | None = None
        self._live: set[ServerConnection] = set()
        self.route("/health", 200, _HEALTH_BODY, {"Content-Type": "application/json"})

    @property
    def port(self) -> int:
        """The listening port (0 until started when none was given)."""
        return self._port

    def url(self, path: str = "/", scheme: str | None = None) -> str:
        """An absolute URL for ``path``; the scheme defaults to https with TLS, else http."""
        if scheme is None:
            scheme = "https" if self.ssl_context is not None else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self._port}{path}"

    def ws_url(self, path: str = "/ws") -> str:
        """The ws:// or wss:// URL of a WebSocket endpoint."""
        return self.url(path, "wss" if self.ssl_context is not None else "ws")

    def route(
        self,
        path: str,
        status: int = 200,
        body: str | bytes = "ok",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer GET ``path`` with ``status``, ``body`` and ``headers`` (replaces any route)."""
        raw = body.encode() if isinstance(body, str) else body
        self._routes[path] = _Route(status, raw, tuple((headers or {}).items()))

    def websocket(
        self, path: str = "/ws", *, echo: bool = True, greeting: str | None = None
    ) -> None:
        """Accept upgrades on ``path``: send ``greeting``, then echo (or ignore) messages."""
        self._endpoints[path] = _Endpoint(echo, greeting)

    # -- serving ----------------------------------------------------------------------------

    async def _serve(self) -> None:
        """Listen on the configured address, with TLS when a context was given."""
        self._server = await serve(
            self._handle_websocket,
            self.host,
            self._port,
            ssl=self.ssl_context,
            process_request=self._process_request,
            process_response=_add_server_header,
            server_header=None,
            open_timeout=10,
            close_timeout=2,
            create_connection=_tracking_connection(self._live),
        )
        self._port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        """Stop listening, close WebSockets with 1001, abort anything still open."""
        server, self._server = self._server, None
        if server is None:
            return
        await stop_accepting(server)
        server.close()
        for connection in list(self._live):
            if connection.protocol.state is State.CONNECTING:
                connection.transport.abort()
        closing = asyncio.ensure_future(server.wait_closed())
        await asyncio.wait([closing], timeout=3.0)
        if not closing.done():
            for connection in list(self._live):
                connection.transport.abort()
            await asyncio.wait([closing], timeout=2.0)
        closing.cancel()

    async def _process_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        """Record the request, then answer it from the routes unless it is a WebSocket upgrade."""
        self.requests.append(
            SeenRequest(
                request.method,
                request.path,
                {name.lower(): value for name, value in request.headers.raw_items()},
            )
        )
        self.arrived += 1
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            for _ in range(12_000):  # a generous 60 s bound
                if self.arrived >= self.gather:
                    break
                await asyncio.sleep(0.005)
            if self.latency > 0:
                await asyncio.sleep(self.latency)
        finally:
            self.in_flight -= 1
        path = request.path.split("?", 1)[0]
        upgrade = "websocket" in request.headers.get("Upgrade", "").lower()
        if path in self._endpoints and (upgrade or path not in self._routes):
            return None  # the handshake proceeds (a plain GET gets websockets' 426)
        if request.method not in ("GET", "HEAD"):
            return _response(405, b"method not allowed\n", (("Allow", "GET, HEAD"),))
        route = self._routes.get(path)
        if route is None:
            return _response(404, b"not found\n", (), head=request.method == "HEAD")
        return _response(route.status, route.body, route.headers, head=request.method == "HEAD")

    async def _handle_websocket(self, connection: ServerConnection) -> None:
        """Greet, then echo every message (text stays text, bytes stay bytes) until closed."""
        request = connection.request
        path = request.path.split("?", 1)[0] if request is not None else ""
        endpoint = self._endpoints.get(path)
        if endpoint is None:
            await connection.close(1011, "endpoint removed")
            return
        try:
            if endpoint.greeting is not None:
                await connection.send(endpoint.greeting)
            async for message in connection:
                if endpoint.echo:
                    await connection.send(message)
        except ConnectionClosed:
            pass


def sni_context(
    certs_by_host: Mapping[str, ssl.SSLContext], default: ssl.SSLContext
) -> ssl.SSLContext:
    """Make ``default`` switch to the context for the SNI host name (exact or ``*.`` wildcard).

    The callback is installed on ``default`` itself, which is returned. Clients that send no SNI
    (for example when connecting to an IP address) get ``default``.
    """
    table = {host.lower().rstrip("."): ctx for host, ctx in certs_by_host.items()}

    def pick(sslobj: ssl.SSLObject, server_name: str | None, _: ssl.SSLContext) -> None:
        if server_name is None:
            return
        name = server_name.lower().rstrip(".")
        chosen = table.get(name)
        if chosen is None and "." in name:
            chosen = table.get("*." + name.split(".", 1)[1])
        if chosen is not None:
            sslobj.context = chosen

    default.sni_callback = pick
    return default


def _response(
    status: int, body: bytes, headers: tuple[tuple[str, str], ...], *, head: bool = False
) -> Response:
    """A complete HTTP/1.1 response that closes the connection (no body for HEAD)."""
    names = {name.lower() for name, _ in headers}
    fields = Headers(headers)
    fields["Date"] = email.utils.formatdate(usegmt=True)
    fields["Connection"] = "close"
    if "content-length" not in names:
        fields["Content-Length"] = str(len(body))
    if "content-type" not in names:
        fields["Content-Type"] = "text/plain; charset=utf-8"
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    return Response(status, reason, fields, b"" if head else body)


def _add_server_header(connection: ServerConnection, request: Request, response: Response) -> None:
    """Add ``Server: infra_verify-demo`` to responses that do not name a server already."""
    if "Server" not in response.headers:
        response.headers["Server"] = SERVER_HEADER


def _tracking_connection(live: set[ServerConnection]) -> type[ServerConnection]:
    """A ServerConnection class that keeps itself in ``live`` while its transport is open."""

    class TrackedConnection(ServerConnection):
        """A server connection that can be found (and aborted) on shutdown."""

        def connection_made(self, transport: Any) -> None:
            """Register the new connection."""
            super().connection_made(transport)
            live.add(self)

        def connection_lost(self, exc: Exception | None) -> None:
            """Forget the closed connection."""
            live.discard(self)
            super().connection_lost(exc)

    return TrackedConnection
