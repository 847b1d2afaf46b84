"""gcp.cloud_sql_path against Resource Manager: PSC endpoints, IAM for the connector, project numbers.

Every resource is served by the fake GCP API after validation against the discovery documents
(compute v1, sqladmin v1, cloudresourcemanager v1), and read by the real client plumbing.
"""

from __future__ import annotations

from typing import Any

from infra_verify.model import Status
from infra_verify.testing.fake_gcp import FOREVER
from tests.checks.gcp.test_sql_path import (
    PATH,
    judged,
    missing_link,
    psc_endpoint,
    psc_instance,
    public_instance,
    sql_network,
    vpc_access,
)
from tests.checks.gcp.world import CONNECTOR, PROJECT, RUN_SERVICE, GcpWorld

NUMBER = "123456789012"
ACCOUNT = "netra-backend@netra-staging.iam.gserviceaccount.com"
PROJECT_PATH = f"v1/projects/{PROJECT}"
POLICY_PATH = f"{PROJECT_PATH}:getIamPolicy"
FORWARDING_RULES = f"compute/v1/projects/{PROJECT}/regions/us-central1/forwardingRules"


def project(gcp: GcpWorld, parent: dict[str, str] | None = None) -> None:
    """The gate's project in Resource Manager (by ID and by number), with ``parent`` if given."""
    resource: dict[str, Any] = {
        "projectId": PROJECT,
        "projectNumber": NUMBER,
        "name": "Netra staging",
        "lifecycleState": "ACTIVE",
    }
    if parent:
        resource["parent"] = parent
    gcp.put(PROJECT_PATH, resource)
    gcp.put(f"v1/projects/{NUMBER}", resource)


def policy(gcp: GcpWorld, *bindings: dict[str, Any]) -> None:
    """The project's own IAM policy (version 3)."""
    gcp.put(POLICY_PATH, {"version": 3, "etag": "BwYF3qzNn2c=", "bindings": list(bindings)})


def grant(role: str, *members: str, condition: dict[str, str] | None = None) -> dict[str, Any]:
    """One IAM binding."""
    out: dict[str, Any] = {"role": role, "members": list(members)}
    if condition:
        out["condition"] = condition
    return out


def connector_way(gcp: GcpWorld) -> None:
    """The instance reached only through the Cloud SQL connector (volume, public IP)."""
    public_instance(gcp)
    vpc_access(gcp, None)


def iam_link(result: Any) -> Any:
    """The observation of the service account's grant."""
    return next(o for o in result.observations if o.property == "service account may connect")


# --- PSC: an endpoint on the service's network ---------------------------------------------------


def test_psc_allowing_the_project_without_an_endpoint_fails(gcp: GcpWorld) -> None:
    """PSC allowing the project, but no forwarding rule to the attachment: no path, FAIL."""
    psc_instance(gcp, [PROJECT])
    result = gcp.run(PATH)
    missing_link(result, "PSC endpoint on the service's network")
    assert result.hint is not None and "--target-service-attachment=projects/x-tp/" in result.hint
    assert gcp.requests_to(FORWARDING_RULES) == 1


def test_psc_endpoint_pending_fails(gcp: GcpWorld) -> None:
    """An endpoint the producer has not accepted (PENDING) serves no traffic: FAIL."""
    psc_instance(gcp, [PROJECT])
    psc_endpoint(gcp, status="PENDING")
    result = gcp.run(PATH)
    missing_link(result, "PSC endpoint on the service's network")
    bad = next(o for o in result.observations if not o.ok)
    assert bad.actual is not None and "PENDING" in bad.actual


def test_psc_endpoint_on_another_network_fails(gcp: GcpWorld) -> None:
    """An ACCEPTED endpoint on a network the service does not egress into: FAIL."""
    psc_instance(gcp, [PROJECT])
    psc_endpoint(gcp, network="default")
    missing_link(gcp.run(PATH), "PSC endpoint on the service's network")


def test_psc_endpoint_accepted_passes_even_when_allowed_by_number(gcp: GcpWorld) -> None:
    """allowedConsumerProjects naming the project by number and an ACCEPTED endpoint: PASS."""
    project(gcp)
    psc_instance(gcp, [NUMBER])
    psc_endpoint(gcp)
    result = gcp.run(PATH)
    assert result.status is Status.PASS, result.summary
    accepts = next(o for o in result.observations if o.property == "PSC accepts the service's VPC")
    assert accepts.ok


def test_psc_endpoints_that_cannot_be_read_are_an_error(gcp: GcpWorld) -> None:
    """A 403 listing forwarding rules: the PSC way cannot be judged, ERROR (never FAIL)."""
    psc_instance(gcp, [PROJECT])
    gcp.fake.inject(FORWARDING_RULES, statuses=[403], times=FOREVER)
    result = gcp.run(PATH)
    assert result.status is Status.ERROR, result.summary
    assert "PSC endpoints could not be read" in result.summary
    assert "roles/compute.viewer" in result.summary


# --- the Cloud SQL connector: roles/cloudsql.client from the project's IAM policy ----------------


def test_connector_with_the_client_role_granted_passes_without_warning(gcp: GcpWorld) -> None:
    """roles/cloudsql.client granted to the service account on the project: PASS, no warning."""
    connector_way(gcp)
    project(gcp)
    policy(gcp, grant("roles/cloudsql.client", f"serviceAccount:{ACCOUNT}"))
    result = gcp.run(PATH)
    assert result.status is Status.PASS, result.summary
    assert (
        iam_link(result).actual
        == f"roles/cloudsql.client granted to {ACCOUNT} on project {PROJECT}"
    )
    assert result.warnings == ()
    assert gcp.requests_to(POLICY_PATH) == 1


def test_connector_without_the_client_role_in_a_parentless_project_fails(gcp: GcpWorld) -> None:
    """No grant in the policy of a project with no parent to inherit from: FAIL with the fix."""
    connector_way(gcp)
    project(gcp)
    policy(gcp, grant("roles/cloudsql.viewer", f"serviceAccount:{ACCOUNT}"))
    result = gcp.run(PATH)
    missing_link(result, "service account may connect")
    assert result.hint == (
        f"gcloud projects add-iam-policy-binding {PROJECT} "
        f"--member=serviceAccount:{ACCOUNT} --role=roles/cloudsql.client"
    )


def test_connector_without_a_project_grant_under_an_organization_warns(gcp: GcpWorld) -> None:
    """No project grant, but the project has an organization (not read): PASS with a warning."""
    connector_way(gcp)
    project(gcp, parent={"type": "organization", "id": "998877"})
    policy(gcp)
    result = gcp.run(PATH)
    assert result.status is Status.PASS, result.summary
    assert any("inherited from organization 998877 are not read" in w for w in result.warnings)


def test_connector_with_a_conditional_or_group_grant_warns(gcp: GcpWorld) -> None:
    """A conditional grant and a group grant are not evaluated: warnings, never a FAIL."""
    connector_way(gcp)
    project(gcp)
    policy(
        gcp,
        grant(
            "roles/cloudsql.client",
            f"serviceAccount:{ACCOUNT}",
            condition={"title": "business hours", "expression": "request.time.getHours() < 18"},
        ),
        grant("roles/cloudsql.client", "group:backends@netrasystems.ai"),
    )
    result = gcp.run(PATH)
    assert result.status is Status.PASS, result.summary
    text = " | ".join(result.warnings)
    assert "only under the condition 'business hours'" in text
    assert "group:backends@netrasystems.ai" in text


def test_connector_with_a_custom_role_warns(gcp: GcpWorld) -> None:
    """A custom role's permissions are not read: PASS with a warning naming it."""
    connector_way(gcp)
    project(gcp)
    policy(gcp, grant(f"projects/{PROJECT}/roles/sqlConnect", f"serviceAccount:{ACCOUNT}"))
    result = gcp.run(PATH)
    assert result.status is Status.PASS, result.summary
    assert any(f"custom role projects/{PROJECT}/roles/sqlConnect" in w for w in result.warnings)


def test_connector_with_an_unreadable_policy_warns(gcp: GcpWorld) -> None:
    """A 403 on getIamPolicy: the grant is not checked, a warning naming roles/browser."""
    connector_way(gcp)
    project(gcp)
    gcp.fake.inject(POLICY_PATH, statuses=[403], times=FOREVER)
    result = gcp.run(PATH)
    assert result.status is Status.PASS, result.summary
    assert any("roles/browser" in w and "could not be read" in w for w in result.warnings)


def test_connector_with_the_default_compute_account_reads_the_project_number(
    gcp: GcpWorld,
) -> None:
    """No serviceAccount: the default compute account NUMBER-compute@... is the one judged."""
    connector_way(gcp)
    gcp.patch(RUN_SERVICE, {"template": {"serviceAccount": None}})
    project(gcp)
    default = f"{NUMBER}-compute@developer.gserviceaccount.com"
    policy(gcp, grant("roles/cloudsql.client", f"serviceAccount:{ACCOUNT}"))
    missing_link(gcp.run(PATH), "service account may connect")
    policy(gcp, grant("roles/editor", f"serviceAccount:{default}"))
    result = gcp.run(PATH)
    assert result.status is Status.PASS, result.summary
    assert iam_link(result).where == default
    assert "a cloudSqlInstance volume" in judged(result)


# --- project numbers in resource names ----------------------------------------------------------


def test_sql_network_named_by_project_number_passes(gcp: GcpWorld) -> None:
    """privateNetwork on projects/NUMBER/... is the service project's network: PASS, not FAIL."""
    project(gcp)
    sql_network(gcp, f"/projects/{NUMBER}/global/networks/netra-staging-vpc")
    result = gcp.run(PATH)
    assert result.status is Status.PASS, result.summary
    assert gcp.requests_to(f"v1/projects/{NUMBER}") == 1


def test_project_number_that_cannot_be_resolved_is_an_error(gcp: GcpWorld) -> None:
    """A project number Resource Manager will not resolve: ERROR naming it, not FAIL."""
    sql_network(gcp, f"/projects/{NUMBER}/global/networks/netra-staging-vpc")
    gcp.fake.inject(f"v1/projects/{NUMBER}", statuses=[403], times=FOREVER)
    result = gcp.run(PATH)
    assert result.status is Status.ERROR, result.summary
    assert f"project number {NUMBER}" in result.summary
    assert "roles/browser" in result.summary


def test_connector_on_a_host_network_named_by_number_is_compared_by_id(gcp: GcpWorld) -> None:
    """A host project's network by number is not the service project's namesake: FAIL."""
    gcp.put(
        "v1/projects/555000111222",
        {"projectId": "netra-host", "projectNumber": "555000111222", "lifecycleState": "ACTIVE"},
    )
    sql_network(gcp, "/projects/555000111222/global/networks/netra-staging-vpc")
    result = gcp.run(PATH)
    missing_link(result, "connector network = Cloud SQL network")
    bad = next(o for o in result.observations if not o.ok)
    assert bad.expected == "projects/netra-host/global/networks/netra-staging-vpc"
    assert gcp.fake.get(CONNECTOR)["network"] == "netra-staging-vpc"
