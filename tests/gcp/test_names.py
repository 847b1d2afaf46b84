"""ResourceName: short names, paths, self-links and connection names, compared fully qualified."""

from __future__ import annotations

import re

import pytest

from infra_verify.gcp.names import ResourceName

HOST_DEFAULT = ResourceName("networks", "default", "host", "global")


@pytest.mark.parametrize(
    "text",
    [
        "projects/host/global/networks/default",
        "/projects/host/global/networks/default",
        "https://www.googleapis.com/compute/v1/projects/host/global/networks/default",
        "https://compute.googleapis.com/compute/v1/projects/host/global/networks/default",
        "//compute.googleapis.com/projects/host/global/networks/default",
    ],
)
def test_every_spelling_of_a_network_is_the_same_resource(text: str) -> None:
    """Relative paths, Cloud SQL's leading slash, self-links and full names parse alike."""
    name = ResourceName.parse(text, "networks")
    assert name == HOST_DEFAULT
    assert name.path == "projects/host/global/networks/default"


def test_a_short_name_takes_the_project_it_is_read_in() -> None:
    """A short name has no project until qualified; then it is that project's resource."""
    short = ResourceName.parse("default", "networks")
    assert (short.project, short.location, short.is_qualified) == (None, None, False)
    assert short.qualified("host") == HOST_DEFAULT
    assert short.qualified("service").same(HOST_DEFAULT) is False


def test_same_name_in_another_project_is_another_resource() -> None:
    """default in the host project is not default in the service project (Shared VPC)."""
    mine = ResourceName.parse("projects/service/global/networks/default")
    assert not mine.same(HOST_DEFAULT)
    assert mine.display("service") == "default"
    assert HOST_DEFAULT.display("service") == "projects/host/global/networks/default"


def test_regional_names_keep_their_location() -> None:
    """A connector path keeps its location; a short name takes the region it is read in."""
    path = "projects/host/locations/us-central1/connectors/shared"
    full = ResourceName.parse(path, "connectors")
    assert (full.project, full.location, full.kind, full.name) == (
        "host",
        "us-central1",
        "connectors",
        "shared",
    )
    assert full.path == path
    assert ResourceName.parse("shared", "connectors").qualified("host", "us-central1") == full
    assert not full.same(ResourceName.parse(path.replace("us-central1", "us-east1")))


def test_cloud_sql_connection_names_and_paths() -> None:
    """PROJECT:REGION:INSTANCE and projects/P/instances/I name the same instance."""
    conn = ResourceName.parse("host:us-central1:db", "instances")
    path = ResourceName.parse("projects/host/instances/db", "instances")
    assert (conn.project, conn.location, conn.name) == ("host", "us-central1", "db")
    assert conn.same(path) and path.path == "projects/host/instances/db"
    assert ResourceName.parse("example.com:host:us-central1:db", "instances").project == (
        "example.com:host"
    )


def test_a_path_relative_to_the_project() -> None:
    """global/networks/N names a network without its project (qualified later)."""
    name = ResourceName.parse("global/networks/vpc", "networks")
    assert name.project is None and name.qualified("p").path == "projects/p/global/networks/vpc"


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("", None, "must not be empty"),
        ("my network", "networks", "whitespace"),
        ("projects//global/networks/x", None, "empty path segment"),
        ("projects/host/locations/r/connectors/c", "networks", "names connectors, not networks"),
        ("folders/1/networks/x", None, "must contain projects/PROJECT"),
        ("projects/Host!/global/networks/x", None, "bad project"),
        ("ftp://h/projects/p/global/networks/x", None, "not an http(s) URL"),
        ("projects/p/global/networks", None, "expected projects/PROJECT"),
        ("projects/p/global/networks/a/b", None, "expected projects/PROJECT"),
        ("p:db", "instances", "not a Cloud SQL connection name"),
        ("bad*name", "connectors", "bad name"),
    ],
)
def test_malformed_names_are_refused(text: str, kind: str | None, message: str) -> None:
    """Anything that is not a resource name raises ValueError saying what is wrong."""
    with pytest.raises(ValueError, match=re.escape(message)):
        ResourceName.parse(text, kind)
