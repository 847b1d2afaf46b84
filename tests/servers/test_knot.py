"""KnotServer runs a real knotd that answers authoritatively and follows zone changes."""

from __future__ import annotations

from pathlib import Path

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver
import pytest

from tests.servers.knot import KnotServer, zone

ORIGIN = "example.test"
RECORDS = [
    "www A 192.0.2.10",
    "www AAAA 2001:db8::10",
    '@ TXT "v=spf1 -all"',
    '@ CAA 0 issue "pki.goog"',
    "api CNAME www",
]


def resolver_for(server: KnotServer) -> dns.resolver.Resolver:
    """A stub resolver asking only ``server``."""
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [server.address[0]]
    resolver.port = server.port
    resolver.lifetime = 3
    return resolver


def answers(server: KnotServer, name: str, rdtype: str) -> list[str]:
    """The rdata texts ``server`` answers for ``name``/``rdtype``."""
    return sorted(rdata.to_text() for rdata in resolver_for(server).resolve(name, rdtype))


@pytest.fixture
def served(knot: KnotServer) -> KnotServer:
    """The knot fixture serving example.test with RECORDS."""
    knot.set_zone(ORIGIN, zone(ORIGIN, RECORDS))
    return knot


def test_resolver_string_names_loopback_and_port(knot: KnotServer) -> None:
    """resolver is '127.0.0.1:PORT' and matches address."""
    assert knot.resolver == f"127.0.0.1:{knot.port}"
    assert knot.address == ("127.0.0.1", knot.port)


@pytest.mark.parametrize(
    ("name", "rdtype", "expected"),
    [
        ("www.example.test", "A", ["192.0.2.10"]),
        ("www.example.test", "AAAA", ["2001:db8::10"]),
        ("example.test", "TXT", ['"v=spf1 -all"']),
        ("example.test", "CAA", ['0 issue "pki.goog"']),
        ("api.example.test", "CNAME", ["www.example.test."]),
    ],
)
def test_serves_record_types(
    served: KnotServer, name: str, rdtype: str, expected: list[str]
) -> None:
    """A, AAAA, TXT, CAA and CNAME records from the zone text are served as written."""
    assert answers(served, name, rdtype) == expected


def test_cname_chain_is_followed_in_answer(served: KnotServer) -> None:
    """An A query for a CNAME owner returns the CNAME and the target's A in one answer."""
    result = resolver_for(served).resolve("api.example.test", "A")
    assert result.canonical_name.to_text() == "www.example.test."
    assert [rdata.to_text() for rdata in result] == ["192.0.2.10"]


def test_missing_name_is_nxdomain(served: KnotServer) -> None:
    """A name absent from the zone gets NXDOMAIN."""
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver_for(served).resolve("missing.example.test", "A")


def test_answers_are_authoritative_over_udp_and_tcp(served: KnotServer) -> None:
    """Answers carry the AA flag on UDP and TCP alike."""
    query = dns.message.make_query("www.example.test", dns.rdatatype.A)
    for send in (dns.query.udp, dns.query.tcp):
        response = send(query, "127.0.0.1", port=served.port, timeout=3)
        assert response.rcode() == dns.rcode.NOERROR
        assert response.flags & dns.flags.AA


def test_zone_helper_adds_ns_with_loopback_glue(served: KnotServer) -> None:
    """zone() adds '@ NS ns1' and 'ns1 A 127.0.0.1', so NS discovery leads to loopback."""
    assert answers(served, ORIGIN, "NS") == ["ns1.example.test."]
    assert answers(served, "ns1.example.test", "A") == ["127.0.0.1"]


def test_set_zone_change_is_visible_at_once(served: KnotServer) -> None:
    """After set_zone returns, the new records and serial are served."""
    served.set_zone(ORIGIN, zone(ORIGIN, ["www A 192.0.2.99"]))
    assert answers(served, "www.example.test", "A") == ["192.0.2.99"]
    soa = resolver_for(served).resolve(ORIGIN, "SOA")[0]
    assert soa.serial == served.serial(ORIGIN)
    with pytest.raises(dns.resolver.NoAnswer):
        resolver_for(served).resolve(ORIGIN, "CAA")


def test_set_zone_adds_a_new_zone_while_running(served: KnotServer) -> None:
    """A zone unknown at start is added to the running server by set_zone."""
    served.set_zone("other.test", zone("other.test", ['hello TXT "world"']))
    assert answers(served, "hello.other.test", "TXT") == ['"world"']
    assert answers(served, "www.example.test", "A") == ["192.0.2.10"]


def test_set_zone_rejects_a_serial_that_does_not_increase(served: KnotServer) -> None:
    """Reusing the served serial raises ValueError instead of waiting forever."""
    same = zone(ORIGIN, ["www A 192.0.2.1"], serial=served.serial(ORIGIN))
    with pytest.raises(ValueError, match="serial"):
        served.set_zone(ORIGIN, same)


def test_invalid_zone_text_is_rejected_before_knot_sees_it() -> None:
    """Zone text that does not parse raises ValueError naming the zone."""
    with pytest.raises(ValueError, match=r"example\.test"):
        KnotServer({ORIGIN: zone(ORIGIN, ["www A not-an-address"])})


def test_zone_knot_refuses_raises_runtime_error_with_knot_log() -> None:
    """A zone knot will not load fails startup quickly with knot's own error message."""
    bad = zone(ORIGIN, ["www DNAME elsewhere.test.", "x.www A 192.0.2.1"])
    with pytest.raises(RuntimeError, match="child record exists under DNAME"):
        KnotServer({ORIGIN: bad}, startup_timeout=10).start()


def test_zones_given_at_construction_and_workdir_kept(tmp_path: Path) -> None:
    """Zones passed to the constructor are served; a caller's workdir is left in place."""
    with KnotServer({ORIGIN: zone(ORIGIN, RECORDS)}, workdir=tmp_path / "knot") as server:
        assert answers(server, "www.example.test", "A") == ["192.0.2.10"]
        assert (tmp_path / "knot" / "knot.conf").is_file()
    assert (tmp_path / "knot").is_dir()
