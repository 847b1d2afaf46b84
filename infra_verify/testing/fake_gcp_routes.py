"""The REST collections the fake GCP server knows: list envelopes, paging and discovery schemas.

Each Google API is served under its own path prefix, and several share ``v1/``, so a
collection is recognised by its full path (checked against the discovery documents shipped in
google-api-python-client):

==================  ==================================================================  ===========
API                 collection path (a resource is ``<collection>/<name>``)              list key
==================  ==================================================================  ===========
compute v1          ``compute/v1/projects/{p}/global/{sslCertificates|addresses|...}``  ``items``
compute v1          ``compute/v1/projects/{p}/regions/{r}/{sslCertificates|...}``       ``items``
Cloud Run v2        ``v2/projects/{p}/locations/{l}/services``                          ``services``
Cloud Run v2        ``v2/projects/{p}/locations/{l}/services/{s}:getIamPolicy`` (one)   (none)
VPC Access v1       ``v1/projects/{p}/locations/{l}/connectors``                        ``connectors``
Certificate Mgr v1  ``v1/projects/{p}/locations/{l}/certificates``                      ``certificates``
Certificate Mgr v1  ``v1/projects/{p}/locations/{l}/certificateMaps``                   ``certificateMaps``
Certificate Mgr v1  ``v1/.../certificateMaps/{m}/certificateMapEntries``                ``certificateMapEntries``
Cloud SQL Admin v1  ``v1/projects/{p}/instances`` (``sql/v1beta4/...`` is an alias)      ``items``
Cloud DNS v1        ``dns/v1/projects/{p}/managedZones``                                ``managedZones``
Cloud DNS v1        ``dns/v1/projects/{p}/managedZones/{z}/rrsets`` (``.../{name}/{type}``) ``rrsets``
compute v1          ``compute/v1/projects/{p}/regions/{r}/subnetworks``                  ``items``
Resource Mgr v1     ``v1/projects`` (a project is ``v1/projects/{p}``)                  ``projects``
Resource Mgr v1     ``v1/projects/{p}:getIamPolicy`` (one; the real method is a POST)   (none)
Cloud Run v2        ``v2/projects/{p}/locations/{l}/services/{s}/revisions``            ``revisions``
Artifact Reg. v1    ``v1/projects/{p}/locations/{l}/repositories/{r}/packages/{k}/tags`` ``tags``
Network Mgmt v1     ``v1/projects/{p}/locations/global/connectivityTests``              ``resources``
Network Mgmt v1     ``v1/projects/{p}/locations/global/operations`` (writes: fake_gcp_ops) ``operations``
==================  ==================================================================  ===========

A custom-method resource (``…/services/{s}:getIamPolicy``) is stored at that path, answers a GET
there, and is never listed with its collection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "COLLECTIONS",
    "POST_READS",
    "Collection",
    "canonical_path",
    "collection_for_list",
    "collection_for_resource",
    "custom_method",
]


@dataclass(frozen=True)
class Collection:
    """One REST collection: where it lives, how its list is wrapped and its discovery schema."""

    pattern: re.Pattern[str]
    items_key: str
    list_kind: str | None
    page_size_param: str
    api: str
    schema: str
    depth: int = 1
    parent_must_exist: bool = False
    method: str = ""
    """A custom method (``getIamPolicy``): the resource is ``<collection>/<name>:<method>``."""


def _compute(scope: str, collection: str, schema: str, kind: str) -> Collection:
    prefix = r"compute/v1/projects/[^/]+/" + ("global" if scope == "global" else r"regions/[^/]+")
    return Collection(
        re.compile(f"{prefix}/{collection}"),
        "items",
        f"compute#{kind}List",
        "maxResults",
        "compute.v1",
        schema,
    )


COLLECTIONS: tuple[Collection, ...] = (
    _compute("global", "sslCertificates", "SslCertificate", "sslCertificate"),
    _compute("region", "sslCertificates", "SslCertificate", "sslCertificate"),
    _compute("global", "addresses", "Address", "address"),
    _compute("region", "addresses", "Address", "address"),
    _compute("global", "forwardingRules", "ForwardingRule", "forwardingRule"),
    _compute("global", "targetHttpsProxies", "TargetHttpsProxy", "targetHttpsProxy"),
    _compute("global", "targetHttpProxies", "TargetHttpProxy", "targetHttpProxy"),
    _compute("global", "urlMaps", "UrlMap", "urlMap"),
    _compute("global", "backendServices", "BackendService", "backendService"),
    _compute("region", "networkEndpointGroups", "NetworkEndpointGroup", "networkEndpointGroup"),
    _compute("global", "networks", "Network", "network"),
    _compute("region", "forwardingRules", "ForwardingRule", "forwardingRule"),
    _compute("region", "targetHttpsProxies", "TargetHttpsProxy", "targetHttpsProxy"),
    _compute("region", "targetHttpProxies", "TargetHttpProxy", "targetHttpProxy"),
    _compute("region", "urlMaps", "UrlMap", "urlMap"),
    _compute("region", "backendServices", "BackendService", "backendService"),
    _compute("global", "backendBuckets", "BackendBucket", "backendBucket"),
    _compute("region", "backendBuckets", "BackendBucket", "backendBucket"),
    _compute("global", "networkEndpointGroups", "NetworkEndpointGroup", "networkEndpointGroup"),
    Collection(
        re.compile(r"v2/projects/[^/]+/locations/[^/]+/services"),
        "services",
        None,
        "pageSize",
        "run.v2",
        "GoogleCloudRunV2Service",
    ),
    Collection(
        re.compile(r"v2/projects/[^/]+/locations/[^/]+/services"),
        "",
        None,
        "",
        "run.v2",
        "GoogleIamV1Policy",
        method="getIamPolicy",
    ),
    Collection(
        re.compile(r"v1/projects/[^/]+/locations/[^/]+/connectors"),
        "connectors",
        None,
        "pageSize",
        "vpcaccess.v1",
        "Connector",
    ),
    Collection(
        re.compile(r"v1/projects/[^/]+/locations/[^/]+/certificates"),
        "certificates",
        None,
        "pageSize",
        "certificatemanager.v1",
        "Certificate",
    ),
    Collection(
        re.compile(r"v1/projects/[^/]+/locations/[^/]+/certificateMaps"),
        "certificateMaps",
        None,
        "pageSize",
        "certificatemanager.v1",
        "CertificateMap",
    ),
    Collection(
        re.compile(
            r"v1/projects/[^/]+/locations/[^/]+/certificateMaps/[^/]+/certificateMapEntries"
        ),
        "certificateMapEntries",
        None,
        "pageSize",
        "certificatemanager.v1",
        "CertificateMapEntry",
        parent_must_exist=True,
    ),
    Collection(
        re.compile(r"v1/projects/[^/]+/instances"),
        "items",
        "sql#instancesList",
        "maxResults",
        "sqladmin.v1",
        "DatabaseInstance",
    ),
    Collection(
        re.compile(r"dns/v1/projects/[^/]+/managedZones"),
        "managedZones",
        "dns#managedZonesListResponse",
        "maxResults",
        "dns.v1",
        "ManagedZone",
    ),
    Collection(
        re.compile(r"dns/v1/projects/[^/]+/managedZones/[^/]+/rrsets"),
        "rrsets",
        "dns#resourceRecordSetsListResponse",
        "maxResults",
        "dns.v1",
        "ResourceRecordSet",
        depth=2,
        parent_must_exist=True,
    ),
    Collection(
        re.compile(r"v2/projects/[^/]+/locations/[^/]+/services/[^/]+/revisions"),
        "revisions",
        None,
        "pageSize",
        "run.v2",
        "GoogleCloudRunV2Revision",
    ),
    Collection(
        # a package name's slashes arrive %2F-escaped and are unescaped with the path
        re.compile(r"v1/projects/[^/]+/locations/[^/]+/repositories/[^/]+/packages/.+/tags"),
        "tags",
        None,
        "pageSize",
        "artifactregistry.v1",
        "Tag",
    ),
    Collection(
        re.compile(r"v1/projects/[^/]+/locations/global/connectivityTests"),
        "resources",
        None,
        "pageSize",
        "networkmanagement.v1",
        "ConnectivityTest",
    ),
    Collection(
        re.compile(r"v1/projects/[^/]+/locations/global/operations"),
        "operations",
        None,
        "pageSize",
        "networkmanagement.v1",
        "Operation",
    ),
)

# Subnetworks (read to learn a Direct VPC interface's network) and Resource Manager v1
# (appended: additive; ``v1/projects`` matches no other collection)
COLLECTIONS += (
    _compute("region", "subnetworks", "Subnetwork", "subnetwork"),
    Collection(
        re.compile(r"v1/projects"),
        "projects",
        None,
        "pageSize",
        "cloudresourcemanager.v1",
        "Project",
    ),
    Collection(
        re.compile(r"v1/projects"),
        "",
        None,
        "",
        "cloudresourcemanager.v1",
        "Policy",
        method="getIamPolicy",
    ),
)

POST_READS = frozenset({"getIamPolicy"})
"""Custom methods that only read, though some APIs call them with POST (Resource Manager)."""

_SQL_BETA = "sql/v1beta4/"


def canonical_path(path: str) -> str:
    """Strip slashes and map the Cloud SQL ``sql/v1beta4/`` prefix onto ``v1/``."""
    path = path.strip("/")
    if path.startswith(_SQL_BETA):
        path = "v1/" + path[len(_SQL_BETA) :]
    return path


def collection_for_list(path: str) -> Collection | None:
    """The collection whose list path is exactly ``path``, if any."""
    return next((c for c in COLLECTIONS if not c.method and c.pattern.fullmatch(path)), None)


def custom_method(path: str) -> str:
    """The custom method a resource path ends with (``…/s:getIamPolicy`` -> ``getIamPolicy``)."""
    last = path.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else ""


def collection_for_resource(path: str) -> Collection | None:
    """The collection that holds the resource at ``path``, if any."""
    method = custom_method(path)
    for collection in COLLECTIONS:
        if collection.method != method:
            continue
        parts = path.split("/")
        parent = "/".join(parts[: -collection.depth])
        if len(parts) > collection.depth and collection.pattern.fullmatch(parent):
            return collection
    return None
