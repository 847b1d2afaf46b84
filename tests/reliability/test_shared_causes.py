"""One silent DNS server is one root cause, said once with every check it affects (issue 15).

Before: three checks that ERROR because the policy's one resolver is silent were named as
separate root causes (their summaries name their own hosts), or one was "explained by" a
check that itself only timed out. Real DNS server on loopback; real tls/http/dns kinds.
"""

from __future__ import annotations

import json

from infra_verify.checks.dns import Dns
from infra_verify.checks.http import Http
from infra_verify.checks.tls import Tls
from infra_verify.context import CheckContext
from infra_verify.gate import Gate
from infra_verify.model import Status
from infra_verify.reporters import ReportOptions, render
from tests.servers.dns_server import DnsServer


def test_a_silent_resolver_is_one_shared_cause(dns: DnsServer) -> None:
    """dns, tls and http on three names behind one dropping resolver: one cause naming the
    three checks, in the text, Markdown and JSON reports."""
    dns.add_zone("silent.test")
    for name in ("app", "api", "auth"):
        dns.set(f"{name}.silent.test", "A", ["192.0.2.1"])
        dns.mode(f"{name}.silent.test", "drop")
    ctx = CheckContext(environment="test", timeout=2.0, resolvers=(dns.resolver,))
    checks = [
        Dns(id="dns-app", name="app.silent.test", expect=("192.0.2.1",)),
        Tls(id="tls-api", host="api.silent.test", port=443),
        Http(id="health", url="https://api.silent.test/health", after=("tls-api",)),
        Http(id="auth", url="https://auth.silent.test/health"),
    ]
    run = Gate(checks, context=ctx, infer=False).run()
    assert [run.by_id(c).status for c in ("dns-app", "tls-api", "health", "auth")] == [
        Status.ERROR,
        Status.ERROR,
        Status.BLOCKED,
        Status.ERROR,
    ]
    server = f"the DNS server {dns.resolver}"
    [cause] = run.shared_causes
    assert cause.summary.startswith(server) and cause.summary.endswith("did not answer")
    assert cause.checks == ("dns-app", "tls-api", "auth") and cause.affects == ("health",)
    assert cause.hint and "resolvers in the policy are reachable" in cause.hint
    text = render("text", run, ReportOptions())
    assert "Root cause (1):\n  1. dns-app, tls-api, auth [dns, tls, http] the DNS server" in text
    md = render("markdown", run, ReportOptions())
    assert "### Root cause (1)" in md
    assert "#### 1. `dns-app`, `tls-api`, `auth` (dns, tls, http, ERROR)\n\nthe DNS server" in md
    data = json.loads(render("json", run, ReportOptions()))
    assert [c["checks"] for c in data["shared_causes"]] == [["dns-app", "tls-api", "auth"]]
    assert {r["cause"] for r in data["results"] if r["status"] == "error"} == {cause.summary}


def test_an_answering_resolver_names_no_shared_cause(dns: DnsServer) -> None:
    """Distinct decided failures (NXDOMAIN for two names) stay two causes, each its own."""
    dns.add_zone("gone.test")
    ctx = CheckContext(environment="test", timeout=2.0, resolvers=(dns.resolver,))
    checks = [
        Dns(id="a", name="a.gone.test", expect=("192.0.2.1",)),
        Dns(id="b", name="b.gone.test", expect=("192.0.2.1",)),
    ]
    run = Gate(checks, context=ctx, infer=False).run()
    assert [c.checks for c in run.shared_causes] == [("a",), ("b",)]
    assert all(r.cause is None for r in run.results)
