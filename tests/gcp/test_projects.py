"""Resource Manager v1 reads (projects.get, projects.getIamPolicy) through the real REST plumbing."""

from __future__ import annotations

import json

import pytest

from infra_verify.gcp import projects
from infra_verify.gcp.clients import GcpClients
from infra_verify.gcp.errors import GcpPermissionDenied
from infra_verify.testing.discovery import validate_resource
from infra_verify.testing.fake_gcp import FOREVER, FakeGcp

P = "netra-staging"
PROJECT = {
    "projectId": P,
    "projectNumber": "123456789012",
    "lifecycleState": "ACTIVE",
    "parent": {"type": "folder", "id": "4455"},
}
POLICY = {
    "version": 3,
    "etag": "BwYF3qzNn2c=",
    "bindings": [{"role": "roles/cloudsql.client", "members": ["serviceAccount:a@b.c"]}],
}


@pytest.fixture
def served(fake: FakeGcp) -> FakeGcp:
    """The fake with the project (by ID and number) and its policy, validated."""
    for path, resource in (
        (f"v1/projects/{P}", PROJECT),
        ("v1/projects/123456789012", PROJECT),
        (f"v1/projects/{P}:getIamPolicy", POLICY),
    ):
        assert validate_resource(path, resource) == []
        fake.put(path, resource)
    return fake


def test_get_project_by_id_and_by_number(served: FakeGcp, clients: GcpClients) -> None:
    """projects.get answers the ID, number and parent, whichever the caller named."""
    assert projects.get_project(clients, P, timeout=3.0) == PROJECT
    assert projects.get_project(clients, "123456789012", timeout=3.0)["projectId"] == P


def test_iam_policy_is_a_post_asking_for_version_3(served: FakeGcp, clients: GcpClients) -> None:
    """getIamPolicy is the POST the real API takes, asking for version 3 (conditions kept)."""
    assert projects.get_project_iam_policy(clients, P, timeout=3.0) == POLICY
    sent = [r for r in served.requests if r.path.endswith(":getIamPolicy")]
    assert [r.method for r in sent] == ["POST"]


def test_a_project_without_a_stored_policy_answers_an_empty_one(
    served: FakeGcp, clients: GcpClients
) -> None:
    """As the real API: an existing project with no bindings has an empty policy, not a 404."""
    served.delete(f"v1/projects/{P}:getIamPolicy")
    assert "bindings" not in projects.get_project_iam_policy(clients, P, timeout=3.0)


def test_a_denied_project_read_names_roles_browser(served: FakeGcp, clients: GcpClients) -> None:
    """A 403 on projects.get is an ERROR naming the read-only role roles/browser."""
    served.inject(f"v1/projects/{P}", statuses=[403], times=FOREVER)
    with pytest.raises(GcpPermissionDenied) as err:
        projects.get_project(clients, P, timeout=3.0)
    assert "roles/browser" in err.value.message


def test_project_numbers_are_found_and_replaced_in_rest_values() -> None:
    """projects/N/ paths and project fields hold numbers; other numeric fields are left alone."""
    value = {
        "network": "https://www.googleapis.com/compute/v1/projects/123/global/networks/d",
        "privateNetwork": "/projects/77/global/networks/x",
        "allowedConsumerProjects": ["456", "named"],
        "pscConnectionId": "123",
    }
    assert projects.project_numbers_in(value) == {"123", "77", "456"}
    assert projects.with_project_ids(value, {"123": "host", "77": "db", "456": "svc"}) == {
        "network": "https://www.googleapis.com/compute/v1/projects/host/global/networks/d",
        "privateNetwork": "/projects/db/global/networks/x",
        "allowedConsumerProjects": ["svc", "named"],
        "pscConnectionId": "123",
    }
    assert json.dumps(projects.with_project_ids(value, {})) == json.dumps(value)
    assert projects.is_project_number("123") and not projects.is_project_number("p-123")
