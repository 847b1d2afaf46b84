"""The other address type asked with the dns check's: tls finds A and AAAA answered.

Against a real DNS server that records each question as it arrives with the questions still
unanswered then (counts and order, never times), and a real HTTPS server.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from infra_verify.checks.answers import answer_cache, plan_lookups
from infra_verify.checks.dns import Dns, ServerAnswer, cached_query
from infra_verify.checks.http import Http
from infra_verify.checks.tls import Tls
from infra_verify.context import CheckContext
from infra_verify.gate import Gate
from infra_verify.model import Status
from infra_verify.testing.certs import CertFactory
from tests.servers.dns_server import DnsServer
from tests.servers.web_server import WebServer

from .webfixtures import ca_path, context

__all__ = ["ca_path"]

ZONE = "prefetch.example"
NAMES = [f"h{i}.{ZONE}" for i in range(8)]


def _checks(name: str, port: int, *, expect: str = "127.0.0.1") -> list[Dns | Tls | Http]:
    return [
        Dns(id=f"dns-{name}", name=name, expect=(expect,)),
        Tls(id=f"tls-{name}", host=name, port=port),
        Http(id=f"http-{name}", url=f"https://{name}:{port}/health"),
    ]


def _server(latency: float = 0.05) -> DnsServer:
    server = DnsServer(latency=latency)
    server.add_zone(ZONE)
    for name in NAMES:
        server.set(name, "A", "127.0.0.1", ttl=300)
    return server


def test_aaaa_is_asked_once_per_name_while_a_is_in_flight(
    certs: CertFactory, ca_path: Path
) -> None:
    """dns (A) + tls + http for 8 hosts pass; each name's A and AAAA are asked once each, and
    every AAAA question reached the server while that name's A question was unanswered."""
    with _server() as dns, WebServer(ssl_context=certs.valid(*NAMES).server_context()) as web:
        ctx = context(resolvers=(dns.resolver,), ca_bundle=ca_path, timeout=30)
        checks = [c for name in NAMES for c in _checks(name, web.port)]
        run = Gate(checks, context=ctx, deadline=60).run()
        asked, arrivals = dict(dns.asked), list(dns.arrivals)
    assert run.ok, run.summary()
    for name in NAMES:
        assert asked[(name, "A")] == 1
        assert asked[(name, "AAAA")] == 1
    together = [pending for (name, rdtype), pending in arrivals if rdtype == "AAAA"]
    assert len(together) == len(NAMES)
    for (name, rdtype), pending in arrivals:
        if rdtype == "AAAA":
            assert (name, "A") in pending, f"{name} AAAA asked after its A was answered"


def test_no_aaaa_question_without_a_check_that_dials() -> None:
    """A policy of dns checks only asks what they ask: no AAAA question at all."""
    with _server(latency=0) as dns:
        ctx = CheckContext(environment="test", timeout=30, resolvers=(dns.resolver,))
        checks = [Dns(id=f"dns-{n}", name=n, expect=("127.0.0.1",)) for n in NAMES]
        run = Gate(checks, context=ctx, deadline=60).run()
        asked = dict(dns.asked)
    assert run.ok, run.summary()
    assert {rdtype for _, rdtype in asked} == {"A"}


def test_a_wrong_record_still_fails_and_blocks(certs: CertFactory, ca_path: Path) -> None:
    """The prefetch changes no verdict: a wrong A record fails dns, and tls/http are BLOCKED."""
    name = NAMES[0]
    with _server() as dns, WebServer(ssl_context=certs.valid(name).server_context()) as web:
        ctx = context(resolvers=(dns.resolver,), ca_bundle=ca_path, timeout=30)
        run = Gate(_checks(name, web.port, expect="127.0.0.9"), context=ctx, deadline=60).run()
        asked = dict(dns.asked)
    status = {r.id: r.status for r in run.results}
    assert status == {
        f"dns-{name}": Status.FAIL,
        f"tls-{name}": Status.BLOCKED,
        f"http-{name}": Status.BLOCKED,
    }
    assert asked[(name, "AAAA")] == 1


def test_a_failed_question_in_flight_is_asked_again() -> None:
    """When the question a check waits for fails in flight (here: an error in the background
    ask), the check asks the resolver itself and gets the real answer."""
    name = NAMES[1]

    async def scenario(ctx: CheckContext, resolver: str) -> ServerAnswer:
        plan_lookups(ctx, [Tls(id="tls", host=name, port=443)])
        cache = answer_cache(ctx)

        async def broken() -> object:
            await asyncio.sleep(0)
            raise OSError("the background question failed")

        cache.prefetch(name, "A", resolver, broken())
        assert cache.flying(name, "A", resolver) is not None
        try:
            return await cached_query(resolver, name, "A", 10.0, ctx)
        finally:
            ctx.close()

    with _server(latency=0) as dns:
        ctx = CheckContext(environment="test", timeout=30, resolvers=(dns.resolver,))
        answer = asyncio.run(scenario(ctx, dns.resolver))
        asked = dict(dns.asked)
    assert answer.rcode == "NOERROR" and answer.values == frozenset({"127.0.0.1"})
    assert asked[(name, "A")] == 1


def test_a_silent_resolver_is_still_an_error(ca_path: Path) -> None:
    """A resolver that drops the name's questions: dns is ERROR (could not decide), tls is
    BLOCKED; nothing in flight or kept turns it into a verdict."""
    name = NAMES[2]
    with _server(latency=0) as dns:
        dns.mode(name, "drop")
        ctx = context(resolvers=(dns.resolver,), ca_bundle=ca_path, timeout=0.5)
        run = Gate(_checks(name, 443), context=ctx, deadline=30).run()
    status = {r.id: r.status for r in run.results}
    assert status[f"dns-{name}"] is Status.ERROR
    assert status[f"tls-{name}"] is Status.BLOCKED
