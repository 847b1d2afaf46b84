"""A lean HTTP/1.1 transport for the http check: one request per connection, h11 for the wire.

httpx builds the request and reads the response as usual; this transport replaces its
connection pool (httpcore over anyio, about half of the gate's CPU at 1,000 hosts). Each
request goes over a :class:`TlsStream` (memory-BIO TLS, small buffers): the connection the tls
check of the same (address, port, SNI) parked when its chain verified and its certificate covers
the name, else a fresh one. A parked connection the server closed meanwhile is replaced by a
fresh one, once. Errors come out as httpx's exceptions, with the cause chained, so the check
maps them exactly as before.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from infra_verify.checks.tls_stream import TlsStream, connection_pool, pool_key
from infra_verify.context import CheckContext
from infra_verify.lazy import lazy_module

if TYPE_CHECKING:
    import ssl

    import h11
    import httpx
else:
    h11 = lazy_module("h11")
    httpx = lazy_module("httpx")
    ssl = lazy_module("ssl", rebind=True)  # imported by a run, not by --list


class _Stale(Exception):
    """A reused connection ended before any byte of the response."""


def transport(
    ctx: CheckContext, context: ssl.SSLContext, *, share: bool, ca_bundle: str | None
) -> httpx.AsyncBaseTransport:
    """The transport for one http check: ``context`` for fresh TLS connections; with ``share``,
    connections the tls check parked (verified against ``ca_bundle``) are used first."""
    transport_class, _ = _classes()
    made: httpx.AsyncBaseTransport = transport_class(ctx, context, share, ca_bundle)
    return made


@functools.cache
def _classes() -> tuple[type[Any], type[Any]]:
    """The transport and body classes, built on httpx's bases when first needed."""

    class Body(_BodyBase, httpx.AsyncByteStream):
        pass

    class LeanTransport(_LeanTransportBase, httpx.AsyncBaseTransport):
        pass

    return LeanTransport, Body


def _body(conn: h11.Connection, stream: TlsStream) -> httpx.AsyncByteStream:
    body: httpx.AsyncByteStream = _classes()[1](conn, stream)
    return body


class _BodyBase:
    """The response body, read from the wire as httpx asks for it; closing closes the socket."""

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
            raise httpx.RemoteProtocolError(str(exc)) from exc
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        self.stream.close()


class _LeanTransportBase:
    """httpx transport: h11 over TlsStream, parked connections first."""

    def __init__(
        self, ctx: CheckContext, context: ssl.SSLContext, share: bool, ca_bundle: str | None
    ) -> None:
        self.ctx = ctx
        self.context = context
        self.share = share
        self.ca_bundle = ca_bundle

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        secure = url.scheme == "https"
        address = url.host
        port = url.port or (443 if secure else 80)
        sni = str(request.extensions.get("sni_hostname") or address)
        body = await request.aread()
        stream = None
        if secure and self.share:
            key = pool_key(address, port, sni, self.ca_bundle)
            stream = connection_pool(self.ctx).take(key)
        if stream is not None:
            try:
                return await self._exchange(stream, request, body, reused=True)
            except _Stale:
                stream.close()
        stream = await self._open(address, port, self.context if secure else None, sni)
        return await self._exchange(stream, request, body, reused=False)

    async def _open(
        self, address: str, port: int, context: ssl.SSLContext | None, sni: str
    ) -> TlsStream:
        try:
            return await TlsStream.open(address, port, context, sni)
        except TimeoutError:
            raise
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc

    async def _exchange(
        self, stream: TlsStream, request: httpx.Request, body: bytes, *, reused: bool
    ) -> httpx.Response:
        """Send the request; read up to the response head (the body is read as httpx asks).

        On a ``reused`` connection, an end before any response byte raises ``_Stale``."""
        conn = h11.Connection(our_role=h11.CLIENT)
        heard = False
        try:
            data = conn.send(
                h11.Request(
                    method=request.method,
                    target=request.url.raw_path,
                    headers=list(request.headers.raw),
                )
            )
            if body:
                data += conn.send(h11.Data(data=body))
            data += conn.send(h11.EndOfMessage())
            await stream.send(data)
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    chunk = await stream.receive()
                    if not chunk and not heard:
                        if reused:
                            raise _Stale
                        raise h11.RemoteProtocolError(
                            "Server disconnected without sending a response."
                        )
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
            raise httpx.RemoteProtocolError(str(exc)) from exc
        except (ConnectionResetError, BrokenPipeError, ssl.SSLEOFError) as exc:
            if not heard and reused:
                raise _Stale from exc
            stream.close()
            raise httpx.ReadError(str(exc) or type(exc).__name__) from exc
        except (OSError, ssl.SSLError) as exc:
            stream.close()
            raise httpx.ReadError(str(exc) or type(exc).__name__) from exc
        except BaseException:
            stream.close()
            raise
        return httpx.Response(
            status_code=event.status_code,
            headers=list(event.headers),
            stream=_body(conn, stream),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": bytes(event.reason)},
            request=request,
        )

    async def aclose(self) -> None:
        """Nothing to release: every connection is closed with its response."""
