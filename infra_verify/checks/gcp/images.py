"""Container image references (``host/path:tag`` or ``host/path@sha256:…``) and where Artifact
Registry keeps them (``LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/PACKAGE``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")
_AR_HOST = re.compile(r"^(?P<location>[a-z0-9-]+)-docker\.pkg\.dev$")


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference: repository, and its tag and/or digest."""

    repository: str
    """``host/path`` without tag or digest."""
    tag: str | None
    digest: str | None
    """``sha256:…`` when the reference pins one."""

    @classmethod
    def parse(cls, text: str) -> ImageRef:
        """Parse ``repo[:tag][@digest]``; raises ValueError for anything else."""
        text = text.strip()
        if not text or any(c.isspace() for c in text):
            raise ValueError(f"{text!r} is not an image reference (repository[:tag][@digest])")
        repository, _, digest = text.partition("@")
        if digest and not _DIGEST.match(digest):
            raise ValueError(f"{text!r}: {digest!r} is not a digest such as sha256:<64 hex>")
        tag = None
        last = repository.rsplit("/", 1)[-1]
        if ":" in last:
            repository, tag = repository.rsplit(":", 1)
            if not tag:
                raise ValueError(f"{text!r}: empty tag")
        if not repository or repository.endswith("/"):
            raise ValueError(f"{text!r} names no repository")
        return cls(repository, tag, digest.lower() or None)

    @property
    def effective_tag(self) -> str:
        """The tag a registry resolves: the reference's, else ``latest``."""
        return self.tag or "latest"

    def __str__(self) -> str:
        tag = f":{self.tag}" if self.tag else ""
        return f"{self.repository}{tag}" + (f"@{self.digest}" if self.digest else "")


@dataclass(frozen=True)
class ArtifactPackage:
    """Where Artifact Registry keeps an image: project, location, repository and package."""

    project: str
    location: str
    repository: str
    package: str


def artifact_package(ref: ImageRef) -> ArtifactPackage | None:
    """The Artifact Registry package of a ``LOCATION-docker.pkg.dev`` image; None elsewhere."""
    host, _, path = ref.repository.partition("/")
    found = _AR_HOST.match(host)
    parts = path.split("/")
    if found is None or len(parts) < 3:
        return None
    return ArtifactPackage(parts[0], found["location"], parts[1], "/".join(parts[2:]))


def digest_of(text: str | None) -> str | None:
    """The ``sha256:…`` part of a digest or a ``repo@sha256:…`` reference (lower-cased)."""
    if not text:
        return None
    digest = text.rsplit("@", 1)[-1].strip().lower()
    return digest if _DIGEST.match(digest) else None


def version_digest(version: str | None) -> str | None:
    """The digest an Artifact Registry tag's ``version`` (``…/versions/sha256:…``) names."""
    if not version:
        return None
    return digest_of(version.rsplit("/versions/", 1)[-1].replace("%3A", ":").replace("%3a", ":"))


def short_digest(digest: str | None) -> str:
    """``sha256:0123456789ab`` for display."""
    return digest[:19] if digest else "(unknown)"
