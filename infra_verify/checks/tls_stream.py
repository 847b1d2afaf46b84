"""TLS over a plain non-blocking socket with ``ssl.MemoryBIO``, and the run's parked connections.

:class:`TlsStream` does the handshake and the reads and writes itself, with 16 KiB reads,
instead of asyncio's SSL transport (which keeps a 256 KiB buffer per connection: 250 MiB at a
thousand connections). The tls check's verified handshake is *parked* in a
:class:`ConnectionPool` (in ``CheckContext.shared``) keyed by (address, port, SNI, CA bundle),
so the http check of the same host, which runs right after it, sends its request over that
connection instead of shaking hands again. A parked connection not taken within
:data:`PARK_SECONDS` is closed, and so is every parked connection when the run ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from infra_verify.context import CheckContext
from infra_verify.lazy import lazy_module

if TYPE_CHECKING:
    import asyncio
    import socket
    import ssl
else:
    asyncio = lazy_module("asyncio", rebind=True)  # imported by a run, not by --list
    socket = lazy_module("socket", rebind=True)  # imported by a run, not by --list
    ssl = lazy_module("ssl", rebind=True)  # imported by a run, not by --list

READ_SIZE = 16 * 1024 + 512
"""One TLS record and its overhead: what one socket read asks for."""
PARK_SECONDS = 60.0
"""How long a parked connection waits for its http check before it is closed (a loaded run of
thousands of hosts can take tens of seconds between a host's tls and http checks)."""


def _max_parked() -> int:
    """At most 4,000 connections parked, and never more than a quarter of the file
    descriptors this process may open (the checks in flight need the rest)."""
    try:
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):
        return 0
    if soft == resource.RLIM_INFINITY:
        return 4000
    return max(0, min(4000, soft // 4))


MAX_PARKED = _max_parked()
"""The most connections parked at once (more are closed at once)."""
SHARED_KEY = "tls-connections"


class TlsStream:
    """One client connection: TLS through memory BIOs over a non-blocking socket (or plain)."""

    def __init__(self, sock: socket.socket, tls: ssl.SSLObject | None) -> None:
        self.sock = sock
        self.tls = tls
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self._eof = False

    @classmethod
    async def open(
        cls, address: str, port: int, context: ssl.SSLContext | None, sni: str | None
    ) -> TlsStream:
        """Connect and, with ``context``, shake hands (SNI ``sni``); the caller bounds the time.

        Raises OSError (refused, unreachable), ssl.SSLCertVerificationError and ssl.SSLError as
        the standard library does.
        """
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, (address.strip("[]"), port))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            stream = cls(sock, None)
            if context is not None:
                stream.tls = context.wrap_bio(stream._in, stream._out, server_hostname=sni)
                await stream._handshake()
        except BaseException:
            sock.close()
            raise
        return stream

    async def _handshake(self) -> None:
        assert self.tls is not None
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                await self._flush()
                if not await self._fill():
                    raise ConnectionResetError(
                        "the server closed the connection during the TLS handshake"
                    ) from None
        await self._flush()

    async def _flush(self) -> None:
        data = self._out.read()
        if data:
            await asyncio.get_running_loop().sock_sendall(self.sock, data)

    async def _fill(self) -> bool:
        """Read once from the socket into the TLS input; False at end of stream."""
        data = await asyncio.get_running_loop().sock_recv(self.sock, READ_SIZE)
        if not data:
            self._in.write_eof()
            return False
        self._in.write(data)
        return True

    async def send(self, data: bytes) -> None:
        """Send all of ``data``."""
        loop = asyncio.get_running_loop()
        if self.tls is None:
            await loop.sock_sendall(self.sock, data)
            return
        self.tls.write(data)
        await self._flush()

    async def receive(self) -> bytes:
        """The next bytes from the server; b"" once it has closed."""
        if self.tls is None:
            if self._eof:
                return b""
            data = await asyncio.get_running_loop().sock_recv(self.sock, READ_SIZE)
            self._eof = not data
            return data
        while True:
            try:
                return self.tls.read(READ_SIZE)
            except ssl.SSLWantReadError:
                await self._flush()
                if self._eof:
                    return b""
                if not await self._fill():
                    self._eof = True
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                return b""

    def peer_certificate(self) -> bytes | None:
        """The server's leaf certificate (DER), or None."""
        return self.tls.getpeercert(binary_form=True) if self.tls is not None else None

    def peer_decoded(self) -> dict[str, Any]:
        """The server's leaf as the ssl module decodes it (empty unless the chain verified)."""
        if self.tls is None:
            return {}
        return dict(self.tls.getpeercert() or {})

    def version(self) -> str | None:
        """The negotiated TLS version, e.g. ``TLSv1.3``."""
        return self.tls.version() if self.tls is not None else None

    def close(self) -> None:
        """Close the socket (no close_notify: nothing is waited for)."""
        self.sock.close()


@dataclass
class _Parked:
    stream: TlsStream
    hostname_ok: bool
    handle: asyncio.TimerHandle | None


@dataclass
class ConnectionPool:
    """Verified TLS connections parked by the tls check for the http check of the same host."""

    parked: dict[tuple[str, int, str, str | None], list[_Parked]] = field(default_factory=dict)
    count: int = 0
    reused: int = 0

    def park(
        self,
        key: tuple[str, int, str, str | None],
        stream: TlsStream,
        *,
        hostname_ok: bool,
    ) -> None:
        """Keep a verified connection for PARK_SECONDS (closed at once when the pool is full)."""
        if self.count >= MAX_PARKED:
            stream.close()
            return
        loop = asyncio.get_running_loop()
        entry = _Parked(stream, hostname_ok, None)
        entry.handle = loop.call_later(PARK_SECONDS, self._expire, key, entry)
        self.parked.setdefault(key, []).append(entry)
        self.count += 1

    def take(self, key: tuple[str, int, str, str | None]) -> TlsStream | None:
        """A parked connection for ``key`` whose certificate covers the SNI name, else None."""
        entries = self.parked.get(key)
        while entries:
            entry = entries.pop()
            self.count -= 1
            if entry.handle is not None:
                entry.handle.cancel()
            if not entries:
                del self.parked[key]
            if entry.hostname_ok:
                self.reused += 1
                return entry.stream
            entry.stream.close()
        return None

    def _expire(self, key: tuple[str, int, str, str | None], entry: _Parked) -> None:
        entries = self.parked.get(key, [])
        if entry in entries:
            entries.remove(entry)
            self.count -= 1
            if not entries:
                del self.parked[key]
            entry.stream.close()

    def close(self) -> None:
        """Close every parked connection."""
        for entries in self.parked.values():
            for entry in entries:
                if entry.handle is not None:
                    entry.handle.cancel()
                entry.stream.close()
        self.parked.clear()
        self.count = 0


def pool_key(
    address: str, port: int, sni: str, ca_bundle: str | None
) -> tuple[str, int, str, str | None]:
    """How parked connections are found: dialed address, port, SNI name, trusted CA bundle."""
    return (address.strip("[]"), port, sni.lower().rstrip("."), ca_bundle)


def connection_pool(ctx: CheckContext) -> ConnectionPool:
    """The run's pool of parked connections (closed by ``CheckContext.close``)."""
    pool = ctx.shared.get(SHARED_KEY)
    if not isinstance(pool, ConnectionPool):
        pool = ctx.shared[SHARED_KEY] = ConnectionPool()
    return pool
