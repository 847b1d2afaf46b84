"""gcp.connectivity_test: Network Management Connectivity Tests from the Cloud Run revision to
Cloud SQL, created, rerun or repointed on the fake API (plain REST), judged from the trace."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from infra_verify.checks.gcp.connectivity_test import (
    ConnectivityObserved,
    GcpConnectivityTest,
    drop_evidence,
)
from infra_verify.model import Status
from infra_verify.testing.discovery import validate
from infra_verify.testing.fake_gcp_ops import REACHABLE
from tests.checks.gcp.world import PROJECT, REGION, RUN_SERVICE, GcpWorld

TEST_ID = "infra-verify-netra-backend-staging-to-netra-staging-db"
TESTS = f"v1/projects/{PROJECT}/locations/global/connectivityTests"
REVISION = "netra-backend-staging-00003-xyz"
FIREWALL_DROP: dict[str, Any] = {
    "result": "UNREACHABLE",
    "traces": [
        {
            "steps": [
                {"state": "START_FROM_CLOUD_RUN_REVISION", "description": "Initial state"},
                {"state": "ARRIVE_AT_VPC_CONNECTOR", "description": "Arriving at connector"},
                {
                    "state": "APPLY_EGRESS_FIREWALL_RULE",
                    "causesDrop": True,
                    "firewall": {
                        "displayName": "deny-egress-5432",
                        "action": "DENY",
                        "direction": "EGRESS",
                    },
                },
                {
                    "state": "DROP",
                    "drop": {
                        "cause": "FIREWALL_RULE",
                        "resourceUri": "projects/p/global/firewalls/deny-egress-5432",
                    },
                },
            ]
        }
    ],
}


def check(**changes: Any) -> GcpConnectivityTest:
    """The story's Run -> SQL connectivity test."""
    fields: dict[str, Any] = {
        "service": "netra-backend-staging",
        "cloud_sql_instance": "netra-staging-db",
    }
    fields.update(changes)
    return GcpConnectivityTest.model_validate(fields)


def test_fixtures_are_real_reachability_details() -> None:
    """The analyses the tests feed the fake match the discovery document."""
    assert validate("networkmanagement.v1", "ReachabilityDetails", REACHABLE) == []
    assert validate("networkmanagement.v1", "ReachabilityDetails", FIREWALL_DROP) == []


def test_reachable_passes_creating_then_rerunning_the_test(gcp: GcpWorld) -> None:
    """The first run creates the test; the second reruns it; both REACHABLE."""
    first = gcp.run(check())
    assert first.status is Status.PASS, first.summary
    assert first.summary == (f"{REVISION} reaches netra-staging-db (Connectivity Tests, created)")
    created = gcp.fake.get(f"{TESTS}/{TEST_ID}")
    assert validate("networkmanagement.v1", "ConnectivityTest", created) == []
    assert created["source"]["cloudRunRevision"]["uri"] == (
        f"projects/{PROJECT}/locations/{REGION}/revisions/{REVISION}"
    )
    assert (
        created["destination"]["cloudSqlInstance"]
        == f"projects/{PROJECT}/instances/netra-staging-db"
    )
    second = gcp.run(check())
    assert second.status is Status.PASS and second.summary.endswith("reran)")


def test_a_new_revision_repoints_the_existing_test(gcp: GcpWorld) -> None:
    """After a deploy the test is patched to the new latest ready revision."""
    gcp.run(check())
    revisions = f"projects/{PROJECT}/locations/{REGION}/services/netra-backend-staging/revisions"
    gcp.patch(RUN_SERVICE, {"latestReadyRevision": f"{revisions}/netra-backend-staging-00004-new"})
    result = gcp.run(check())
    assert result.status is Status.PASS and result.summary.endswith("repointed)")
    uri = gcp.fake.get(f"{TESTS}/{TEST_ID}")["source"]["cloudRunRevision"]["uri"]
    assert uri.endswith("/revisions/netra-backend-staging-00004-new")


def test_a_pending_operation_is_polled_until_done(gcp: GcpWorld) -> None:
    """The probe reads the long-running operation until it is done."""
    gcp.fake.ops.pending_polls = 2
    result = gcp.run(check())
    assert result.status is Status.PASS, result.summary
    assert gcp.requests_to(f"v1/projects/{PROJECT}/locations/global/operations/") == 2


def test_unreachable_fails_naming_the_firewall_rule_that_drops(gcp: GcpWorld) -> None:
    """UNREACHABLE FAILs with the first dropping step (the egress firewall rule) as evidence."""
    gcp.fake.ops.analyse(TEST_ID, FIREWALL_DROP)
    result = gcp.run(check())
    assert result.status is Status.FAIL
    assert f"{REVISION} cannot reach netra-staging-db" in result.summary
    assert "APPLY_EGRESS_FIREWALL_RULE: firewall deny-egress-5432" in result.summary
    assert "DROP: FIREWALL_RULE" in result.summary
    assert result.hint == f"gcloud network-management connectivity-tests describe {TEST_ID}"


def test_ambiguous_fails(gcp: GcpWorld) -> None:
    """AMBIGUOUS (some paths drop) is not a pass."""
    gcp.fake.ops.analyse(TEST_ID, {**FIREWALL_DROP, "result": "AMBIGUOUS"})
    result = gcp.run(check())
    assert result.status is Status.FAIL
    assert "may not reach (AMBIGUOUS)" in result.summary


def test_undetermined_is_an_error(gcp: GcpWorld) -> None:
    """UNDETERMINED: the analyser could not decide, so neither can the gate."""
    gcp.fake.ops.analyse(
        TEST_ID,
        {"result": "UNDETERMINED", "error": {"code": 7, "message": "permission denied on network"}},
    )
    result = gcp.run(check())
    assert result.status is Status.ERROR
    assert "permission denied on network" in result.summary


def test_no_admin_role_is_an_error_naming_the_role(gcp: GcpWorld) -> None:
    """Without roles/networkmanagement.admin the create is refused: ERROR naming the role."""
    gcp.fake.inject(TESTS, statuses=[403], times=100)
    result = gcp.run(check())
    assert result.status is Status.ERROR
    assert "roles/networkmanagement.admin" in result.summary + (result.hint or "")


def test_a_service_without_a_ready_revision_fails(gcp: GcpWorld) -> None:
    """No latest ready revision: nothing to test from, FAIL."""
    gcp.patch(RUN_SERVICE, {"latestReadyRevision": None})
    result = gcp.run(check())
    assert result.status is Status.FAIL
    assert "no ready revision" in result.summary


def test_exactly_one_destination_is_required() -> None:
    """Both or neither destination is a policy error."""
    with pytest.raises(ValidationError):
        check(ip="10.20.0.3")
    with pytest.raises(ValidationError):
        GcpConnectivityTest.model_validate({"service": "s"})


def test_judge_on_plain_data() -> None:
    """The judge reads result and trace alone."""
    c = check()
    seen = ConnectivityObserved(
        "t",
        "projects/p/locations/r/revisions/rev",
        "db",
        {"reachabilityDetails": REACHABLE},
        "reran",
    )
    assert c.judge(seen).status is Status.PASS
    assert drop_evidence(REACHABLE["traces"]) is None
    dropped = drop_evidence(FIREWALL_DROP["traces"])
    assert dropped is not None and dropped.startswith("APPLY_EGRESS_FIREWALL_RULE")
