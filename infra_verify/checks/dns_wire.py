"""A lean DNS exchange for the common question: A or AAAA of a plain name, over UDP.

The tls, http and websocket checks (and the dns check's resolvers) ask this question thousands
of times in a fleet run; dnspython's message objects cost more CPU than the rest of the check.
This module writes the query and reads the answer with ``struct``, and decides only what it is
sure of: an answer whose records are all of the asked type and owned by the asked name, or an
answer without records (with the SOA that bounds its negative caching), or an error rcode.
Anything else (a CNAME, a truncated answer, a mismatched id or question, a name that is not
plain ASCII) raises :class:`Unhandled`, and the caller asks again through dnspython.
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
import struct
from dataclasses import dataclass

TYPES = {"A": 1, "AAAA": 28}
_SOA = 6
_RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


class Unhandled(Exception):
    """The lean path does not decide this answer: ask through dnspython."""


@dataclass(frozen=True)
class WireAnswer:
    """What one UDP answer said: rcode, values (text), their TTL, the negative-caching TTL."""

    rcode: str
    values: frozenset[str]
    ttl: int | None
    negative_ttl: int | None
    cached: bool = False
    """The AA flag was clear: the answer came from a cache, whose TTLs count down."""


def encode_name(name: str) -> bytes:
    """The wire form of a plain ASCII name (Unhandled for anything else)."""
    name = name.rstrip(".")
    if not name or len(name) > 253 or not name.isascii():
        raise Unhandled(name)
    out = bytearray()
    for label in name.split("."):
        if not label or len(label) > 63:
            raise Unhandled(name)
        out.append(len(label))
        out += label.encode("ascii")
    return bytes(out) + b"\0"


def encode_query(name: str, rdtype: str, qid: int) -> bytes:
    """A recursive query (RD set) for ``name``/``rdtype`` with id ``qid``."""
    if rdtype not in TYPES:
        raise Unhandled(rdtype)
    header = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    return header + encode_name(name) + struct.pack("!HH", TYPES[rdtype], 1)


def _skip_name(packet: bytes, i: int) -> int:
    """The offset after the (possibly compressed) name at ``i``."""
    while True:
        length = packet[i]
        if length & 0xC0 == 0xC0:
            return i + 2
        if length == 0:
            return i + 1
        i += length + 1


def parse_answer(packet: bytes, query: bytes) -> WireAnswer:
    """Decide the answer to ``query`` in ``packet``, or raise Unhandled."""
    try:
        return _parse(packet, query)
    except (IndexError, struct.error) as exc:
        raise Unhandled("malformed") from exc


def _parse(packet: bytes, query: bytes) -> WireAnswer:
    qid, flags, qdcount, ancount, nscount, _ar = struct.unpack("!HHHHHH", packet[:12])
    question = query[12:]
    if qid != struct.unpack("!H", query[:2])[0] or not flags & 0x8000 or qdcount != 1:
        raise Unhandled("not the answer to this query")
    if flags & 0x0200 or (flags >> 11) & 0xF:  # truncated, or not a standard query
        raise Unhandled("truncated or not a query answer")
    if packet[12 : 12 + len(question)].lower() != question.lower():
        raise Unhandled("another question")
    rcode = _RCODES.get(flags & 0xF)
    if rcode is None:
        raise Unhandled("rcode")
    cached = not flags & 0x0400
    if rcode not in ("NOERROR", "NXDOMAIN"):  # NXDOMAIN goes on: its SOA bounds a wait
        return WireAnswer(rcode, frozenset(), None, None, cached)
    qtype = struct.unpack("!H", question[-4:-2])[0]
    i = 12 + len(question)
    values: set[str] = set()
    ttl: int | None = None
    for _ in range(ancount):
        qname = question[:-4]
        owner = packet[i : i + 2]
        if owner != b"\xc0\x0c" and packet[i : i + len(qname)].lower() != qname.lower():
            raise Unhandled("a record for another name")
        i = _skip_name(packet, i)
        rtype, rclass, rttl, rdlen = struct.unpack("!HHIH", packet[i : i + 10])
        i += 10
        rdata = packet[i : i + rdlen]
        i += rdlen
        if rtype != qtype or rclass != 1 or len(rdata) != (4 if qtype == 1 else 16):
            raise Unhandled("a record of another type")
        values.add(str(ipaddress.ip_address(rdata)))
        ttl = rttl if ttl is None else min(ttl, rttl)
    negative_ttl = None
    if not values:
        for _ in range(nscount):
            i = _skip_name(packet, i)
            rtype, _rclass, rttl, rdlen = struct.unpack("!HHIH", packet[i : i + 10])
            i += 10
            if rtype == _SOA and rdlen >= 20:
                minimum = struct.unpack("!I", packet[i + rdlen - 4 : i + rdlen])[0]
                negative_ttl = min(rttl, minimum)
                break
            i += rdlen
    return WireAnswer(rcode, frozenset(values), ttl, negative_ttl, cached)


RETRANSMIT_AFTER = 1.0
"""Seconds before the first resend of an unanswered query; each next wait doubles (a lost
datagram is asked again, as stub resolvers do, instead of waiting out the whole timeout)."""


class _Exchange(asyncio.DatagramProtocol):
    def __init__(self, query: bytes, done: asyncio.Future[bytes]) -> None:
        self.query = query
        self.done = done
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.send()

    def send(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(self.query)

    def datagram_received(self, data: bytes, addr: object) -> None:
        if not self.done.done():
            self.done.set_result(data)

    def error_received(self, exc: Exception) -> None:
        if not self.done.done():
            self.done.set_exception(exc)


async def ask(host: str, port: int, name: str, rdtype: str, timeout: float) -> WireAnswer:
    """Ask ``host:port`` one question over UDP within ``timeout``.

    Raises TimeoutError (no answer), OSError (unreachable) or Unhandled (ask dnspython).
    """
    query = encode_query(name, rdtype, random.getrandbits(16))
    loop = asyncio.get_running_loop()
    done: asyncio.Future[bytes] = loop.create_future()
    transport, exchange = await loop.create_datagram_endpoint(
        lambda: _Exchange(query, done), remote_addr=(host.strip("[]"), port)
    )
    try:
        async with asyncio.timeout(timeout):
            wait = RETRANSMIT_AFTER
            while True:
                try:
                    packet = await asyncio.wait_for(asyncio.shield(done), wait)
                    break
                except TimeoutError:
                    exchange.send()  # the same question, the same id: the first answer wins
                    wait *= 2
    finally:
        transport.close()
    return parse_answer(packet, query)
