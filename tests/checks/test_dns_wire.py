"""The lean DNS exchange decides plain A/AAAA answers as dnspython does, and hands back the rest.

Against a real knot server (zone with A, AAAA, a CNAME and a name without AAAA) and the Python
DNS server's fault modes (truncation); dnspython's reading of the same question is the
reference.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Iterator

import pytest

from infra_verify.checks import dns_wire
from infra_verify.checks.dns import query
from tests.servers.dns_server import DnsServer
from tests.servers.knot import KnotServer, zone
from tests.servers.ports import free_port

ZONE = "wire.test"


@pytest.fixture(scope="module")
def knot() -> Iterator[KnotServer]:
    """knot serving A, AAAA, a CNAME and a name with only an A record."""
    records = [
        "www A 127.0.0.5",
        "www A 127.0.0.6",
        "www AAAA ::1",
        "alias CNAME www",
        "v4only A 127.0.0.7",
    ]
    with KnotServer({ZONE: zone(ZONE, records)}) as server:
        yield server


def _ask(server: str, name: str, rdtype: str) -> dns_wire.WireAnswer:
    host, port = server.rsplit(":", 1)
    return asyncio.run(dns_wire.ask(host, int(port), name, rdtype, 5))


@pytest.mark.parametrize(
    ("name", "rdtype"),
    [("www", "A"), ("www", "AAAA"), ("v4only", "A"), ("v4only", "AAAA"), ("nope", "A")],
)
def test_plain_answers_match_dnspython(knot: KnotServer, name: str, rdtype: str) -> None:
    """Records, NODATA and NXDOMAIN read the same as dnspython reads them."""
    fqdn = f"{name}.{ZONE}"
    lean = _ask(knot.resolver, fqdn, rdtype)
    reference = asyncio.run(query(knot.resolver, fqdn, rdtype, "resolver", 5))
    assert (lean.rcode, lean.values, lean.ttl) == (reference.rcode, reference.values, reference.ttl)


def test_nodata_carries_the_soa_negative_ttl(knot: KnotServer) -> None:
    """An answer without records gives the SOA's negative-caching TTL (min of TTL, minimum)."""
    lean = _ask(knot.resolver, f"v4only.{ZONE}", "AAAA")
    assert lean.values == frozenset()
    assert lean.negative_ttl == 60


def test_cname_is_handed_to_dnspython(knot: KnotServer) -> None:
    """A CNAME in the answer is not decided here (dnspython follows the chain)."""
    with pytest.raises(dns_wire.Unhandled):
        _ask(knot.resolver, f"alias.{ZONE}", "A")
    reference = asyncio.run(query(knot.resolver, f"alias.{ZONE}", "A", "resolver", 5))
    assert reference.values == frozenset({"127.0.0.5", "127.0.0.6"})


def test_truncated_answer_is_handed_to_dnspython() -> None:
    """A truncated answer (TC) is not decided here; the full query falls back to TCP."""
    with DnsServer({f"big.{ZONE}": "127.0.0.9"}) as server:
        server.mode(f"big.{ZONE}", "truncate")
        with pytest.raises(dns_wire.Unhandled):
            _ask(server.resolver, f"big.{ZONE}", "A")


def test_unreachable_server_is_an_os_error() -> None:
    """Nothing listening: ICMP port unreachable comes back as an OSError (or no answer)."""
    port = free_port("127.0.0.1")
    with pytest.raises((OSError, TimeoutError)):
        asyncio.run(dns_wire.ask("127.0.0.1", port, f"x.{ZONE}", "A", 1))


def test_mismatched_id_and_odd_names_are_unhandled() -> None:
    """Another query's answer, a non-ASCII name and an unknown type are never decided here."""
    query_a = dns_wire.encode_query(f"a.{ZONE}", "A", 1)
    answer = bytearray(query_a)
    answer[2:4] = struct.pack("!H", 0x8180)
    answer[0:2] = struct.pack("!H", 2)
    with pytest.raises(dns_wire.Unhandled):
        dns_wire.parse_answer(bytes(answer), query_a)
    with pytest.raises(dns_wire.Unhandled):
        dns_wire.encode_query("bücher.example", "A", 1)
    with pytest.raises(dns_wire.Unhandled):
        dns_wire.encode_query("a.example", "TXT", 1)
    with pytest.raises(dns_wire.Unhandled):
        dns_wire.parse_answer(b"\x00", query_a)


def test_lost_datagram_is_asked_again() -> None:
    """A server that drops the first query and answers the second is answered (the query is
    sent again after RETRANSMIT_AFTER), not waited on until the timeout."""
    import socket
    import threading

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(10)
    port = sock.getsockname()[1]
    seen: list[bytes] = []

    def serve() -> None:
        for _ in range(2):
            data, addr = sock.recvfrom(512)
            seen.append(data)
        flags = struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0)
        record = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([127, 0, 0, 8])
        sock.sendto(data[:2] + flags + data[12:] + record, addr)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        answer = asyncio.run(dns_wire.ask("127.0.0.1", port, f"lost.{ZONE}", "A", 8))
    finally:
        thread.join(10)
        sock.close()
    assert answer.values == frozenset({"127.0.0.8"})
    assert len(seen) == 2 and seen[0] == seen[1]
