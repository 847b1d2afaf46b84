"""The cross-checks the gate adds: a gcp.certificate_served after each tls check whose host a
gcp.managed_certificate covers, running after both."""

from __future__ import annotations

from pathlib import Path

from infra_verify.checks.cross_checks import with_cross_checks
from infra_verify.checks.gcp.certificate import GcpManagedCertificate
from infra_verify.checks.gcp.certificate_served import GcpCertificateServed
from infra_verify.checks.gcp.load_balancer import GcpLoadBalancer
from infra_verify.checks.tls import Tls
from infra_verify.graph import build_graph
from infra_verify.policy.load import load_policy

CERT = GcpManagedCertificate.model_validate(
    {"id": "cert", "name": "c", "domains": ["api.example.test", "www.example.test"]}
)


def tls(cid: str, host: str, **extra: object) -> Tls:
    """A tls check."""
    return Tls.model_validate({"id": cid, "host": host, **extra})


def test_a_certificate_covering_a_tls_host_adds_the_cross_check_after_both() -> None:
    """The served check follows its tls check, dials what it dials and depends on both."""
    checks = with_cross_checks(
        [CERT, tls("tls-api", "api.example.test", port=8443, ip="192.0.2.9")]
    )
    assert [c.id for c in checks] == ["cert", "tls-api", "tls-api-served"]
    served = checks[2]
    assert isinstance(served, GcpCertificateServed)
    assert (served.host_, served.port, served.ip, served.certificate) == (
        "api.example.test", 8443, "192.0.2.9", "c",
    )  # fmt: skip
    assert set(build_graph(checks).hard["tls-api-served"]) == {"cert", "tls-api"}


def test_no_certificate_for_the_host_adds_nothing() -> None:
    """A tls host no certificate covers, or a policy without certificates: unchanged."""
    other = [CERT, tls("tls-other", "other.example.test")]
    assert with_cross_checks(other) == other
    alone = [tls("tls-api", "api.example.test")]
    assert with_cross_checks(alone) == alone


def test_a_policys_own_cross_check_is_kept() -> None:
    """A gcp.certificate_served the policy already has for the host is not duplicated."""
    own = GcpCertificateServed.model_validate(
        {"id": "mine", "host": "api.example.test", "certificate": "c"}
    )
    checks = [CERT, own, tls("tls-api", "api.example.test")]
    assert with_cross_checks(checks) == checks


def test_policies_get_them_at_load(tmp_path: Path) -> None:
    """Loading a policy adds them; the policy file's own ids stay as written."""
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "environment: test\n"
        "gcp: {project: p}\n"
        "checks:\n"
        "  cert: {kind: gcp.managed_certificate, name: c, domains: [api.example.test]}\n"
        "  tls-api: {kind: tls, host: api.example.test}\n",
        encoding="utf-8",
    )
    loaded = load_policy(policy, env={}, allow_outside_policy_dir=True)
    assert [c.id for c in loaded.checks] == ["cert", "tls-api", "tls-api-served"]


def test_the_load_balancers_forwarding_rule_is_passed_on() -> None:
    """With a gcp.load_balancer carrying the certificate, the cross-check reads its proxy."""
    balancer = GcpLoadBalancer.model_validate(
        {"id": "lb", "forwarding_rule": "https-rule", "certificate": "c"}
    )
    checks = with_cross_checks([CERT, balancer, tls("tls-api", "api.example.test")])
    served = checks[-1]
    assert isinstance(served, GcpCertificateServed)
    assert served.forwarding_rule == "https-rule"
