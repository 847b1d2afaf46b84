"""gcp.cloud_sql_path's judge on plain data: SqlPathObserved built by hand, no server, no socket."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from infra_verify.checks.gcp.sql_path import GcpCloudSqlPath, SqlPathObserved
from infra_verify.model import Status

CONNECTOR = "projects/netra-staging/locations/us-central1/connectors/netra-staging-connector"
PATH = GcpCloudSqlPath(service="netra-backend-staging", instance="netra-staging-db")
PROBED = GcpCloudSqlPath(service="netra-backend-staging", instance="netra-staging-db", probe=True)


def service(**vpc_access: Any) -> dict[str, Any]:
    """A run v2 service whose template has ``vpc_access`` (empty: no VPC access at all)."""
    template: dict[str, Any] = {"vpcAccess": vpc_access} if vpc_access else {}
    return {
        "name": "projects/netra-staging/locations/us-central1/services/netra-backend-staging",
        "template": template,
    }


SERVICE = service(connector=CONNECTOR, egress="PRIVATE_RANGES_ONLY")
INSTANCE: dict[str, Any] = {
    "name": "netra-staging-db",
    "state": "RUNNABLE",
    "settings": {
        "ipConfiguration": {
            "privateNetwork": "/projects/netra-staging/global/networks/netra-staging-vpc"
        }
    },
    "ipAddresses": [{"type": "PRIVATE", "ipAddress": "10.20.0.3"}],
}


def connector(**changes: Any) -> dict[str, Any]:
    """A READY vpcaccess v1 connector on the SQL network, with changes."""
    return {"name": CONNECTOR, "network": "netra-staging-vpc", "state": "READY", **changes}


def observed(
    svc: dict[str, Any] | None = SERVICE,
    inst: dict[str, Any] | None = INSTANCE,
    conn: dict[str, Any] | None = None,
    **handshake: Any,
) -> SqlPathObserved:
    """The path's observation in netra-staging, us-central1 (connector READY unless given)."""
    if conn is None and svc is SERVICE:
        conn = connector()
    return SqlPathObserved("netra-staging", "us-central1", svc, inst, conn, **handshake)


def test_connector_path_to_the_private_ip_passes() -> None:
    """Service -> READY connector -> the SQL network -> private IP, with private egress, passes."""
    outcome = PATH.judge(observed())
    assert outcome.status is Status.PASS
    assert outcome.summary == (
        "netra-backend-staging reaches netra-staging-db at 10.20.0.3 via network netra-staging-vpc"
    )
    assert len(outcome.observations) == 6
    judged = outcome.observations[-1]
    assert (judged.property, judged.actual) == (
        "path judged",
        "private IP: the instance has a private IP",
    )


def test_direct_vpc_egress_on_the_sql_network_passes() -> None:
    """Direct VPC egress on the SQL instance's network is a path too."""
    svc = service(networkInterfaces=[{"network": "netra-staging-vpc"}], egress="ALL_TRAFFIC")
    outcome = PATH.judge(observed(svc))
    assert outcome.status is Status.PASS
    assert outcome.observations[0].property == "Direct VPC egress network = Cloud SQL network"


@pytest.mark.parametrize(
    ("obs", "link", "actual"),
    [
        (observed(service()), "service VPC access", "none"),
        (
            observed(conn=connector(state="ERROR")),
            "connector state",
            "netra-staging-connector: ERROR",
        ),
        (
            observed(conn=connector(name=CONNECTOR.replace("us-central1", "us-east1"))),
            "connector region",
            "us-east1",
        ),
        (
            observed(conn=connector(network="default")),
            "connector network = Cloud SQL network",
            "default",
        ),
        (
            observed(service(networkInterfaces=[{"network": "default"}], egress="ALL_TRAFFIC")),
            "Direct VPC egress network = Cloud SQL network",
            "default",
        ),
        (
            observed(
                inst={**INSTANCE, "ipAddresses": [{"type": "PRIMARY", "ipAddress": "34.70.1.2"}]}
            ),
            "Cloud SQL private IP",
            "absent",
        ),
    ],
)
def test_each_missing_link_fails_naming_it(obs: SqlPathObserved, link: str, actual: str) -> None:
    """Each broken link of the path is the finding: FAIL naming the link and what was seen."""
    outcome = PATH.judge(obs)
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith(
        f"no path from netra-backend-staging to netra-staging-db: {link}: "
    )
    bad = next(o for o in outcome.observations if not o.ok)
    assert (bad.property, bad.actual) == (link, actual)


def test_connector_that_does_not_exist_is_missing() -> None:
    """A connector the service names that does not exist (None) FAILs as MISSING, not ERROR."""
    outcome = PATH.judge(SqlPathObserved("netra-staging", "us-central1", SERVICE, INSTANCE, None))
    assert outcome.status is Status.FAIL
    assert outcome.observations[0].actual == "netra-staging-connector: MISSING"


def test_missing_service_or_instance_fails() -> None:
    """A service or an instance that does not exist (404) FAILs naming it and the project."""
    no_service = PATH.judge(observed(svc=None, inst=None))
    assert no_service.status is Status.FAIL
    assert no_service.summary == (
        "Cloud Run service netra-backend-staging (us-central1) does not exist in project netra-staging"
    )
    no_instance = PATH.judge(observed(inst=None))
    assert no_instance.status is Status.FAIL
    assert (
        no_instance.summary
        == "Cloud SQL instance netra-staging-db does not exist in project netra-staging"
    )


def test_probe_with_a_postgres_answer_passes() -> None:
    """With probe on, an SSLRequest answered with S adds a passing handshake to the path."""
    outcome = PROBED.judge(observed(handshake=b"S"))
    assert outcome.status is Status.PASS
    assert outcome.summary.endswith("via network netra-staging-vpc; PostgreSQL answers")
    last = outcome.observations[-1]
    assert (last.property, last.actual, last.where) == (
        "PostgreSQL handshake",
        "b'S'",
        "10.20.0.3:5432",
    )


def test_probe_with_another_answer_fails() -> None:
    """With probe on, something other than PostgreSQL answering FAILs at the handshake."""
    outcome = PROBED.judge(observed(handshake=b"HTTP/1.1 400"))
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith("PostgreSQL handshake: expected S or N, got b'HTTP/1.1 400'")


def test_probe_without_an_answer_fails_though_the_path_is_configured() -> None:
    """With probe on, a private IP that does not answer FAILs with the reason, links still ok."""
    outcome = PROBED.judge(observed(handshake_error="10.20.0.3:5432: connection refused"))
    assert outcome.status is Status.FAIL
    assert outcome.summary == (
        "the path is configured, but 10.20.0.3:5432 does not answer: 10.20.0.3:5432: connection refused"
    )
    assert all(o.ok for o in outcome.observations)


def test_probe_on_a_broken_path_judges_the_path_only() -> None:
    """With probe on, a broken path FAILs at its link; no handshake is needed or judged."""
    outcome = PROBED.judge(observed(conn=connector(state="ERROR")))
    assert outcome.status is Status.FAIL
    assert "connector state" in outcome.summary


def test_probe_with_no_handshake_recorded_is_an_error() -> None:
    """With probe on and a configured path, no handshake recorded cannot PASS: ERROR."""
    outcome = PROBED.judge(observed())
    assert outcome.status is Status.ERROR
    assert "no PostgreSQL handshake with 10.20.0.3:5432 was recorded" in outcome.summary


def test_policy_key_probe_fills_the_probe_attribute() -> None:
    """The policy key stays 'probe'; the attribute is probe_ (probe() is the method)."""
    check = GcpCloudSqlPath.model_validate({"service": "s", "instance": "i", "probe": True})
    assert check.probe_ is True
    assert GcpCloudSqlPath.model_validate({"service": "s", "instance": "i", "probe_": True}).probe_


def test_egress_omitted_by_the_api_is_its_default() -> None:
    """vpcAccess without egress is PRIVATE_RANGES_ONLY (the API's default): the path holds."""
    outcome = PATH.judge(observed(service(connector=CONNECTOR), conn=connector()))
    assert outcome.status is Status.PASS
    egress = next(o for o in outcome.observations if o.property == "egress routes private ranges")
    assert egress.actual == "PRIVATE_RANGES_ONLY"


def test_same_network_name_in_another_project_is_no_path() -> None:
    """SQL on projects/host/…/default; Direct VPC into the service project's default: FAIL."""
    inst = {
        **INSTANCE,
        "settings": {
            "ipConfiguration": {"privateNetwork": "/projects/host/global/networks/default"}
        },
    }
    svc = service(networkInterfaces=[{"network": "default"}])
    outcome = PATH.judge(observed(svc, inst))
    assert outcome.status is Status.FAIL
    bad = next(o for o in outcome.observations if not o.ok)
    assert (bad.expected, bad.actual) == ("projects/host/global/networks/default", "default")


ATTACHMENT = "projects/tp/regions/us-central1/serviceAttachments/a-1"
PSC_INSTANCE: dict[str, Any] = {
    "name": "netra-staging-db",
    "dnsName": "x.sql.goog.",
    "pscServiceAttachmentLink": ATTACHMENT,
    "settings": {
        "ipConfiguration": {
            "pscConfig": {"pscEnabled": True, "allowedConsumerProjects": ["netra-staging"]}
        }
    },
}
ENDPOINT: dict[str, Any] = {
    "name": "sql-psc",
    "IPAddress": "10.20.0.50",
    "target": f"https://www.googleapis.com/compute/v1/{ATTACHMENT}",
    "network": "https://www.googleapis.com/compute/v1/projects/netra-staging/global/networks/netra-staging-vpc",
    "pscConnectionStatus": "ACCEPTED",
}


def test_psc_without_a_private_ip_is_judged_as_psc() -> None:
    """An instance with only pscConfig is reached through an ACCEPTED endpoint on the VPC."""
    outcome = PATH.judge(replace(observed(inst=PSC_INSTANCE), psc_endpoints=(ENDPOINT,)))
    assert outcome.status is Status.PASS, outcome.summary
    assert outcome.summary.endswith("through Private Service Connect at x.sql.goog. (10.20.0.50)")


@pytest.mark.parametrize(
    "endpoints",
    [(), ({**ENDPOINT, "pscConnectionStatus": "REJECTED"},), ({**ENDPOINT, "network": "default"},)],
)
def test_psc_allowed_without_an_accepted_endpoint_on_the_vpc_fails(
    endpoints: tuple[dict[str, Any], ...],
) -> None:
    """Allowing the project is not a path: no endpoint, a REJECTED one, or one elsewhere: FAIL."""
    outcome = PATH.judge(replace(observed(inst=PSC_INSTANCE), psc_endpoints=endpoints))
    assert outcome.status is Status.FAIL
    assert next(o for o in outcome.observations if not o.ok).property == (
        "PSC endpoint on the service's network"
    )


def test_psc_endpoints_not_read_are_an_error_not_a_fail() -> None:
    """When the endpoints could not be read, the PSC way cannot be judged: ERROR."""
    outcome = PATH.judge(replace(observed(inst=PSC_INSTANCE), psc_error="HTTP 403"))
    assert outcome.status is Status.ERROR


def test_connector_with_a_public_ip_is_judged_as_the_connector() -> None:
    """A mounted instance with only a public IP is reached by the Cloud SQL connector."""
    inst = {
        "name": "netra-staging-db",
        "connectionName": "netra-staging:us-central1:netra-staging-db",
        "ipAddresses": [{"type": "PRIMARY", "ipAddress": "34.70.1.2"}],
        "settings": {"ipConfiguration": {"ipv4Enabled": True}},
    }
    svc = service()
    svc["template"]["volumes"] = [
        {"name": "cloudsql", "cloudSqlInstance": {"instances": [inst["connectionName"]]}}
    ]
    outcome = PATH.judge(observed(svc, inst))
    assert outcome.status is Status.PASS
    assert "through the Cloud SQL connector" in outcome.summary
    assert outcome.observations[-1].actual == (
        "Cloud SQL connector: the service attaches the instance (a cloudSqlInstance volume) "
        "and it has a public IP"
    )


def test_via_names_the_way_to_judge() -> None:
    """via: connector judges only the connector way, even with a private IP configured."""
    outcome = GcpCloudSqlPath(
        service="netra-backend-staging", instance="netra-staging-db", via="connector"
    ).judge(observed())
    assert outcome.status is Status.FAIL
    assert "Cloud SQL attached" in outcome.summary
