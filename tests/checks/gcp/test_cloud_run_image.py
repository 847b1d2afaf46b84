"""gcp.cloud_run_service ``image:``: the deployed image's digest serves the traffic (run v2 revisions
read as plain REST, Artifact Registry tags, the newest revision for a tag as the fallback)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from pydantic import ValidationError

from infra_verify.checks.gcp.cloud_run import GcpCloudRunService
from infra_verify.gate import Gate
from infra_verify.model import Result, Status
from tests.checks.gcp.world import PROJECT, REGION, RUN_SERVICE, GcpWorld

REVISIONS = f"{RUN_SERVICE}/revisions"
REVISION_NAMES = f"projects/{PROJECT}/locations/{REGION}/services/netra-backend-staging/revisions"
REPO = "us-docker.pkg.dev/netra-staging/netra/backend"
OLD_TAG = f"{REPO}:2026-11-24"
OLD_DIGEST = "sha256:" + "3f1c9a523c1e4a8e9d0b2f4b1a7e9c11" * 2
NEW_TAG = f"{REPO}:2026-12-07"
NEW_DIGEST = "sha256:" + "9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d" * 2
TAGS = "v1/projects/netra-staging/locations/us/repositories/netra/packages/backend/tags"
NEW_REV = "netra-backend-staging-00004-new"
OLD_REV = "netra-backend-staging-00003-xyz"


def check(image: str, **changes: Any) -> GcpCloudRunService:
    """The story's Cloud Run check with ``image:`` (and other changes)."""
    return GcpCloudRunService.model_validate(
        {"service": "netra-backend-staging", "image": image, **changes}
    )


def deploy(
    gcp: GcpWorld,
    *,
    state: str = "CONDITION_FAILED",
    message: str = "The user-provided container failed to start and listen on PORT=8000",
    reason: str | None = None,
    tag_in_registry: bool = True,
    serve_new: bool = False,
) -> None:
    """Deploy NEW_TAG as revision 00004-new in ``state``; traffic stays on 00003 unless asked."""
    revision = gcp.fake.get(f"{REVISIONS}/{OLD_REV}")
    revision["name"] = f"{REVISION_NAMES}/{NEW_REV}"
    revision["createTime"] = "2026-12-07T05:00:00.000Z"
    revision["containers"][0]["image"] = NEW_TAG
    revision["containerStatuses"] = [{"imageDigest": f"{REPO}@{NEW_DIGEST}"}]
    ready: dict[str, Any] = {"type": "Ready", "state": state}
    if message:
        ready["message"] = message
    if reason:
        ready["revisionReason"] = reason
    revision["conditions"] = [ready]
    gcp.put(f"{REVISIONS}/{NEW_REV}", revision)
    if tag_in_registry:
        gcp.put(
            f"{TAGS}/2026-12-07",
            {
                "name": f"{TAGS.removeprefix('v1/')}/2026-12-07",
                "version": f"{TAGS.removeprefix('v1/').removesuffix('/tags')}/versions/{NEW_DIGEST}",
            },
        )
    changes: dict[str, Any] = {"latestCreatedRevision": f"{REVISION_NAMES}/{NEW_REV}"}
    if serve_new:
        changes["latestReadyRevision"] = f"{REVISION_NAMES}/{NEW_REV}"
    gcp.patch(RUN_SERVICE, changes)


def image_obs(result: Result) -> str:
    """The actual value of the image observation."""
    found = next(o for o in result.observations if o.property.startswith("traffic on image"))
    return str(found.actual)


def test_the_deployed_tag_serves_all_traffic_passes(gcp: GcpWorld) -> None:
    """The tag's digest (read from Artifact Registry) runs in the revision serving 100%."""
    result = gcp.run(check(OLD_TAG))
    assert result.status is Status.PASS, result.summary
    assert image_obs(result).startswith(f"100% ({OLD_REV} 100%")
    assert gcp.requests_to(f"{TAGS}/2026-11-24") == 1


def test_a_digest_reference_passes_without_a_registry_read(gcp: GcpWorld) -> None:
    """A digest reference stands for itself: no Artifact Registry read."""
    result = gcp.run(check(f"{REPO}@{OLD_DIGEST}"))
    assert result.status is Status.PASS, result.summary
    assert gcp.requests_to(TAGS) == 0


def test_new_revision_failed_to_start_fails_naming_both_revisions(gcp: GcpWorld) -> None:
    """The new image's revision failed; the old one serves: FAIL, terminal, with the logs command."""
    deploy(gcp)
    result = gcp.run(check(NEW_TAG))
    assert result.status is Status.FAIL
    assert result.terminal
    assert f"0% of traffic runs {NEW_TAG}" in result.summary
    assert f"served by {OLD_REV} 100%" in result.summary
    assert f"new revision {NEW_REV}: Ready=CONDITION_FAILED" in result.summary
    assert "failed to start and listen on PORT=8000" in result.summary
    assert result.hint is not None
    assert f'resource.labels.revision_name="{NEW_REV}"' in result.hint
    assert result.hint.startswith(f"read why {NEW_REV} does not serve: gcloud logging read")


def test_new_revision_still_deploying_converges_with_an_eta(gcp: GcpWorld) -> None:
    """A revision whose Ready condition is pending is a non-terminal FAIL with an ETA."""
    deploy(gcp, state="CONDITION_PENDING", message="", reason="PENDING")
    result = gcp.run(check(NEW_TAG))
    assert result.status is Status.FAIL
    assert not result.terminal
    assert result.eta is not None
    assert result.eta.earliest <= result.eta.latest
    assert NEW_REV in result.eta.why


def test_once_the_new_revision_serves_the_check_passes(gcp: GcpWorld) -> None:
    """Traffic on the new revision running the new digest: PASS."""
    deploy(gcp, state="CONDITION_SUCCEEDED", message="", serve_new=True)
    result = gcp.run(check(NEW_TAG))
    assert result.status is Status.PASS, result.summary
    assert image_obs(result).startswith(f"100% ({NEW_REV} 100%")


def test_registry_unreadable_falls_back_to_the_newest_revision_for_the_tag(
    gcp: GcpWorld,
) -> None:
    """Without roles/artifactregistry.reader the newest revision for the tag stands in, said so."""
    deploy(gcp, tag_in_registry=False)
    gcp.fake.inject(TAGS, statuses=[403], times=10)
    result = gcp.run(check(NEW_TAG))
    assert result.status is Status.FAIL
    assert "not readable (grant roles/artifactregistry.reader" in result.summary
    assert f"the digest of {NEW_REV}, the newest revision created for {NEW_TAG}" in result.summary


def test_a_tag_no_revision_was_created_for_fails(gcp: GcpWorld) -> None:
    """A tag missing from the registry and from every revision was never deployed: FAIL."""
    result = gcp.run(check(f"{REPO}:never-built"))
    assert result.status is Status.FAIL
    assert "no revision runs" in result.summary
    assert "tag never-built not found" in result.summary
    assert (
        result.hint
        == f"deploy it: gcloud run deploy netra-backend-staging --image={REPO}:never-built"
    )


def test_split_traffic_passes_min_percent_and_fails_a_higher_one(gcp: GcpWorld) -> None:
    """50% on the new digest passes min_percent: 50 and fails the default 100."""
    deploy(gcp, state="CONDITION_SUCCEEDED", message="", serve_new=True)
    split = [
        {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": OLD_REV, "percent": 50},
        {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": NEW_REV, "percent": 50},
    ]
    gcp.patch(RUN_SERVICE, {"traffic": split, "trafficStatuses": split})
    assert gcp.run(check(NEW_TAG, min_percent=50, traffic_latest_percent=None)).ok
    result = gcp.run(check(NEW_TAG, traffic_latest_percent=None))
    assert result.status is Status.FAIL
    assert "50% of traffic runs" in result.summary


def test_revisions_unreadable_is_an_error(gcp: GcpWorld) -> None:
    """A 500 reading the revisions leaves the check undecided: ERROR."""
    gcp.fake.inject(REVISIONS, statuses=[500], times=100)
    result = gcp.run(check(OLD_TAG))
    assert result.status is Status.ERROR, result.summary


@pytest.mark.parametrize("bad", ["", "repo@sha256:xyz", "repo:", "has space:1"])
def test_a_malformed_image_reference_is_a_policy_error(bad: str) -> None:
    """An image that is no reference is refused at load."""
    with pytest.raises(ValidationError):
        check(bad)


def test_wait_converges_when_the_new_revision_starts_serving(gcp: GcpWorld) -> None:
    """--wait: a deploying revision that becomes ready and takes the traffic ends as PASS."""
    deploy(gcp, state="CONDITION_PENDING", message="", reason="PENDING")

    def ready() -> None:
        gcp.patch(
            f"{REVISIONS}/{NEW_REV}",
            {"conditions": [{"type": "Ready", "state": "CONDITION_SUCCEEDED"}]},
        )
        gcp.patch(RUN_SERVICE, {"latestReadyRevision": f"{REVISION_NAMES}/{NEW_REV}"})

    timer = threading.Timer(0.5, ready)
    timer.start()
    try:
        run = Gate([check(NEW_TAG)], context=gcp.context(), wait=30, poll=0.2, poll_max=0.4).run()
    finally:
        timer.cancel()
    result = run.results[0]
    assert result.status is Status.PASS, result.summary
    assert result.attempts >= 2
