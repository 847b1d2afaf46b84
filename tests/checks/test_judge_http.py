"""The http check's judge on plain data: HttpObserved built by hand, no server, no network."""

from __future__ import annotations

import pytest

from infra_verify.checks.dns import ServerAnswer
from infra_verify.checks.http import Http, HttpObserved, HttpResponse
from infra_verify.checks.resolve import Resolution
from infra_verify.model import Outcome, Status

URL = "https://api.example.com/health"
BODY = '{"status": "ok", "db": {"ok": true}}'


def answered(
    status: int = 200,
    reason: str = "OK",
    *,
    body: str = BODY,
    latency: float = 0.12,
    location: str | None = None,
) -> HttpObserved:
    """A response from Google Frontend after ``latency`` seconds."""
    return HttpObserved(
        HttpResponse(
            status, reason, "Google Frontend", latency, body, False, "application/json", location
        )
    )


def test_the_expected_status_body_and_latency_pass() -> None:
    """Status, body substring, JSON field and latency all as expected: PASS with a readable line."""
    check = Http(url=URL, body_contains='"ok"', json={"db.ok": True}, max_latency=0.5)
    outcome = check.judge(answered())
    assert outcome.status is Status.PASS
    assert outcome.summary == f"GET {URL} → 200 OK (server: Google Frontend) after 120 ms"


@pytest.mark.parametrize(
    ("check", "observed", "summary_start", "hint_part"),
    [
        (
            Http(url=URL),
            answered(503, "Service Unavailable"),
            f"GET {URL} → 503 Service Unavailable (server: Google Frontend) after 120 ms, expected 200",
            "no healthy backend",
        ),
        (
            Http(url=URL, status=(200, 204)),
            answered(301, "Moved Permanently", location="/v2/health"),
            f"GET {URL} → 301 Moved Permanently",
            "redirects to /v2/health",
        ),
        (
            Http(url=URL, body_contains="healthy"),
            answered(),
            "body contains: expected 'healthy', got {",
            "compare the expected and actual",
        ),
        (
            Http(url=URL, json={"db.ok": False}),
            answered(),
            "json db.ok: expected false, got true",
            "compare",
        ),
        (
            Http(url=URL, max_latency=0.1),
            answered(latency=0.25),
            "latency: expected <= 100ms, got 250ms",
            "compare",
        ),
    ],
    ids=["wrong-status", "redirect", "body-mismatch", "json-mismatch", "too-slow"],
)
def test_a_wrong_response_fails(
    check: Http, observed: HttpObserved, summary_start: str, hint_part: str
) -> None:
    """Wrong status, unfollowed redirect, body or JSON mismatch, or too slow: FAIL naming it."""
    outcome = check.judge(observed)
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith(summary_start), outcome.summary
    assert outcome.hint is not None and hint_part in outcome.hint


@pytest.mark.parametrize(
    ("observed", "summary"),
    [
        (HttpObserved(redirect_loop=True), f"GET {URL}: redirect loop (more than 5 redirects)"),
        (
            HttpObserved(cert_error="certificate has expired"),
            f"GET {URL}: the server's certificate does not verify: certificate has expired",
        ),
        (
            HttpObserved(protocol_error="illegal status line"),
            f"GET {URL}: the server did not speak HTTP properly: illegal status line",
        ),
        (
            HttpObserved(
                resolution=Resolution(
                    "api.example.com", negative=ServerAnswer("r", "resolver", "NXDOMAIN")
                )
            ),
            "api.example.com does not resolve at r: NXDOMAIN",
        ),
    ],
    ids=["redirect-loop", "certificate", "not-http", "nxdomain"],
)
def test_an_exchange_that_ended_early_fails(observed: HttpObserved, summary: str) -> None:
    """A redirect loop, a certificate that does not verify, broken HTTP or no DNS name: FAIL."""
    outcome = Http(url=URL).judge(observed)
    assert outcome.status is Status.FAIL
    assert outcome.summary == summary
    assert not outcome.terminal


def test_a_redirect_to_a_guarded_address_fails_terminally() -> None:
    """A redirect the guards refuse (metadata server) FAILs terminally with the guard's hint."""
    guard = Outcome.failed("169.254.169.254 is the metadata server", hint="never follow it")
    observed = HttpObserved(refused_hop="http://169.254.169.254/", refused_by=guard)
    outcome = Http(url=URL, follow_redirects=True).judge(observed)
    assert outcome.status is Status.FAIL and outcome.terminal
    assert outcome.summary == (
        f"GET {URL}: redirected to http://169.254.169.254/: 169.254.169.254 is the metadata server"
    )
    assert outcome.hint == "never follow it"


def test_verify_false_is_a_warning_on_every_response() -> None:
    """verify: false passes a good response but carries a warning."""
    outcome = Http(url=URL, verify=False).judge(answered())
    assert outcome.status is Status.PASS
    assert outcome.warnings == ("TLS verification is turned off for this check (verify: false)",)


def test_nothing_observed_is_an_error() -> None:
    """No response and no recorded failure leaves nothing to judge: ERROR, never PASS."""
    outcome = Http(url=URL).judge(HttpObserved())
    assert outcome.status is Status.ERROR
    assert "no response was observed" in outcome.summary
