"""The gate's concurrency, pinned as ratios: N slow checks at once take well under N x one.

Absolute times depend on the machine; ratios do not. Every server adds a fixed latency per
request (0.2 s), so a gate that serialized its checks would take N x that, and one that runs
them concurrently takes about one latency plus a little overhead. The full benchmark is
``scripts/bench.py`` (docs/performance.md); it is not run in CI.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

import pytest

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


@pytest.fixture(scope="module")
def slow_web() -> Iterator[WebServer]:
    """A plain-HTTP server answering every request after LATENCY seconds."""
    with WebServer(latency=LATENCY) as server:
        yield server


@pytest.fixture(scope="module")
def slow_dns() -> Iterator[DnsServer]:
    """A DNS server with N names, answering every query after LATENCY seconds."""
    server = DnsServer(latency=LATENCY)
    server.add_zone("perf.test")
    for i in range(N):
        server.set(f"h{i}.perf.test", "A", ["127.0.0.1"])
    with server:
        yield server


def timed(
    checks: Sequence[Check], ctx: CheckContext, concurrency: int = 64
) -> tuple[float, GateRun]:
    """Wall time of one gate run over ``checks``, and the run."""
    gate = Gate(checks, context=ctx, concurrency=concurrency, deadline=20)
    start = time.perf_counter()
    run = gate.run()
    return time.perf_counter() - start, run


def http_checks(web: WebServer, n: int) -> list[Check]:
    """``n`` independent http checks on distinct URLs of ``web``."""
    return [Http(id=f"http-{i}", url=web.url(f"/health?i={i}")) for i in range(n)]


def test_concurrent_http_checks_take_far_less_than_n_times_one(slow_web: WebServer) -> None:
    """50 http checks against a 0.2 s server finish in under 10x the time of one (not 50x)."""
    ctx = CheckContext(environment="test", timeout=5)
    timed(http_checks(slow_web, 1), ctx)  # warm-up: imports and first connections
    one, single = timed(http_checks(slow_web, 1), ctx)
    many, run = timed(http_checks(slow_web, N), ctx)
    assert single.results[0].status is Status.PASS
    assert run.ok, run.summary()
    assert one >= LATENCY  # the latency is really there
    assert many < 10 * one, f"{N} checks took {many:.2f}s, one took {one:.2f}s"


def test_concurrent_dns_checks_take_far_less_than_n_times_one(slow_dns: DnsServer) -> None:
    """50 dns checks against a 0.2 s DNS server finish in under 10x the time of one."""
    ctx = CheckContext(environment="test", timeout=5, resolvers=(slow_dns.resolver,))
    checks: list[Check] = [
        Dns(id=f"dns-{i}", name=f"h{i}.perf.test", expect=("127.0.0.1",)) for i in range(N)
    ]
    timed(checks[:1], ctx)
    one, single = timed(checks[:1], ctx)
    many, run = timed(checks, ctx)
    assert single.results[0].status is Status.PASS
    assert run.ok, run.summary()
    assert one >= LATENCY
    assert many < 10 * one, f"{N} checks took {many:.2f}s, one took {one:.2f}s"


def test_concurrency_limit_serializes_in_rounds(slow_web: WebServer) -> None:
    """With concurrency=5, 20 checks need 4 rounds: at least 3x one check's time."""
    ctx = CheckContext(environment="test", timeout=5)
    timed(http_checks(slow_web, 1), ctx)
    one, _ = timed(http_checks(slow_web, 1), ctx)
    limited, run = timed(http_checks(slow_web, 20), ctx, concurrency=5)
    assert run.ok, run.summary()
    assert limited >= 3 * one * 0.9, f"20 checks at concurrency 5 took {limited:.2f}s"
    assert limited < 20 * one


def test_gate_beats_one_after_another(slow_web: WebServer) -> None:
    """The gate over 10 slow checks is at least 4x faster than awaiting them one by one."""
    import asyncio

    ctx = CheckContext(environment="test", timeout=5)
    checks = http_checks(slow_web, 10)
    timed(checks[:1], ctx)

    async def sequential() -> list[Status]:
        return [(await c.run(ctx)).status for c in checks]

    start = time.perf_counter()
    statuses = asyncio.run(sequential())
    one_by_one = time.perf_counter() - start
    ctx.close()
    gate_time, run = timed(checks, ctx)
    assert statuses == [Status.PASS] * 10
    assert run.ok, run.summary()
    assert one_by_one > 4 * gate_time, f"sequential {one_by_one:.2f}s vs gate {gate_time:.2f}s"
