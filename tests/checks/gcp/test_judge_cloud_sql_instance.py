"""gcp.cloud_sql_instance's judge on plain data: CloudSqlObserved built by hand, no server."""

from __future__ import annotations

from typing import Any

import pytest

from infra_verify.checks.gcp.cloud_sql import CloudSqlObserved, GcpCloudSqlInstance
from infra_verify.model import Status

CHECK = GcpCloudSqlInstance(
    instance="netra-staging-db",
    database_version="POSTGRES_15",
    private_ip=True,
    network="netra-staging-vpc",
    ssl_mode="ENCRYPTED_ONLY",
)


def instance(**changes: Any) -> dict[str, Any]:
    """A healthy sqladmin v1 instance, as the REST API returns it, with top-level changes."""
    inst: dict[str, Any] = {
        "name": "netra-staging-db",
        "databaseVersion": "POSTGRES_15",
        "state": "RUNNABLE",
        "settings": {
            "activationPolicy": "ALWAYS",
            "ipConfiguration": {
                "ipv4Enabled": False,
                "privateNetwork": "/projects/netra-staging/global/networks/netra-staging-vpc",
                "sslMode": "ENCRYPTED_ONLY",
            },
        },
        "ipAddresses": [{"type": "PRIVATE", "ipAddress": "10.20.0.3"}],
    }
    inst.update(changes)
    return inst


def observed(inst: dict[str, Any] | None) -> CloudSqlObserved:
    """The observation of ``inst`` in project netra-staging."""
    return CloudSqlObserved("netra-staging", inst)


def test_runnable_instance_on_its_private_network_passes() -> None:
    """A RUNNABLE, always-on instance with the expected private IP, network, version and SSL passes."""
    outcome = CHECK.judge(observed(instance()))
    assert outcome.status is Status.PASS
    assert outcome.summary == "Cloud SQL netra-staging-db RUNNABLE, private IP 10.20.0.3"
    assert [o.property for o in outcome.observations] == [
        "state",
        "activation policy",
        "private IP",
        "private network",
        "database version",
        "SSL mode",
    ]


@pytest.mark.parametrize(
    ("changes", "summary", "hint_part"),
    [
        (
            {"state": "SUSPENDED"},
            "state: expected RUNNABLE, got SUSPENDED (at netra-staging-db)",
            "often billing",
        ),
        (
            {"state": "MAINTENANCE"},
            "state: expected RUNNABLE, got MAINTENANCE (at netra-staging-db)",
            "wait for maintenance",
        ),
        (
            {"settings": {**instance()["settings"], "activationPolicy": "NEVER"}},
            "activation policy: expected ALWAYS, got NEVER (at netra-staging-db)",
            "gcloud sql instances patch netra-staging-db",
        ),
        (
            {"ipAddresses": [{"type": "PRIMARY", "ipAddress": "34.70.1.2"}]},
            "private IP: expected present, got absent (at netra-staging-db)",
            "gcloud sql instances patch netra-staging-db",
        ),
        (
            {"databaseVersion": "POSTGRES_14"},
            "database version: expected POSTGRES_15, got POSTGRES_14 (at netra-staging-db)",
            "gcloud sql instances patch",
        ),
    ],
)
def test_each_wrong_property_fails_naming_it(
    changes: dict[str, Any], summary: str, hint_part: str
) -> None:
    """Each wrong property (state, activation, private IP, version) FAILs naming it, with a hint."""
    outcome = CHECK.judge(observed(instance(**changes)))
    assert outcome.status is Status.FAIL
    assert outcome.summary == summary
    assert outcome.hint is not None and hint_part in outcome.hint


def test_private_network_and_ssl_mode_mismatch_fail_together() -> None:
    """Another private network and SSL mode FAIL at the network, counting one more."""
    settings = {"activationPolicy": "ALWAYS", "ipConfiguration": {"privateNetwork": "/x/default"}}
    outcome = CHECK.judge(observed(instance(settings=settings)))
    assert outcome.status is Status.FAIL
    assert outcome.summary == (
        "private network: expected netra-staging-vpc, got /x/default (at netra-staging-db) (+1 more)"
    )


def test_unexpected_private_ip_is_reported_when_not_asked() -> None:
    """Without 'private_ip', a private IP is reported as an informational observation."""
    outcome = GcpCloudSqlInstance(instance="netra-staging-db").judge(observed(instance()))
    assert outcome.status is Status.PASS
    assert outcome.observations[-1].property == "private IP"
    assert outcome.observations[-1].actual == "10.20.0.3"


def test_missing_instance_fails_with_create_command() -> None:
    """An instance that does not exist (404) FAILs naming the project, with a create command."""
    outcome = CHECK.judge(observed(None))
    assert outcome.status is Status.FAIL
    assert (
        outcome.summary
        == "Cloud SQL instance netra-staging-db does not exist in project netra-staging"
    )
    assert outcome.hint is not None
    assert outcome.hint.startswith("gcloud sql instances create netra-staging-db")
    assert "--network=netra-staging-vpc" in outcome.hint
    assert outcome.observations == ()
