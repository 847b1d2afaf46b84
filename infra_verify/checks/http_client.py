"""A lean HTTP/1.1 client for the http check: one request per connection, h11 for the wire.

The request is written by hand (a method, a target, header fields) and the response read by h11
over a :class:`TlsStream` (memory-BIO TLS, small buffers): the connection the tls check of the
same (address, port, SNI) parked when its chain verified and its certificate covers the name,
else a fresh one. A parked connection the server closed meanwhile is replaced by a fresh one,
once. No httpx: its import (click, rich and pygments come with it when installed) and its
request and response objects cost more CPU than the exchange; nothing the check does needs it
(no proxies, no cookies, no HTTP/2). Errors come out as :mod:`http_message`'s, the cause chained.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from infra_verify.checks.http_message import (
    ConnectError,
    Headers,
    ReadError,
    RemoteProtocolError,
    Response,
)
from infra_verify.checks.tls_stream import TlsStream, connection_pool, pool_key
from infra_verify.context import CheckContext
from infra_verify.lazy import lazy_module

if TYPE_CHECKING:
    import ssl

    import h11
else:
    h11 = lazy_module("h11")
    ssl = lazy_module("ssl", rebind=True)  # imported by a run, not by --list


class _Stale(Exception):
    """A reused connection ended before any byte of the response."""


@dataclass(frozen=True)
class Request:
    """One request: what to send, and where (the dialled address, with the name as SNI)."""

    method: str
    url: str
    """The URL as named (for the response; the target below is what is sent)."""
    target: str
    headers: tuple[tuple[bytes, bytes], ...]
    address: str
    port: int
    secure: bool
    sni: str


class Client:
    """The http check's requests: ``context`` for fresh TLS connections; with ``share``,
    connections the tls check parked (verified against ``ca_bundle``) are used first."""

    def __init__(
        self, ctx: CheckContext, context: ssl.SSLContext, *, share: bool, ca_bundle: str | None
    ) -> None:
        self.ctx = ctx
        self.context = context
        self.share = share
        self.ca_bundle = ca_bundle

    async def send(self, request: Request) -> Response:
        """Send ``request``; the response with its body still to read (closing it closes the
        connection)."""
        stream = None
        if request.secure and self.share:
            key = pool_key(request.address, request.port, request.sni, self.ca_bundle)
            stream = connection_pool(self.ctx).take(key)
        if stream is not None:
            try:
                return await _exchange(stream, request, reused=True)
            except _Stale:
                stream.close()
        context = self.context if request.secure else None
        stream = await _open(request.address, request.port, context, request.sni)
        return await _exchange(stream, request, reused=False)


async def _open(address: str, port: int, context: ssl.SSLContext | None, sni: str) -> TlsStream:
    try:
        return await TlsStream.open(address, port, context, sni)
    except TimeoutError:
        raise
    except (OSError, ssl.SSLError) as exc:
        raise ConnectError(str(exc) or type(exc).__name__) from exc


async def _exchange(stream: TlsStream, request: Request, *, reused: bool) -> Response:
    """Send the request; read up to the response head (the body is read as the check asks).

    On a ``reused`` connection, an end before any response byte raises ``_Stale``."""
    conn = h11.Connection(our_role=h11.CLIENT)
    heard = False
    try:
        data = conn.send(
            h11.Request(method=request.method, target=request.target, headers=list(request.headers))
        )
        data += conn.send(h11.EndOfMessage())
        await stream.send(data)
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                chunk = await stream.receive()
                if not chunk and not heard:
                    if reused:
                        raise _Stale
                    raise h11.RemoteProtocolError("Server disconnected without sending a response.")
                heard = True
                conn.receive_data(chunk)
            elif isinstance(event, h11.Response):
                break
            elif isinstance(event, h11.ConnectionClosed):
                raise h11.RemoteProtocolError("Server disconnected without sending a response.")
    except _Stale:
        raise
    except h11.RemoteProtocolError as exc:
        stream.close()
        raise RemoteProtocolError(str(exc)) from exc
    except (ConnectionResetError, BrokenPipeError, ssl.SSLEOFError) as exc:
        if not heard and reused:
            raise _Stale from exc
        stream.close()
        raise ReadError(str(exc) or type(exc).__name__) from exc
    except (OSError, ssl.SSLError) as exc:
        stream.close()
        raise ReadError(str(exc) or type(exc).__name__) from exc
    except BaseException:
        stream.close()
        raise
    return Response(
        status=event.status_code,
        reason=bytes(event.reason).decode("ascii", "ignore"),
        headers=Headers(event.headers.raw_items()),
        http_version="HTTP/" + bytes(event.http_version).decode("ascii"),
        url=request.url,
        stream=_Body(conn, stream),
    )


class _Body:
    """The response body, read from the wire as the check asks for it; closing closes the
    socket."""

    def __init__(self, conn: h11.Connection, stream: TlsStream) -> None:
        self.conn = conn
        self.stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            while True:
                event = self.conn.next_event()
                if event is h11.NEED_DATA:
                    self.conn.receive_data(await self.stream.receive())
                elif isinstance(event, h11.Data):
                    yield bytes(event.data)
                elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                    return
        except h11.RemoteProtocolError as exc:
            raise RemoteProtocolError(str(exc)) from exc
        except (OSError, ssl.SSLError) as exc:
            raise ReadError(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        """Close the connection."""
        self.stream.close()
