"""gcp.cloud_sql_path: Cloud Run -> VPC connector or Direct VPC -> network -> Cloud SQL private IP."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infra_verify import PolicyError, load_policy
from infra_verify.checks.gcp.cloud_run import GcpCloudRunService
from infra_verify.checks.gcp.sql_path import GcpCloudSqlPath
from infra_verify.checks.gcp.vpc_connector import GcpVpcConnector
from infra_verify.gate import Gate
from infra_verify.model import Result, Status
from infra_verify.testing.fake_gcp import FOREVER
from tests.checks.gcp.world import CONNECTOR, CONNECTOR_NAME, PROJECT, RUN_SERVICE, SQL, GcpWorld
from tests.servers.postgres import PostgresServer

PATH = GcpCloudSqlPath(service="netra-backend-staging", instance="netra-staging-db")
LINKS = [
    "connector state",
    "connector region",
    "connector network = Cloud SQL network",
    "Cloud SQL private IP",
    "egress routes private ranges",
    "path judged",
]


def vpc_access(gcp: GcpWorld, access: dict[str, Any] | None) -> None:
    """Replace the service template's vpcAccess (None removes it)."""
    svc = gcp.fake.get(RUN_SERVICE)
    if access is None:
        svc["template"].pop("vpcAccess", None)
    else:
        svc["template"]["vpcAccess"] = access
    gcp.put(RUN_SERVICE, svc)


def missing_link(result: Result, link: str) -> None:
    """Assert a FAIL naming ``link`` as the missing link of the path."""
    assert result.status is Status.FAIL, result.summary
    assert result.summary.startswith(
        f"no path from netra-backend-staging to netra-staging-db: {link}: expected "
    ), result.summary
    assert next(o for o in result.observations if not o.ok).property == link


def test_connector_path_to_private_ip_passes(gcp: GcpWorld) -> None:
    """Service -> READY connector in its region -> the SQL network -> private IP passes."""
    result = gcp.run(PATH)
    assert result.status is Status.PASS, result.summary
    assert result.summary == (
        "netra-backend-staging reaches netra-staging-db at 10.20.0.3 via network netra-staging-vpc"
    )
    assert [o.property for o in result.observations] == LINKS
    assert all(o.ok for o in result.observations)


def test_no_connector_and_no_direct_vpc_fails(gcp: GcpWorld) -> None:
    """A service with neither a connector nor Direct VPC egress has no path: FAIL."""
    vpc_access(gcp, None)
    result = gcp.run(PATH)
    missing_link(result, "service VPC access")
    assert result.hint is not None and "--vpc-connector=CONNECTOR" in result.hint


def test_connector_on_another_network_than_sql_fails(gcp: GcpWorld) -> None:
    """A READY connector on another network than Cloud SQL's FAILs at the network link."""
    gcp.patch(CONNECTOR, {"network": "default"})
    result = gcp.run(PATH)
    missing_link(result, "connector network = Cloud SQL network")
    assert result.hint is not None
    assert "the connector is on default but Cloud SQL is on netra-staging-vpc" in result.hint


def test_connector_in_another_region_fails(gcp: GcpWorld) -> None:
    """A connector in another region than the service cannot serve it: FAIL at the region link."""
    east = CONNECTOR.replace("us-central1", "us-east1")
    conn = gcp.fake.get(CONNECTOR)
    conn["name"] = CONNECTOR_NAME.replace("us-central1", "us-east1")
    gcp.put(east, conn)
    vpc_access(gcp, {"connector": conn["name"], "egress": "PRIVATE_RANGES_ONLY"})
    result = gcp.run(PATH)
    missing_link(result, "connector region")
    assert next(o for o in result.observations if not o.ok).actual == "us-east1"
    assert gcp.requests_to(east) == 1


def test_missing_connector_is_a_fail_not_an_error(gcp: GcpWorld) -> None:
    """A connector the service names but that does not exist (404) FAILs as MISSING."""
    gcp.fake.delete(CONNECTOR)
    result = gcp.run(PATH)
    missing_link(result, "connector state")
    assert result.observations[0].actual == "netra-staging-connector: MISSING"


def test_sql_without_private_ip_fails(gcp: GcpWorld) -> None:
    """A Cloud SQL instance with no private IP breaks the path at that link."""
    gcp.patch(SQL, {"ipAddresses": [{"type": "PRIMARY", "ipAddress": "34.70.1.2"}]})
    result = gcp.run(PATH)
    missing_link(result, "Cloud SQL private IP")


def test_egress_the_api_omits_is_its_default_and_passes(gcp: GcpWorld) -> None:
    """A connector without an egress setting has the API's default, PRIVATE_RANGES_ONLY: PASS."""
    vpc_access(gcp, {"connector": CONNECTOR_NAME})
    result = gcp.run(PATH)
    assert result.status is Status.PASS, result.summary
    egress = next(o for o in result.observations if o.property == "egress routes private ranges")
    assert (egress.actual, egress.ok) == ("PRIVATE_RANGES_ONLY", True)


def test_direct_vpc_egress_on_the_sql_network_passes(gcp: GcpWorld) -> None:
    """Direct VPC egress on the SQL instance's network is a path too."""
    network = f"projects/{PROJECT}/global/networks/netra-staging-vpc"
    vpc_access(gcp, {"networkInterfaces": [{"network": network}], "egress": "ALL_TRAFFIC"})
    result = gcp.run(PATH)
    assert result.status is Status.PASS, result.summary
    assert result.observations[0].property == "Direct VPC egress network = Cloud SQL network"


def test_direct_vpc_egress_on_another_network_fails(gcp: GcpWorld) -> None:
    """Direct VPC egress on another network than Cloud SQL's FAILs at that link."""
    vpc_access(gcp, {"networkInterfaces": [{"network": "default"}], "egress": "ALL_TRAFFIC"})
    result = gcp.run(PATH)
    missing_link(result, "Direct VPC egress network = Cloud SQL network")


def test_missing_service_or_instance_is_a_fail(gcp: GcpWorld) -> None:
    """A path from a service or to an instance that does not exist FAILs from the 404."""
    gcp.fake.delete(SQL)
    result = gcp.run(PATH)
    assert result.status is Status.FAIL
    assert "Cloud SQL instance netra-staging-db does not exist" in result.summary
    ghost = gcp.run(GcpCloudSqlPath(service="netra-ghost", instance="netra-staging-db"))
    assert ghost.status is Status.FAIL
    assert "Cloud Run service netra-ghost (us-central1) does not exist" in ghost.summary


def test_probe_reaches_postgres_at_the_private_ip(gcp: GcpWorld, postgres: PostgresServer) -> None:
    """With probe on, a PostgreSQL answering at the private IP adds a passing handshake."""
    gcp.patch(SQL, {"ipAddresses": [{"type": "PRIVATE", "ipAddress": "127.0.0.1"}]})
    check = GcpCloudSqlPath(
        service="netra-backend-staging", instance="netra-staging-db", probe=True, port=postgres.port
    )
    result = gcp.run(check)
    assert result.status is Status.PASS, result.summary
    assert result.summary.endswith("; PostgreSQL answers")
    handshake = result.observations[-1]
    assert (handshake.property, handshake.actual, handshake.ok) == (
        "PostgreSQL handshake",
        "b'S'",
        True,
    )


def test_probe_to_a_silent_private_ip_fails(gcp: GcpWorld, free_port: Callable[..., int]) -> None:
    """With probe on, nothing listening at the private IP turns a configured path into a FAIL."""
    gcp.patch(SQL, {"ipAddresses": [{"type": "PRIVATE", "ipAddress": "127.0.0.1"}]})
    port = free_port()
    check = GcpCloudSqlPath(
        service="netra-backend-staging", instance="netra-staging-db", probe=True, port=port
    )
    result = gcp.run(check, timeout=2)
    assert result.status is Status.FAIL
    assert f"the path is configured, but 127.0.0.1:{port} does not answer" in result.summary
    assert all(o.ok for o in result.observations)


# --- Shared VPC, PSC and the Cloud SQL connector (issue 14) ------------------------------------

HOST = "netra-host"
HOST_CONNECTOR_NAME = f"projects/{HOST}/locations/us-central1/connectors/netra-staging-connector"
HOST_CONNECTOR = f"v1/{HOST_CONNECTOR_NAME}"
GOOGLE = "https://www.googleapis.com/compute/v1"


def put_subnetwork(gcp: GcpWorld, project: str, name: str, network: str) -> str:
    """Serve a compute subnetwork (checked against the discovery document) on ``network``."""
    path = f"compute/v1/projects/{project}/regions/us-central1/subnetworks/{name}"
    resource = {
        "kind": "compute#subnetwork",
        "name": name,
        "network": f"{GOOGLE}/projects/{project}/global/networks/{network}",
        "ipCidrRange": "10.30.0.0/24",
        "region": f"{GOOGLE}/projects/{project}/regions/us-central1",
        "selfLink": f"{GOOGLE}/{path.removeprefix('compute/v1/')}",
    }
    gcp.put(path, resource)
    return path


def sql_network(gcp: GcpWorld, network: str) -> None:
    """Put the Cloud SQL instance's private IP on ``network`` (a /projects/… path)."""
    gcp.patch(SQL, {"settings": {"ipConfiguration": {"privateNetwork": network}}})


def host_connector(gcp: GcpWorld, state: str, network: str = "default") -> None:
    """A connector in the Shared VPC host project, and the service egressing through it."""
    conn = {**gcp.fake.get(CONNECTOR), "name": HOST_CONNECTOR_NAME, "state": state}
    gcp.put(HOST_CONNECTOR, {**conn, "network": network, "connectedProjects": [PROJECT]})
    vpc_access(gcp, {"connector": HOST_CONNECTOR_NAME, "egress": "PRIVATE_RANGES_ONLY"})


def judged(result: Result) -> str:
    """The evidence of the way judged."""
    return next(o.actual or "" for o in result.observations if o.property == "path judged")


def test_sql_on_the_host_default_and_egress_into_the_own_default_fails(gcp: GcpWorld) -> None:
    """SQL on projects/HOST/.../default, Direct VPC into the service project's default: FAIL."""
    sql_network(gcp, f"/projects/{HOST}/global/networks/default")
    vpc_access(gcp, {"networkInterfaces": [{"network": "default"}], "egress": "ALL_TRAFFIC"})
    result = gcp.run(PATH)
    missing_link(result, "Direct VPC egress network = Cloud SQL network")
    bad = next(o for o in result.observations if not o.ok)
    assert (bad.expected, bad.actual) == (f"projects/{HOST}/global/networks/default", "default")
    assert result.hint is not None and f"--network=projects/{HOST}/global/networks/default" in (
        result.hint
    )


def test_sql_on_the_host_default_and_a_connector_on_the_own_default_fails(gcp: GcpWorld) -> None:
    """A connector on the service project's network named like the host's: FAIL, not PASS."""
    sql_network(gcp, f"/projects/{HOST}/global/networks/default")
    gcp.patch(CONNECTOR, {"network": "default"})
    result = gcp.run(PATH)
    missing_link(result, "connector network = Cloud SQL network")


def test_direct_vpc_egress_on_the_host_network_passes(gcp: GcpWorld) -> None:
    """Direct VPC egress into the Shared VPC host's network that holds the private IP passes."""
    sql_network(gcp, f"/projects/{HOST}/global/networks/default")
    network = f"projects/{HOST}/global/networks/default"
    vpc_access(gcp, {"networkInterfaces": [{"network": network}], "egress": "ALL_TRAFFIC"})
    result = gcp.run(PATH)
    assert result.status is Status.PASS, result.summary
    assert result.summary.endswith(f"via network projects/{HOST}/global/networks/default")


def test_connector_in_the_host_project_in_error_is_read_there_and_fails(gcp: GcpWorld) -> None:
    """The service's host-project connector is in ERROR; a READY namesake at home is not it."""
    sql_network(gcp, f"/projects/{HOST}/global/networks/default")
    host_connector(gcp, "ERROR")
    result = gcp.run(PATH)
    missing_link(result, "connector state")
    assert result.observations[0].actual == "netra-staging-connector: ERROR"
    assert result.hint is not None and f"--project={HOST}" in result.hint
    assert gcp.requests_to(HOST_CONNECTOR) == 1
    assert gcp.requests_to(CONNECTOR) == 0


def test_connector_in_the_host_project_ready_passes(gcp: GcpWorld) -> None:
    """A READY connector in the host project on the network of the private IP passes."""
    sql_network(gcp, f"/projects/{HOST}/global/networks/shared-vpc")
    host_connector(gcp, "READY", network="shared-vpc")
    gcp.fake.delete(CONNECTOR)
    result = gcp.run(PATH)
    assert result.status is Status.PASS, result.summary
    assert "MISSING" not in str(result.observations)
    assert result.summary.endswith(f"via network projects/{HOST}/global/networks/shared-vpc")


def test_direct_vpc_egress_with_only_a_subnetwork_passes(gcp: GcpWorld) -> None:
    """An interface naming only its subnetwork is on the subnetwork's network (read): PASS."""
    subnet = put_subnetwork(gcp, PROJECT, "netra-staging-subnet", "netra-staging-vpc")
    vpc_access(gcp, {"networkInterfaces": [{"subnetwork": "netra-staging-subnet"}]})
    result = gcp.run(PATH)
    assert result.status is Status.PASS, result.summary
    link = result.observations[0]
    assert link.property == "Direct VPC egress network = Cloud SQL network"
    assert link.actual == "netra-staging-vpc (from subnetwork netra-staging-subnet)"
    assert gcp.requests_to(subnet) == 1


def test_direct_vpc_egress_with_a_host_subnetwork_path_passes(gcp: GcpWorld) -> None:
    """A Shared VPC subnetwork given by its path is read in the host project: PASS."""
    put_subnetwork(gcp, HOST, "shared-subnet", "shared-vpc")
    sql_network(gcp, f"/projects/{HOST}/global/networks/shared-vpc")
    subnet = f"projects/{HOST}/regions/us-central1/subnetworks/shared-subnet"
    vpc_access(gcp, {"networkInterfaces": [{"subnetwork": subnet}], "egress": "ALL_TRAFFIC"})
    assert gcp.run(PATH).status is Status.PASS


def psc_instance(gcp: GcpWorld, allowed: list[str]) -> None:
    """The instance reached only through Private Service Connect: no private or public IP."""
    gcp.patch(
        SQL,
        {
            "ipAddresses": None,
            "dnsName": "abc123.us-central1.sql.goog.",
            "pscServiceAttachmentLink": f"projects/x-tp/regions/us-central1/serviceAttachments/a-{PROJECT}",
            "settings": {
                "ipConfiguration": {
                    "privateNetwork": None,
                    "pscConfig": {"pscEnabled": True, "allowedConsumerProjects": allowed},
                }
            },
        },
    )


def psc_endpoint(
    gcp: GcpWorld, status: str = "ACCEPTED", network: str = "netra-staging-vpc"
) -> str:
    """A PSC endpoint in the service's project: a forwarding rule to the instance's attachment."""
    path = f"compute/v1/projects/{PROJECT}/regions/us-central1/forwardingRules/netra-sql-psc"
    gcp.put(
        path,
        {
            "kind": "compute#forwardingRule",
            "name": "netra-sql-psc",
            "IPAddress": "10.20.0.50",
            "network": f"{GOOGLE}/projects/{PROJECT}/global/networks/{network}",
            "target": f"{GOOGLE}/projects/x-tp/regions/us-central1/serviceAttachments/a-{PROJECT}",
            "pscConnectionStatus": status,
            "pscConnectionId": "86924129431928835",
            "region": f"{GOOGLE}/projects/{PROJECT}/regions/us-central1",
            "selfLink": f"{GOOGLE}/{path.removeprefix('compute/v1/')}",
        },
    )
    return path


def test_psc_instance_without_a_private_ip_passes(gcp: GcpWorld) -> None:
    """PSC (pscConfig, no PRIVATE IP) with an ACCEPTED endpoint on the service's VPC: PASS."""
    psc_instance(gcp, [PROJECT])
    psc_endpoint(gcp)
    result = gcp.run(PATH)
    assert result.status is Status.PASS, result.summary
    assert "through Private Service Connect at abc123.us-central1.sql.goog. (10.20.0.50)" in (
        result.summary
    )
    assert judged(result).startswith("Private Service Connect: ")


def test_psc_instance_not_allowing_the_project_fails(gcp: GcpWorld) -> None:
    """PSC that does not accept the service's VPC project FAILs at that link."""
    psc_instance(gcp, ["other-project"])
    result = gcp.run(PATH)
    missing_link(result, "PSC accepts the service's VPC")


def public_instance(gcp: GcpWorld) -> None:
    """The instance with only a public IP (no private network)."""
    gcp.patch(
        SQL,
        {
            "ipAddresses": [{"type": "PRIMARY", "ipAddress": "34.70.1.2"}],
            "settings": {"ipConfiguration": {"ipv4Enabled": True, "privateNetwork": None}},
        },
    )


def test_cloud_sql_connector_volume_with_a_public_ip_passes(gcp: GcpWorld) -> None:
    """A cloudSqlInstance volume and a public IP (no VPC access at all): PASS via the connector."""
    public_instance(gcp)
    vpc_access(gcp, None)
    result = gcp.run(PATH)
    assert result.status is Status.PASS, result.summary
    assert "through the Cloud SQL connector" in result.summary
    assert "a cloudSqlInstance volume" in judged(result)
    assert any("roles/cloudsql.client" in w for w in result.warnings)


def test_auth_proxy_sidecar_with_a_public_ip_passes(gcp: GcpWorld) -> None:
    """A Cloud SQL Auth Proxy sidecar naming the instance counts as attached: PASS."""
    public_instance(gcp)
    svc = gcp.fake.get(RUN_SERVICE)
    svc["template"].pop("vpcAccess")
    svc["template"].pop("volumes")
    svc["template"]["containers"][0].pop("volumeMounts")
    svc["template"]["containers"].append(
        {
            "name": "cloud-sql-proxy",
            "image": "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.0",
            "args": ["--port=5432", f"{PROJECT}:us-central1:netra-staging-db"],
        }
    )
    gcp.put(RUN_SERVICE, svc)
    result = gcp.run(PATH)
    assert result.status is Status.PASS, result.summary
    assert "Auth Proxy sidecar, gcr.io/cloud-sql-connectors/cloud-sql-proxy" in judged(result)


def test_public_ip_without_an_attachment_fails_at_the_attachment(gcp: GcpWorld) -> None:
    """A public-IP-only instance the service does not attach FAILs asking to attach it."""
    public_instance(gcp)
    vpc_access(gcp, None)
    gcp.patch(RUN_SERVICE, {"template": {"volumes": None}})
    result = gcp.run(PATH)
    missing_link(result, "Cloud SQL attached")
    assert result.hint is not None and "--add-cloudsql-instances=" in result.hint


def test_instance_named_by_connection_name_is_read_in_its_project(gcp: GcpWorld) -> None:
    """PROJECT:REGION:INSTANCE reads the instance in PROJECT (a separate database project)."""
    db = {**gcp.fake.get(SQL), "project": "netra-db", "connectionName": "netra-db:us-central1:db"}
    gcp.put("v1/projects/netra-db/instances/db", {**db, "name": "db"})
    result = gcp.run(
        GcpCloudSqlPath(service="netra-backend-staging", instance="netra-db:us-central1:db")
    )
    assert result.status is Status.PASS, result.summary
    assert gcp.requests_to("v1/projects/netra-db/instances/db") == 1


def test_a_connector_check_error_does_not_block_a_direct_vpc_path(gcp: GcpWorld) -> None:
    """An ERROR of a vpc_connector check explains, never BLOCKs, a path using Direct VPC."""
    network = f"projects/{PROJECT}/global/networks/netra-staging-vpc"
    vpc_access(gcp, {"networkInterfaces": [{"network": network}]})
    gcp.fake.inject(HOST_CONNECTOR, statuses=[500], times=FOREVER)
    broken = GcpVpcConnector(id="host-connector", connector=HOST_CONNECTOR_NAME)
    run = Gate([broken, PATH], context=gcp.context(timeout=1.0)).run()
    by_id = {r.id: r for r in run.results}
    assert by_id["host-connector"].status is Status.ERROR
    assert "ValueError" not in by_id["host-connector"].summary
    assert by_id[PATH.id].status is Status.PASS, by_id[PATH.id].summary
    service = GcpCloudRunService(id="svc", service="netra-backend-staging", network=network)
    assert ("host-connector", "soft") in list(PATH.infer_edges([broken]))
    assert list(PATH.infer_edges([broken, service])) == [("svc", "hard")]


def test_a_connector_the_service_check_names_is_a_hard_edge() -> None:
    """The connector a run-service check expects is a hard link of the path; others are not."""
    service = GcpCloudRunService(
        id="svc", service="netra-backend-staging", connector="netra-staging-connector"
    )
    mine = GcpVpcConnector(id="mine", connector=CONNECTOR_NAME)
    other = GcpVpcConnector(id="other", connector="another-connector")
    assert sorted(PATH.infer_edges([service, mine, other])) == [("mine", "hard"), ("svc", "hard")]


def test_malformed_names_are_policy_errors_at_load(tmp_path: Path) -> None:
    """A malformed service, instance, connector or network name fails loading (exit 2)."""
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "environment: test\ngcp: {project: p}\nchecks:\n"
        "  path: {kind: gcp.cloud_sql_path, service: s, instance: 'projects/p/global/networks/x'}\n",
        encoding="utf-8",
    )
    with pytest.raises(PolicyError) as err:
        load_policy(policy)
    assert "names networks, not instances" in str(err.value)
    assert err.value.line == 4
