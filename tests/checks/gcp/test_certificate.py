"""gcp.managed_certificate: compute SSL certificates (global, regional) and Certificate Manager."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from infra_verify.checks.gcp.certificate import GcpManagedCertificate
from infra_verify.gate import Gate
from infra_verify.model import Status
from tests.checks.gcp.world import API, APP, AUTH, CERT, CM_CERT, COMPUTE, HOSTS, PROJECT, GcpWorld


def cert_check(**changes: object) -> GcpManagedCertificate:
    """The story's certificate check, with changes."""
    fields: dict[str, object] = {"name": "netra-staging-cert", "domains": list(HOSTS)}
    fields.update(changes)
    return GcpManagedCertificate.model_validate(fields)


def expires_in(days: float) -> str:
    """An RFC 3339 expireTime ``days`` from now, as compute sends it."""
    when = dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def managed(status: str, api: str, others: str = "ACTIVE") -> dict[str, object]:
    """A patch setting managed.status, ``api``'s domain status and the other domains' status."""
    return {"managed": {"status": status, "domainStatus": {API: api, AUTH: others, APP: others}}}


def test_active_certificate_passes_with_days_left(gcp: GcpWorld) -> None:
    """ACTIVE with every domain ACTIVE passes and reports the days left before expiry."""
    gcp.patch(CERT, {"expireTime": expires_in(40.1)})
    result = gcp.run(cert_check())
    assert result.status is Status.PASS, result.summary
    assert "ACTIVE for 3 domain(s), 40 days left" in result.summary
    days = result.observations[-1]
    assert (days.property, days.expected, days.actual, days.ok) == (
        "days left",
        ">= 14",
        "40",
        True,
    )
    assert [o.actual for o in result.observations if o.property.startswith("domain ")] == [
        "ACTIVE"
    ] * 3


def test_provisioning_is_a_retryable_fail(gcp: GcpWorld) -> None:
    """PROVISIONING is "not yet": a FAIL that is not terminal, with a hint to wait."""
    gcp.patch(CERT, managed("PROVISIONING", "PROVISIONING", "PROVISIONING"))
    result = gcp.run(cert_check())
    assert result.status is Status.FAIL
    assert not result.terminal
    assert "PROVISIONING" in result.summary and "not yet" in result.summary
    assert result.hint is not None and result.hint.startswith("wait")


def test_provisioning_carries_googles_window_as_its_eta(gcp: GcpWorld) -> None:
    """PROVISIONING converges any moment within Google's 60 minutes; FAILED_NOT_VISIBLE has no ETA."""
    gcp.patch(CERT, managed("PROVISIONING", "PROVISIONING", "PROVISIONING"))
    result = gcp.run(cert_check())
    assert result.eta is not None
    assert result.eta.latest - result.eta.earliest == 3600
    assert "up to 60 minutes" in result.eta.why
    gcp.patch(CERT, managed("PROVISIONING", "FAILED_NOT_VISIBLE", "PROVISIONING"))
    assert gcp.run(cert_check()).eta is None


def test_provisioning_turning_active_converges_in_wait_mode(gcp: GcpWorld) -> None:
    """A certificate that becomes ACTIVE while the gate waits ends as PASS after several attempts:
    the fix lands once the fake has served PROVISIONING twice (no timer), inside a 300 s wait."""
    gcp.patch(CERT, managed("PROVISIONING", "PROVISIONING", "PROVISIONING"))
    before = gcp.requests_to(CERT)

    def activate_after_two_reads() -> None:
        for _ in range(3000):  # a generous 60 s polling bound
            if gcp.requests_to(CERT) - before >= 2:
                break
            time.sleep(0.02)
        gcp.patch(CERT, managed("ACTIVE", "ACTIVE"))

    fixer = threading.Thread(target=activate_after_two_reads, daemon=True)
    fixer.start()
    run = Gate([cert_check()], context=gcp.context(), wait=300, poll=0.1, poll_max=0.2).run()
    fixer.join()
    result = run.results[0]
    assert result.status is Status.PASS, result.summary
    assert result.attempts > 1


@pytest.mark.parametrize(
    ("status", "message", "hint"),
    [
        ("FAILED_NOT_VISIBLE", "does not reach the load balancer", "see the dns checks"),
        ("FAILED_CAA_CHECKING", "CAA lookup failed", "answer CAA queries"),
        ("FAILED_CAA_FORBIDDEN", "CAA record forbids", 'issue "pki.goog"'),
        ("FAILED_RATE_LIMITED", "rate-limited", "wait a few hours"),
    ],
)
def test_each_failed_domain_status_has_its_message_and_hint(
    gcp: GcpWorld, status: str, message: str, hint: str
) -> None:
    """Every FAILED_* domain status FAILs with its own message and remediation hint."""
    gcp.patch(CERT, managed("PROVISIONING", status))
    result = gcp.run(cert_check())
    assert result.status is Status.FAIL
    assert result.summary.startswith(f"certificate netra-staging-cert is PROVISIONING: {API}")
    assert message in result.summary
    assert result.hint is not None and hint in result.hint
    domain = next(o for o in result.observations if o.property == f"domain {API}")
    assert (domain.actual, domain.ok) == (status, False)
    assert "more domain" not in result.summary


def test_every_domain_failing_is_counted(gcp: GcpWorld) -> None:
    """When all three domains are FAILED_NOT_VISIBLE, the summary counts the other two."""
    gcp.patch(CERT, managed("PROVISIONING", "FAILED_NOT_VISIBLE", "FAILED_NOT_VISIBLE"))
    result = gcp.run(cert_check())
    assert result.status is Status.FAIL
    assert "(+2 more domain(s))" in result.summary


def test_failed_permanently_is_terminal(gcp: GcpWorld) -> None:
    """PROVISIONING_FAILED_PERMANENTLY is a terminal FAIL telling to re-create the certificate."""
    gcp.patch(
        CERT, managed("PROVISIONING_FAILED_PERMANENTLY", "FAILED_NOT_VISIBLE", "FAILED_NOT_VISIBLE")
    )
    result = gcp.run(cert_check())
    assert result.status is Status.FAIL
    assert result.terminal
    assert "failed to provision permanently" in result.summary
    assert result.hint is not None
    assert "ssl-certificates delete netra-staging-cert" in result.hint
    assert "ssl-certificates create netra-staging-cert" in result.hint


def test_domain_missing_from_certificate_fails(gcp: GcpWorld) -> None:
    """An expected domain that is not on the certificate FAILs: managed certs cannot gain domains."""
    www = "www.staging.netrasystems.ai"
    result = gcp.run(cert_check(domains=[API, www]))
    assert result.status is Status.FAIL
    assert f"{www} is not on the certificate" in result.summary
    absent = next(o for o in result.observations if o.property == f"domain {www}")
    assert (absent.actual, absent.ok) == ("absent", False)
    assert result.hint is not None and "create a new one" in result.hint


def test_too_few_days_left_fails(gcp: GcpWorld) -> None:
    """An ACTIVE certificate expiring in 5 days fails a 14-day minimum."""
    gcp.patch(CERT, {"expireTime": expires_in(5.1)})
    result = gcp.run(cert_check())
    assert result.status is Status.FAIL
    assert result.summary.startswith("days left: expected >= 14, got 5")


def test_self_managed_certificate_fails(gcp: GcpWorld) -> None:
    """A SELF_MANAGED certificate is not Google-managed: FAIL pointing at a tls check."""
    gcp.patch(CERT, {"type": "SELF_MANAGED", "managed": None})
    result = gcp.run(cert_check())
    assert result.status is Status.FAIL
    assert "is SELF_MANAGED, not Google-managed" in result.summary
    assert result.observations[0].actual == "SELF_MANAGED"


def test_missing_certificate_fails(gcp: GcpWorld) -> None:
    """A certificate the API answers 404 for FAILs with a create command."""
    gcp.fake.delete(CERT)
    result = gcp.run(cert_check())
    assert result.status is Status.FAIL
    assert "SSL certificate netra-staging-cert does not exist" in result.summary
    assert result.hint is not None and "gcloud compute ssl-certificates create" in result.hint


def test_regional_certificate_is_read_in_its_region(gcp: GcpWorld) -> None:
    """``regional: true`` reads regions/{region}/sslCertificates, not the global one."""
    regional = f"{COMPUTE}/regions/europe-west1/sslCertificates/netra-eu-cert"
    resource = gcp.fake.get(CERT)
    resource.update(
        name="netra-eu-cert",
        region=f"https://www.googleapis.com/compute/v1/projects/{PROJECT}/regions/europe-west1",
        selfLink=f"https://www.googleapis.com/{regional}",
    )
    gcp.put(regional, resource)
    check = cert_check(name="netra-eu-cert", regional=True, region="europe-west1")
    result = gcp.run(check)
    assert result.status is Status.PASS, result.summary
    assert gcp.requests_to(regional) == 1
    global_only = gcp.run(cert_check(regional=True, region="europe-west1"))
    assert global_only.status is Status.FAIL
    assert "does not exist" in global_only.summary


def test_certificate_manager_certificate_passes(gcp: GcpWorld) -> None:
    """An ACTIVE Certificate Manager certificate passes, with the domain AUTHORIZED."""
    check = cert_check(name="netra-staging-cm-cert", domains=[API], certificate_manager=True)
    result = gcp.run(check)
    assert result.status is Status.PASS, result.summary
    assert "Certificate Manager certificate netra-staging-cm-cert ACTIVE" in result.summary
    assert [(o.property, o.actual) for o in result.observations[:2]] == [
        ("managed.state", "ACTIVE"),
        (f"domain {API}", "AUTHORIZED"),
    ]
    assert gcp.requests_to(CM_CERT) == 1


def test_certificate_manager_caa_failure_fails_with_caa_hint(gcp: GcpWorld) -> None:
    """A Certificate Manager authorization failing on CAA FAILs with the reason and a CAA hint."""
    details = "CAA records at staging.netrasystems.ai forbid pki.goog"
    gcp.patch(
        CM_CERT,
        {
            "managed": {
                "state": "PROVISIONING",
                "authorizationAttemptInfo": [
                    {"domain": API, "state": "FAILED", "failureReason": "CAA", "details": details}
                ],
                "provisioningIssue": {"reason": "AUTHORIZATION_ISSUE", "details": details},
            }
        },
    )
    check = cert_check(name="netra-staging-cm-cert", domains=[API], certificate_manager=True)
    result = gcp.run(check)
    assert result.status is Status.FAIL
    assert f"is PROVISIONING: {API} is FAILED (CAA: {details})" in result.summary
    assert "provisioning issue AUTHORIZATION_ISSUE" in result.summary
    assert result.hint is not None and 'issue "pki.goog"' in result.hint
    assert result.observations[1].actual == "FAILED CAA"


def test_missing_certificate_manager_certificate_fails(gcp: GcpWorld) -> None:
    """A Certificate Manager certificate that does not exist is a FAIL from the 404."""
    check = cert_check(name="nope", domains=[API], certificate_manager=True)
    result = gcp.run(check)
    assert result.status is Status.FAIL
    assert "Certificate Manager certificate nope (global) does not exist" in result.summary


def test_certificate_in_another_project_is_read_there(gcp: GcpWorld) -> None:
    """A certificate path (or project:) in another project is read in that project."""
    other = CERT.replace(f"projects/{PROJECT}/", "projects/netra-edge/")
    gcp.put(other, gcp.fake.get(CERT))
    by_path = cert_check(name="projects/netra-edge/global/sslCertificates/netra-staging-cert")
    assert gcp.run(by_path).status is Status.PASS
    assert gcp.run(cert_check(project="netra-edge")).status is Status.PASS
    assert gcp.requests_to(other) == 2


def test_certificate_manager_path_in_another_project_is_read_there(gcp: GcpWorld) -> None:
    """A Certificate Manager certificate named by its path is read in its project and location."""
    other = CM_CERT.replace(f"projects/{PROJECT}/", "projects/netra-edge/")
    gcp.put(other, gcp.fake.get(CM_CERT))
    path = other.removeprefix("v1/")
    check = GcpManagedCertificate(name=path, domains=(API,), certificate_manager=True)
    assert gcp.run(check).status is Status.PASS
    assert gcp.requests_to(other) == 1


def test_certificate_name_of_another_kind_is_refused() -> None:
    """A certificate name that is a path of another collection is a validation error."""
    with pytest.raises(ValueError, match="names networks, not sslCertificates"):
        cert_check(name="projects/p/global/networks/x")
