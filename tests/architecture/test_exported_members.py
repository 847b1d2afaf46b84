"""The public API is pinned: changing it is a decision, made here, not an accident elsewhere."""

from __future__ import annotations

import importlib

import pytest

import infra_verify
import infra_verify.checks

PUBLIC = [
    "Check",
    "CheckContext",
    "CheckDefinitionError",
    "DeploymentIncomplete",
    "Gate",
    "GateRun",
    "InfraVerifyError",
    "Observation",
    "Outcome",
    "Policy",
    "PolicyError",
    "ProbeError",
    "Result",
    "Status",
    "UsageError",
    "__version__",
    "all_of",
    "any_of",
    "bundles",
    "load_policy",
    "register_kind",
]

CHECK_CLASSES = [
    "Dns",
    "Environment",
    "GcpCertificateServed",
    "GcpCloudRunService",
    "GcpCloudSqlInstance",
    "GcpCloudSqlPath",
    "GcpConnectivityTest",
    "GcpDnsPropagation",
    "GcpDnsRecord",
    "GcpLoadBalancer",
    "GcpManagedCertificate",
    "GcpVpcConnector",
    "Http",
    "Postgres",
    "Tcp",
    "Tls",
    "WebSocket",
]


def test_all_equals_the_checked_in_list() -> None:
    """infra_verify.__all__ is exactly the pinned list of public names."""
    assert sorted(infra_verify.__all__) == sorted(PUBLIC)


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_resolves(name: str) -> None:
    """Every name in __all__ is importable from the package top level."""
    assert getattr(infra_verify, name) is not None


def test_checks_all_equals_the_checked_in_list() -> None:
    """infra_verify.checks.__all__ is exactly the pinned list of check classes."""
    assert sorted(infra_verify.checks.__all__) == sorted(CHECK_CLASSES)


@pytest.mark.parametrize("name", CHECK_CLASSES)
def test_every_check_class_resolves_and_is_a_check(name: str) -> None:
    """Each documented check class imports from infra_verify.checks and subclasses Check."""
    cls = getattr(infra_verify.checks, name)
    assert issubclass(cls, infra_verify.Check)


def test_documented_module_paths_still_import() -> None:
    """The module paths the README and docs name are importable (they are part of the API)."""
    for path, attr in [
        ("infra_verify.checks.http", "Http"),
        ("infra_verify.testing.fake_gcp", "FakeGcp"),
        ("infra_verify.testing.discovery", "validate_resource"),
        ("infra_verify.testing.certs", "CertFactory"),
        ("infra_verify.reporters.serialize", "run_from_dict"),
        ("infra_verify.checks.bundles", "cloud_run_behind_load_balancer"),
        ("infra_verify.pytest_plugin", "pytest_addoption"),
        ("infra_verify.cli.main", "main"),
    ]:
        assert hasattr(importlib.import_module(path), attr), f"{path}.{attr}"


def test_unknown_name_is_an_attribute_error() -> None:
    """A name outside the API raises AttributeError, as for any module."""
    with pytest.raises(AttributeError):
        _ = infra_verify.NotAThing  # type: ignore[attr-defined]
