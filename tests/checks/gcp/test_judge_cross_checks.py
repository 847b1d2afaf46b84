"""Verdicts of the cross-check kinds on plain data: gcp.certificate_served and
gcp.dns_propagation judge what their probes saw, with no I/O and no clock."""

from __future__ import annotations

import datetime as dt

from cryptography.hazmat.primitives.serialization import Encoding

from infra_verify.checks.dns import ServerAnswer
from infra_verify.checks.gcp.certificate_served import GcpCertificateServed, ServedObserved
from infra_verify.checks.gcp.dns_propagation import GcpDnsPropagation, PropagationObserved
from infra_verify.model import Status
from infra_verify.testing.certs import CertFactory

FACTORY = CertFactory()
LEAF = FACTORY.valid("api.example.test")
NOW = dt.datetime(2026, 12, 7, 5, 0, tzinfo=dt.UTC)
SERVED = GcpCertificateServed.model_validate({"host": "api.example.test", "certificate": "c"})
PROPAGATION = GcpDnsPropagation.model_validate({"zone": "z", "name": "api.example.test"})


def served(api: dict[str, object], der: bytes, now: dt.datetime = NOW) -> ServedObserved:
    """What the probe saw: the API's certificate and the served leaf."""
    return ServedObserved(api, der, "192.0.2.1:443", now, "p")


def der(issued: object = LEAF) -> bytes:
    """DER of an issued leaf."""
    return issued.cert.public_bytes(Encoding.DER)  # type: ignore[attr-defined,no-any-return]


def test_same_leaf_passes_and_another_leaf_within_30_minutes_converges() -> None:
    """The fingerprint decides; a fresh API certificate not yet served is propagating."""
    api = {
        "type": "MANAGED",
        "managed": {"status": "ACTIVE"},
        "certificate": LEAF.cert_pem.decode(),
    }
    assert SERVED.judge(served(api, der())).status is Status.PASS
    fresh = FACTORY.issued_at(NOW - dt.timedelta(minutes=10), "api.example.test")
    api["certificate"] = fresh.cert_pem.decode()
    outcome = SERVED.judge(served(api, der()))
    assert outcome.status is Status.FAIL and not outcome.terminal
    assert outcome.eta is not None
    assert outcome.eta.latest == (NOW + dt.timedelta(minutes=20)).timestamp()
    late = SERVED.judge(served(api, der(), NOW + dt.timedelta(minutes=40)))
    assert late.status is Status.FAIL and late.eta is None and not late.terminal
    api["creationTimestamp"] = (NOW + dt.timedelta(minutes=30)).isoformat()
    recreated = SERVED.judge(served(api, der(), NOW + dt.timedelta(minutes=40)))
    assert recreated.eta is not None  # changed 10 minutes ago: still propagating


def test_not_active_in_the_api_fails_and_a_missing_certificate_is_not_found() -> None:
    """Nothing ACTIVE to compare; a 404 is a FAIL naming the certificate."""
    provisioning = {"type": "MANAGED", "managed": {"status": "PROVISIONING"}}
    assert "is PROVISIONING in the API" in SERVED.judge(served(provisioning, der())).summary
    missing = SERVED.judge(ServedObserved(None, None, "", NOW, "p"))
    assert missing.status is Status.FAIL and "does not exist" in missing.summary


def test_no_leaf_served_is_an_error() -> None:
    """A handshake without a certificate leaves it undecided."""
    api = {"type": "MANAGED", "managed": {"status": "ACTIVE"}}
    assert SERVED.judge(ServedObserved(api, None, "192.0.2.1:443", NOW, "p")).status is Status.ERROR


def answer(role: str, rcode: str, values: tuple[str, ...] = (), **kw: object) -> ServerAnswer:
    """One server's answer."""
    return ServerAnswer("192.0.2.53:53", role, rcode, frozenset(values), **kw)  # type: ignore[arg-type]


def test_propagation_on_plain_answers() -> None:
    """Agreement passes; a cached NXDOMAIN converges by its negative TTL; silence is ERROR."""
    zone = {"name": "z"}
    agree = PropagationObserved(
        "p",
        zone,
        ("192.0.2.1",),
        (answer("authoritative", "NOERROR", ("192.0.2.1",), ttl=300),),
        1000.0,
    )
    assert PROPAGATION.judge(agree).status is Status.PASS
    cached = PropagationObserved(
        "p", zone, ("192.0.2.1",),
        (answer("resolver", "NXDOMAIN", cached=True, negative_ttl=300),), 1000.0,
    )  # fmt: skip
    outcome = PROPAGATION.judge(cached)
    assert outcome.status is Status.FAIL and outcome.eta is not None
    assert outcome.eta.earliest == 1300.0
    silent = PropagationObserved(
        "p", zone, ("192.0.2.1",), (answer("resolver", "TIMEOUT"),), 1000.0
    )
    assert PROPAGATION.judge(silent).status is Status.ERROR
    absent = PropagationObserved("p", zone, None)
    assert "holds no" in PROPAGATION.judge(absent).summary
