"""The roles/cloudsql.client verdict and PSC endpoint matching, judged on plain REST data."""

from __future__ import annotations

from typing import Any

from infra_verify.checks.gcp.sql_iam import default_compute_account, judge_sql_client
from infra_verify.gcp.names import ResourceName
from infra_verify.gcp.psc_endpoints import accepted_endpoint, targets_attachment

SA = "app@p.iam.gserviceaccount.com"
ORPHAN: dict[str, Any] = {"projectId": "p", "projectNumber": "42"}
ATTACHMENT = "projects/tp/regions/r1/serviceAttachments/a-1"
GOOGLE = "https://www.googleapis.com/compute/v1"


def policy(*bindings: dict[str, Any]) -> dict[str, Any]:
    """An IAM policy with these bindings."""
    return {"version": 3, "bindings": list(bindings)}


def test_a_direct_grant_passes_without_warnings() -> None:
    """roles/cloudsql.client (or a role including connect) for the account: ok, no warnings."""
    for role in ("roles/cloudsql.client", "roles/cloudsql.admin", "roles/owner"):
        grant = judge_sql_client(
            SA, "p", policy({"role": role, "members": [f"serviceAccount:{SA}"]}), ORPHAN
        )
        assert grant.ok and grant.warnings == ()


def test_no_grant_in_a_parentless_project_fails() -> None:
    """No binding, no parent to inherit from: the policy proves there is no grant."""
    grant = judge_sql_client(
        SA, "p", policy({"role": "roles/viewer", "members": [f"serviceAccount:{SA}"]}), ORPHAN
    )
    assert not grant.ok
    assert f"no binding for serviceAccount:{SA}" in grant.evidence


def test_what_cannot_be_evaluated_is_a_warning_never_a_fail() -> None:
    """Parent, unread project, unread policy, unknown account: ok with a warning each."""
    parent = {**ORPHAN, "parent": {"type": "folder", "id": "9"}}
    cases = [
        judge_sql_client(SA, "p", policy(), parent),
        judge_sql_client(SA, "p", policy(), None, "403"),
        judge_sql_client(SA, "p", None, ORPHAN, "403 roles/browser"),
        judge_sql_client(None, "p", policy(), ORPHAN, "no projectNumber"),
    ]
    assert all(c.ok and c.warnings for c in cases)
    assert "folder 9" in cases[0].warnings[0]
    assert "roles/browser" in cases[2].warnings[0]


def test_the_default_compute_account_is_named_by_the_project_number() -> None:
    """Cloud Run's default identity is NUMBER-compute@developer.gserviceaccount.com."""
    assert default_compute_account("42") == "42-compute@developer.gserviceaccount.com"


def test_endpoint_matching_compares_attachments_and_networks_fully() -> None:
    """An ACCEPTED rule to the attachment on the network, not a same-named one elsewhere."""
    rule = {
        "name": "e",
        "target": f"{GOOGLE}/{ATTACHMENT}",
        "network": f"{GOOGLE}/projects/svc/global/networks/default",
        "pscConnectionStatus": "ACCEPTED",
        "selfLink": f"{GOOGLE}/projects/svc/regions/r1/forwardingRules/e",
    }
    assert targets_attachment(rule, ATTACHMENT)
    assert not targets_attachment(rule, "projects/tp/regions/r1/serviceAttachments/a-2")
    mine = ResourceName("networks", "default", "svc", "global")
    host = ResourceName("networks", "default", "host", "global")
    assert accepted_endpoint([rule], [mine], "svc") is rule
    assert accepted_endpoint([rule], [host], "svc") is None
    assert accepted_endpoint([{**rule, "pscConnectionStatus": "PENDING"}], [mine], "svc") is None
