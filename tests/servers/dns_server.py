"""A tiny authoritative DNS server on loopback (UDP and TCP on one port), with fault injection.

Built on dnspython's message and rrset types; answers come from dict lookups, so ten thousand
records and many concurrent queries are cheap. Every name lives in a zone: ``add_zone()`` makes
one explicitly, and ``set()`` on a name outside every zone adds one at the name's parent domain
(or at the name itself when it is a top-level domain). In a zone, answers carry the AA flag, a
name without records is NXDOMAIN, an existing name asked for another type is NODATA (NOERROR,
empty answer, the zone's SOA in the authority section), and CNAME chains are followed within the
server's zones. Names outside every zone are REFUSED, as a real authoritative server does.
Call ``add_zone()`` before ``set()`` when the zone apex matters (an implicit zone is cut at the
parent of the first name set under it).

Records are kept in dicts keyed by lower-case names; ``set()``, ``remove()`` and ``mode()`` may
be called from any thread while the server runs and apply to the very next query.

Example::

    with DnsServer({"api.demo.test": "127.0.0.1"}) as dns_server:
        resolver.nameservers = [dns_server.address[0]]
        resolver.port = dns_server.address[1]
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal, TypeAlias

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import dns.rrset

from tests.servers.loop_thread import BackgroundServer, ConnectionTracker

__all__ = ["SUPPORTED_TYPES", "DnsMode", "DnsServer", "RecordSpec"]

DnsMode: TypeAlias = Literal["servfail", "refused", "drop", "truncate", "wrong_name"]
RecordValues: TypeAlias = str | Sequence[str]
#: A constructor record: an address, a list of addresses (A/AAAA by family), or {type: values}.
RecordSpec: TypeAlias = RecordValues | Mapping[str, RecordValues]

_T = dns.rdatatype.RdataType
SUPPORTED_TYPES: frozenset[dns.rdatatype.RdataType] = frozenset(
    {_T.A, _T.AAAA, _T.CNAME, _T.TXT, _T.CAA, _T.NS, _T.SOA}
)
_MODES: frozenset[str] = frozenset({"servfail", "refused", "drop", "truncate", "wrong_name"})
_log = logging.getLogger(__name__)
_MAX_CNAME_HOPS = 16
_TCP_IDLE_TIMEOUT = 10.0
_UDP_BUFFER = 4 * 1024 * 1024
_NEGATIVE_TTL = 60
# Direct constructors: ten times faster than parsing presentation text (dnspython is untyped here).
_A_RDATA: Callable[..., dns.rdata.Rdata] = dns.rdtypes.IN.A.A
_AAAA_RDATA: Callable[..., dns.rdata.Rdata] = dns.rdtypes.IN.AAAA.AAAA
_WRONG_NAME_DEFAULTS = {_T.A: "192.0.2.1", _T.AAAA: "2001:db8::1"}


class DnsServer(BackgroundServer):
    """An authoritative DNS server for tests and the offline demo, serving UDP and TCP."""

    def __init__(
        self,
        records: Mapping[str, RecordSpec] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        gather: int = 0,
    ) -> None:
        """Prepare a server holding ``records``; ``port=0`` picks a free port at start. With
        ``gather``, no UDP query is answered before that many have arrived (or 60 s)."""
        super().__init__()
        self.host = host
        self.latency = latency
        self.gather = gather
        self.arrived = 0
        self.peak_delayed = 0
        self.queries = 0
        self.asked: dict[tuple[str, str], int] = {}
        """UDP questions received, by (name without the final dot, type)."""
        self.arrivals: list[tuple[tuple[str, str], frozenset[tuple[str, str]]]] = []
        """Each UDP question as it arrived, with the questions still unanswered then."""
        self._pending: dict[tuple[str, str], int] = {}
        self._port = port
        self._lock = threading.Lock()
        # Keyed by lower-case absolute names as text: str hashing beats dns.name.Name by far.
        self._rrsets: dict[tuple[str, dns.rdatatype.RdataType], dns.rrset.RRset] = {}
        self._types: dict[str, set[dns.rdatatype.RdataType]] = {}
        self._below: dict[str, int] = {}  # names with records beneath: empty non-terminals
        self._zones: set[str] = set()
        self._modes: dict[str, DnsMode] = {}
        self._udp: asyncio.DatagramTransport | None = None
        self._udp_closed: asyncio.Future[None] | None = None
        self._tcp: asyncio.Server | None = None
        self._tracker = ConnectionTracker()
        self._tasks: set[asyncio.Task[None]] = set()
        for name, spec in (records or {}).items():
            for rdtype, values in _expand_spec(name, spec):
                self.set(name, rdtype, values)

    # -- addressing -------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The UDP and TCP port (0 until started when none was given)."""
        return self._port

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` to send queries to."""
        return (self.host, self._port)

    @property
    def resolver(self) -> str:
        """The server as a ``HOST:PORT`` resolver string (``[HOST]:PORT`` for IPv6)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self._port}"

    @property
    def delayed(self) -> int:
        """UDP answers waiting out ``latency`` right now (received, not yet answered)."""
        return len(self._tasks)

    # -- data -------------------------------------------------------------------------------

    def add_zone(self, origin: str) -> None:
        """Serve ``origin`` authoritatively (with a default SOA and NS unless already set)."""
        name = _key(_absolute(origin))
        with self._lock:
            self._zones.add(name)
        if (name, _T.SOA) not in self._rrsets:
            soa = f"ns1.{name} hostmaster.{name} 1 3600 600 86400 {_NEGATIVE_TTL}"
            self.set(name, "SOA", [soa], ttl=3600)
        if (name, _T.NS) not in self._rrsets:
            self.set(name, "NS", [f"ns1.{name}"], ttl=3600)

    def set(self, name: str, rdtype: str, values: str | Sequence[str], ttl: int = 300) -> None:
        """Replace the ``rdtype`` records of ``name``; visible to the very next query."""
        owner = _absolute(name)
        kind = dns.rdatatype.from_text(rdtype.upper())
        if kind not in SUPPORTED_TYPES:
            raise ValueError(f"unsupported record type {rdtype!r}")
        texts = [values] if isinstance(values, str) else list(values)
        if not texts:
            raise ValueError("values must not be empty; use remove() to delete records")
        rrset = _make_rrset(owner, kind, texts, ttl)
        key = _key(owner)
        if self._zone_of(key) is None:
            parent = _parent(key)
            self.add_zone(parent if parent is not None and parent != "." else key)
        with self._lock:
            self._rrsets[(key, kind)] = rrset
            kinds = self._types.get(key)
            if kinds is None:
                self._types[key] = {kind}
                self._count_below(key, +1)
            else:
                kinds.add(kind)

    def remove(self, name: str, rdtype: str | None = None) -> None:
        """Delete the ``rdtype`` records of ``name``, or all of them when ``rdtype`` is None."""
        key = _key(_absolute(name))
        with self._lock:
            kinds = self._types.get(key)
            if kinds is None:
                return
            doomed = set(kinds) if rdtype is None else {dns.rdatatype.from_text(rdtype.upper())}
            for kind in doomed & kinds:
                del self._rrsets[(key, kind)]
            kinds -= doomed
            if not kinds:
                del self._types[key]
                self._count_below(key, -1)

    def mode(self, name: str, mode: DnsMode | None) -> None:
        """Inject a fault for queries about ``name``; ``None`` restores normal answers."""
        key = _key(_absolute(name))
        with self._lock:
            if mode is None:
                self._modes.pop(key, None)
            elif mode in _MODES:
                self._modes[key] = mode
            else:
                raise ValueError(f"unknown DNS fault mode {mode!r}")

    def _count_below(self, key: str, delta: int) -> None:
        """Adjust the count of record-holding names beneath each ancestor of ``key``."""
        name = _parent(key)
        while name is not None:
            count = self._below.get(name, 0) + delta
            if count > 0:
                self._below[name] = count
            else:
                self._below.pop(name, None)
            name = _parent(name)

    def _zone_of(self, key: str) -> str | None:
        """The closest enclosing zone of ``key``, or None."""
        name: str | None = key
        while name is not None:
            if name in self._zones:
                return name
            name = _parent(name)
        return None

    # -- answering --------------------------------------------------------------------------

    def _handle(self, wire: bytes, *, tcp: bool) -> bytes | None:
        """Answer one query in wire format; None means send nothing."""
        self.queries += 1
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        try:
            return self._respond(query, tcp=tcp)
        except Exception:  # a bug or odd data must not take the listener down
            _log.exception("DnsServer failed to answer %s", query.question)
            failure = dns.message.make_response(query)
            failure.set_rcode(dns.rcode.SERVFAIL)
            return failure.to_wire()

    def _respond(self, query: dns.message.Message, *, tcp: bool) -> bytes | None:
        """Build the wire answer to a parsed query, applying any fault mode."""
        response = dns.message.make_response(query)
        if query.opcode() != dns.opcode.QUERY:
            response.set_rcode(dns.rcode.NOTIMP)
            return response.to_wire()
        if not query.question:
            response.set_rcode(dns.rcode.FORMERR)
            return response.to_wire()
        question = query.question[0]
        qkey = _key(question.name)
        with self._lock:
            mode = self._modes.get(qkey)
            if mode == "drop":
                return None
            if mode == "servfail":
                response.set_rcode(dns.rcode.SERVFAIL)
            elif mode == "refused":
                response.set_rcode(dns.rcode.REFUSED)
            elif mode == "truncate" and not tcp:
                response.flags |= dns.flags.TC | dns.flags.AA
            elif mode == "wrong_name":
                self._answer_wrong_name(question.name, qkey, question.rdtype, response)
            else:
                self._answer(qkey, question.rdtype, response)
        return _to_wire(response, query, tcp=tcp)

    def _answer(
        self, qname: str, qtype: dns.rdatatype.RdataType, response: dns.message.Message
    ) -> None:
        """Fill ``response`` from the zone data, following CNAMEs within our zones."""
        if self._zone_of(qname) is None:
            response.set_rcode(dns.rcode.REFUSED)
            return
        response.flags |= dns.flags.AA
        name, seen = qname, {qname}
        for _ in range(_MAX_CNAME_HOPS):
            if qtype == _T.ANY and name in self._types:
                response.answer.extend(self._rrsets[(name, k)] for k in sorted(self._types[name]))
                return
            rrset = self._rrsets.get((name, qtype))
            if rrset is not None:
                response.answer.append(rrset)
                return
            cname = self._rrsets.get((name, _T.CNAME))
            if cname is None:
                break
            response.answer.append(cname)
            name = _key(cname[0].target)
            if name in seen or self._zone_of(name) is None:
                return
            seen.add(name)
        else:
            return
        if name not in self._types and name not in self._below:
            response.set_rcode(dns.rcode.NXDOMAIN)
        zone = self._zone_of(name)
        soa = self._rrsets.get((zone, _T.SOA)) if zone is not None else None
        if soa is not None:
            negative = dns.rrset.from_rdata_list(soa.name, min(soa.ttl, _NEGATIVE_TTL), list(soa))
            response.authority.append(negative)

    def _answer_wrong_name(
        self,
        qname: dns.name.Name,
        qkey: str,
        qtype: dns.rdatatype.RdataType,
        response: dns.message.Message,
    ) -> None:
        """Answer with records owned by a different name than the one asked about."""
        response.flags |= dns.flags.AA
        other = dns.name.from_text("wrong-name", origin=qname)
        rrset = self._rrsets.get((qkey, qtype))
        if rrset is not None:
            response.answer.append(dns.rrset.from_rdata_list(other, rrset.ttl, list(rrset)))
            return
        kind = qtype if qtype in _WRONG_NAME_DEFAULTS else _T.A
        response.answer.append(_make_rrset(other, kind, [_WRONG_NAME_DEFAULTS[kind]], 300))

    # -- transport --------------------------------------------------------------------------

    async def _serve(self) -> None:
        """Bind UDP and TCP on the same port and start answering."""
        tcp_sock, udp_sock = _bind_pair(self.host, self._port)
        self._port = tcp_sock.getsockname()[1]
        loop = asyncio.get_running_loop()
        self._udp_closed = loop.create_future()
        try:
            self._tcp = await self._tracker.start_server(self._tcp_client, sock=tcp_sock)
            self._udp, _ = await loop.create_datagram_endpoint(
                lambda: _UdpProtocol(self), sock=udp_sock
            )
        except BaseException:
            tcp_sock.close()
            udp_sock.close()
            raise

    async def _shutdown(self) -> None:
        """Close both listeners, every TCP connection and every pending delayed answer."""
        tcp, udp, self._tcp, self._udp = self._tcp, self._udp, None, None
        if udp is not None:
            udp.close()
        if tcp is not None:
            await self._tracker.close(tcp)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        waits: list[asyncio.Future[Any]] = [*tasks]
        if udp is not None and self._udp_closed is not None:
            waits.append(self._udp_closed)
        if waits:
            await asyncio.wait(waits, timeout=5.0)
        self._tasks.clear()

    def _udp_received(self, data: bytes, addr: tuple[str, int]) -> None:
        """Answer a datagram now, or after ``latency`` in a tracked task."""
        self.arrived += 1
        question = _question(data)
        if question is not None:
            self.asked[question] = self.asked.get(question, 0) + 1
            self.arrivals.append((question, frozenset(self._pending)))
        if self.latency > 0 or self.gather:
            if question is not None:
                self._pending[question] = self._pending.get(question, 0) + 1
            task = asyncio.get_running_loop().create_task(self._udp_delayed(data, addr, question))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            self.peak_delayed = max(self.peak_delayed, len(self._tasks))
            return
        reply = self._handle(data, tcp=False)
        if reply is not None and self._udp is not None:
            self._udp.sendto(reply, addr)

    async def _udp_delayed(
        self, data: bytes, addr: tuple[str, int], question: tuple[str, str] | None = None
    ) -> None:
        """Answer a datagram once ``gather`` queries arrived, after the configured latency."""
        try:
            for _ in range(12_000):  # a generous 60 s bound
                if self.arrived >= self.gather:
                    break
                await asyncio.sleep(0.005)
            await asyncio.sleep(self.latency)
            reply = self._handle(data, tcp=False)
            if reply is not None and self._udp is not None:
                self._udp.sendto(reply, addr)
        finally:
            if question is not None:
                left = self._pending.get(question, 1) - 1
                if left > 0:
                    self._pending[question] = left
                else:
                    self._pending.pop(question, None)

    async def _tcp_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve length-prefixed queries on one TCP connection until it goes idle or closes."""
        try:
            while True:
                async with asyncio.timeout(_TCP_IDLE_TIMEOUT):
                    size = int.from_bytes(await reader.readexactly(2), "big")
                    wire = await reader.readexactly(size)
                if self.latency > 0:
                    await asyncio.sleep(self.latency)
                reply = self._handle(wire, tcp=True)
                if reply is not None:
                    writer.write(len(reply).to_bytes(2, "big") + reply)
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError):
            pass
        except asyncio.CancelledError:
            pass  # stopping: end quietly (asyncio 3.11 logs a cancelled stream handler as an error)
        finally:
            writer.close()


class _UdpProtocol(asyncio.DatagramProtocol):
    """Hands datagrams to the server and reports when the socket is closed."""

    def __init__(self, server: DnsServer) -> None:
        """Remember the server that answers."""
        self._server = server

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        """Pass one query to the server."""
        self._server._udp_received(data, addr)

    def connection_lost(self, exc: Exception | None) -> None:
        """Signal that the UDP socket is closed."""
        closed = self._server._udp_closed
        if closed is not None and not closed.done():
            closed.set_result(None)


def _bind_pair(host: str, port: int) -> tuple[socket.socket, socket.socket]:
    """Bind a TCP and a UDP socket to the same port on ``host`` (port 0: any free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    last_error: OSError | None = None
    for _ in range(50):
        tcp = socket.socket(family, socket.SOCK_STREAM)
        udp = socket.socket(family, socket.SOCK_DGRAM)
        try:
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            tcp.bind((host, port))
            udp.bind((host, tcp.getsockname()[1]))
            # Room for bursts of queries (the kernel caps this at net.core.rmem_max).
            udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _UDP_BUFFER)
        except OSError as exc:
            tcp.close()
            udp.close()
            last_error = exc
            if port:
                raise
            continue
        return tcp, udp
    raise OSError(f"could not bind UDP and TCP to one port on {host}") from last_error


def _question(wire: bytes) -> tuple[str, str] | None:
    """(name in lower case without the final dot, type) of a query, None when unreadable."""
    try:
        query = dns.message.from_wire(wire)
    except dns.exception.DNSException:
        return None
    if not query.question:
        return None
    rrset = query.question[0]
    return (rrset.name.to_text().lower().rstrip("."), dns.rdatatype.to_text(rrset.rdtype))


def _key(name: dns.name.Name) -> str:
    """The lookup key of ``name``: its absolute text form in lower case."""
    return name.to_text().lower()


def _parent(key: str) -> str | None:
    """The key of the parent domain, or None for the root."""
    if key == ".":
        return None
    rest = key.split(".", 1)[1]
    return rest or "."


def _absolute(name: str) -> dns.name.Name:
    """Parse ``name`` as an absolute domain name (a missing trailing dot is implied)."""
    return dns.name.from_text(name, origin=dns.name.root)


def _make_rrset(
    owner: dns.name.Name, kind: dns.rdatatype.RdataType, texts: Iterable[str], ttl: int
) -> dns.rrset.RRset:
    """Build an rrset from presentation-format values (TXT values may be unquoted)."""
    rdclass = dns.rdataclass.IN
    if kind == _T.TXT:
        rdatas: list[dns.rdata.Rdata] = [_txt(text) for text in texts]
    elif kind == _T.A:
        rdatas = [_A_RDATA(rdclass, kind, text) for text in texts]
    elif kind == _T.AAAA:
        rdatas = [_AAAA_RDATA(rdclass, kind, text) for text in texts]
    else:
        rdatas = [
            dns.rdata.from_text(rdclass, kind, t, origin=dns.name.root, relativize=False)
            for t in texts
        ]
    return dns.rrset.from_rdata_list(owner, ttl, rdatas)


def _txt(text: str) -> dns.rdata.Rdata:
    """A TXT rdata: quoted text is parsed as zone-file text, plain text is split in 255 bytes."""
    if text.startswith('"'):
        return dns.rdata.from_text(dns.rdataclass.IN, _T.TXT, text)
    raw = text.encode()
    chunks = [raw[i : i + 255] for i in range(0, len(raw), 255)] or [b""]
    return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, _T.TXT, chunks)


def _expand_spec(name: str, spec: RecordSpec) -> list[tuple[str, list[str]]]:
    """Turn a constructor record into ``(type, values)`` pairs."""
    if isinstance(spec, Mapping):
        return [(kind, [v] if isinstance(v, str) else list(v)) for kind, v in spec.items()]
    addresses = [spec] if isinstance(spec, str) else list(spec)
    by_type: dict[str, list[str]] = {}
    for address in addresses:
        try:
            version = ipaddress.ip_address(address).version
        except ValueError:
            raise ValueError(
                f"{name}: {address!r} is not an IP address; use {{'TYPE': [values]}}"
            ) from None
        by_type.setdefault("A" if version == 4 else "AAAA", []).append(address)
    return list(by_type.items())


def _to_wire(response: dns.message.Message, query: dns.message.Message, *, tcp: bool) -> bytes:
    """Render ``response``; over UDP, one too big for the client is truncated (TC set)."""
    limit = 65535 if tcp else max(512, query.payload if query.edns >= 0 else 512)
    with contextlib.suppress(dns.exception.TooBig):
        return response.to_wire(max_size=limit)
    truncated = dns.message.make_response(query)
    truncated.flags |= dns.flags.TC | (response.flags & dns.flags.AA)
    return truncated.to_wire()
