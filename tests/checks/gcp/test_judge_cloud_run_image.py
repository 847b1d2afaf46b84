"""Image verdicts of gcp.cloud_run_service on plain data, and image reference parsing."""

from __future__ import annotations

from infra_verify.checks.gcp.cloud_run_image import ImageObserved, judge_image, served_revisions
from infra_verify.checks.gcp.images import ImageRef, artifact_package, version_digest

OLD = "sha256:" + "a" * 64
NEW = "sha256:" + "b" * 64
REF = "europe-west1-docker.pkg.dev/p/repo/team/api:v2"


def revision(digest: str, state: str = "CONDITION_SUCCEEDED") -> dict[str, object]:
    """A revision running ``digest`` whose Ready condition is ``state``."""
    return {
        "containerStatuses": [{"imageDigest": f"x@{digest}"}],
        "conditions": [{"type": "Ready", "state": state, "message": "boom"}],
    }


def observed(**changes: object) -> ImageObserved:
    """Old revision serving 100%, new one failed, the tag's digest NEW."""
    fields: dict[str, object] = {
        "ref": REF,
        "served": (("old", 100),),
        "revisions": {"old": revision(OLD), "new": revision(NEW, "CONDITION_FAILED")},
        "want": NEW,
        "source": "Artifact Registry",
        "newest": "new",
        "observed_at": 1000.0,
    }
    fields.update(changes)
    return ImageObserved(**fields)  # type: ignore[arg-type]


def test_traffic_on_the_wanted_digest_passes() -> None:
    """100% on a revision running the wanted digest holds."""
    verdict = judge_image(observed(want=OLD), 100, "svc", "svc", "p")
    assert verdict.observation.ok


def test_failed_new_revision_is_terminal_and_named() -> None:
    """A new revision whose Ready failed: terminal, with its conditions and the serving one."""
    verdict = judge_image(observed(), 100, "svc", "svc", "p")
    assert not verdict.observation.ok and verdict.terminal and verdict.eta is None
    assert "served by old 100%" in verdict.summary
    assert "new revision new: Ready=CONDITION_FAILED: boom" in verdict.summary


def test_deploying_new_revision_converges_with_an_eta() -> None:
    """A pending new revision: not terminal, ETA counted from the read."""
    revisions = {"old": revision(OLD), "new": revision(NEW, "CONDITION_PENDING")}
    verdict = judge_image(observed(revisions=revisions), 100, "svc", "svc", "p")
    assert not verdict.terminal
    assert verdict.eta is not None and verdict.eta.earliest == 1000.0 < verdict.eta.latest


def test_unknown_digest_fails_and_asks_to_deploy() -> None:
    """No digest for the reference: FAIL with the deploy command."""
    verdict = judge_image(observed(want=None), 100, "svc", "svc", "p")
    assert not verdict.observation.ok
    assert verdict.hint == f"deploy it: gcloud run deploy svc --image={REF}"


def test_latest_traffic_resolves_to_the_latest_ready_revision() -> None:
    """A LATEST traffic status counts for latestReadyRevision."""
    svc = {
        "latestReadyRevision": "projects/p/locations/r/services/s/revisions/s-2",
        "trafficStatuses": [
            {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 90},
            {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": "s-1", "percent": 10},
            {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": "s-0", "tag": "t"},
        ],
    }
    assert served_revisions(svc) == (("s-2", 90), ("s-1", 10))


def test_references_and_registry_packages_parse() -> None:
    """Tags, digests, registry ports and Artifact Registry packages with slashes."""
    ref = ImageRef.parse(REF)
    assert (ref.repository, ref.tag, ref.digest) == (
        "europe-west1-docker.pkg.dev/p/repo/team/api",
        "v2",
        None,
    )
    package = artifact_package(ref)
    assert package is not None
    assert (package.project, package.location, package.repository, package.package) == (
        "p", "europe-west1", "repo", "team/api",
    )  # fmt: skip
    port = ImageRef.parse("localhost:5000/api")
    assert (port.repository, port.tag, port.effective_tag) == ("localhost:5000/api", None, "latest")
    assert artifact_package(port) is None
    assert version_digest(f"projects/p/locations/l/repositories/r/packages/k/versions/{OLD}") == OLD
