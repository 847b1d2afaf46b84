"""The ``http`` check against real HTTP(S) servers on loopback, run through the Gate.

The HTTPS site serves a certificate per SNI name (``api.test.example``, ``auth.test.example``),
and a local DNS server given as ``CheckContext.resolvers`` maps those names to 127.0.0.1. Misbehaving
servers come from ``FaultyServer``. ``judge()`` is also tested on plain data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra_verify.checks.http import MISSING, Http, HttpObserved, HttpResponse, json_field
from infra_verify.model import Status
from infra_verify.reporters import ReportOptions, render
from infra_verify.testing.certs import CertFactory
from tests.servers.dns_server import DnsServer
from tests.servers.faulty import FaultyServer
from tests.servers.ports import free_port
from tests.servers.web_server import SERVER_HEADER, WebServer

from .webfixtures import (
    HOST,
    OTHER,
    UNKNOWN,
    ca_path,
    context,
    gate_run,
    observation,
    run_one,
    sni_server_context,
    web_dns,
)

__all__ = ["ca_path", "web_dns"]  # fixtures, imported for pytest

JSON_BODY = (
    '{"status": "ok", "db": {"ok": true, "latency_ms": 3}, "regions": ["us", "eu"], "none": null}'
)


@pytest.fixture(scope="module")
def site(certs: CertFactory) -> Iterator[WebServer]:
    """An HTTPS server with a certificate per SNI name and a few canned routes."""
    with WebServer(ssl_context=sni_server_context(certs)) as web:
        web.route("/down", 503, "no healthy upstream", {"Server": "Google Frontend"})
        web.route("/empty", 204, "")
        web.route("/json", 200, JSON_BODY, {"Content-Type": "application/json"})
        web.route("/moved", 301, "", {"Location": "/health"})
        web.route("/private", 401, "who are you?")
        yield web


def https(site: WebServer, path: str, host: str = HOST) -> str:
    """The site's URL for ``path`` on ``host``."""
    return f"https://{host}:{site.port}{path}"


def last_request(site: WebServer, path: str) -> dict[str, str]:
    """The headers of the most recent request the site received for ``path``."""
    seen = [r for r in site.requests if r.path == path]
    assert seen, f"the server never saw {path}"
    return seen[-1].headers


# -- status, body, JSON, latency ---------------------------------------------------------------


def test_health_200_passes_with_a_readable_summary(
    site: WebServer, ca_path: Path, web_dns: DnsServer
) -> None:
    """A 200 passes; the summary is ``GET <url> → 200 OK (server: …) after N ms``."""
    url = https(site, "/health")
    result = run_one(Http(url=url), context(resolvers=(web_dns.resolver,), ca_bundle=ca_path))
    assert result.status is Status.PASS, result.summary
    assert re.fullmatch(
        rf"GET {re.escape(url)} → 200 OK \(server: {SERVER_HEADER}\) after \d+ ms", result.summary
    ), result.summary
    assert observation(result, "status") == ("200", "200 OK", True)


def test_503_fails_naming_status_and_server(
    site: WebServer, ca_path: Path, web_dns: DnsServer
) -> None:
    """A 503 fails with ``→ 503 Service Unavailable``, the Server header and a backend hint."""
    url = https(site, "/down")
    result = run_one(Http(url=url), context(resolvers=(web_dns.resolver,), ca_bundle=ca_path))
    assert result.status is Status.FAIL
    assert f"GET {url} → 503 Service Unavailable (server: Google Frontend) after " in result.summary
    assert result.summary.endswith(", expected 200")
    assert observation(result, "status") == ("200", "503 Service Unavailable", False)
    assert "no healthy backend" in (result.hint or "")


@pytest.mark.parametrize(
    ("path", "status"), [("/health", Status.PASS), ("/empty", Status.PASS), ("/nope", Status.FAIL)]
)
def test_status_set(
    site: WebServer, ca_path: Path, web_dns: DnsServer, path: str, status: Status
) -> None:
    """``status: [200, 204]`` accepts either code; a 404 fails naming both and the URL-map hint."""
    result = run_one(
        Http.model_validate({"url": https(site, path), "status": [200, 204]}),
        context(resolvers=(web_dns.resolver,), ca_bundle=ca_path),
    )
    assert result.status is status, result.summary
    assert observation(result, "status")[0] == "200 or 204"
    if status is Status.FAIL:
        assert "→ 404 Not Found" in result.summary
        assert result.summary.endswith(", expected 200 or 204")
        assert "URL map" in (result.hint or "")


@pytest.mark.parametrize(
    ("needle", "status"), [('"status": "ok"', Status.PASS), ("degraded", Status.FAIL)]
)
def test_body_contains(
    site: WebServer, ca_path: Path, web_dns: DnsServer, needle: str, status: Status
) -> None:
    """``body_contains`` passes on a substring of the body and fails showing the body."""
    result = run_one(
        Http(url=https(site, "/json"), body_contains=needle),
        context(resolvers=(web_dns.resolver,), ca_bundle=ca_path),
    )
    assert result.status is status, result.summary
    expected, actual, ok = observation(result, "body contains")
    assert (expected, ok) == (repr(needle), status is Status.PASS)
    assert actual == JSON_BODY
    if status is Status.FAIL:
        assert result.summary.startswith("body contains: expected 'degraded', got {")


def test_json_fields_pass(site: WebServer, ca_path: Path, web_dns: DnsServer) -> None:
    """Dotted JSON paths (nested keys, list indexes, null) equal to the expected values pass."""
    result = run_one(
        Http(
            url=https(site, "/json"),
            json={"status": "ok", "db.ok": True, "regions.1": "eu", "none": None},
        ),
        context(resolvers=(web_dns.resolver,), ca_bundle=ca_path),
    )
    assert result.status is Status.PASS, result.summary
    assert observation(result, "json db.ok") == ("true", "true", True)
    assert observation(result, "json none") == ("null", "null", True)


def test_json_field_with_another_value_fails(
    site: WebServer, ca_path: Path, web_dns: DnsServer
) -> None:
    """A JSON field with a different value fails showing both values as JSON."""
    result = run_one(
        Http(url=https(site, "/json"), json={"status": "ok", "db.latency_ms": 5}),
        context(resolvers=(web_dns.resolver,), ca_bundle=ca_path),
    )
    assert result.status is Status.FAIL
    assert result.summary.startswith("json db.latency_ms: expected 5, got 3")
    assert observation(result, "json status")[2] is True


def test_absent_json_field_fails(site: WebServer, ca_path: Path, web_dns: DnsServer) -> None:
    """A JSON path that does not exist fails as ``(absent)``, distinct from null."""
    result = run_one(
        Http(url=https(site, "/json"), json={"db.replica": None, "regions.5": "ap"}),
        context(resolvers=(web_dns.resolver,), ca_bundle=ca_path),
    )
    assert result.status is Status.FAIL
    assert observation(result, "json db.replica") == ("null", "(absent)", False)
    assert observation(result, "json regions.5") == ('"ap"', "(absent)", False)
    assert result.summary.endswith("(+1 more)")


def test_non_json_body_fails_the_json_expectation(
    site: WebServer, ca_path: Path, web_dns: DnsServer
) -> None:
    """Expecting JSON fields from a plain-text body fails on 'JSON body'."""
    result = run_one(
        Http(url=https(site, "/down"), status=(503,), json={"status": "ok"}),
        context(resolvers=(web_dns.resolver,), ca_bundle=ca_path),
    )
    assert result.status is Status.FAIL
    assert observation(result, "JSON body") == ("valid JSON", "no healthy upstream", False)


def test_max_latency_exceeded_fails() -> None:
    """A server answering after 300 ms fails ``max_latency: 100ms`` and shows the latency."""
    with WebServer(latency=0.3) as slow:
        result = run_one(Http(url=slow.url("/health"), max_latency=0.1), context(timeout=2))
    assert result.status is Status.FAIL
    expected, actual, ok = observation(result, "latency")
    assert expected == "<= 100ms"
    assert not ok
    assert actual is not None and re.fullmatch(r"\d+ms", actual)
    assert 300 <= int(actual[:-2]) < 2000
    assert result.summary.startswith("latency: expected <= 100ms, got ")


def test_max_latency_met_passes() -> None:
    """The same slow server passes a generous ``max_latency``."""
    with WebServer(latency=0.3) as slow:
        result = run_one(Http(url=slow.url("/health"), max_latency=2.0), context(timeout=2))
    assert result.status is Status.PASS, result.summary
    assert observation(result, "latency")[2] is True


def test_head_method_is_sent_and_named(site: WebServer, ca_path: Path, web_dns: DnsServer) -> None:
    """``method: HEAD`` sends a HEAD request and the summary names the method."""
    url = https(site, "/health")
    result = run_one(
        Http(url=url, method="HEAD"), context(resolvers=(web_dns.resolver,), ca_bundle=ca_path)
    )
    assert result.status is Status.PASS, result.summary
    assert result.summary.startswith(f"HEAD {url} → 200 OK")
    assert site.requests[-1].method == "HEAD"


# -- request headers and secrets ---------------------------------------------------------------


def test_request_headers_are_sent(site: WebServer, ca_path: Path, web_dns: DnsServer) -> None:
    """Literal ``headers:`` and ``headers_from_env`` values reach the server."""
    site.route("/headers-seen", 200, "ok")
    result = run_one(
        Http(
            url=https(site, "/headers-seen"),
            headers={"X-Request-Source": "infra-verify-test"},
            headers_from_env={"X-Deploy-Id": "DEPLOY_ID"},
        ),
        context(resolvers=(web_dns.resolver,), ca_bundle=ca_path, env={"DEPLOY_ID": "rev-0042"}),
    )
    assert result.status is Status.PASS, result.summary
    headers = last_request(site, "/headers-seen")
    assert headers["x-request-source"] == "infra-verify-test"
    assert headers["x-deploy-id"] == "rev-0042"
    assert headers["host"] == f"{HOST}:{site.port}"


def test_default_request_headers_and_the_policys_override(
    site: WebServer, ca_path: Path, web_dns: DnsServer
) -> None:
    """The request names its client, accepts anything and asks for gzip/deflate; a header the
    policy sets replaces the default (no cookie, no proxy header is added)."""
    site.route("/defaults-seen", 200, "ok")
    ctx = context(resolvers=(web_dns.resolver,), ca_bundle=ca_path)
    assert run_one(Http(url=https(site, "/defaults-seen")), ctx).status is Status.PASS
    headers = last_request(site, "/defaults-seen")
    assert headers["user-agent"] == "infra_verify"
    assert headers["accept"] == "*/*"
    assert headers["accept-encoding"] == "gzip, deflate"
    assert not {"cookie", "proxy-authorization", "connection"} & set(headers)
    site.route("/override-seen", 200, "ok")
    policy_headers = {"User-Agent": "deploy-bot/1", "accept": "application/json"}
    check = Http(url=https(site, "/override-seen"), headers=policy_headers)
    assert run_one(check, ctx).status is Status.PASS
    headers = last_request(site, "/override-seen")
    assert headers["user-agent"] == "deploy-bot/1"
    assert headers["accept"] == "application/json"


def test_header_from_env_is_redacted_in_text_and_json_reports(
    site: WebServer, ca_path: Path, web_dns: DnsServer
) -> None:
    """A header value taken from the environment never appears in any report, even when echoed."""
    token = "s3cr3t-Deploy-7Qx9w"
    site.route("/echo-key", 200, f"the key {token} may not deploy")
    ctx = context(resolvers=(web_dns.resolver,), ca_bundle=ca_path, env={"DEPLOY_KEY": token})
    run = gate_run(
        Http(
            url=https(site, "/echo-key"),
            headers_from_env={"X-Deploy-Key": "DEPLOY_KEY"},
            body_contains="welcome",
        ),
        ctx,
    )
    result = run.results[0]
    assert result.status is Status.FAIL
    assert last_request(site, "/echo-key")["x-deploy-key"] == token  # the secret was in play
    assert observation(result, "body contains")[1] == "the key *** may not deploy"
    for fmt in ("text", "json"):
        report = render(fmt, run, ReportOptions(redactor=ctx.redactor))
        assert token not in report, fmt
        assert "the key *** may not deploy" in report, fmt


def test_bearer_token_from_env_is_redacted_without_its_scheme(
    site: WebServer, ca_path: Path, web_dns: DnsServer
) -> None:
    """For ``Bearer <token>`` values the bare token is a secret too."""
    bare = "eyJhbGciOi.payload.sig42"
    site.route("/echo-bearer", 200, f"session {bare} expired")
    ctx = context(
        resolvers=(web_dns.resolver,), ca_bundle=ca_path, env={"API_TOKEN": f"Bearer {bare}"}
    )
    run = gate_run(
        Http(
            url=https(site, "/echo-bearer"),
            headers_from_env={"Authorization": "API_TOKEN"},
            body_contains="welcome",
        ),
        ctx,
    )
    assert run.results[0].status is Status.FAIL
    assert last_request(site, "/echo-bearer")["authorization"] == f"Bearer {bare}"
    for fmt in ("text", "json"):
        report = render(fmt, run, ReportOptions(redactor=ctx.redactor))
        assert bare not in report, fmt
        assert "session *** expired" in report, fmt


def test_missing_env_var_for_a_header_is_an_error(site: WebServer, ca_path: Path) -> None:
    """A ``headers_from_env`` variable that is not set is ERROR naming it, before any request."""
    before = len(site.requests)
    result = run_one(
        Http(
            url=https(site, "/health"),
            resolve="127.0.0.1",
            headers_from_env={"X-Key": "NO_SUCH_VAR"},
        ),
        context(ca_bundle=ca_path),
    )
    assert result.status is Status.ERROR
    assert (
        result.summary
        == "header X-Key needs the environment variable NO_SUCH_VAR, which is not set in "
        "the env mapping given to CheckContext"
    )
    assert len(site.requests) == before


# -- TLS: resolve pins, SNI, private CAs, verify: false -----------------------------------------


@pytest.mark.parametrize("host", [HOST, OTHER])
def test_resolve_pin_sends_the_hosts_sni_and_host_header(
    site: WebServer, ca_path: Path, host: str
) -> None:
    """``resolve: 127.0.0.1`` dials the IP but keeps the URL's host for SNI and Host (curl --resolve)."""
    path = f"/pinned-{host.split('.')[0]}"
    site.route(path, 200, "pinned")
    result = run_one(
        Http(url=https(site, path, host), resolve="127.0.0.1", body_contains="pinned"),
        context(ca_bundle=ca_path),
    )
    assert result.status is Status.PASS, result.summary
    assert result.summary.startswith(f"GET https://{host}:{site.port}{path} → 200 OK")
    assert last_request(site, path)["host"] == f"{host}:{site.port}"


def test_resolve_pin_for_a_name_without_certificate_is_a_failure(
    site: WebServer, ca_path: Path
) -> None:
    """SNI for a name the server has no certificate for gets the default one: a FAIL (hostname mismatch)."""
    result = run_one(
        Http(url=https(site, "/health", UNKNOWN), resolve="127.0.0.1"), context(ca_bundle=ca_path)
    )
    assert result.status is Status.FAIL
    assert (
        "certificate does not verify" in result.summary
        and result.hint
        and "tls check" in result.hint
    )
    assert "Hostname mismatch" in result.summary


def test_check_level_ca_bundle_trusts_a_private_ca(
    site: WebServer, ca_path: Path, web_dns: DnsServer
) -> None:
    """``ca_bundle:`` on the check trusts the private CA when the run gives none."""
    result = run_one(
        Http(url=https(site, "/health"), ca_bundle=str(ca_path)),
        context(resolvers=(web_dns.resolver,)),
    )
    assert result.status is Status.PASS, result.summary
    assert result.warnings == ()


def test_unknown_ca_is_a_failure_naming_verification(site: WebServer, web_dns: DnsServer) -> None:
    """A certificate that does not verify is a FAIL saying verification failed, pointing at ca_bundle."""
    result = run_one(Http(url=https(site, "/health")), context(resolvers=(web_dns.resolver,)))
    assert result.status is Status.FAIL and result.hint and "ca_bundle" in result.hint
    assert "CERTIFICATE_VERIFY_FAILED" in result.summary


def test_verify_false_passes_with_a_warning_in_result_and_report(
    site: WebServer, web_dns: DnsServer
) -> None:
    """``verify: false`` reaches an untrusted server, and the result and report carry a warning."""
    ctx = context(resolvers=(web_dns.resolver,))
    run = gate_run(Http(url=https(site, "/health"), verify=False), ctx)
    result = run.results[0]
    assert result.status is Status.PASS, result.summary
    assert result.warnings == ("TLS verification is turned off for this check (verify: false)",)
    text = render("text", run, ReportOptions())
    assert "warning: TLS verification is turned off" in text


# -- misbehaving servers -------------------------------------------------------------------------


def test_connection_refused_is_an_error() -> None:
    """Nothing listening is ERROR 'could not connect' with a hint."""
    url = f"http://127.0.0.1:{free_port()}/health"
    result = run_one(Http(url=url), context())
    assert result.status is Status.ERROR
    assert result.summary.startswith(f"GET {url}: could not connect: ")
    assert "listening" in (result.hint or "")


def test_silent_server_is_an_error_within_the_timeout() -> None:
    """A server that accepts and never answers is ERROR once the timeout passes (not earlier:
    a lower bound only; not a hang: pytest-timeout's guard)."""
    timeout = 0.5
    with FaultyServer("silent") as faulty:
        result = run_one(Http(url=faulty.url("/health")), context(timeout=timeout))
    assert result.status is Status.ERROR
    assert "within" in result.summary, result.summary
    assert result.duration >= timeout - 0.05


def test_trickling_server_is_an_error_within_the_timeout() -> None:
    """A body trickling one byte at a time never completes: ERROR at the overall timeout."""
    timeout = 0.5
    with FaultyServer("trickle", interval=0.05) as faulty:
        result = run_one(Http(url=faulty.url("/health")), context(timeout=timeout))
    assert result.status is Status.ERROR
    assert "within" in result.summary, result.summary


def test_endless_body_is_read_bounded_and_completes_quickly() -> None:
    """An endless chunked body is cut at 64 KiB: the check completes (PASS, so within its
    timeout) instead of reading forever."""
    with FaultyServer("endless") as faulty:
        result = run_one(Http(url=faulty.url("/stream"), body_contains="xxxx"), context(timeout=60))
    assert result.status is Status.PASS, result.summary
    _, actual, ok = observation(result, "body contains")
    assert ok
    assert actual is not None and actual.endswith("…") and len(actual) == 201


def test_redirect_loop_with_follow_redirects_fails() -> None:
    """A redirect loop followed is FAIL 'redirect loop', not a hang or an ERROR."""
    with FaultyServer("redirect_loop") as faulty:
        url = faulty.url("/loop")
        result = run_one(Http(url=url, follow_redirects=True), context())
    assert result.status is Status.FAIL
    assert result.summary == f"GET {url}: redirect loop (more than 5 redirects)"
    assert faulty.connections == 6


def test_redirect_without_follow_fails_naming_the_location(
    site: WebServer, ca_path: Path, web_dns: DnsServer
) -> None:
    """A 301 not followed fails with a hint naming where it points."""
    result = run_one(
        Http(url=https(site, "/moved")), context(resolvers=(web_dns.resolver,), ca_bundle=ca_path)
    )
    assert result.status is Status.FAIL
    assert "→ 301 Moved Permanently" in result.summary
    assert result.hint is not None and "redirects to /health" in result.hint


def test_redirect_followed_to_a_good_page_passes(
    site: WebServer, ca_path: Path, web_dns: DnsServer
) -> None:
    """With ``follow_redirects`` a 301 to /health ends in 200 and passes."""
    result = run_one(
        Http(url=https(site, "/moved"), follow_redirects=True),
        context(resolvers=(web_dns.resolver,), ca_bundle=ca_path),
    )
    assert result.status is Status.PASS, result.summary
    assert "→ 200 OK" in result.summary


def test_garbage_response_fails_as_a_protocol_error() -> None:
    """Bytes that are not HTTP are a FAIL: the server does not speak HTTP properly."""
    with FaultyServer("garbage") as faulty:
        url = faulty.url("/health")
        result = run_one(Http(url=url), context())
    assert result.status is Status.FAIL
    assert result.summary.startswith(f"GET {url}: the server did not speak HTTP properly: ")


def test_reset_is_an_error_naming_the_reset() -> None:
    """A TCP reset instead of a response is ERROR and says the connection was reset."""
    with FaultyServer("reset") as faulty:
        result = run_one(Http(url=faulty.url("/health")), context())
    assert result.status is Status.ERROR
    assert "Connection reset by peer" in result.summary, result.summary


def test_close_without_response_fails() -> None:
    """A server that closes without answering is FAIL: it disconnected without a response."""
    with FaultyServer("close") as faulty:
        result = run_one(Http(url=faulty.url("/health")), context())
    assert result.status is Status.FAIL
    assert "Server disconnected without sending a response" in result.summary


# -- the loopback guard --------------------------------------------------------------------------


def test_loopback_url_fails_in_a_real_environment() -> None:
    """In 'staging', an http check on 127.0.0.1 FAILs (terminal) without sending a request."""
    with WebServer() as web:
        result = run_one(Http(url=web.url("/health")), context(environment="staging"))
        assert web.requests == []
    assert result.status is Status.FAIL
    assert (
        result.summary
        == f"points at loopback ({web.url('/health')}) in the real environment 'staging'"
    )
    assert result.terminal


def test_name_resolving_to_loopback_fails_in_a_real_environment(
    site: WebServer, ca_path: Path, web_dns: DnsServer
) -> None:
    """In 'staging', a host the resolvers map to loopback FAILs; allow_loopback lifts it."""
    check = Http(url=https(site, "/health"))
    staging = context(environment="staging", resolvers=(web_dns.resolver,), ca_bundle=ca_path)
    result = run_one(check, staging)
    assert result.status is Status.FAIL
    assert result.summary.startswith(f"{HOST} resolves to 127.0.0.1: points at loopback")
    allowed = context(
        environment="staging", resolvers=(web_dns.resolver,), ca_bundle=ca_path, allow_loopback=True
    )
    assert run_one(check, allowed).status is Status.PASS


# -- judge() and helpers on plain data -----------------------------------------------------------

URL = "https://api.staging.example/health"


def response(
    status: int = 200,
    reason: str = "OK",
    *,
    server: str | None = "Google Frontend",
    latency: float = 0.12,
    body: str = JSON_BODY,
    location: str | None = None,
) -> HttpObserved:
    """An observed HttpResponse with sensible defaults."""
    return HttpObserved(
        HttpResponse(status, reason, server, latency, body, False, "application/json", location)
    )


def test_judge_pass_summary_format() -> None:
    """PASS reads ``GET <url> → 200 OK (server: …) after 120 ms``."""
    outcome = Http(url=URL).judge(response())
    assert outcome.status is Status.PASS
    assert outcome.summary == f"GET {URL} → 200 OK (server: Google Frontend) after 120 ms"


def test_judge_summary_without_server_header() -> None:
    """Without a Server header the summary leaves the server part out."""
    outcome = Http(url=URL).judge(response(server=None, latency=0.0504))
    assert outcome.summary == f"GET {URL} → 200 OK after 50 ms"


def test_judge_503_fails_with_expected_status_and_hint() -> None:
    """A 503 FAILs with the status line, the server and the expected code."""
    outcome = Http(url=URL).judge(response(503, "Service Unavailable"))
    assert outcome.status is Status.FAIL
    assert outcome.summary == (
        f"GET {URL} → 503 Service Unavailable (server: Google Frontend) after 120 ms, expected 200"
    )
    assert outcome.hint is not None and "serverless NEG" in outcome.hint


@pytest.mark.parametrize(
    ("status", "reason", "location", "hint_part"),
    [
        (404, "Not Found", None, "URL map"),
        (302, "Found", "/login", "redirects to /login"),
        (401, "Unauthorized", None, "headers_from_env"),
        (500, "Internal Server Error", None, "compare the expected and actual"),
    ],
)
def test_judge_hints(status: int, reason: str, location: str | None, hint_part: str) -> None:
    """Each failing status class gets its own hint."""
    outcome = Http(url=URL).judge(response(status, reason, location=location))
    assert outcome.status is Status.FAIL
    assert hint_part in (outcome.hint or "")


def test_judge_status_matches_but_body_does_not() -> None:
    """With the right status, a body mismatch is the summary (not the status line)."""
    outcome = Http(url=URL, body_contains="degraded").judge(response(body="all   good\n now"))
    assert outcome.status is Status.FAIL
    assert outcome.summary == f"body contains: expected 'degraded', got all good now (at {URL})"


def test_judge_long_body_snippet_is_shortened() -> None:
    """The body shown in an observation is cut to 200 characters plus an ellipsis."""
    outcome = Http(url=URL, body_contains="zzz").judge(response(body="a" * 500))
    actual = outcome.observations[1].actual
    assert actual == "a" * 200 + "…"


def test_judge_latency_boundary() -> None:
    """Latency equal to max_latency passes; above it fails."""
    check = Http.model_validate({"url": URL, "max_latency": "500ms"})
    assert check.judge(response(latency=0.5)).status is Status.PASS
    outcome = check.judge(response(latency=0.75))
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith("latency: expected <= 500ms, got 750ms")


def test_judge_json_fields() -> None:
    """JSON fields compare as JSON values: equal passes, different fails, absent is (absent)."""
    check = Http(url=URL, json={"status": "ok", "db.ok": False, "regions.0": "us", "x.y": 1})
    outcome = check.judge(response())
    assert outcome.status is Status.FAIL
    props = {o.property: (o.actual, o.ok) for o in outcome.observations}
    assert props["json status"] == ('"ok"', True)
    assert props["json db.ok"] == ("true", False)
    assert props["json regions.0"] == ('"us"', True)
    assert props["json x.y"] == ("(absent)", False)


def test_judge_json_on_invalid_json() -> None:
    """Expecting JSON fields from a non-JSON body fails once, on 'JSON body'."""
    outcome = Http(url=URL, json={"a": 1}).judge(response(body="<html>oops</html>"))
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith("JSON body: expected valid JSON, got <html>oops</html>")


def test_judge_verify_false_warns() -> None:
    """``verify: false`` adds a warning to the outcome, pass or fail."""
    check = Http(url=URL, verify=False)
    assert check.judge(response()).warnings == (
        "TLS verification is turned off for this check (verify: false)",
    )
    assert check.judge(response(503, "Service Unavailable")).warnings != ()
    assert Http(url=URL).judge(response()).warnings == ()


def test_json_field_paths() -> None:
    """Dotted paths walk dicts and lists; missing keys and out-of-range indexes are MISSING."""
    doc = json.loads(JSON_BODY)
    assert json_field(doc, "db.latency_ms") == 3
    assert json_field(doc, "regions.1") == "eu"
    assert json_field(doc, "none") is None
    assert json_field(doc, "regions.2") is MISSING
    assert json_field(doc, "db.ok.deeper") is MISSING
    assert json_field(doc, "regions.x") is MISSING


def test_http_check_fields() -> None:
    """Policy values coerce (one status -> tuple, ``1m`` -> 60 s); the URL must be http(s)."""
    check = Http.model_validate({"url": URL, "status": 204, "resolve": "192.0.2.9"})
    assert check.status == (204,)
    assert check.targets() == (URL, "192.0.2.9")
    assert check.port == 443
    assert check.id == f"http:{URL}"
    assert Http.model_validate({"url": URL, "max_latency": "1m"}).max_latency == 60.0
    with pytest.raises(ValueError, match="must start with http:// or https://"):
        Http(url="ftp://example.test/")
