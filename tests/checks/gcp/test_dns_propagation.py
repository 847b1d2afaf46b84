"""gcp.dns_propagation: Cloud DNS (the fake API) against a real authoritative DnsServer and a
real caching resolver in front of it, both on loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator

import dns.message
import dns.query
import pytest

from infra_verify.checks.gcp.dns_propagation import GcpDnsPropagation
from infra_verify.model import Result, Status
from tests.checks.gcp.world import API, LB_IP, GcpWorld, record_path
from tests.servers.caching_resolver import CachingResolver
from tests.servers.dns_server import DnsServer


@pytest.fixture
def upstream() -> Iterator[DnsServer]:
    """The zone's authoritative server, still without the record."""
    server = DnsServer()
    server.add_zone("staging.netrasystems.ai")
    with server:
        yield server


@pytest.fixture
def resolver(upstream: DnsServer) -> Iterator[CachingResolver]:
    """A caching resolver in front of it."""
    with CachingResolver(upstream.address) as caching:
        yield caching


def run(gcp: GcpWorld, upstream: DnsServer, resolver: CachingResolver) -> Result:
    """The cross-check for api.staging... at both servers."""
    check = GcpDnsPropagation.model_validate(
        {
            "zone": "staging-zone",
            "name": API,
            "resolvers": [resolver.resolver],
            "nameservers": [upstream.resolver],
        }
    )
    return gcp.run(check, environment="staging", allow_loopback=True)


def prime(resolver: CachingResolver) -> None:
    """Make the resolver cache its current answer for API."""
    host, port = resolver.resolver.split(":")
    dns.query.udp(dns.message.make_query(API, "A"), host, port=int(port), timeout=5)


def test_propagated_record_passes(
    gcp: GcpWorld, upstream: DnsServer, resolver: CachingResolver
) -> None:
    """Both servers answer what Cloud DNS holds: PASS."""
    upstream.set(API, "A", [LB_IP])
    result = run(gcp, upstream, resolver)
    assert result.status is Status.PASS, result.summary
    assert result.summary.startswith(f"{API} A: Cloud DNS's {LB_IP} answered by 2 server(s)")


def test_a_cached_nxdomain_is_propagating_with_the_negative_ttl(
    gcp: GcpWorld, upstream: DnsServer, resolver: CachingResolver
) -> None:
    """The resolver cached NXDOMAIN before the record existed: converging, ETA from the SOA."""
    prime(resolver)
    upstream.set(API, "A", [LB_IP])
    before = time.time()
    result = run(gcp, upstream, resolver)
    assert result.status is Status.FAIL and not result.terminal
    assert "(propagating)" in result.summary
    assert result.eta is not None and "cached NXDOMAIN" in result.eta.why
    assert before + 50 <= result.eta.earliest <= time.time() + 60


def test_an_authoritative_server_that_disagrees_has_no_eta(
    gcp: GcpWorld, upstream: DnsServer, resolver: CachingResolver
) -> None:
    """The zone's own server answers otherwise: FAIL, no TTL bounds it."""
    upstream.set(API, "A", ["192.0.2.7"])
    result = run(gcp, upstream, resolver)
    assert result.status is Status.FAIL
    assert "authoritative" in result.summary and "192.0.2.7" in result.summary
    assert result.eta is None


def test_a_record_cloud_dns_does_not_hold_fails(
    gcp: GcpWorld, upstream: DnsServer, resolver: CachingResolver
) -> None:
    """No record set in Cloud DNS: nothing to propagate, FAIL with the create command."""
    gcp.fake.delete(record_path(API))
    result = run(gcp, upstream, resolver)
    assert result.status is Status.FAIL
    assert "holds no" in result.summary
    assert result.hint is not None and "gcloud dns record-sets create" in result.hint


def test_a_silent_server_is_an_error(gcp: GcpWorld, upstream: DnsServer) -> None:
    """A resolver that does not answer leaves it undecided: ERROR."""
    upstream.set(API, "A", [LB_IP])
    silent = CachingResolver(("127.0.0.1", 9))
    with silent:
        address = silent.resolver
    check = GcpDnsPropagation.model_validate(
        {
            "zone": "staging-zone",
            "name": API,
            "resolvers": [address],
            "nameservers": [upstream.resolver],
        }
    )
    result = gcp.run(check, timeout=1.5, environment="staging", allow_loopback=True)
    assert result.status is Status.ERROR, result.summary
