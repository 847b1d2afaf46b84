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


def test_same_network_name_in_the_host_project_is_another_network(gcp: GcpWorld) -> None:
    """Private IP on the Shared VPC host's netra-staging-vpc is not on this project's: FAIL."""
    host = "/projects/netra-host/global/networks/netra-staging-vpc"
    gcp.patch(SQL, {"settings": {"ipConfiguration": {"privateNetwork": host}}})
    failed_at(gcp.run(instance()), "private network", host)
    shared = instance(network="projects/netra-host/global/networks/netra-staging-vpc")
    assert gcp.run(shared).status is Status.PASS


def test_psc_is_reported_and_can_be_required(gcp: GcpWorld) -> None:
    """A PSC-enabled instance reports its DNS name; psc: true passes, psc: false fails."""
    gcp.patch(
        SQL,
        {
            "dnsName": "abc123.us-central1.sql.goog.",
            "settings": {"ipConfiguration": {"pscConfig": {"pscEnabled": True}}},
        },
    )
    reported = gcp.run(instance())
    assert reported.status is Status.PASS, reported.summary
    psc = next(o for o in reported.observations if o.property == "Private Service Connect")
    assert psc.actual == "enabled, abc123.us-central1.sql.goog."
    assert gcp.run(instance(psc=True)).status is Status.PASS
    failed_at(gcp.run(instance(psc=False)), "Private Service Connect", "enabled")


def test_instance_by_connection_name_is_read_in_its_project(gcp: GcpWorld) -> None:
    """PROJECT:REGION:INSTANCE reads the instance in PROJECT."""
    gcp.put("v1/projects/netra-db/instances/db", {**gcp.fake.get(SQL), "name": "db"})
    result = gcp.run(instance(instance="netra-db:us-central1:db", network=None))
    assert result.status is Status.PASS, result.summary
    assert gcp.requests_to("v1/projects/netra-db/instances/db") == 1
