"""gcp.managed_certificate's judge on plain data: CertificateObserved built by hand, no server."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from infra_verify.checks.gcp.certificate import CertificateObserved, GcpManagedCertificate
from infra_verify.model import Status

API = "api.staging.netrasystems.ai"
APP = "app.staging.netrasystems.ai"
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
CHECK = GcpManagedCertificate(name="netra-staging-cert", domains=(API, APP))
CM_CHECK = GcpManagedCertificate(
    name="netra-staging-cm-cert", domains=(API,), certificate_manager=True
)


def ssl_certificate(
    status: str = "ACTIVE", expires: str = "2027-02-15T00:00:00.000-08:00", **domains: str
) -> dict[str, Any]:
    """A compute sslCertificate, as the REST API returns it; ``domains`` overrides a status."""
    domain_status = {API: "ACTIVE", APP: "ACTIVE"}
    domain_status.update({d.replace("_", "."): s for d, s in domains.items()})
    return {
        "name": "netra-staging-cert",
        "type": "MANAGED",
        "expireTime": expires,
        "managed": {"status": status, "domains": [API, APP], "domainStatus": domain_status},
    }


def observed(cert: dict[str, Any] | None, region: str = "us-central1") -> CertificateObserved:
    """The observation of ``cert`` in netra-staging, read at NOW."""
    return CertificateObserved("netra-staging", region, cert, NOW)


def test_active_certificate_passes_with_days_left() -> None:
    """An ACTIVE certificate with every domain ACTIVE passes, naming its days left."""
    outcome = CHECK.judge(observed(ssl_certificate()))
    assert outcome.status is Status.PASS
    assert outcome.summary == "certificate netra-staging-cert ACTIVE for 2 domain(s), 76 days left"
    assert outcome.observations[-1].property == "days left"


def test_days_left_count_from_the_time_of_reading() -> None:
    """The days left count from ``read_at``: the same certificate read later has fewer."""
    later = CertificateObserved(
        "netra-staging", "us-central1", ssl_certificate(), NOW + dt.timedelta(days=70)
    )
    outcome = CHECK.judge(later)
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith("days left: expected >= 14, got 6")


@pytest.mark.parametrize(
    ("domain_status", "message", "hint_part"),
    [
        ("PROVISIONING", "still provisioning (not yet)", "wait: Google validates"),
        ("FAILED_NOT_VISIBLE", "not visible: DNS for this domain", "A/AAAA record"),
        ("FAILED_CAA_FORBIDDEN", "a CAA record forbids", 'issue "pki.goog"'),
        ("FAILED_RATE_LIMITED", "rate-limited issuance", "wait a few hours"),
    ],
)
def test_each_domain_status_fails_with_its_own_message(
    domain_status: str, message: str, hint_part: str
) -> None:
    """A domain that is not ACTIVE FAILs with that status's message and hint."""
    cert = ssl_certificate("PROVISIONING", **{APP.replace(".", "_"): domain_status})
    outcome = CHECK.judge(observed(cert))
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith(f"certificate netra-staging-cert is PROVISIONING: {APP} ")
    assert message in outcome.summary
    assert outcome.hint is not None and hint_part in outcome.hint
    assert not outcome.terminal


def test_domain_not_on_the_certificate_fails() -> None:
    """An expected domain missing from the certificate FAILs: managed certificates cannot change."""
    check = GcpManagedCertificate(name="netra-staging-cert", domains=(API, "new.example.com"))
    outcome = check.judge(observed(ssl_certificate()))
    assert outcome.status is Status.FAIL
    assert outcome.summary == (
        "certificate netra-staging-cert is ACTIVE: new.example.com is not on the certificate"
    )
    assert outcome.hint is not None and "create a new one" in outcome.hint


def test_permanent_provisioning_failure_is_terminal() -> None:
    """PROVISIONING_FAILED_PERMANENTLY FAILs terminally, with a delete-and-re-create command."""
    outcome = CHECK.judge(observed(ssl_certificate("PROVISIONING_FAILED_PERMANENTLY")))
    assert outcome.status is Status.FAIL
    assert outcome.summary == "certificate netra-staging-cert failed to provision permanently"
    assert outcome.terminal
    assert outcome.hint is not None and "ssl-certificates delete netra-staging-cert" in outcome.hint


def test_self_managed_certificate_fails() -> None:
    """A SELF_MANAGED certificate is not Google-managed: FAIL pointing at a tls check."""
    cert = {**ssl_certificate(), "type": "SELF_MANAGED"}
    outcome = CHECK.judge(observed(cert))
    assert outcome.status is Status.FAIL
    assert outcome.summary == "certificate netra-staging-cert is SELF_MANAGED, not Google-managed"


def test_missing_certificate_fails_with_create_command() -> None:
    """A certificate that does not exist (404) FAILs with a create command (global or regional)."""
    outcome = CHECK.judge(observed(None))
    assert outcome.status is Status.FAIL
    assert (
        outcome.summary
        == "SSL certificate netra-staging-cert does not exist in project netra-staging"
    )
    assert outcome.hint == (
        f"gcloud compute ssl-certificates create netra-staging-cert --domains={API},{APP} --global"
    )
    regional = GcpManagedCertificate(name="netra-staging-cert", domains=(API,), regional=True)
    hint = regional.judge(observed(None, region="europe-west1")).hint
    assert hint is not None and hint.endswith("--region=europe-west1")


def cm_certificate(cert_state: str = "ACTIVE", **attempt: str) -> dict[str, Any]:
    """A Certificate Manager certificate, as the REST API returns it, with one domain's attempt."""
    managed: dict[str, Any] = {"domains": [API], "state": cert_state}
    if attempt:
        managed["authorizationAttemptInfo"] = [{"domain": API, **attempt}]
    return {
        "name": "projects/netra-staging/locations/global/certificates/netra-staging-cm-cert",
        "expireTime": "2027-02-15T08:00:00Z",
        "managed": managed,
    }


def test_active_certificate_manager_certificate_passes() -> None:
    """An ACTIVE Certificate Manager certificate with its domain authorized passes."""
    outcome = CM_CHECK.judge(observed(cm_certificate()))
    assert outcome.status is Status.PASS
    assert outcome.summary == "Certificate Manager certificate netra-staging-cm-cert ACTIVE"


def test_certificate_manager_authorization_failure_fails_with_reason() -> None:
    """A domain whose authorization FAILED for CONFIG FAILs naming the reason, with a DNS hint."""
    cert = cm_certificate(
        "PROVISIONING", state="FAILED", failureReason="CONFIG", details="no CNAME"
    )
    outcome = CM_CHECK.judge(observed(cert))
    assert outcome.status is Status.FAIL
    assert outcome.summary == (
        "Certificate Manager certificate netra-staging-cm-cert is PROVISIONING: "
        f"{API} is FAILED (CONFIG: no CNAME)"
    )
    assert outcome.hint is not None and "point the domain's DNS" in outcome.hint


def test_missing_certificate_manager_certificate_fails() -> None:
    """A Certificate Manager certificate that does not exist (404) FAILs with a create command."""
    outcome = CM_CHECK.judge(observed(None))
    assert outcome.status is Status.FAIL
    assert outcome.summary == (
        "Certificate Manager certificate netra-staging-cm-cert (global) "
        "does not exist in project netra-staging"
    )
    assert outcome.hint == (
        f"gcloud certificate-manager certificates create netra-staging-cm-cert --domains={API}"
    )
