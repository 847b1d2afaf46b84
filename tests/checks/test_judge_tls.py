"""The tls check's judge on plain data: TlsObserved built by hand, no server, no clock."""

from __future__ import annotations

import datetime as dt

import pytest

from infra_verify.checks.dns import ServerAnswer
from infra_verify.checks.resolve import Resolution
from infra_verify.checks.tls import CertInfo, Handshake, Tls, TlsObserved
from infra_verify.model import Status

HOST = "api.example.com"
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
GTS = "Google Trust Services, WR3"


def seen(
    *,
    sans: tuple[str, ...] = (HOST,),
    days: float = 60,
    issuer: str = GTS,
    verified: bool = True,
    error: str | None = None,
) -> TlsObserved:
    """A TLS 1.3 handshake at 203.0.113.10:443, seen at NOW, with a certificate valid ``days`` more."""
    cert = CertInfo(
        f"CN={HOST}", issuer, sans, NOW - dt.timedelta(days=30), NOW + dt.timedelta(days=days)
    )
    return TlsObserved(Handshake(cert, verified, error, "TLSv1.3", "203.0.113.10:443"), NOW)


def test_a_good_certificate_passes() -> None:
    """Verified chain, covering SAN, enough days and the right issuer: PASS naming them."""
    outcome = Tls(host=HOST, issuer="Google Trust").judge(seen(days=60))
    assert outcome.status is Status.PASS
    assert outcome.summary == f"{HOST}:443 certificate by {GTS}, 60 days left (TLSv1.3)"


def test_a_wildcard_san_covers_the_host() -> None:
    """A one-label wildcard SAN covers the host: PASS."""
    assert Tls(host=HOST).judge(seen(sans=("*.example.com",))).status is Status.PASS


@pytest.mark.parametrize(
    ("check", "observed", "summary_start", "hint_part"),
    [
        (
            Tls(host=HOST),
            seen(days=-2),
            "not expired: expected not_after > 2026-03-01, got 2026-02-27",
            "renew",
        ),
        (
            Tls(host=HOST, min_days_valid=30),
            seen(days=10),
            "days left: expected >= 30, got 10.0",
            "renew",
        ),
        (
            Tls(host=HOST),
            seen(sans=("www.example.com", "example.com")),
            f"SAN covers host: expected {HOST}, got www.example.com, example.com",
            f"does not list {HOST}",
        ),
        (
            Tls(host=HOST),
            seen(verified=False, error="unable to get local issuer certificate"),
            "chain: expected verifies, got does not verify: unable to get local issuer",
            "ca_bundle",
        ),
        (
            Tls(host=HOST, issuer="Let's Encrypt"),
            seen(),
            f"issuer: expected contains 'Let's Encrypt', got {GTS}",
            "issuer",
        ),
    ],
    ids=["expired", "expiring-within-min-days", "wrong-names", "untrusted-issuer", "other-issuer"],
)
def test_a_bad_certificate_fails(
    check: Tls, observed: TlsObserved, summary_start: str, hint_part: str
) -> None:
    """Expired, expiring within min_days_valid, wrong names, untrusted chain or issuer: FAIL."""
    outcome = check.judge(observed)
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith(summary_start), outcome.summary
    assert outcome.hint is not None and hint_part in outcome.hint


def test_no_certificate_fails() -> None:
    """A handshake without a certificate FAILs telling to configure one."""
    observed = TlsObserved(Handshake(None, True, None, "TLSv1.3", "203.0.113.10:443"), NOW)
    outcome = Tls(host=HOST).judge(observed)
    assert outcome.status is Status.FAIL
    assert outcome.summary == f"203.0.113.10:443 (SNI {HOST}): no certificate presented"


def test_a_host_that_does_not_resolve_fails() -> None:
    """A host the policy's resolvers say does not exist FAILs before any handshake."""
    negative = ServerAnswer("10.0.0.53", "resolver", "NXDOMAIN")
    observed = TlsObserved(None, NOW, Resolution(HOST, negative=negative))
    outcome = Tls(host=HOST).judge(observed)
    assert outcome.status is Status.FAIL
    assert outcome.summary == f"{HOST} does not resolve at 10.0.0.53: NXDOMAIN"


def test_nothing_observed_is_an_error() -> None:
    """No handshake and no resolution failure leaves nothing to judge: ERROR, never PASS."""
    outcome = Tls(host=HOST).judge(TlsObserved(None, NOW))
    assert outcome.status is Status.ERROR
    assert "no TLS handshake was observed" in outcome.summary
