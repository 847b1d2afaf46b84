"""One resource-name type for every GCP check: short names, paths and self-links, compared fully.

The APIs name the same resource in several ways::

    default                                                               a short name
    projects/host/global/networks/default                                 a relative path
    /projects/host/global/networks/default                                (Cloud SQL's privateNetwork)
    https://www.googleapis.com/compute/v1/projects/host/global/networks/default   a self-link
    //compute.googleapis.com/projects/host/global/networks/default        a full resource name
    host:us-central1:db                                                   a Cloud SQL connection name

:class:`ResourceName` keeps the project, the location (``global``, a region, a zone or a
location), the collection (``networks``, ``connectors``, ...) and the name. A short name says
nothing about its project: :meth:`ResourceName.qualified` fills in the project (and location)
it is read in, and :meth:`ResourceName.same` compares two qualified names on every part, so
``default`` in one project is never ``default`` in another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

__all__ = ["GLOBAL_KINDS", "ResourceName", "parse_name"]

GLOBAL_KINDS = frozenset({"networks", "firewalls", "routes"})
"""Collections that only exist under ``projects/P/global/`` (a short name's location)."""

_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]*$")
_PROJECT = re.compile(r"^(?:[a-z](?:[a-z0-9.:-]*[a-z0-9])?|\d+)$")
_SCOPES = ("regions", "zones", "locations")


@dataclass(frozen=True)
class ResourceName:
    """A GCP resource's identity: project, location, collection (kind) and name.

    ``project`` and ``location`` are None when the text did not say (a short name);
    ``location`` is ``"global"`` for global resources and None for collections that have no
    location at all (Cloud SQL instances, Cloud DNS zones).
    """

    kind: str
    name: str
    project: str | None = None
    location: str | None = None

    @classmethod
    def parse(cls, text: str, kind: str | None = None) -> ResourceName:
        """Parse a short name, a ``projects/…`` path, a self-link or a connection name.

        ``kind`` is the collection the name must belong to (a path of another collection is
        refused); a short name takes it as its kind. Raises ValueError for anything malformed.
        """
        return parse_name(text, kind)

    @property
    def is_qualified(self) -> bool:
        """True when the project is known."""
        return self.project is not None

    def qualified(self, project: str, location: str | None = None) -> ResourceName:
        """This name with the project (and location) it is read in filled in where unknown."""
        where = self.location
        if where is None:
            where = "global" if self.kind in GLOBAL_KINDS else location
        return replace(self, project=self.project or project, location=where)

    def same(self, other: ResourceName) -> bool:
        """The same resource: same kind, name and project (locations compared when both known).

        Both names should be :meth:`qualified`; an unqualified project matches nothing but an
        unqualified one, so a short name never silently matches another project's resource.
        """
        if (self.kind, self.name, self.project) != (other.kind, other.name, other.project):
            return False
        if self.location is None or other.location is None:
            return True
        return self.location == other.location

    @property
    def path(self) -> str:
        """The relative resource path, e.g. ``projects/P/global/networks/N`` (or the short name)."""
        if self.project is None:
            return self.name
        parts = ["projects", self.project]
        if self.kind in _UNLOCATED or self.location is None:
            pass
        elif self.location == "global":
            parts.append("global")
        else:
            parts += [_scope_of(self.kind), self.location]
        parts += [self.kind, self.name]
        return "/".join(parts)

    def display(self, home: str | None = None) -> str:
        """The short name when the resource lives in ``home`` (the gate's project), else the path."""
        if self.project is None or self.project == home:
            return self.name
        return self.path

    def __str__(self) -> str:
        return self.path


_REGIONAL = frozenset(
    {
        "subnetworks",
        "addresses",
        "forwardingRules",
        "networkEndpointGroups",
        "sslCertificates",
        "targetHttpsProxies",
        "targetHttpProxies",
        "urlMaps",
        "backendServices",
        "networkAttachments",
        "serviceAttachments",
    }
)
_UNLOCATED = frozenset({"instances", "managedZones"})
"""Collections whose path has no location (Cloud SQL instances, Cloud DNS zones)."""


def _scope_of(kind: str) -> str:
    return "regions" if kind in _REGIONAL else "locations"


def _segment(value: str, what: str, text: str) -> str:
    if not _SEGMENT.fullmatch(value):
        raise ValueError(f"{text!r} is not a resource name: bad {what} {value!r}")
    return value


def _check_project(value: str, text: str) -> str:
    if not _PROJECT.fullmatch(value):
        raise ValueError(f"{text!r} is not a resource name: bad project {value!r}")
    return value


def _path_segments(text: str) -> list[str]:
    """The segments from ``projects`` on, whatever host or API prefix comes before."""
    raw = text
    if "://" in raw:
        split = urlsplit(raw)
        if split.scheme not in ("http", "https") or not split.netloc:
            raise ValueError(f"{text!r} is not a resource name: not an http(s) URL")
        raw = split.path
    elif raw.startswith("//"):
        raw = raw[2:].split("/", 1)[1] if "/" in raw[2:] else ""
    parts = raw.strip("/").split("/")
    if "" in parts:
        raise ValueError(f"{text!r} is not a resource name: empty path segment")
    if "projects" in parts:
        return parts[parts.index("projects") :]
    if parts[0] == "global" or parts[0] in _SCOPES:
        return parts  # a path relative to the project (``global/networks/default``)
    raise ValueError(f"{text!r} is not a resource name: a path must contain projects/PROJECT")


def parse_name(text: str, kind: str | None = None) -> ResourceName:
    """See :meth:`ResourceName.parse`."""
    if not isinstance(text, str):
        raise ValueError(f"a resource name is a string, not {type(text).__name__}")
    value = text.strip()
    if not value:
        raise ValueError("a resource name must not be empty")
    if any(c.isspace() for c in value):
        raise ValueError(f"{text!r} is not a resource name: it contains whitespace")
    if "/" not in value:
        if kind == "instances" and ":" in value:
            return _connection_name(value, text)
        return ResourceName(kind or "", _segment(value, "name", text))
    parts = _path_segments(value)
    project: str | None = None
    rest = parts
    if parts[0] == "projects":
        if len(parts) < 2:
            raise ValueError(f"{text!r} is not a resource name: projects/ needs a project")
        project, rest = _check_project(parts[1], text), parts[2:]
    location: str | None = None
    if rest[:1] == ["global"]:
        location, rest = "global", rest[1:]
    elif rest[:1] and rest[0] in _SCOPES:
        if len(rest) < 2:
            raise ValueError(f"{text!r} is not a resource name: {rest[0]}/ needs a value")
        location, rest = _segment(rest[1], "location", text), rest[2:]
    if len(rest) != 2:
        raise ValueError(
            f"{text!r} is not a resource name: expected projects/PROJECT/[LOCATION/]COLLECTION/NAME"
        )
    found_kind, name = _segment(rest[0], "collection", text), _segment(rest[1], "name", text)
    if kind and found_kind != kind:
        raise ValueError(f"{text!r} names {found_kind}, not {kind}")
    return ResourceName(found_kind, name, project, location)


def _connection_name(value: str, text: str) -> ResourceName:
    """``PROJECT:REGION:INSTANCE`` (a domain-scoped project keeps its ``domain:`` prefix)."""
    parts = value.split(":")
    if len(parts) not in (3, 4) or not all(parts):
        raise ValueError(f"{text!r} is not a Cloud SQL connection name (PROJECT:REGION:INSTANCE)")
    project = ":".join(parts[:-2])
    return ResourceName(
        "instances",
        _segment(parts[-1], "instance", text),
        _check_project(project, text),
        _segment(parts[-2], "region", text),
    )
