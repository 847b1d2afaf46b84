"""The ``tls`` check against real TLS servers on loopback, run through the Gate.

Hostnames such as ``api.test.example`` resolve to 127.0.0.1 through a local DNS server given as
``CheckContext.resolvers`` (or the check pins ``ip: 127.0.0.1``), so SNI and SAN matching work
exactly as in production. ``judge()`` is also tested on plain data.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from infra_verify.checks.tls import (
    CertInfo,
    Handshake,
    Tls,
    TlsObserved,
    parse_cert,
    san_covers,
)
from infra_verify.model import Status
from infra_verify.testing.certs import CertFactory, IssuedCert
from tests.servers.dns_server import DnsServer
from tests.servers.faulty import FaultyServer
from tests.servers.ports import free_port
from tests.servers.web_server import WebServer

from .webfixtures import (
    DEFAULT_CERT_HOST,
    ELSEWHERE,
    ELSEWHERE_IP,
    HOST,
    OTHER,
    UNKNOWN,
    ca_path,
    context,
    observation,
    run_one,
    sni_server_context,
    web_dns,
)

__all__ = ["ca_path", "web_dns"]  # fixtures, imported for pytest

INTERMEDIATE = "infra_verify, infra_verify test intermediate CA"


def serve(issued: IssuedCert) -> WebServer:
    """A (not yet started) HTTPS server presenting ``issued``."""
    return WebServer(ssl_context=issued.server_context())


# -- the happy path, both ways of finding the address ------------------------------------------


def test_valid_chain_passes_through_policy_resolvers(
    certs: CertFactory, ca_path: Path, web_dns: DnsServer
) -> None:
    """A good chain for a name the resolvers map to loopback passes, naming issuer and days left."""
    with serve(certs.valid(HOST)) as web:
        result = run_one(
            Tls(host=HOST, port=web.port),
            context(resolvers=(web_dns.resolver,), ca_bundle=ca_path),
        )
    assert result.status is Status.PASS, result.summary
    assert re.fullmatch(
        rf"{re.escape(HOST)}:{web.port} certificate by {re.escape(INTERMEDIATE)}, "
        r"(89|90) days left \(TLSv1\.[23]\)",
        result.summary,
    ), result.summary
    assert observation(result, "chain") == ("verifies", "verifies", True)
    assert observation(result, "SAN covers host") == (HOST, HOST, True)
    assert observation(result, "subject")[1] == f"CN={HOST}"
    assert all(o.where == f"127.0.0.1:{web.port} (SNI {HOST})" for o in result.observations)


def test_valid_chain_passes_with_ip_pin_and_no_resolvers(certs: CertFactory, ca_path: Path) -> None:
    """With ``ip:`` pinned the check dials that IP, sends the host as SNI and passes."""
    with serve(certs.valid(HOST)) as web:
        result = run_one(Tls(host=HOST, port=web.port, ip="127.0.0.1"), context(ca_bundle=ca_path))
    assert result.status is Status.PASS, result.summary
    assert f"certificate by {INTERMEDIATE}" in result.summary
    assert observation(result, "SAN covers host")[2] is True


def test_check_level_ca_bundle_is_used_when_the_run_has_none(
    certs: CertFactory, ca_path: Path
) -> None:
    """``ca_bundle:`` on the check trusts the private CA even when the run gives no bundle."""
    with serve(certs.valid(HOST)) as web:
        result = run_one(
            Tls(host=HOST, port=web.port, ip="127.0.0.1", ca_bundle=str(ca_path)), context()
        )
    assert result.status is Status.PASS, result.summary


def test_without_the_private_ca_the_chain_does_not_verify(certs: CertFactory) -> None:
    """Without the test CA (system store only) the chain fails to verify, with the reason."""
    with serve(certs.valid(HOST)) as web:
        result = run_one(Tls(host=HOST, port=web.port, ip="127.0.0.1"), context())
    assert result.status is Status.FAIL
    assert result.summary.startswith("chain: expected verifies, got does not verify: ")
    assert "ca_bundle" in (result.hint or "")


def test_the_address_the_resolvers_give_is_dialed(
    certs: CertFactory, ca_path: Path, web_dns: DnsServer
) -> None:
    """The handshake goes to the resolvers' answer (127.0.0.2 here, where nothing listens)."""
    with serve(certs.valid(ELSEWHERE)) as web:
        result = run_one(
            Tls(host=ELSEWHERE, port=web.port),
            context(resolvers=(web_dns.resolver,), ca_bundle=ca_path),
        )
    assert result.status is Status.ERROR
    assert f"{ELSEWHERE_IP}:{web.port}" in result.summary
    assert "refused" in result.summary


def test_name_that_does_not_resolve_fails_and_points_at_dns(
    ca_path: Path, web_dns: DnsServer
) -> None:
    """A name the resolvers answer NXDOMAIN for is a FAIL that suggests a dns check."""
    result = run_one(
        Tls(host="missing.test.example", port=443),
        context(resolvers=(web_dns.resolver,), ca_bundle=ca_path),
    )
    assert result.status is Status.FAIL
    assert "missing.test.example does not resolve" in result.summary
    assert "NXDOMAIN" in result.summary
    assert "dns check" in (result.hint or "")


# -- broken certificates -----------------------------------------------------------------------


def test_expired_certificate_fails_not_expired(
    certs: CertFactory, ca_path: Path, web_dns: DnsServer
) -> None:
    """An expired leaf fails; the 'not expired' observation is false and the hint says renew."""
    with serve(certs.expired(HOST)) as web:
        result = run_one(
            Tls(host=HOST, port=web.port),
            context(resolvers=(web_dns.resolver,), ca_bundle=ca_path),
        )
    assert result.status is Status.FAIL
    expected, actual, ok = observation(result, "not expired")
    assert not ok
    assert expected is not None and expected.startswith("not_after > ")
    assert actual is not None and actual.endswith(" UTC")
    assert observation(result, "chain")[1] == "does not verify: certificate has expired"
    assert "renew the certificate" in (result.hint or "")


def test_wrong_san_fails_and_lists_the_sans(
    certs: CertFactory, ca_path: Path, web_dns: DnsServer
) -> None:
    """A certificate for other names fails on SAN, showing the SANs it does have."""
    with serve(certs.wrong_san(HOST)) as web:
        result = run_one(
            Tls(host=HOST, port=web.port),
            context(resolvers=(web_dns.resolver,), ca_bundle=ca_path),
        )
    assert result.status is Status.FAIL
    assert result.summary.startswith(f"SAN covers host: expected {HOST}, got wrong-san.invalid"), (
        result.summary
    )
    assert observation(result, "SAN covers host") == (HOST, "wrong-san.invalid", False)
    # the chain itself is fine: the hostname is judged by the check, not by ssl
    assert observation(result, "chain")[2] is True
    assert f"does not list {HOST}" in (result.hint or "")


def test_self_signed_certificate_fails_with_reason(
    certs: CertFactory, ca_path: Path, web_dns: DnsServer
) -> None:
    """A self-signed leaf fails: the chain does not verify and the reason is shown."""
    with serve(certs.self_signed(HOST)) as web:
        result = run_one(
            Tls(host=HOST, port=web.port),
            context(resolvers=(web_dns.resolver,), ca_bundle=ca_path),
        )
    assert result.status is Status.FAIL
    assert observation(result, "chain") == (
        "verifies",
        "does not verify: self-signed certificate",
        False,
    )
    assert "self-signed certificate" in result.summary
    assert observation(result, "SAN covers host")[2] is True


def test_untrusted_issuer_fails(certs: CertFactory, ca_path: Path, web_dns: DnsServer) -> None:
    """A leaf from an unknown CA fails the chain, and the issuer it names is still reported."""
    with serve(certs.untrusted_issuer(HOST)) as web:
        result = run_one(
            Tls(host=HOST, port=web.port, issuer="untrusted"),
            context(resolvers=(web_dns.resolver,), ca_bundle=ca_path),
        )
    assert result.status is Status.FAIL
    _, actual, ok = observation(result, "chain")
    assert not ok
    assert actual == "does not verify: unable to get local issuer certificate"
    assert observation(result, "issuer")[1:] == ("infra_verify, infra_verify untrusted CA", True)
    assert "serve the full chain" in (result.hint or "")


def test_incomplete_chain_fails(certs: CertFactory, ca_path: Path, web_dns: DnsServer) -> None:
    """A leaf served without its intermediate fails: the client cannot build the chain."""
    with serve(certs.incomplete_chain(HOST)) as web:
        result = run_one(
            Tls(host=HOST, port=web.port),
            context(resolvers=(web_dns.resolver,), ca_bundle=ca_path),
        )
    assert result.status is Status.FAIL
    assert observation(result, "chain") == (
        "verifies",
        "does not verify: unable to get local issuer certificate",
        False,
    )
    assert observation(result, "SAN covers host")[2] is True


def test_wrong_order_chain_is_accepted(
    certs: CertFactory, ca_path: Path, web_dns: DnsServer
) -> None:
    """A chain served out of order still verifies (OpenSSL reorders it), so the check passes.

    Documented behaviour: the check judges whether a path to a trusted root can be built, as
    browsers and OpenSSL clients do; it does not flag the served order.
    """
    with serve(certs.wrong_order_chain(HOST)) as web:
        result = run_one(
            Tls(host=HOST, port=web.port),
            context(resolvers=(web_dns.resolver,), ca_bundle=ca_path),
        )
    assert result.status is Status.PASS, result.summary
    assert "certificate by infra_verify, infra_verify test issuing CA" in result.summary


def test_expiring_soon_fails_below_min_days_valid(
    certs: CertFactory, ca_path: Path, web_dns: DnsServer
) -> None:
    """Three days left with min_days_valid 14 fails on 'days left' and asks to renew."""
    with serve(certs.expiring_in(3, HOST)) as web:
        result = run_one(
            Tls(host=HOST, port=web.port, min_days_valid=14),
            context(resolvers=(web_dns.resolver,), ca_bundle=ca_path),
        )
    assert result.status is Status.FAIL
    assert result.summary.startswith("days left: expected >= 14, got 3.0"), result.summary
    assert observation(result, "not expired")[2] is True
    assert "renew" in (result.hint or "")


def test_expiring_soon_passes_with_lower_min_days_valid(
    certs: CertFactory, ca_path: Path, web_dns: DnsServer
) -> None:
    """The same certificate passes with min_days_valid 2, reporting 3 days left."""
    with serve(certs.expiring_in(3, HOST)) as web:
        result = run_one(
            Tls(host=HOST, port=web.port, min_days_valid=2),
            context(resolvers=(web_dns.resolver,), ca_bundle=ca_path),
        )
    assert result.status is Status.PASS, result.summary
    assert ", 3 days left (" in result.summary
    assert observation(result, "days left") == (">= 2", "3.0", True)


@pytest.mark.parametrize(
    ("issuer", "status"),
    [
        ("test intermediate", Status.PASS),
        ("INFRA_VERIFY TEST", Status.PASS),
        ("Google Trust Services", Status.FAIL),
    ],
)
def test_issuer_match(certs: CertFactory, ca_path: Path, issuer: str, status: Status) -> None:
    """``issuer:`` is a case-insensitive substring of the issuer's organization and CN."""
    with serve(certs.valid(HOST)) as web:
        result = run_one(
            Tls(host=HOST, port=web.port, ip="127.0.0.1", issuer=issuer),
            context(ca_bundle=ca_path),
        )
    assert result.status is status, result.summary
    assert observation(result, "issuer") == (
        f"contains '{issuer}'",
        INTERMEDIATE,
        status is Status.PASS,
    )
    if status is Status.FAIL:
        assert result.summary.startswith(f"issuer: expected contains '{issuer}'")
        assert result.hint == "check the certificate's issuer"


# -- SNI -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [HOST, OTHER])
def test_sni_selects_the_certificate_for_the_host(
    certs: CertFactory, ca_path: Path, web_dns: DnsServer, name: str
) -> None:
    """One listener serving a certificate per SNI name: the check sends its host and gets its cert."""
    with WebServer(ssl_context=sni_server_context(certs)) as web:
        result = run_one(
            Tls(host=name, port=web.port),
            context(resolvers=(web_dns.resolver,), ca_bundle=ca_path),
        )
    assert result.status is Status.PASS, result.summary
    assert observation(result, "subject")[1] == f"CN={name}"
    assert observation(result, "SAN covers host") == (name, name, True)


def test_sni_name_without_a_certificate_gets_the_default_and_fails(
    certs: CertFactory, ca_path: Path, web_dns: DnsServer
) -> None:
    """A host the listener has no certificate for gets the default one: FAIL listing its SANs."""
    with WebServer(ssl_context=sni_server_context(certs)) as web:
        result = run_one(
            Tls(host=UNKNOWN, port=web.port),
            context(resolvers=(web_dns.resolver,), ca_bundle=ca_path),
        )
    assert result.status is Status.FAIL
    assert observation(result, "SAN covers host") == (UNKNOWN, DEFAULT_CERT_HOST, False)


# -- the server misbehaves -----------------------------------------------------------------------


def test_connection_refused_is_an_error(ca_path: Path) -> None:
    """Nothing listening is ERROR (the check could not decide), with a hint."""
    port = free_port()
    result = run_one(Tls(host=HOST, port=port, ip="127.0.0.1"), context(ca_bundle=ca_path))
    assert result.status is Status.ERROR
    assert result.summary == f"connection to 127.0.0.1:{port} refused"
    assert "listening" in (result.hint or "")


def test_silent_server_is_an_error_within_the_timeout(ca_path: Path) -> None:
    """A server that never answers the ClientHello is ERROR once the timeout passes (not
    earlier: a lower bound only; not a hang: pytest-timeout's guard)."""
    timeout = 0.5
    with FaultyServer("silent") as faulty:
        result = run_one(
            Tls(host=HOST, port=faulty.port, ip="127.0.0.1"),
            context(ca_bundle=ca_path, timeout=timeout),
        )
    assert result.status is Status.ERROR
    assert "within" in result.summary, result.summary
    assert result.duration >= timeout - 0.05


def test_reset_mid_handshake_is_reported_clearly(ca_path: Path) -> None:
    """A TCP reset during the handshake is ERROR naming the reset."""
    with FaultyServer("reset") as faulty:
        result = run_one(
            Tls(host=HOST, port=faulty.port, ip="127.0.0.1"), context(ca_bundle=ca_path)
        )
    assert result.status in (Status.ERROR, Status.FAIL)
    assert (
        result.summary == f"could not connect to 127.0.0.1:{faulty.port}: Connection reset by peer"
    )


def test_close_mid_handshake_says_so(ca_path: Path) -> None:
    """A server closing the connection during the handshake is ERROR with a readable reason."""
    with FaultyServer("close") as faulty:
        result = run_one(
            Tls(host=HOST, port=faulty.port, ip="127.0.0.1"), context(ca_bundle=ca_path)
        )
    assert result.status is Status.ERROR
    assert result.summary.startswith(f"could not connect to 127.0.0.1:{faulty.port}: ")
    assert "closed the connection during the TLS handshake" in result.summary


def test_plain_http_on_the_tls_port_is_reported_clearly(ca_path: Path) -> None:
    """A plain-HTTP answer to the ClientHello is ERROR saying the TLS handshake failed."""
    with FaultyServer("http_plain") as faulty:
        result = run_one(
            Tls(host=HOST, port=faulty.port, ip="127.0.0.1"), context(ca_bundle=ca_path)
        )
    assert result.status in (Status.ERROR, Status.FAIL)
    assert result.summary.startswith(f"TLS handshake with 127.0.0.1:{faulty.port} failed: ")
    assert result.hint == "is this port speaking TLS?"


# -- the loopback guard --------------------------------------------------------------------------


def test_loopback_pin_fails_in_a_real_environment(certs: CertFactory, ca_path: Path) -> None:
    """In 'staging', an ``ip:`` pin on loopback FAILs (terminal) without a connection attempt."""
    with serve(certs.valid(HOST)) as web:
        result = run_one(
            Tls(host=HOST, port=web.port, ip="127.0.0.1"),
            context(environment="staging", ca_bundle=ca_path),
        )
    assert result.status is Status.FAIL
    assert "points at loopback (127.0.0.1)" in result.summary
    assert "'staging'" in result.summary
    assert result.terminal
    assert web.requests == []


def test_name_resolving_to_loopback_fails_in_a_real_environment(
    certs: CertFactory, ca_path: Path, web_dns: DnsServer
) -> None:
    """In 'staging', a host the resolvers map to 127.0.0.1 FAILs on the loopback guard."""
    with serve(certs.valid(HOST)) as web:
        result = run_one(
            Tls(host=HOST, port=web.port),
            context(environment="staging", resolvers=(web_dns.resolver,), ca_bundle=ca_path),
        )
    assert result.status is Status.FAIL
    assert result.summary.startswith(f"{HOST} resolves to 127.0.0.1: points at loopback")
    assert "--allow-loopback" in (result.hint or "")


def test_allow_loopback_lifts_the_guard_in_a_real_environment(
    certs: CertFactory, ca_path: Path, web_dns: DnsServer
) -> None:
    """With allow_loopback the same staging run reaches the server and passes."""
    with serve(certs.valid(HOST)) as web:
        result = run_one(
            Tls(host=HOST, port=web.port),
            context(
                environment="staging",
                resolvers=(web_dns.resolver,),
                ca_bundle=ca_path,
                allow_loopback=True,
            ),
        )
    assert result.status is Status.PASS, result.summary


# -- judge() and helpers on plain data -----------------------------------------------------------

NOW = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)


def cert_info(
    *,
    sans: tuple[str, ...] = (HOST,),
    days: float = 60,
    issuer: str = "Google Trust Services, WR3",
) -> CertInfo:
    """A CertInfo valid from 30 days before NOW until ``days`` after it."""
    return CertInfo(
        subject=f"CN={sans[0] if sans else 'nobody'}",
        issuer=issuer,
        sans=sans,
        not_before=NOW - dt.timedelta(days=30),
        not_after=NOW + dt.timedelta(days=days),
    )


def handshake(
    cert: CertInfo | None, *, verified: bool = True, error: str | None = None
) -> TlsObserved:
    """A Handshake as seen at 203.0.113.10:443 over TLS 1.3, at NOW."""
    return TlsObserved(Handshake(cert, verified, error, "TLSv1.3", "203.0.113.10:443"), NOW)


def test_judge_passes_a_good_certificate() -> None:
    """All observations hold: PASS with issuer, whole days left and the TLS version."""
    outcome = Tls(host=HOST).judge(handshake(cert_info(days=60)))
    assert outcome.status is Status.PASS
    assert (
        outcome.summary
        == f"{HOST}:443 certificate by Google Trust Services, WR3, 60 days left (TLSv1.3)"
    )
    assert [o.property for o in outcome.observations] == [
        "chain",
        "SAN covers host",
        "not expired",
        "days left",
        "subject",
    ]


def test_judge_without_certificate_fails() -> None:
    """No certificate presented is a FAIL telling to configure one."""
    outcome = Tls(host=HOST).judge(handshake(None))
    assert outcome.status is Status.FAIL
    assert outcome.summary == f"203.0.113.10:443 (SNI {HOST}): no certificate presented"
    assert outcome.hint == "configure a certificate on the listener"


def test_judge_expired_certificate_fails_on_expiry_and_days() -> None:
    """A notAfter in the past fails 'not expired' and 'days left'; the hint says renew."""
    outcome = Tls(host=HOST).judge(handshake(cert_info(days=-2)))
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith(
        "not expired: expected not_after > 2026-01-01, got 2025-12-30"
    )
    assert outcome.summary.endswith("(+1 more)")
    assert "renew" in (outcome.hint or "")


def test_judge_days_left_boundary() -> None:
    """Exactly min_days_valid days left passes; a minute less fails."""
    tls = Tls(host=HOST, min_days_valid=14)
    assert tls.judge(handshake(cert_info(days=14))).status is Status.PASS
    short = cert_info(days=14 - 1 / 1440)
    outcome = tls.judge(handshake(short))
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith("days left: expected >= 14, got 14.0")


def test_judge_unverified_chain_shows_the_reason() -> None:
    """verified=False fails 'chain' with the verification error text."""
    outcome = Tls(host=HOST).judge(
        handshake(cert_info(), verified=False, error="self-signed certificate")
    )
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith(
        "chain: expected verifies, got does not verify: self-signed certificate"
    )
    assert "ca_bundle" in (outcome.hint or "")


def test_judge_hint_prefers_the_san_problem() -> None:
    """With a wrong SAN and an expired certificate, the hint addresses the SAN first."""
    outcome = Tls(host=HOST).judge(handshake(cert_info(sans=("other.example",), days=-1)))
    assert outcome.status is Status.FAIL
    assert outcome.hint is not None and outcome.hint.startswith(
        f"the certificate does not list {HOST}"
    )


def test_judge_certificate_without_sans() -> None:
    """A certificate with no SANs at all fails 'SAN covers host' and says so."""
    outcome = Tls(host=HOST).judge(handshake(cert_info(sans=())))
    assert outcome.status is Status.FAIL
    assert outcome.observations[1].actual == "(no SANs)"


@pytest.mark.parametrize(
    ("sans", "host", "covered"),
    [
        (("api.test.example",), "API.test.example.", True),
        (("*.test.example",), "api.test.example", True),
        (("*.test.example",), "a.b.test.example", False),
        (("*.test.example",), "test.example", False),
        (("127.0.0.1",), "127.0.0.1", True),
        (("::1",), "0:0:0:0:0:0:0:1", True),
        (("api.test.example",), "127.0.0.1", False),
        ((), "api.test.example", False),
    ],
)
def test_san_covers(sans: tuple[str, ...], host: str, covered: bool) -> None:
    """Exact names match case-insensitively, wildcards cover one label, IPs compare as IPs."""
    assert san_covers(sans, host) is covered


def test_parse_cert_reads_sans_issuer_and_validity(certs: CertFactory) -> None:
    """parse_cert extracts DNS and IP SANs, the issuer's O and CN, and aware validity dates."""
    issued = certs.valid(HOST, "127.0.0.1")
    from cryptography.hazmat.primitives.serialization import Encoding

    info = parse_cert(issued.cert.public_bytes(Encoding.DER))
    assert info.sans == (HOST, "127.0.0.1")
    assert info.issuer == INTERMEDIATE
    assert info.subject == f"CN={HOST}"
    assert info.not_after.tzinfo is not None
    assert 89 < info.days_left(dt.datetime.now(dt.UTC)) <= 90


def test_tls_check_fields() -> None:
    """The id names host:port; an ip pin is the target the guards see; unknown keys are rejected."""
    tls = Tls(host=HOST, ip="192.0.2.7", port=8443)
    assert tls.id == f"tls:{HOST}:8443"
    assert tls.targets() == ("192.0.2.7",)
    assert Tls(host=HOST).targets() == (HOST,)
    with pytest.raises(ValueError, match="unknown key 'hostname'"):
        Tls(host=HOST, hostname="x")  # type: ignore[call-arg]
