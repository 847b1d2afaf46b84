"""Which image serves a Cloud Run service: the revisions in ``trafficStatuses`` (LATEST resolved
to ``latestReadyRevision``), the digest each one's containers run (``containerStatuses[].imageDigest``,
resolved by Cloud Run at revision creation even when a tag was deployed), and the digest the
policy's ``image:`` stands for.

A digest reference stands for itself. A tag is read from Artifact Registry when the caller may
(``roles/artifactregistry.reader``); otherwise the digest of the newest revision created for that
exact reference stands in, and the result says which source it used. Revisions are read as
plain REST because the google-cloud-run proto drops ``containerStatuses``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from infra_verify.checks.gcp.base import Reader, short
from infra_verify.checks.gcp.images import (
    ImageRef,
    artifact_package,
    digest_of,
    short_digest,
    version_digest,
)
from infra_verify.errors import ProbeError
from infra_verify.gcp import reads
from infra_verify.gcp.errors import GcpNotFound, GcpPermissionDenied
from infra_verify.model import Eta, Observation

LATEST = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
REVISION_START_WINDOW = 600.0
"""A revision still deploying is expected ready within the revision's startup and health-check
budget; Cloud Run's default request/startup timeout is 300 s, so twice that bounds the wait."""


@dataclass(frozen=True)
class ImageObserved:
    """What the image part of the probe read."""

    ref: str
    served: tuple[tuple[str, int], ...]
    """(revision short name, percent) for each revision that serves traffic."""
    revisions: Mapping[str, dict[str, Any] | None] = field(default_factory=dict)
    """Each revision read, by short name (None: 404)."""
    want: str | None = None
    """The digest the reference stands for; None: it could not be found."""
    source: str = ""
    """Where ``want`` came from, in words."""
    newest: str | None = None
    """The newest revision created for the image (or the latest created one)."""
    observed_at: float = 0.0
    """Wall-clock time of the reads (for ETAs; the judge keeps no clock)."""


def served_revisions(svc: Mapping[str, Any]) -> tuple[tuple[str, int], ...]:
    """(revision, percent) serving traffic per ``trafficStatuses``, LATEST resolved."""
    out: dict[str, int] = {}
    for status in svc.get("trafficStatuses") or []:
        percent = int(status.get("percent") or 0)
        if percent <= 0:
            continue
        if status.get("type") == LATEST:
            name = short(svc.get("latestReadyRevision"))
        else:
            name = short(status.get("revision"))
        name = name or "(none)"
        out[name] = out.get(name, 0) + percent
    return tuple(out.items())


def revision_digests(revision: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The digests a revision's containers run (``containerStatuses[].imageDigest``)."""
    if not revision:
        return ()
    found = (digest_of(s.get("imageDigest")) for s in revision.get("containerStatuses") or [])
    return tuple(d for d in found if d)


def _runs_reference(revision: Mapping[str, Any], ref: str) -> bool:
    return any(str(c.get("image") or "") == ref for c in revision.get("containers") or [])


async def probe_image(
    reader: Reader, svc: Mapping[str, Any], image: str, project: str, region: str, service: str
) -> ImageObserved:
    """Read the serving revisions and the digest ``image`` stands for."""
    ref = ImageRef.parse(image)
    served = served_revisions(svc)
    names = [n for n, _ in served if n != "(none)"]
    latest_created = short(svc.get("latestCreatedRevision"))
    if latest_created and latest_created not in names:
        names.append(latest_created)
    revisions: dict[str, dict[str, Any] | None] = {}
    for name in names:
        revisions[name] = await reader.get_or_none(
            reads.get_run_revision, region, service, name, project=project
        )
    want, source, newest = ref.digest, "pinned by the reference", latest_created or None
    if want is None:
        want, source = await _tag_digest(reader, ref)
        if want is None:
            listed = await reader.get(reads.list_run_revisions, region, service, project=project)
            mine = sorted(
                (r for r in listed if _runs_reference(r, image)),
                key=lambda r: str(r.get("createTime") or ""),
            )
            if mine:
                newest = short(mine[-1].get("name"))
                revisions.setdefault(newest, mine[-1])
                if want is None:
                    digests = revision_digests(mine[-1])
                    want = digests[0] if digests else None
                    source = (
                        f"{source}; compared with the digest of {newest}, the newest revision "
                        f"created for {image}"
                    )
    return ImageObserved(str(ref), served, revisions, want, source, newest, time.time())


async def _tag_digest(reader: Reader, ref: ImageRef) -> tuple[str | None, str]:
    """The tag's digest from Artifact Registry, or None and why it could not be read."""
    package = artifact_package(ref)
    tag = ref.effective_tag
    if package is None:
        return None, f"{ref.repository} is not in Artifact Registry (no tag lookup)"
    try:
        read = await reader.get(
            reads.get_artifact_tag,
            package.project,
            package.location,
            package.repository,
            package.package,
            tag,
        )
    except GcpPermissionDenied:
        return None, (
            f"Artifact Registry tag {tag} not readable (grant roles/artifactregistry.reader "
            "to compare with the registry)"
        )
    except GcpNotFound:
        return None, f"tag {tag} not found in Artifact Registry {package.repository}"
    digest = version_digest(str(read.get("version") or ""))
    if digest is None:
        raise ProbeError(f"Artifact Registry tag {tag} names no digest: {read.get('version')!r}")
    return digest, f"from Artifact Registry tag {tag}"


def ready_condition(revision: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The revision's Ready condition ({} when it has none)."""
    for cond in (revision or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return dict(cond)
    return {}


def describe_conditions(revision: Mapping[str, Any] | None) -> str:
    """The revision's unmet conditions in the API's words."""
    if revision is None:
        return "not found"
    words: list[str] = []
    said: set[str] = set()
    for cond in revision.get("conditions") or []:
        if cond.get("state") == "CONDITION_SUCCEEDED":
            continue
        reason = cond.get("revisionReason") or cond.get("reason") or ""
        text = f"{cond.get('type')}={cond.get('state')}"
        if reason:
            text += f" ({reason})"
        message = str(cond.get("message") or "")
        if message and message not in said:
            said.add(message)
            text += f": {message}"
        words.append(text)
    return "; ".join(words) or "all conditions succeeded"


def logs_command(revision: str, project: str) -> str:
    """The gcloud command that shows one revision's logs."""
    return (
        'gcloud logging read \'resource.type="cloud_run_revision" AND '
        f'resource.labels.revision_name="{revision}"\' --project={project} --limit=50'
    )


@dataclass(frozen=True)
class ImageVerdict:
    """The image observation, the failure's words and whether waiting can fix it."""

    observation: Observation
    summary: str
    hint: str
    terminal: bool
    eta: Eta | None


def judge_image(
    obs: ImageObserved, min_percent: int, where: str, service: str, project: str
) -> ImageVerdict:
    """How much traffic runs the wanted digest, and if too little, why, naming revisions."""
    percent = sum(
        pct
        for name, pct in obs.served
        if obs.want and obs.want in revision_digests(obs.revisions.get(name))
    )
    serving = (
        ", ".join(
            f"{name} {pct}% ({short_digest(next(iter(revision_digests(obs.revisions.get(name))), None))})"
            for name, pct in obs.served
        )
        or "(no revision serves traffic)"
    )
    ok = obs.want is not None and percent >= min_percent
    actual = f"{percent}% ({serving})"
    observation = Observation(
        f"traffic on image {obs.ref}", f">= {min_percent}%", actual, ok, where
    )
    new = obs.newest
    new_rev = obs.revisions.get(new) if new else None
    cond = ready_condition(new_rev)
    state = str(cond.get("state") or "")
    terminal = state == "CONDITION_FAILED"
    eta = None
    if obs.want is None:
        summary = (
            f"Cloud Run {service}: no revision runs {obs.ref} ({obs.source}); serving: {serving}"
        )
        hint = f"deploy it: gcloud run deploy {service} --image={obs.ref}"
        return ImageVerdict(observation, summary, hint, False, None)
    summary = (
        f"Cloud Run {service}: {percent}% of traffic runs {obs.ref} "
        f"({short_digest(obs.want)}; {obs.source}), want {min_percent}%: served by {serving}"
    )
    hint = f"shift traffic: gcloud run services update-traffic {service} --to-latest"
    if new and new not in dict(obs.served):
        summary += f"; new revision {new}: {describe_conditions(new_rev)}"
        hint = f"read why {new} does not serve: {logs_command(new, project)}"
        if not terminal and obs.observed_at:
            eta = Eta(
                obs.observed_at,
                obs.observed_at + REVISION_START_WINDOW,
                f"revision {new} is still deploying ({state or 'no Ready condition yet'})",
            )
    return ImageVerdict(observation, summary, hint, terminal, eta)
