"""The pure-Python authoritative DNS server, exercised with dnspython over real UDP and TCP."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Iterator

import dns.asyncquery
import dns.asyncresolver
import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver
import pytest

from tests.servers.dns_server import DnsServer, RecordSpec

ZONE_RECORDS: dict[str, RecordSpec] = {
    "api.demo.test": "127.0.0.1",
    "www.demo.test": {"CNAME": "api.demo.test"},
    "dual.demo.test": ["127.0.0.2", "::1"],
    "txt.demo.test": {"TXT": ["v=spf1 -all"], "CAA": ['0 issue "pki.goog"']},
    "deep.a.b.demo.test": "127.0.0.3",
}


@pytest.fixture
def server() -> Iterator[DnsServer]:
    """A running server with a few records in zone demo.test."""
    with DnsServer(ZONE_RECORDS) as srv:
        srv.add_zone("demo.test")
        yield srv


def udp(server: DnsServer, name: str, rdtype: str, **kw: object) -> dns.message.Message:
    """One UDP query to ``server``."""
    query = dns.message.make_query(name, rdtype, **kw)  # type: ignore[arg-type]
    return dns.query.udp(query, server.host, port=server.port, timeout=2)


def tcp(server: DnsServer, name: str, rdtype: str) -> dns.message.Message:
    """One TCP query to ``server``."""
    query = dns.message.make_query(name, rdtype)
    return dns.query.tcp(query, server.host, port=server.port, timeout=2)


def resolver_for(server: DnsServer) -> dns.resolver.Resolver:
    """A stub resolver that asks only ``server``."""
    res = dns.resolver.Resolver(configure=False)
    res.nameservers = [server.host]
    res.port = server.port
    res.lifetime = 2
    return res


def open_fds() -> int:
    """How many file descriptors this process has open."""
    return len(os.listdir("/proc/self/fd"))


def test_a_answer_has_ttl_and_authoritative_flag(server: DnsServer) -> None:
    """An A query in a served zone returns the record with its TTL and the AA flag set."""
    server.set("ttl.demo.test", "A", ["192.0.2.10"], ttl=123)
    response = udp(server, "ttl.demo.test", "A")
    assert response.rcode() == dns.rcode.NOERROR
    assert response.flags & dns.flags.AA
    (rrset,) = response.answer
    assert rrset.ttl == 123
    assert [r.to_text() for r in rrset] == ["192.0.2.10"]


def test_tcp_and_udp_share_one_port(server: DnsServer) -> None:
    """The same port answers over TCP with the same data as over UDP."""
    assert udp(server, "api.demo.test", "A").answer == tcp(server, "api.demo.test", "A").answer
    assert server.resolver == f"127.0.0.1:{server.port}"
    assert server.address == ("127.0.0.1", server.port)


def test_missing_name_is_nxdomain_with_soa(server: DnsServer) -> None:
    """A name under the zone with no records is NXDOMAIN, with the zone SOA in authority."""
    response = udp(server, "nope.demo.test", "A")
    assert response.rcode() == dns.rcode.NXDOMAIN
    assert response.flags & dns.flags.AA
    assert not response.answer
    assert [r.rdtype for r in response.authority] == [dns.rdatatype.SOA]


def test_other_type_is_nodata_not_nxdomain(server: DnsServer) -> None:
    """An existing name asked for a type it lacks is NOERROR, empty answer, SOA in authority."""
    response = udp(server, "api.demo.test", "AAAA")
    assert response.rcode() == dns.rcode.NOERROR
    assert not response.answer
    assert response.authority[0].rdtype == dns.rdatatype.SOA
    assert response.authority[0].ttl <= 60


def test_empty_non_terminal_is_nodata(server: DnsServer) -> None:
    """A name that only has records beneath it exists: NODATA, not NXDOMAIN."""
    assert udp(server, "a.b.demo.test", "A").rcode() == dns.rcode.NOERROR
    assert udp(server, "x.b.demo.test", "A").rcode() == dns.rcode.NXDOMAIN


def test_name_outside_zones_is_refused(server: DnsServer) -> None:
    """A name in no zone the server holds is REFUSED, without the AA flag."""
    response = udp(server, "example.org", "A")
    assert response.rcode() == dns.rcode.REFUSED
    assert not response.flags & dns.flags.AA


def test_cname_chain_is_followed_in_zone(server: DnsServer) -> None:
    """A CNAME to an in-zone name is answered with the CNAME followed by the target's A."""
    response = udp(server, "www.demo.test", "A")
    types = [r.rdtype for r in response.answer]
    assert types == [dns.rdatatype.CNAME, dns.rdatatype.A]
    answer = resolver_for(server).resolve("www.demo.test", "A")
    assert [r.to_text() for r in answer] == ["127.0.0.1"]
    assert str(answer.canonical_name) == "api.demo.test."


def test_cname_out_of_zone_and_dangling(server: DnsServer) -> None:
    """An out-of-zone CNAME is returned alone; a CNAME to a missing in-zone name is NXDOMAIN."""
    server.set("ext.demo.test", "CNAME", ["target.example.org"])
    server.set("dangling.demo.test", "CNAME", ["gone.demo.test"])
    out = udp(server, "ext.demo.test", "A")
    assert out.rcode() == dns.rcode.NOERROR
    assert [r.rdtype for r in out.answer] == [dns.rdatatype.CNAME]
    dangling = udp(server, "dangling.demo.test", "A")
    assert dangling.rcode() == dns.rcode.NXDOMAIN
    assert [r.rdtype for r in dangling.answer] == [dns.rdatatype.CNAME]


def test_cname_loop_terminates(server: DnsServer) -> None:
    """A CNAME loop is answered (not followed forever)."""
    server.set("l1.demo.test", "CNAME", ["l2.demo.test"])
    server.set("l2.demo.test", "CNAME", ["l1.demo.test"])
    assert len(udp(server, "l1.demo.test", "A").answer) == 2


def test_record_shapes(server: DnsServer) -> None:
    """Address lists split into A and AAAA; TXT, CAA, NS and SOA are served."""
    assert udp(server, "dual.demo.test", "A").answer[0][0].to_text() == "127.0.0.2"
    assert udp(server, "dual.demo.test", "AAAA").answer[0][0].to_text() == "::1"
    assert udp(server, "txt.demo.test", "TXT").answer[0][0].to_text() == '"v=spf1 -all"'
    assert udp(server, "txt.demo.test", "CAA").answer[0][0].to_text() == '0 issue "pki.goog"'
    assert udp(server, "demo.test", "NS").answer[0][0].to_text() == "ns1.demo.test."
    assert udp(server, "demo.test", "SOA").answer[0].rdtype == dns.rdatatype.SOA


def test_non_address_string_is_rejected() -> None:
    """A bare string that is not an IP address is refused at construction."""
    with pytest.raises(ValueError, match="not an IP address"):
        DnsServer({"x.demo.test": "api.demo.test"})


def test_set_and_remove_are_visible_immediately(server: DnsServer) -> None:
    """set() and remove() change the very next answer."""
    assert udp(server, "new.demo.test", "A").rcode() == dns.rcode.NXDOMAIN
    server.set("new.demo.test", "A", ["192.0.2.1"])
    assert udp(server, "new.demo.test", "A").answer[0][0].to_text() == "192.0.2.1"
    server.set("new.demo.test", "A", ["192.0.2.2"])
    assert udp(server, "new.demo.test", "A").answer[0][0].to_text() == "192.0.2.2"
    server.set("new.demo.test", "TXT", ["hello"])
    server.remove("new.demo.test", "A")
    assert udp(server, "new.demo.test", "A").rcode() == dns.rcode.NOERROR
    assert not udp(server, "new.demo.test", "A").answer
    server.remove("new.demo.test")
    assert udp(server, "new.demo.test", "A").rcode() == dns.rcode.NXDOMAIN


def test_set_outside_zones_creates_parent_zone() -> None:
    """A name set with no zone around it makes its parent a zone: siblings become NXDOMAIN."""
    with DnsServer({"svc.other.test": "127.0.0.9"}) as srv:
        assert udp(srv, "svc.other.test", "A").flags & dns.flags.AA
        assert udp(srv, "sibling.other.test", "A").rcode() == dns.rcode.NXDOMAIN


@pytest.mark.parametrize(
    ("mode", "rcode"), [("servfail", dns.rcode.SERVFAIL), ("refused", dns.rcode.REFUSED)]
)
def test_error_modes(server: DnsServer, mode: str, rcode: dns.rcode.Rcode) -> None:
    """servfail/refused modes answer with that rcode until the mode is cleared."""
    server.mode("api.demo.test", mode)  # type: ignore[arg-type]
    assert udp(server, "api.demo.test", "A").rcode() == rcode
    assert udp(server, "www.demo.test", "A").rcode() == dns.rcode.NOERROR
    server.mode("api.demo.test", None)
    assert udp(server, "api.demo.test", "A").rcode() == dns.rcode.NOERROR


def test_unknown_mode_is_rejected(server: DnsServer) -> None:
    """mode() refuses names of faults it does not implement."""
    with pytest.raises(ValueError, match="unknown DNS fault mode"):
        server.mode("api.demo.test", "slow")  # type: ignore[arg-type]


def test_drop_mode_never_answers(server: DnsServer) -> None:
    """drop mode sends nothing, so the client times out; the query is still counted."""
    server.mode("api.demo.test", "drop")
    before = server.queries
    query = dns.message.make_query("api.demo.test", "A")
    with pytest.raises(dns.exception.Timeout):
        dns.query.udp(query, server.host, port=server.port, timeout=0.3)
    assert server.queries == before + 1


def test_truncate_mode_falls_back_to_tcp(server: DnsServer) -> None:
    """truncate mode sets TC over UDP; udp_with_fallback then gets the full answer over TCP."""
    server.mode("api.demo.test", "truncate")
    assert udp(server, "api.demo.test", "A").flags & dns.flags.TC
    query = dns.message.make_query("api.demo.test", "A")
    response, used_tcp = asyncio.run(
        dns.asyncquery.udp_with_fallback(query, server.host, port=server.port, timeout=2)
    )
    assert used_tcp
    assert response.answer[0][0].to_text() == "127.0.0.1"


def test_oversized_udp_answer_is_truncated(server: DnsServer) -> None:
    """An answer larger than 512 bytes to a non-EDNS query is truncated; TCP carries it whole."""
    server.set("big.demo.test", "TXT", ["x" * 1500])
    assert udp(server, "big.demo.test", "TXT", use_edns=False).flags & dns.flags.TC
    assert len(tcp(server, "big.demo.test", "TXT").answer[0][0].strings) == 6


def test_wrong_name_mode_answers_for_another_name(server: DnsServer) -> None:
    """wrong_name answers with records owned by a different name, so resolvers find no answer."""
    server.mode("api.demo.test", "wrong_name")
    response = udp(server, "api.demo.test", "A")
    assert str(response.answer[0].name) != "api.demo.test."
    with pytest.raises(dns.resolver.NoAnswer):
        resolver_for(server).resolve("api.demo.test", "A")


def test_queries_are_counted(server: DnsServer) -> None:
    """Every query, over UDP or TCP, increments the counter."""
    before = server.queries
    udp(server, "api.demo.test", "A")
    tcp(server, "api.demo.test", "A")
    assert server.queries == before + 2


def test_ten_thousand_records_load_fast_and_answer() -> None:
    """10,000 records load (well within pytest-timeout's guard) and every one is answerable."""
    with DnsServer() as srv:
        srv.add_zone("bulk.test")
        for i in range(10_000):
            srv.set(f"h{i}.bulk.test", "A", [f"10.{i // 65536}.{i // 256 % 256}.{i % 256}"])
        for i in (0, 4999, 9999):
            answer = udp(srv, f"h{i}.bulk.test", "A").answer[0][0].to_text()
            assert answer == f"10.{i // 65536}.{i // 256 % 256}.{i % 256}"


def test_high_query_concurrency(server: DnsServer) -> None:
    """500 concurrent UDP queries are all answered correctly."""

    async def storm() -> list[dns.message.Message]:
        query = dns.message.make_query
        return await asyncio.gather(
            *(
                dns.asyncquery.udp(query("api.demo.test", "A"), server.host, 2, server.port)
                for _ in range(500)
            )
        )

    responses = asyncio.run(storm())
    assert all(r.answer[0][0].to_text() == "127.0.0.1" for r in responses)


def test_latency_delays_without_blocking() -> None:
    """With latency, each answer waits (at least the latency: a lower bound only), but
    concurrent queries wait in parallel: all ten are held at once before any is answered."""
    latency = 3.0
    with DnsServer({"slow.demo.test": "127.0.0.1"}, latency=latency) as srv:
        held: list[int] = []

        async def ten() -> list[dns.message.Message]:
            query = dns.message.make_query
            asked = asyncio.gather(
                *(
                    dns.asyncquery.udp(query("slow.demo.test", "A"), srv.host, 60, srv.port)
                    for _ in range(10)
                )
            )
            while not asked.done() and srv.delayed < 10:
                await asyncio.sleep(0.005)
            held.append(srv.delayed)
            held.append(srv.queries)  # answered so far
            return await asked

        started = time.perf_counter()
        responses = asyncio.run(ten())
        elapsed = time.perf_counter() - started
    assert len(responses) == 10
    assert all(r.answer[0][0].to_text() == "127.0.0.1" for r in responses)
    assert held == [10, 0]
    assert elapsed >= latency


def test_async_resolver_with_astart() -> None:
    """astart()/astop() serve in the caller's loop and dnspython's async resolver uses it."""

    async def scenario() -> list[str]:
        async with DnsServer({"api.demo.test": "127.0.0.1"}) as srv:
            res = dns.asyncresolver.Resolver(configure=False)
            res.nameservers = [srv.host]
            res.port = srv.port
            answer = await res.resolve("api.demo.test", "A", lifetime=2)
            return [r.to_text() for r in answer]

    assert asyncio.run(scenario()) == ["127.0.0.1"]


def test_stop_releases_port_and_fds() -> None:
    """After stop() nothing listens on the port and no file descriptor is left open."""
    before = open_fds()
    srv = DnsServer({"api.demo.test": "127.0.0.1"}).start()
    port = srv.port
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        pass  # a TCP client connection that the server must close too
    srv.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)
    assert open_fds() <= before


def test_restart_reuses_port() -> None:
    """Starting again after stop() serves on the same port, so clients need no new address."""
    srv = DnsServer({"api.demo.test": "127.0.0.1"})
    with srv:
        port = srv.port
    with srv:
        assert srv.port == port
        assert udp(srv, "api.demo.test", "A").rcode() == dns.rcode.NOERROR
