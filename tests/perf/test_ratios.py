"""The gate's concurrency, pinned by counts: N slow checks are all in flight at once.

Absolute times depend on the machine, and even ratios of times fail when the machine is busy.
So the servers here count instead: each answers only once ``gather`` requests have arrived
(a gate that serialized its checks would leave the first one waiting until its timeout, an
ERROR), and records the most requests it ever held at once. The full benchmark, with times, is
``scripts/bench.py`` (docs/performance.md); it is not run in CI.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from infra_verify.check import Check
from infra_verify.checks.dns import Dns
from infra_verify.checks.http import Http
from infra_verify.context import CheckContext
from infra_verify.gate import Gate, GateRun
from infra_verify.model import Status
from tests.servers.dns_server import DnsServer
from tests.servers.web_server import WebServer

LATENCY = 0.2
N = 50


def gate(checks: Sequence[Check], ctx: CheckContext, concurrency: int = 64) -> GateRun:
    """One gate run over ``checks`` (a generous deadline: a hang guard, not a measurement)."""
    return Gate(checks, context=ctx, concurrency=concurrency, deadline=100).run()


def http_checks(web: WebServer, n: int) -> list[Check]:
    """``n`` independent http checks on distinct URLs of ``web``."""
    return [Http(id=f"http-{i}", url=web.url(f"/health?i={i}")) for i in range(n)]


def test_concurrent_http_checks_are_all_in_flight_at_once() -> None:
    """50 http checks against a server answering only once 50 requests wait: all pass."""
    with WebServer(latency=LATENCY, gather=N) as web:
        run = gate(http_checks(web, N), CheckContext(environment="test", timeout=60))
    assert run.ok, run.summary()
    assert web.peak_in_flight == N


def test_concurrent_dns_checks_are_all_in_flight_at_once() -> None:
    """50 dns checks against a DNS server answering only once 50 queries wait: all pass."""
    server = DnsServer(latency=LATENCY, gather=N)
    server.add_zone("perf.test")
    for i in range(N):
        server.set(f"h{i}.perf.test", "A", ["127.0.0.1"])
    checks: list[Check] = [
        Dns(id=f"dns-{i}", name=f"h{i}.perf.test", expect=("127.0.0.1",)) for i in range(N)
    ]
    with server:
        ctx = CheckContext(environment="test", timeout=60, resolvers=(server.resolver,))
        run = gate(checks, ctx)
    assert run.ok, run.summary()
    assert server.peak_delayed >= N


def test_concurrency_limit_is_never_exceeded() -> None:
    """With concurrency=5, 20 checks never hold more than 5 requests at the server at once."""
    with WebServer(latency=LATENCY) as web:
        run = gate(http_checks(web, 20), CheckContext(environment="test", timeout=60), 5)
    assert run.ok, run.summary()
    assert 1 <= web.peak_in_flight <= 5
    assert web.arrived == 20


def test_gate_overlaps_what_one_after_another_does_not() -> None:
    """Awaiting 10 checks one by one holds one request at a time; the gate holds all 10."""
    ctx = CheckContext(environment="test", timeout=60)
    with WebServer(latency=LATENCY) as web:
        checks = http_checks(web, 10)

        async def sequential() -> list[Status]:
            return [(await c.run(ctx)).status for c in checks]

        statuses = asyncio.run(sequential())
        ctx.close()
        assert statuses == [Status.PASS] * 10
        assert web.peak_in_flight == 1
    with WebServer(latency=LATENCY, gather=10) as web:
        run = gate(http_checks(web, 10), ctx)
    assert run.ok, run.summary()
    assert web.peak_in_flight == 10
