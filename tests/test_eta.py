"""ETAs and futile waits: a real caching resolver on loopback (tests/servers/caching_resolver.py)
in front of an authoritative DnsServer whose zone's SOA gives a known negative TTL (60 s)."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

import dns.message
import dns.query
import pytest

from infra_verify.checks.dns import Dns
from infra_verify.context import CheckContext
from infra_verify.gate import Gate, GateRun, futile
from infra_verify.model import Eta, Outcome, Result, Status
from infra_verify.reporters import render
from infra_verify.reporters.progress import PlainProgress, state_of
from infra_verify.reporters.progress_state import ProgressState
from infra_verify.reporters.serialize import result_from_dict, result_to_dict
from tests.servers.caching_resolver import CachingResolver
from tests.servers.dns_server import DnsServer

NAME = "api.eta.test"
NEGATIVE_TTL = 60
"""The DnsServer's SOA minimum (and the cap it puts on the SOA's TTL in negative answers)."""
POLL = 0.3


@pytest.fixture
def upstream() -> Iterator[DnsServer]:
    """The zone's authoritative server, with no record for NAME yet."""
    server = DnsServer()
    server.add_zone("eta.test")
    with server:
        yield server


@pytest.fixture
def resolver(upstream: DnsServer) -> Iterator[CachingResolver]:
    """A caching resolver in front of the authoritative server."""
    with CachingResolver(upstream.address) as caching:
        yield caching


def ask(resolver: CachingResolver) -> dns.message.Message:
    """Ask the caching resolver for NAME/A (filling its cache)."""
    host, port = resolver.resolver.split(":")
    return dns.query.udp(dns.message.make_query(NAME, "A"), host, port=int(port), timeout=5)


def run(upstream: DnsServer, resolver: CachingResolver, **gate: float) -> GateRun:
    """The dns check at the caching resolver and the authoritative server, through the gate."""
    check = Dns(
        id="dns-api",
        name=NAME,
        expect=("127.0.0.1",),
        resolvers=(resolver.resolver,),
        nameservers=(upstream.resolver,),
    )
    ctx = CheckContext(environment="test", timeout=3)
    return Gate([check], context=ctx, poll=POLL, poll_max=POLL, **gate).run()


def test_cached_nxdomain_has_the_soa_negative_ttl_as_its_eta(
    upstream: DnsServer, resolver: CachingResolver
) -> None:
    """The record is published, but the resolver still holds NXDOMAIN: converging, ETA = SOA minimum."""
    assert ask(resolver).rcode() == dns.rcode.NXDOMAIN
    upstream.set(NAME, "A", ["127.0.0.1"])
    gate_run = run(upstream, resolver)
    result = gate_run.by_id("dns-api")
    assert result.status is Status.FAIL and not result.terminal
    assert result.eta is not None
    assert f"cached NXDOMAIN for {NAME} A for" in result.eta.why
    waits = result.eta.earliest - gate_run.started_at
    assert NEGATIVE_TTL - 5 <= waits <= NEGATIVE_TTL + 1


def test_a_wait_shorter_than_the_cache_stops_at_once_and_says_why(
    upstream: DnsServer, resolver: CachingResolver
) -> None:
    """--wait 5s cannot outlast a 60 s negative cache: one attempt, and the reason in the summary."""
    ask(resolver)
    upstream.set(NAME, "A", ["127.0.0.1"])
    result = run(upstream, resolver, wait=5).by_id("dns-api")
    assert result.status is Status.FAIL
    assert result.attempts == 1
    assert "stopped waiting: resolver" in result.summary
    assert (
        "--wait 5.0s cannot see it converge; flush the resolver's cache or wait until"
        in result.summary
    )


def test_a_cached_wrong_answer_converges_when_its_ttl_runs_out(
    upstream: DnsServer, resolver: CachingResolver
) -> None:
    """A stale A record's remaining TTL is the ETA; once it runs out the gate passes."""
    upstream.set(NAME, "A", ["192.0.2.1"], ttl=300)
    ask(resolver)
    resolver.advance(100)
    upstream.set(NAME, "A", ["127.0.0.1"], ttl=300)
    first = run(upstream, resolver)
    stale = first.by_id("dns-api")
    assert stale.eta is not None and "cached 192.0.2.1" in stale.eta.why
    assert 195 <= stale.eta.earliest - first.started_at <= 201
    expire = threading.Timer(1.0, resolver.advance, args=(201,))
    expire.start()
    try:
        converged = run(upstream, resolver, wait=600).by_id("dns-api")
    finally:
        expire.cancel()
    assert converged.status is Status.PASS, converged.summary
    assert converged.attempts >= 2


def test_no_resolver_answer_is_an_error_without_eta(upstream: DnsServer) -> None:
    """A resolver that does not answer leaves nothing to count down: ERROR, no ETA."""
    resolver = CachingResolver(("127.0.0.1", 9))
    with resolver:
        address = resolver.resolver
    check = Dns(id="dns-api", name=NAME, expect=("127.0.0.1",), resolvers=(address,))
    ctx = CheckContext(environment="test", timeout=1)
    result = Gate([check], context=ctx).run().by_id("dns-api")
    assert result.status is Status.ERROR
    assert result.eta is None


def converging(earliest: float) -> Outcome:
    """A converging FAIL with an ETA at ``earliest``."""
    return Outcome.failed("NXDOMAIN", eta=Eta(earliest, earliest + 60, "cached NXDOMAIN", "flush"))


def test_futile_only_when_the_earliest_convergence_is_past_the_deadline() -> None:
    """futile() on plain values: past the deadline says why; before it, or without --wait, None."""
    assert futile(converging(2000.0), 1000.0, 600) == (
        "cached NXDOMAIN; --wait 10m00s cannot see it converge; flush or wait until 00:33:20 UTC"
    )
    assert futile(converging(900.0), 1000.0, 600) is None
    assert futile(converging(2000.0), 1000.0, 0) is None
    assert futile(Outcome.failed("x", terminal=True, eta=Eta(2000, 2000, "w")), 1000.0, 600) is None


def test_three_states_and_the_eta_in_progress_and_json() -> None:
    """passed, failed for good, converging with ETA: in the progress lines and the JSON report."""
    assert state_of(Outcome.passed("ok")) == "passed"
    assert state_of(Outcome.failed("bad", terminal=True)) == "failed for good"
    assert state_of(converging(0.0)).startswith("converging, ETA 00:00:00-00:01:00 UTC")
    out = io.StringIO()
    PlainProgress(out, 60).on_attempt("dns-api", converging(0.0), 1)
    assert "[converging, ETA 00:00:00-00:01:00 UTC (cached NXDOMAIN)]" in out.getvalue()
    result = Result("dns-api", "dns", Status.FAIL, "NXDOMAIN", eta=Eta(1.0, 2.0, "why", "flush"))
    data = result_to_dict(result)
    assert data["eta"] == {"earliest": 1.0, "latest": 2.0, "why": "why", "action": "flush"}
    assert result_from_dict(data) == result


def test_the_text_report_shows_the_state_of_each_failure() -> None:
    """Converging findings show their ETA, terminal ones say waiting cannot fix them."""
    run = GateRun(
        results=(
            Result(
                "dns-api", "dns", Status.FAIL, "NXDOMAIN", eta=Eta(0.0, 60.0, "cached NXDOMAIN")
            ),
            Result("cert", "gcp.managed_certificate", Status.FAIL, "failed", terminal=True),
        ),
        environment="staging",
    )
    text = render("text", run)
    assert "converging: ETA 00:00:00-00:01:00 UTC (cached NXDOMAIN)" in text
    assert "failed for good: waiting cannot fix it" in text


def test_the_markdown_and_github_reports_show_the_state_of_each_root_cause() -> None:
    """PR comments and annotations say which root causes are converging (with the ETA) and which are final."""
    run = GateRun(
        results=(
            Result("dns-api", "dns", Status.FAIL, "NXDOMAIN", eta=Eta(0.0, 0.0, "cached NXDOMAIN")),
            Result("cert", "gcp.managed_certificate", Status.FAIL, "failed", terminal=True),
        ),
        environment="staging",
    )
    text = render("markdown", run)
    assert "Converging: ETA 00:00:00 UTC (cached NXDOMAIN)" in text
    assert "Failed for good: waiting cannot fix it" in text
    annotations = render("github", run)
    assert "converging: ETA 00:00:00 UTC (cached NXDOMAIN)" in annotations
    assert "failed for good: waiting cannot fix it" in annotations


def test_the_heartbeat_and_the_live_rows_carry_the_eta_and_the_terminal_state() -> None:
    """The waiting display: the next attempt with its ETA, and failed-for-good findings named."""
    state = ProgressState(600.0, clock=lambda: 100.0)
    state._poll["dns-api"] = (10.0, 60.0)
    state.attempted("dns-api", converging(0.0), 1)
    state.attempted("cert", Outcome.failed("bad", terminal=True), 1)
    assert state.next_text(state.rows["dns-api"]) == "in 10.0s, ETA 00:00:00-00:01:00 UTC"
    line = state.heartbeat()
    assert "dns-api (FAIL, attempt 1, next in 10.0s, ETA 00:00:00-00:01:00 UTC)" in line
    assert "cert (FAIL, attempt 1, failed for good)" in line
