"""DNS answers reused within a run: the dns check's answer serves the tls and http checks.

Against a real DNS server that counts the queries it receives and a real HTTPS server.
"""

from __future__ import annotations

import time
from pathlib import Path

from infra_verify.checks.answers import AnswerCache, answer_cache
from infra_verify.checks.dns import Dns, ServerAnswer
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

NAME = "api.reuse.example"


def _host_checks(port: int) -> list[Dns | Tls | Http]:
    return [
        Dns(id="dns", name=NAME, expect=("127.0.0.1",)),
        Tls(id="tls", host=NAME, port=port),
        Http(id="http", url=f"https://{NAME}:{port}/health"),
    ]


def test_dns_answer_serves_tls_and_http(certs: CertFactory, ca_path: Path) -> None:
    """dns + tls + http for one host pass with two questions to the resolver, not five: the
    dns check's A answer serves both, and the AAAA answer (none: NODATA) tls got serves http."""
    with DnsServer() as dns, WebServer(ssl_context=certs.valid(NAME).server_context()) as web:
        dns.add_zone("reuse.example")
        dns.set(NAME, "A", "127.0.0.1", ttl=300)
        ctx = context(resolvers=(dns.resolver,), ca_bundle=ca_path)
        before = dns.queries
        run = Gate(_host_checks(web.port), context=ctx, deadline=30).run()
        asked = dns.queries - before
    assert run.ok, run.summary()
    assert asked == 2


def test_ttl_zero_answer_is_asked_again(certs: CertFactory, ca_path: Path) -> None:
    """An answer with TTL 0 is never reused: each of dns, tls and http asks the resolver."""
    with DnsServer() as dns, WebServer(ssl_context=certs.valid(NAME).server_context()) as web:
        dns.add_zone("reuse.example")
        dns.set(NAME, "A", "127.0.0.1", ttl=0)
        ctx = context(resolvers=(dns.resolver,), ca_bundle=ca_path)
        before = dns.queries
        run = Gate(_host_checks(web.port), context=ctx, deadline=30).run()
        asked = dns.queries - before
    assert run.ok, run.summary()
    assert asked >= 3


def test_wrong_address_in_dns_fails_and_tls_is_blocked(certs: CertFactory, ca_path: Path) -> None:
    """A reused answer does not hide a wrong record: the dns check fails, tls is blocked."""
    with DnsServer() as dns, WebServer(ssl_context=certs.valid(NAME).server_context()) as web:
        dns.add_zone("reuse.example")
        dns.set(NAME, "A", "127.0.0.9")
        ctx = context(resolvers=(dns.resolver,), ca_bundle=ca_path)
        run = Gate(_host_checks(web.port), context=ctx, deadline=30).run()
    status = {r.id: r.status for r in run.results}
    assert status["dns"] is Status.FAIL
    assert status["tls"] is Status.BLOCKED


def test_silent_resolver_is_an_error_not_a_cached_pass(ca_path: Path) -> None:
    """With a resolver that never answers and nothing kept, tls is ERROR (it could not look)."""
    with DnsServer() as dns:
        dns.add_zone("reuse.example")
        dns.set(NAME, "A", "127.0.0.1")
        dns.mode(NAME, "drop")
        ctx = context(resolvers=(dns.resolver,), ca_bundle=ca_path, timeout=0.5)
        run = Gate([Tls(id="tls", host=NAME, port=443)], context=ctx, deadline=30).run()
    assert run.results[0].status is Status.ERROR, run.results[0].summary


def test_cache_keeps_positive_answers_until_their_ttl() -> None:
    """Kept answers expire with their TTL; answers without a TTL are not kept."""
    cache: AnswerCache[str] = AnswerCache()
    cache.put("A.Example.", "a", "r", "kept", ttl=60)
    assert cache.get("a.example", "A", "r") == "kept"
    assert cache.get("a.example", "AAAA", "r") is None
    assert cache.get("a.example", "A", "other") is None
    cache.put("a.example", "A", "r", "gone", ttl=None)
    assert cache.get("a.example", "A", "r") is None
    cache.entries[cache.key("b", "A", "r")] = (time.monotonic() - 1, "expired")
    assert cache.get("b", "A", "r") is None


def test_close_drops_the_run_cache() -> None:
    """CheckContext.close() empties the shared state, so a next run asks again."""
    ctx = CheckContext()
    answer_cache(ctx).put("n", "A", "r", ServerAnswer("r", "resolver", "NOERROR"), 60)
    assert answer_cache(ctx).get("n", "A", "r") is not None
    ctx.close()
    assert answer_cache(ctx).get("n", "A", "r") is None
