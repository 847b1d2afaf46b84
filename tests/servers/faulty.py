"""Misbehaving TCP servers on loopback, for fault-injection tests of the probes.

Each ``FaultyServer`` misbehaves in one way, named by its ``behaviour``:

- ``silent``: accept and read, never send a byte; hold the connection until the client leaves.
- ``reset``: accept, read a little (up to 1 s), then send a TCP RST (SO_LINGER 0).
- ``close``: accept, then close at once (FIN; the client reads end-of-file).
- ``http_plain``: answer ``200 OK`` in plain text, even to a TLS ClientHello (never TLS).
- ``trickle``: ``200 OK`` headers, then the body one byte per ``interval`` seconds, forever.
- ``endless``: ``200 OK`` with a chunked body that never ends, sent as fast as the client reads.
- ``redirect_loop``: ``302 Found`` with ``Location`` pointing at the requested path itself.
- ``garbage``: random bytes that are not HTTP, then close.
- ``ws_101_bad``: ``101 Switching Protocols`` with a wrong ``Sec-WebSocket-Accept``.
- ``ws_close_after_upgrade``: a correct WebSocket upgrade, then the TCP connection closes with
  no close frame.
- ``pg_not_postgres``: answer PostgreSQL's SSLRequest (or startup packet) with an HTTP response.
- ``ssh_banner``: greet like an SSH server (``SSH-2.0-OpenSSH_9.6``) on connect, before any
  request, then read until the client leaves.
- ``pg_s_then_plain``: answer the SSLRequest with exactly ``S``, then answer the TLS
  ClientHello in plain text (``S`` without a TLS server behind it).
- ``pg_error_response``: answer the SSLRequest with an ``E`` ErrorResponse, as servers older
  than PostgreSQL 7.0 do.
- ``gzip_bomb``: ``200 OK`` with ``Content-Encoding: gzip`` and a body of about 130 KB that
  decodes to 128 MiB of zeros.
- ``gzip_stacked``: ``200 OK`` with ``Content-Encoding: gzip, gzip`` and a body of a few KB that
  decodes (twice) to 512 MiB of zeros.
- ``ws_reject_two_servers``: refuse the WebSocket upgrade with ``403`` carrying two ``Server``
  headers.

With ``ssl_context`` the TLS handshake happens first and the behaviour follows inside TLS, except
for ``http_plain``, ``ssh_banner`` and the ``pg_*`` behaviours, which never speak TLS. ``stop()`` aborts every
connection and closes every socket.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import socket
import ssl
import struct
import zlib
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Literal, TypeAlias, get_args

from tests.servers.loop_thread import BackgroundServer, ConnectionTracker

__all__ = ["BEHAVIOURS", "Behaviour", "FaultyServer"]

Behaviour: TypeAlias = Literal[
    "silent",
    "reset",
    "close",
    "http_plain",
    "trickle",
    "endless",
    "redirect_loop",
    "garbage",
    "ws_101_bad",
    "ws_close_after_upgrade",
    "pg_not_postgres",
    "ssh_banner",
    "pg_s_then_plain",
    "pg_error_response",
    "gzip_bomb",
    "gzip_stacked",
    "ws_reject_two_servers",
]
BEHAVIOURS: frozenset[str] = frozenset(get_args(Behaviour))
_NEVER_TLS = frozenset(
    {"http_plain", "pg_not_postgres", "ssh_banner", "pg_s_then_plain", "pg_error_response"}
)
SSH_BANNER = b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5\r\n"
_WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_READ_TIMEOUT = 2.0
_HANDSHAKE_TIMEOUT = 10.0
_CHUNK = b"x" * 65536
_Handler: TypeAlias = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class FaultyServer(BackgroundServer):
    """A TCP (or TLS) server that misbehaves in one named way."""

    def __init__(
        self,
        behaviour: Behaviour,
        *,
        ssl_context: ssl.SSLContext | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        interval: float = 1.0,
    ) -> None:
        """Prepare a server; ``interval`` is the ``trickle`` delay between body bytes."""
        super().__init__()
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}; one of {sorted(BEHAVIOURS)}")
        self.behaviour: Behaviour = behaviour
        self.ssl_context = ssl_context
        self.host = host
        self.interval = interval
        #: TCP connections accepted so far (counted before any TLS handshake).
        self.connections = 0
        self._port = port
        self._server: asyncio.Server | None = None
        self._tracker = ConnectionTracker()
        self._tasks: set[asyncio.Task[object]] = set()
        if behaviour in ("gzip_bomb", "gzip_stacked"):
            _bomb(behaviour == "gzip_stacked")  # built once, before any client waits for it

    @property
    def port(self) -> int:
        """The listening port (0 until started when none was given)."""
        return self._port

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` to connect to."""
        return (self.host, self._port)

    def url(self, path: str = "/", scheme: str | None = None) -> str:
        """A URL for ``path``; the scheme defaults to https when TLS is on, else http."""
        if scheme is None:
            tls = self.ssl_context is not None and self.behaviour not in _NEVER_TLS
            scheme = "https" if tls else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self._port}{path}"

    async def _serve(self) -> None:
        """Listen; TLS, when used, is started per connection so every socket is tracked."""
        self._server = await self._tracker.start_server(
            self._client, self.host, self._port, reuse_address=True
        )
        self._port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        """Stop listening, abort every connection and wait for the handlers to end."""
        server, self._server = self._server, None
        if server is not None:
            await self._tracker.close(server)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5.0)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Count and track the connection, start TLS if asked, then misbehave."""
        self.connections += 1
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        handler: _Handler = getattr(self, f"_{self.behaviour}")
        try:
            if self.ssl_context is not None and self.behaviour not in _NEVER_TLS:
                await writer.start_tls(self.ssl_context, ssl_handshake_timeout=_HANDSHAKE_TIMEOUT)
            await handler(reader, writer)
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError, TimeoutError):
            pass
        except asyncio.CancelledError:
            # Stopping cancels us. Ending normally keeps asyncio 3.11's stream callback from
            # logging the cancellation as an error; this task has nothing above it to tell.
            pass
        finally:
            if task is not None:
                self._tasks.discard(task)
            if not writer.transport.is_closing():
                writer.transport.abort()

    # -- behaviours (one coroutine per name) -----------------------------------------------

    async def _silent(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Read and discard everything; never answer."""
        while await reader.read(65536):
            pass

    async def _reset(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Read a little, then abort with SO_LINGER 0 so the kernel sends RST."""
        await _read_some(reader, timeout=1.0)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    async def _close(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Close straight away, cleanly."""
        await _finish(reader, writer)

    async def _http_plain(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answer whatever arrives (an HTTP request or a TLS ClientHello) with plain 200."""
        await _read_some(reader, timeout=_READ_TIMEOUT)
        writer.write(_http_head(200, "OK", {"Content-Length": "3"}) + b"ok\n")
        await _finish(reader, writer)

    async def _trickle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Send 200 headers, then one body byte per interval until the client leaves."""
        await _read_head(reader)
        writer.write(_http_head(200, "OK", {}))
        await writer.drain()
        while not reader.at_eof():
            writer.write(b".")
            await writer.drain()
            await asyncio.sleep(self.interval)

    async def _endless(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Send a 200 with a chunked body that never ends, as fast as the client reads."""
        await _read_head(reader)
        writer.write(_http_head(200, "OK", {"Transfer-Encoding": "chunked"}))
        chunk = b"%x\r\n" % len(_CHUNK) + _CHUNK + b"\r\n"
        while not reader.at_eof():
            writer.write(chunk)
            await writer.drain()

    async def _redirect_loop(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Redirect the request to its own path."""
        head = await _read_head(reader)
        parts = head.split(b"\r\n", 1)[0].split(b" ")
        target = parts[1].decode("latin-1") if len(parts) >= 2 else "/"
        writer.write(_http_head(302, "Found", {"Location": target, "Content-Length": "0"}))
        await _finish(reader, writer)

    async def _garbage(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Send random bytes that cannot be mistaken for HTTP, then close."""
        await _read_some(reader, timeout=_READ_TIMEOUT)
        writer.write(b"\x00\xff\x00\xfe" + os.urandom(1020))
        await _finish(reader, writer)

    async def _ws_101_bad(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Switch protocols with a Sec-WebSocket-Accept that does not match the key."""
        await _read_head(reader)
        wrong = _ws_accept("this is not the key the client sent")
        writer.write(_ws_switch(wrong))
        await writer.drain()
        while await reader.read(65536):
            pass

    async def _ws_close_after_upgrade(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Complete the WebSocket handshake correctly, then drop TCP without a close frame."""
        head = await _read_head(reader)
        key = ""
        for line in head.decode("latin-1").split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "sec-websocket-key":
                key = value.strip()
        writer.write(_ws_switch(_ws_accept(key)))
        await writer.drain()
        writer.close()

    async def _pg_not_postgres(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Answer a PostgreSQL SSLRequest or startup packet with an HTTP error."""
        async with asyncio.timeout(_READ_TIMEOUT):
            await reader.readexactly(8)
        writer.write(_http_head(400, "Bad Request", {"Content-Length": "0"}))
        await _finish(reader, writer)

    async def _ssh_banner(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Greet like an SSH server at once, then read until the client leaves."""
        writer.write(SSH_BANNER)
        await writer.drain()
        while await reader.read(65536):
            pass

    async def _pg_s_then_plain(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Say 'S' (SSL accepted) to the SSLRequest, then answer the ClientHello in plain text."""
        async with asyncio.timeout(_READ_TIMEOUT):
            await reader.readexactly(8)
        writer.write(b"S")
        await writer.drain()
        await _read_some(reader, timeout=_READ_TIMEOUT)
        writer.write(_http_head(400, "Bad Request", {"Content-Length": "0"}))
        await _finish(reader, writer)

    async def _pg_error_response(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Answer the SSLRequest with an 'E' ErrorResponse (what pre-7.0 servers sent)."""
        async with asyncio.timeout(_READ_TIMEOUT):
            await reader.readexactly(8)
        fields = b"SFATAL\0C08P01\0Munsupported frontend protocol\0\0"
        writer.write(b"E" + struct.pack("!i", 4 + len(fields)) + fields)
        await _finish(reader, writer)

    async def _gzip_bomb(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """A small gzip body that decodes to 128 MiB."""
        await self._send_encoded(reader, writer, "gzip", _bomb(False))

    async def _gzip_stacked(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """A tiny body gzipped twice (``gzip, gzip``) that decodes to 512 MiB."""
        await self._send_encoded(reader, writer, "gzip, gzip", _bomb(True))

    async def _send_encoded(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        encoding: str,
        body: bytes,
    ) -> None:
        await _read_head(reader)
        headers = {"Content-Encoding": encoding, "Content-Length": str(len(body))}
        writer.write(_http_head(200, "OK", headers) + body)
        await _finish(reader, writer)

    async def _ws_reject_two_servers(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Refuse the upgrade with 403 and two Server headers."""
        await _read_head(reader)
        writer.write(
            b"HTTP/1.1 403 Forbidden\r\nServer: edge-proxy\r\nServer: backend\r\n"
            b"Content-Length: 0\r\nConnection: close\r\n\r\n"
        )
        await _finish(reader, writer)


@cache
def _bomb(stacked: bool) -> bytes:
    """gzip of zeros: 128 MiB once (level 9), or 512 MiB gzipped twice (about 3 KB)."""
    mib = 512 if stacked else 128
    comp = zlib.compressobj(1 if stacked else 9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    body = b"".join([comp.compress(block) for _ in range(mib)] + [comp.flush()])
    if stacked:
        outer = zlib.compressobj(9, zlib.DEFLATED, 31)
        body = outer.compress(body) + outer.flush()
    return body


def _http_head(status: int, reason: str, headers: dict[str, str]) -> bytes:
    """An HTTP/1.1 status line and headers (with ``Connection: close``), ending in a blank line."""
    fields = {"Content-Type": "text/plain", "Connection": "close", **headers}
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{k}: {v}" for k, v in fields.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _ws_accept(key: str) -> str:
    """The Sec-WebSocket-Accept value for a Sec-WebSocket-Key (RFC 6455, section 4.2.2)."""
    return base64.b64encode(hashlib.sha1((key + _WS_GUID).encode()).digest()).decode()


def _ws_switch(accept: str) -> bytes:
    """A 101 Switching Protocols response with the given accept value."""
    return (
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
    ).encode()


async def _read_some(reader: asyncio.StreamReader, *, timeout: float) -> bytes:
    """Whatever arrives first (up to 64 KiB), or nothing after ``timeout``."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            return await reader.read(65536)
    return b""


async def _read_head(reader: asyncio.StreamReader) -> bytes:
    """An HTTP request head, up to the blank line (partial on EOF, timeout or overflow)."""
    try:
        async with asyncio.timeout(_READ_TIMEOUT):
            return await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        return exc.partial
    except (TimeoutError, asyncio.LimitOverrunError):
        return b""


async def _finish(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Flush, send FIN, swallow what the client still sends (so no RST), then close."""
    await writer.drain()
    if writer.can_write_eof():
        writer.write_eof()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                while await reader.read(65536):
                    pass
    writer.close()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(1.0):
            await writer.wait_closed()
