"""gcp.certificate_served: the certificate a real TLS server on loopback serves (certs the test
makes) against the one the fake API says is attached and ACTIVE (PEM, else expiry and SANs)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from infra_verify.checks.gcp.certificate_served import GcpCertificateServed, fingerprint
from infra_verify.model import Result, Status
from infra_verify.testing.certs import CertFactory, IssuedCert
from tests.checks.gcp.world import API, CERT, CM_CERT, HOSTS, HTTPS_PROXY, GcpWorld, link
from tests.servers.web_server import WebServer

FACTORY = CertFactory()
SERVED = FACTORY.valid(*HOSTS)


@pytest.fixture(scope="module")
def lb() -> Iterator[WebServer]:
    """The 'load balancer': HTTPS on loopback serving SERVED for every host."""
    with WebServer(ssl_context=SERVED.server_context()) as server:
        yield server


def check(lb: WebServer, **changes: object) -> GcpCertificateServed:
    """The cross-check for api.staging... dialing the loopback server."""
    fields: dict[str, object] = {
        "host": API,
        "ip": "127.0.0.1",
        "port": lb.port,
        "certificate": "netra-staging-cert",
    }
    fields.update(changes)
    return GcpCertificateServed.model_validate(fields)


def attach(gcp: GcpWorld, issued: IssuedCert) -> None:
    """The API's certificate PEM becomes ``issued``."""
    gcp.patch(CERT, {"certificate": issued.cert_pem.decode()})


def run(gcp: GcpWorld, lb: WebServer, **changes: object) -> Result:
    """Run the cross-check with loopback allowed."""
    return gcp.run(check(lb, **changes), environment="staging", allow_loopback=True)


def test_served_leaf_is_the_apis_certificate_passes(gcp: GcpWorld, lb: WebServer) -> None:
    """Same SHA-256 fingerprint: PASS."""
    attach(gcp, SERVED)
    result = run(gcp, lb)
    assert result.status is Status.PASS, result.summary
    want = fingerprint(SERVED.cert.public_bytes(Encoding.DER))
    assert result.observations[0].expected == result.observations[0].actual == want


def test_a_fresh_certificate_not_yet_served_is_propagating(gcp: GcpWorld, lb: WebServer) -> None:
    """ACTIVE in the API 5 minutes ago, another leaf on the wire: converging, ETA within 30 min."""
    issued = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    attach(gcp, FACTORY.issued_at(issued, *HOSTS))
    result = run(gcp, lb)
    assert result.status is Status.FAIL and not result.terminal
    assert "propagating" in result.summary
    assert result.eta is not None
    assert abs(result.eta.latest - (issued + dt.timedelta(minutes=30)).timestamp()) < 2


def test_still_the_old_certificate_after_30_minutes_fails(gcp: GcpWorld, lb: WebServer) -> None:
    """Another leaf served more than 30 minutes after the API's changed: FAIL, no ETA left (not
    terminal: the API does not say when the certificate was attached)."""
    attach(gcp, FACTORY.valid(*HOSTS))
    result = run(gcp, lb)
    assert result.status is Status.FAIL and not result.terminal and result.eta is None
    assert "more than Google's ~30 minutes of propagation ago" in result.summary
    assert result.hint is not None and "target HTTPS proxy" in result.hint


def test_without_a_pem_expiry_and_sans_are_compared(gcp: GcpWorld, lb: WebServer) -> None:
    """No PEM in the API: the same expiry and SANs pass; other SANs FAIL."""
    expiry = SERVED.cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%S.000-00:00")
    gcp.patch(CERT, {"expireTime": expiry})
    passed = run(gcp, lb)
    assert passed.status is Status.PASS, passed.summary
    assert "expiry and SANs (the API gives no PEM)" in passed.summary
    gcp.patch(CERT, {"subjectAlternativeNames": [API]})
    failed = run(gcp, lb)
    assert failed.status is Status.FAIL and not failed.terminal
    assert "SANs" in [o.property for o in failed.observations if not o.ok]


def test_certificate_manager_pem_is_compared(gcp: GcpWorld, lb: WebServer) -> None:
    """A Certificate Manager certificate's pemCertificate is the API's side."""
    gcp.patch(CM_CERT, {"pemCertificate": SERVED.cert_pem.decode()})
    result = run(gcp, lb, certificate="netra-staging-cm-cert", certificate_manager=True)
    assert result.status is Status.PASS, result.summary


def test_a_provisioning_certificate_has_nothing_to_compare(gcp: GcpWorld, lb: WebServer) -> None:
    """The API's certificate not ACTIVE: FAIL naming its state."""
    gcp.patch(CERT, {"managed": {"status": "PROVISIONING"}})
    result = run(gcp, lb)
    assert result.status is Status.FAIL
    assert "is PROVISIONING in the API" in result.summary


def test_nothing_listening_is_an_error(gcp: GcpWorld) -> None:
    """No TLS server at the address: the check could not look, ERROR."""
    with WebServer(ssl_context=SERVED.server_context()) as gone:
        port = gone.port
    attach(gcp, SERVED)
    result = gcp.run(
        GcpCertificateServed.model_validate(
            {"host": API, "ip": "127.0.0.1", "port": port, "certificate": "netra-staging-cert"}
        ),
        environment="staging",
        allow_loopback=True,
    )
    assert result.status is Status.ERROR, result.summary


def other_certificate(gcp: GcpWorld, issued: IssuedCert, *, attach_to_proxy: bool) -> None:
    """Another ACTIVE certificate, netra-other-cert, holding ``issued``; on the proxy if asked."""
    path = CERT.replace("netra-staging-cert", "netra-other-cert")
    other = gcp.fake.get(CERT)
    other.update(name="netra-other-cert", selfLink=link(path), certificate=issued.cert_pem.decode())
    gcp.put(path, other)
    if attach_to_proxy:
        proxy = gcp.fake.get(HTTPS_PROXY)
        gcp.patch(HTTPS_PROXY, {"sslCertificates": [*proxy["sslCertificates"], link(path)]})


def test_another_active_certificate_on_the_proxy_is_fine(gcp: GcpWorld, lb: WebServer) -> None:
    """Two attached certificates cover the host and the other one is served: healthy, PASS."""
    attach(gcp, FACTORY.valid(*HOSTS))
    other_certificate(gcp, SERVED, attach_to_proxy=True)
    result = run(gcp, lb, forwarding_rule="netra-staging-https")
    assert result.status is Status.PASS, result.summary
    assert "serves netra-other-cert, which the HTTPS proxy also lists" in result.summary


def test_a_served_certificate_the_proxy_does_not_list_still_fails(
    gcp: GcpWorld, lb: WebServer
) -> None:
    """Served, ACTIVE in the API, but not on the proxy: not what the API says is attached."""
    attach(gcp, FACTORY.valid(*HOSTS))
    other_certificate(gcp, SERVED, attach_to_proxy=False)
    result = run(gcp, lb, forwarding_rule="netra-staging-https")
    assert result.status is Status.FAIL and result.eta is None
