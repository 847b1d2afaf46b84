"""gcp.cloud_sql_instance: a Cloud SQL instance, read from the sqladmin v1 REST API."""

from __future__ import annotations

import pytest

from infra_verify.checks.gcp.cloud_sql import GcpCloudSqlInstance
from infra_verify.model import Result, Status
from tests.checks.gcp.world import SQL, GcpWorld


def instance(**changes: object) -> GcpCloudSqlInstance:
    """The story's Cloud SQL check, with changes."""
    fields: dict[str, object] = {
        "instance": "netra-staging-db",
        "database_version": "POSTGRES_15",
        "private_ip": True,
        "network": "netra-staging-vpc",
        "ssl_mode": "ENCRYPTED_ONLY",
    }
    fields.update(changes)
    return GcpCloudSqlInstance.model_validate(fields)


def failed_at(result: Result, prop: str, actual: str) -> None:
    """Assert a FAIL whose only failing observation is ``prop`` with ``actual``."""
    assert result.status is Status.FAIL, result.summary
    assert result.summary.startswith(f"{prop}: expected "), result.summary
    bad = [(o.property, o.actual) for o in result.observations if not o.ok]
    assert bad == [(prop, actual)]


def test_runnable_instance_passes(gcp: GcpWorld) -> None:
    """A RUNNABLE, always-on instance with the expected private IP, network, version and SSL passes."""
    result = gcp.run(instance())
    assert result.status is Status.PASS, result.summary
    assert result.summary == "Cloud SQL netra-staging-db RUNNABLE, private IP 10.20.0.3"
    assert [o.property for o in result.observations] == [
        "state",
        "activation policy",
        "private IP",
        "private network",
        "database version",
        "SSL mode",
    ]


@pytest.mark.parametrize(
    ("state", "hint"),
    [("SUSPENDED", "suspended"), ("MAINTENANCE", "maintenance"), ("FAILED", "operations list")],
)
def test_instance_not_runnable_fails_with_state_hint(gcp: GcpWorld, state: str, hint: str) -> None:
    """A state other than RUNNABLE FAILs with a hint for that state."""
    gcp.patch(SQL, {"state": state})
    result = gcp.run(instance())
    failed_at(result, "state", state)
    assert result.hint is not None and hint in result.hint


def test_activation_policy_never_fails(gcp: GcpWorld) -> None:
    """An instance with activation policy NEVER (stopped) FAILs."""
    gcp.patch(SQL, {"settings": {"activationPolicy": "NEVER"}})
    failed_at(gcp.run(instance()), "activation policy", "NEVER")


def test_no_private_ip_fails(gcp: GcpWorld) -> None:
    """An instance with only a public IP FAILs when a private IP is expected."""
    gcp.patch(SQL, {"ipAddresses": [{"type": "PRIMARY", "ipAddress": "34.70.1.2"}]})
    failed_at(gcp.run(instance()), "private IP", "absent")


def test_instance_on_another_network_fails(gcp: GcpWorld) -> None:
    """An instance whose private network is another VPC than expected FAILs."""
    other = "/projects/netra-staging/global/networks/legacy-vpc"
    gcp.patch(SQL, {"settings": {"ipConfiguration": {"privateNetwork": other}}})
    failed_at(gcp.run(instance()), "private network", other)


def test_database_version_mismatch_fails(gcp: GcpWorld) -> None:
    """POSTGRES_14 when POSTGRES_15 is expected FAILs at the database version."""
    gcp.patch(SQL, {"databaseVersion": "POSTGRES_14"})
    failed_at(gcp.run(instance()), "database version", "POSTGRES_14")


def test_ssl_mode_mismatch_fails(gcp: GcpWorld) -> None:
    """An instance allowing unencrypted connections FAILs an ENCRYPTED_ONLY expectation."""
    mode = "ALLOW_UNENCRYPTED_AND_ENCRYPTED"
    gcp.patch(SQL, {"settings": {"ipConfiguration": {"sslMode": mode}}})
    failed_at(gcp.run(instance()), "SSL mode", mode)


def test_missing_instance_is_a_fail(gcp: GcpWorld) -> None:
    """An instance the API answers 404 for FAILs with a create command."""
    result = gcp.run(instance(instance="netra-ghost-db"))
    assert result.status is Status.FAIL
    assert "Cloud SQL instance netra-ghost-db does not exist" in result.summary
    assert result.hint is not None and "gcloud sql instances create netra-ghost-db" in result.hint
