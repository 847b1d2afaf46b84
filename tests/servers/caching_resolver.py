"""A caching recursive resolver on loopback, in front of one upstream (a DnsServer), with a clock
the test can move.

It answers from its cache while an entry lives, with the TTLs counted down as a real resolver
does; a positive answer lives for its smallest TTL, a negative one (NXDOMAIN, NODATA) for the
authority SOA's TTL capped by the SOA's minimum field (RFC 2308), and the SOA it returns counts
down too. ``advance(seconds)`` moves its clock, so a test sees a cache expire without sleeping;
``flush()`` empties the cache.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Self

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset

from infra_verify.testing.lifecycle import StartStop

__all__ = ["CachingResolver"]


class CachingResolver(StartStop):
    """A UDP caching resolver forwarding cache misses to ``upstream`` (``host:port``)."""

    def __init__(self, upstream: tuple[str, int], *, host: str = "127.0.0.1") -> None:
        self.upstream = upstream
        self.host = host
        self.upstream_queries = 0
        self._offset = 0.0
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, int], tuple[float, dns.message.Message]] = {}
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def resolver(self) -> str:
        """``HOST:PORT`` for a policy's resolvers."""
        if self._sock is None:
            raise RuntimeError("CachingResolver is not started")
        return f"{self.host}:{self._sock.getsockname()[1]}"

    def now(self) -> float:
        """The resolver's clock: wall time plus what ``advance`` added."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward (cached entries age by ``seconds``)."""
        with self._lock:
            self._offset += seconds

    def flush(self) -> None:
        """Forget every cached answer."""
        with self._lock:
            self._cache.clear()

    def start(self) -> Self:
        """Bind a free UDP port and answer in a daemon thread."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((self.host, 0))
        sock.settimeout(0.2)
        self._sock = sock
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="caching-resolver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering and close the socket."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _loop(self) -> None:
        assert self._sock is not None
        while not self._stopping.is_set():
            try:
                wire, addr = self._sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                query = dns.message.from_wire(wire)
            except dns.exception.DNSException:
                continue
            answer = self._answer(query)
            if answer is not None:
                self._sock.sendto(answer, addr)

    def _answer(self, query: dns.message.Message) -> bytes | None:
        question = query.question[0]
        key = (question.name.to_text().lower(), int(question.rdtype))
        with self._lock:
            now = self.now()
            entry = self._cache.get(key)
            if entry is not None and entry[0] <= now:
                del self._cache[key]
                entry = None
        if entry is None:
            upstream = dns.message.make_query(question.name, question.rdtype)
            try:
                got = dns.query.udp(upstream, self.upstream[0], timeout=2, port=self.upstream[1])
            except (dns.exception.DNSException, OSError):
                failure = dns.message.make_response(query)
                failure.set_rcode(dns.rcode.SERVFAIL)
                return bytes(failure.to_wire())
            self.upstream_queries += 1
            life = _lifetime(got)
            with self._lock:
                now = self.now()
                if life > 0:
                    self._cache[key] = (now + life, got)
            entry = (now + life, got)
        expires, cached = entry
        remaining = max(0, int(expires - now))
        response = dns.message.make_response(query)
        response.flags |= dns.flags.RA
        response.set_rcode(cached.rcode())
        response.answer = [_aged(r, remaining) for r in cached.answer]
        response.authority = [_aged(r, remaining) for r in cached.authority]
        return bytes(response.to_wire())


def _lifetime(msg: dns.message.Message) -> int:
    """How long an upstream answer may be cached (RFC 2308 for negative answers)."""
    if msg.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        return 0
    if msg.rcode() == dns.rcode.NOERROR and msg.answer:
        return int(min(r.ttl for r in msg.answer))
    for rrset in msg.authority:
        if rrset.rdtype == dns.rdatatype.SOA and len(rrset):
            return int(min(rrset.ttl, rrset[0].minimum))
    return 0


def _aged(rrset: dns.rrset.RRset, remaining: int) -> dns.rrset.RRset:
    """A copy of ``rrset`` whose TTL is what remains of the cached entry."""
    return dns.rrset.from_rdata_list(rrset.name, min(rrset.ttl, remaining), list(rrset))
