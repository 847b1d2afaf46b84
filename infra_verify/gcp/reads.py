"""Typed reads of the GCP resources the checks judge, each returning the REST JSON shape.

Every function takes a keyword-only ``timeout`` (seconds, the whole budget including retries),
returns plain camelCase dicts exactly as the REST API sends them (so checks judge one
representation whichever client fetched it), and raises
:class:`~infra_verify.gcp.errors.GcpError` subclasses.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote, urlencode

from infra_verify.gcp.calls import call_with
from infra_verify.gcp.clients import GcpClients
from infra_verify.gcp.errors import GcpBadResponse

__all__ = [
    "ROLES",
    "find_managed_zone_by_dns_name",
    "get_artifact_tag",
    "get_backend_bucket",
    "get_backend_service",
    "get_certificate_manager_certificate",
    "get_certificate_map",
    "get_compute",
    "get_connector",
    "get_forwarding_rule",
    "get_global_address",
    "get_managed_zone",
    "get_region_address",
    "get_region_backend_service",
    "get_region_forwarding_rule",
    "get_region_neg",
    "get_region_target_http_proxy",
    "get_region_target_https_proxy",
    "get_region_url_map",
    "get_run_revision",
    "get_run_service",
    "get_run_service_iam_policy",
    "get_sql_instance",
    "get_ssl_certificate",
    "get_subnetwork",
    "get_target_http_proxy",
    "get_target_https_proxy",
    "get_url_map",
    "list_certificate_map_entries",
    "list_rrsets",
    "list_run_revisions",
]

ROLES = {
    "compute": "roles/compute.viewer",
    "run": "roles/run.viewer",
    "vpcaccess": "roles/vpcaccess.viewer",
    "dns": "roles/dns.reader",
    "sqladmin": "roles/cloudsql.viewer",
    "certificatemanager": "roles/certificatemanager.viewer",
    "cloudresourcemanager": "roles/browser",
    "artifactregistry": "roles/artifactregistry.reader",
    "networkmanagement": "roles/networkmanagement.viewer",
}
"""The least read-only IAM role that lets a caller read each API's resources."""

_MAX_PAGES = 1000


def _to_rest(message: Any) -> dict[str, Any]:
    """A proto-plus message as the REST JSON dict (camelCase, enum names, defaults omitted)."""
    from google.protobuf.json_format import MessageToDict

    result: dict[str, Any] = MessageToDict(type(message).pb(message))
    return result


def _json_object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise GcpBadResponse(f"malformed response while reading {what}: not a JSON object")
    return value


def _compute_get(
    clients: GcpClients,
    client: str,
    what: str,
    timeout: float,
    *,
    project: str | None = None,
    **ids: str,
) -> dict[str, Any]:
    in_project = project or clients.project

    def fetch(api: Any, attempt_timeout: float) -> dict[str, Any]:
        message = api.get(project=in_project, **ids, retry=None, timeout=attempt_timeout)
        return _to_rest(message)

    def build() -> Any:
        return clients.compute(client)

    return call_with(
        build, fetch, timeout=timeout, role=ROLES["compute"], what=what, project=in_project
    )


COMPUTE_COLLECTIONS: dict[str, tuple[str, str, str, str]] = {
    "addresses": ("GlobalAddressesClient", "AddressesClient", "address", "address"),
    "forwardingRules": (
        "GlobalForwardingRulesClient", "ForwardingRulesClient", "forwarding_rule",
        "forwarding rule",
    ),
    "targetHttpsProxies": (
        "TargetHttpsProxiesClient", "RegionTargetHttpsProxiesClient", "target_https_proxy",
        "target HTTPS proxy",
    ),
    "targetHttpProxies": (
        "TargetHttpProxiesClient", "RegionTargetHttpProxiesClient", "target_http_proxy",
        "target HTTP proxy",
    ),
    "urlMaps": ("UrlMapsClient", "RegionUrlMapsClient", "url_map", "URL map"),
    "backendServices": (
        "BackendServicesClient", "RegionBackendServicesClient", "backend_service",
        "backend service",
    ),
    "backendBuckets": (
        "BackendBucketsClient", "RegionBackendBucketsClient", "backend_bucket", "backend bucket",
    ),
    "networkEndpointGroups": (
        "GlobalNetworkEndpointGroupsClient", "RegionNetworkEndpointGroupsClient",
        "network_endpoint_group", "network endpoint group",
    ),
    "sslCertificates": (
        "SslCertificatesClient", "RegionSslCertificatesClient", "ssl_certificate",
        "SSL certificate",
    ),
}  # fmt: skip
"""Compute collections ``get_compute`` reads: (global client, regional client, the name's
keyword argument, words for messages)."""


def get_compute(
    clients: GcpClients,
    collection: str,
    name: str,
    region: str | None = None,
    *,
    timeout: float,
    project: str | None = None,
) -> dict[str, Any]:
    """One compute resource of ``collection`` (``urlMaps``, ``backendBuckets``, …): global, or
    regional when ``region`` is given; in ``project`` (default: the clients' project)."""
    if collection not in COMPUTE_COLLECTIONS:
        raise ValueError(f"unsupported compute collection {collection!r}")
    global_client, regional_client, key, words = COMPUTE_COLLECTIONS[collection]
    what = f"{words} {name}" + (f" in {region}" if region else "")
    if project and project != clients.project:
        what += f" (project {project})"
    if region is None:
        return _compute_get(clients, global_client, what, timeout, project=project, **{key: name})
    return _compute_get(
        clients, regional_client, what, timeout, project=project, region=region, **{key: name}
    )


def get_ssl_certificate(
    clients: GcpClients,
    name: str,
    region: str | None = None,
    *,
    timeout: float,
    project: str | None = None,
) -> dict[str, Any]:
    """A compute SSL certificate (global, or regional when ``region`` is given)."""
    if region is None:
        return _compute_get(
            clients, "SslCertificatesClient", f"SSL certificate {name}", timeout,
            project=project, ssl_certificate=name,
        )  # fmt: skip
    return _compute_get(
        clients, "RegionSslCertificatesClient", f"SSL certificate {name} in {region}", timeout,
        project=project, region=region, ssl_certificate=name,
    )  # fmt: skip


def get_global_address(clients: GcpClients, name: str, *, timeout: float) -> dict[str, Any]:
    """A global static IP address."""
    return _compute_get(
        clients, "GlobalAddressesClient", f"global address {name}", timeout, address=name
    )


def get_forwarding_rule(clients: GcpClients, name: str, *, timeout: float) -> dict[str, Any]:
    """A global forwarding rule."""
    return _compute_get(
        clients, "GlobalForwardingRulesClient", f"forwarding rule {name}", timeout,
        forwarding_rule=name,
    )  # fmt: skip


def get_target_https_proxy(clients: GcpClients, name: str, *, timeout: float) -> dict[str, Any]:
    """A target HTTPS proxy."""
    return _compute_get(
        clients, "TargetHttpsProxiesClient", f"target HTTPS proxy {name}", timeout,
        target_https_proxy=name,
    )  # fmt: skip


def get_target_http_proxy(clients: GcpClients, name: str, *, timeout: float) -> dict[str, Any]:
    """A target HTTP proxy."""
    return _compute_get(
        clients, "TargetHttpProxiesClient", f"target HTTP proxy {name}", timeout,
        target_http_proxy=name,
    )  # fmt: skip


def get_url_map(clients: GcpClients, name: str, *, timeout: float) -> dict[str, Any]:
    """A global URL map."""
    return _compute_get(clients, "UrlMapsClient", f"URL map {name}", timeout, url_map=name)


def get_backend_service(clients: GcpClients, name: str, *, timeout: float) -> dict[str, Any]:
    """A global backend service."""
    return _compute_get(
        clients, "BackendServicesClient", f"backend service {name}", timeout,
        backend_service=name,
    )  # fmt: skip


def get_region_address(
    clients: GcpClients, region: str, name: str, *, timeout: float
) -> dict[str, Any]:
    """A regional static IP address."""
    return _compute_get(
        clients, "AddressesClient", f"address {name} in {region}", timeout,
        region=region, address=name,
    )  # fmt: skip


def get_region_forwarding_rule(
    clients: GcpClients, region: str, name: str, *, timeout: float
) -> dict[str, Any]:
    """A regional forwarding rule (e.g. of a regional external Application Load Balancer)."""
    return _compute_get(
        clients, "ForwardingRulesClient", f"forwarding rule {name} in {region}", timeout,
        region=region, forwarding_rule=name,
    )  # fmt: skip


def get_region_target_https_proxy(
    clients: GcpClients, region: str, name: str, *, timeout: float
) -> dict[str, Any]:
    """A regional target HTTPS proxy."""
    return _compute_get(
        clients, "RegionTargetHttpsProxiesClient", f"target HTTPS proxy {name} in {region}",
        timeout, region=region, target_https_proxy=name,
    )  # fmt: skip


def get_region_target_http_proxy(
    clients: GcpClients, region: str, name: str, *, timeout: float
) -> dict[str, Any]:
    """A regional target HTTP proxy."""
    return _compute_get(
        clients, "RegionTargetHttpProxiesClient", f"target HTTP proxy {name} in {region}",
        timeout, region=region, target_http_proxy=name,
    )  # fmt: skip


def get_region_url_map(
    clients: GcpClients, region: str, name: str, *, timeout: float
) -> dict[str, Any]:
    """A regional URL map."""
    return _compute_get(
        clients, "RegionUrlMapsClient", f"URL map {name} in {region}", timeout,
        region=region, url_map=name,
    )  # fmt: skip


def get_region_backend_service(
    clients: GcpClients, region: str, name: str, *, timeout: float
) -> dict[str, Any]:
    """A regional backend service."""
    return _compute_get(
        clients, "RegionBackendServicesClient", f"backend service {name} in {region}", timeout,
        region=region, backend_service=name,
    )  # fmt: skip


def get_backend_bucket(clients: GcpClients, name: str, *, timeout: float) -> dict[str, Any]:
    """A global backend bucket (a Cloud Storage bucket behind a URL map)."""
    return _compute_get(
        clients, "BackendBucketsClient", f"backend bucket {name}", timeout, backend_bucket=name
    )


def get_region_neg(
    clients: GcpClients, region: str, name: str, *, timeout: float
) -> dict[str, Any]:
    """A regional network endpoint group (e.g. a serverless NEG for Cloud Run)."""
    return _compute_get(
        clients, "RegionNetworkEndpointGroupsClient",
        f"network endpoint group {name} in {region}", timeout,
        region=region, network_endpoint_group=name,
    )  # fmt: skip


def get_run_service(
    clients: GcpClients, region: str, name: str, *, timeout: float, project: str | None = None
) -> dict[str, Any]:
    """A Cloud Run (v2) service (in ``project``, default: the clients' project)."""
    in_project = project or clients.project
    full_name = f"projects/{in_project}/locations/{region}/services/{name}"

    def fetch(api: Any, attempt_timeout: float) -> dict[str, Any]:
        message = api.get_service(name=full_name, retry=None, timeout=attempt_timeout)
        return _to_rest(message)

    what = f"Cloud Run service {name} in {region}"
    return call_with(
        clients.run_services,
        fetch,
        timeout=timeout,
        role=ROLES["run"],
        what=what,
        project=in_project,
    )


def get_run_service_iam_policy(
    clients: GcpClients, region: str, name: str, *, timeout: float, project: str | None = None
) -> dict[str, Any]:
    """A Cloud Run (v2) service's IAM policy (``services.getIamPolicy``), as REST JSON."""
    in_project = project or clients.project
    full_name = f"projects/{in_project}/locations/{region}/services/{name}"

    def fetch(api: Any, attempt_timeout: float) -> dict[str, Any]:
        from google.protobuf.json_format import MessageToDict

        policy = api.get_iam_policy(
            request={"resource": full_name}, retry=None, timeout=attempt_timeout
        )
        result: dict[str, Any] = MessageToDict(policy)
        return result

    what = f"IAM policy of Cloud Run service {name} in {region}"
    return call_with(
        clients.run_services,
        fetch,
        timeout=timeout,
        role=ROLES["run"],
        what=what,
        project=in_project,
    )


def get_connector(
    clients: GcpClients, region: str, name: str, *, timeout: float, project: str | None = None
) -> dict[str, Any]:
    """A Serverless VPC Access connector (in ``project``, e.g. a Shared VPC host project)."""
    in_project = project or clients.project
    full_name = f"projects/{in_project}/locations/{region}/connectors/{name}"

    def fetch(api: Any, attempt_timeout: float) -> dict[str, Any]:
        message = api.get_connector(name=full_name, retry=None, timeout=attempt_timeout)
        return _to_rest(message)

    what = f"VPC connector {name} in {region}"
    if in_project != clients.project:
        what += f" (project {in_project})"
    role = ROLES["vpcaccess"]
    return call_with(
        clients.vpc_access, fetch, timeout=timeout, role=role, what=what, project=in_project
    )


def _rest_get(
    clients: GcpClients,
    api: str,
    path: str,
    what: str,
    timeout: float,
    params: dict[str, str] | None = None,
    project: str | None = None,
) -> dict[str, Any]:
    endpoint = clients.settings.endpoint(api)
    if "://" not in endpoint:
        endpoint = f"https://{endpoint}"
    url = f"{endpoint.rstrip('/')}/{path}"
    if params:
        url = f"{url}?{urlencode(params)}"

    def build() -> Any:
        from google.api_core import exceptions

        return clients.session(api), exceptions.from_http_response

    def fetch(built: Any, attempt_timeout: float) -> dict[str, Any]:
        session, from_http_response = built
        response = session.get(url, timeout=attempt_timeout)
        if response.status_code >= 400:
            raise from_http_response(response)
        return _json_object(response.json(), what)

    in_project = project or clients.project
    return call_with(build, fetch, timeout=timeout, role=ROLES[api], what=what, project=in_project)


def get_sql_instance(
    clients: GcpClients, name: str, *, timeout: float, project: str | None = None
) -> dict[str, Any]:
    """A Cloud SQL instance (sqladmin v1 ``instances.get``), in ``project`` if given."""
    in_project = project or clients.project
    path = f"v1/projects/{quote(in_project, safe='')}/instances/{quote(name, safe='')}"
    what = f"Cloud SQL instance {name}"
    if in_project != clients.project:
        what += f" (project {in_project})"
    return _rest_get(clients, "sqladmin", path, what, timeout, project=in_project)


def get_subnetwork(
    clients: GcpClients, region: str, name: str, *, timeout: float, project: str | None = None
) -> dict[str, Any]:
    """A VPC subnetwork (compute v1 ``subnetworks.get``): its ``network`` is the VPC it is in.

    Read as plain REST with the compute endpoint, so it needs no extra compute client class.
    """
    in_project = project or clients.project
    path = "compute/v1/projects/{}/regions/{}/subnetworks/{}".format(
        *(quote(part, safe="") for part in (in_project, region, name))
    )
    what = f"subnetwork {name} in {region}"
    if in_project != clients.project:
        what += f" (project {in_project})"
    return _rest_get(clients, "compute", path, what, timeout, project=in_project)


def get_certificate_manager_certificate(
    clients: GcpClients,
    location: str,
    name: str,
    *,
    timeout: float,
    project: str | None = None,
) -> dict[str, Any]:
    """A Certificate Manager certificate (``location`` is usually ``global``)."""
    in_project = project or clients.project
    path = "v1/projects/{}/locations/{}/certificates/{}".format(
        *(quote(part, safe="") for part in (in_project, location, name))
    )
    what = f"Certificate Manager certificate {name} in {location}"
    return _rest_get(clients, "certificatemanager", path, what, timeout, project=in_project)


def _cm_path(clients: GcpClients, location: str, *parts: str, project: str | None = None) -> str:
    return "v1/projects/{}/locations/{}/{}".format(
        quote(project or clients.project, safe=""),
        quote(location, safe=""),
        "/".join(quote(part, safe="") for part in parts),
    )


def get_certificate_map(
    clients: GcpClients, location: str, name: str, *, timeout: float, project: str | None = None
) -> dict[str, Any]:
    """A Certificate Manager certificate map (in ``project``, default: the clients')."""
    path = _cm_path(clients, location, "certificateMaps", name, project=project)
    what = f"Certificate Manager certificate map {name} in {location}"
    return _rest_get(clients, "certificatemanager", path, what, timeout, project=project)


def list_certificate_map_entries(
    clients: GcpClients,
    location: str,
    map_name: str,
    *,
    timeout: float,
    project: str | None = None,
) -> list[dict[str, Any]]:
    """Every entry of a certificate map (``certificateMapEntries.list``), all pages."""
    path = _cm_path(
        clients, location, "certificateMaps", map_name, "certificateMapEntries", project=project
    )
    what = f"entries of Certificate Manager certificate map {map_name} in {location}"
    deadline = time.monotonic() + timeout
    items: list[dict[str, Any]] = []
    token = ""
    for _ in range(_MAX_PAGES):
        params = {"pageToken": token} if token else None
        remaining = max(deadline - time.monotonic(), 0.0)
        page = _rest_get(
            clients, "certificatemanager", path, what, remaining, params, project=project
        )
        found = page.get("certificateMapEntries", [])
        if not isinstance(found, list):
            raise GcpBadResponse(f"malformed response while reading {what}: not a list")
        items.extend(found)
        token = str(page.get("nextPageToken") or "")
        if not token:
            return items
    raise GcpBadResponse(f"{what}: more than {_MAX_PAGES} pages; the API keeps paging")


def _dns_get(
    clients: GcpClients,
    path: str,
    params: dict[str, str],
    what: str,
    timeout: float,
    project: str | None = None,
) -> dict[str, Any]:
    def fetch(client: Any, attempt_timeout: float) -> dict[str, Any]:
        reply = client._connection.api_request(
            method="GET", path=path, query_params=params or None, timeout=attempt_timeout
        )
        return _json_object(reply, what)

    in_project = project or clients.project
    return call_with(
        clients.dns, fetch, timeout=timeout, role=ROLES["dns"], what=what, project=in_project
    )


def _dns_pages(
    clients: GcpClients,
    path: str,
    params: dict[str, str],
    key: str,
    what: str,
    timeout: float,
    project: str | None = None,
) -> list[dict[str, Any]]:
    """Every item of a Cloud DNS list, following ``nextPageToken`` within one time budget."""
    deadline = time.monotonic() + timeout
    items: list[dict[str, Any]] = []
    token = ""
    for _ in range(_MAX_PAGES):
        page_params = {**params, "pageToken": token} if token else dict(params)
        remaining = max(deadline - time.monotonic(), 0.0)
        page = _dns_get(clients, path, page_params, what, remaining, project)
        found = page.get(key, [])
        if not isinstance(found, list):
            raise GcpBadResponse(f"malformed response while reading {what}: {key} is not a list")
        items.extend(found)
        token = str(page.get("nextPageToken") or "")
        if not token:
            return items
    raise GcpBadResponse(f"{what}: more than {_MAX_PAGES} pages; the API keeps paging")


def _zone_path(clients: GcpClients, zone: str, project: str | None = None) -> str:
    in_project = quote(project or clients.project, safe="")
    return f"/projects/{in_project}/managedZones/{quote(zone, safe='')}"


def get_managed_zone(
    clients: GcpClients, name: str, *, timeout: float, project: str | None = None
) -> dict[str, Any]:
    """A Cloud DNS managed zone by name (in ``project``, e.g. a DNS hub project)."""
    path = _zone_path(clients, name, project)
    return _dns_get(clients, path, {}, f"Cloud DNS zone {name}", timeout, project)


def _fqdn(name: str) -> str:
    return name.lower() if name.endswith(".") else f"{name.lower()}."


def find_managed_zone_by_dns_name(
    clients: GcpClients,
    dns_name: str,
    *,
    timeout: float,
    project: str | None = None,
    visibility: str = "public",
) -> dict[str, Any] | None:
    """The managed zone serving ``dns_name``, ``visibility`` preferred (public by default)."""
    path = f"/projects/{quote(project or clients.project, safe='')}/managedZones"
    what = f"Cloud DNS zones for {_fqdn(dns_name)}"
    params = {"dnsName": _fqdn(dns_name)}
    zones = _dns_pages(clients, path, params, "managedZones", what, timeout, project)
    matching = [z for z in zones if _fqdn(str(z.get("dnsName", ""))) == _fqdn(dns_name)]
    matching.sort(key=lambda zone: str(zone.get("visibility") or "public") != visibility)
    return matching[0] if matching else None


def list_rrsets(
    clients: GcpClients,
    zone: str,
    name: str | None = None,
    type: str | None = None,
    *,
    timeout: float,
    project: str | None = None,
) -> list[dict[str, Any]]:
    """Record sets of a managed zone, optionally only ``name`` (and ``type``); all pages."""
    if type is not None and name is None:
        raise ValueError("Cloud DNS filters record sets by type only together with a name")
    params = {"name": _fqdn(name)} if name is not None else {}
    if type is not None:
        params["type"] = type.upper()
    what = f"record sets in Cloud DNS zone {zone}"
    if name is not None:
        what = f"{type or 'any'} record sets for {_fqdn(name)} in Cloud DNS zone {zone}"
    path = f"{_zone_path(clients, zone, project)}/rrsets"
    return _dns_pages(clients, path, params, "rrsets", what, timeout, project)


def _run_revisions_path(clients: GcpClients, region: str, service: str, project: str | None) -> str:
    in_project = project or clients.project
    return (
        f"v2/projects/{quote(in_project, safe='')}/locations/{quote(region, safe='')}"
        f"/services/{quote(service, safe='')}/revisions"
    )


def get_run_revision(
    clients: GcpClients,
    region: str,
    service: str,
    revision: str,
    *,
    timeout: float,
    project: str | None = None,
) -> dict[str, Any]:
    """A Cloud Run (v2) revision as plain REST JSON (the proto drops ``containerStatuses``)."""
    path = f"{_run_revisions_path(clients, region, service, project)}/{quote(revision, safe='')}"
    what = f"Cloud Run revision {revision} in {region}"
    return _rest_get(clients, "run", path, what, timeout, project=project or clients.project)


def list_run_revisions(
    clients: GcpClients,
    region: str,
    service: str,
    *,
    timeout: float,
    project: str | None = None,
) -> list[dict[str, Any]]:
    """Every revision of a Cloud Run (v2) service, as plain REST JSON, all pages."""
    path = _run_revisions_path(clients, region, service, project)
    what = f"revisions of Cloud Run service {service} in {region}"
    deadline = time.monotonic() + timeout
    out: list[dict[str, Any]] = []
    token = ""
    for _ in range(_MAX_PAGES):
        params = {"pageToken": token} if token else None
        remaining = max(0.001, deadline - time.monotonic())
        page = _rest_get(
            clients, "run", path, what, remaining, params, project=project or clients.project
        )
        out.extend(r for r in page.get("revisions", []) if isinstance(r, dict))
        token = str(page.get("nextPageToken") or "")
        if not token:
            return out
    raise GcpBadResponse(f"{what}: more than {_MAX_PAGES} pages")


def get_artifact_tag(
    clients: GcpClients,
    project: str,
    location: str,
    repository: str,
    package: str,
    tag: str,
    *,
    timeout: float,
) -> dict[str, Any]:
    """An Artifact Registry tag (``version`` names the digest it points at)."""
    path = (
        f"v1/projects/{quote(project, safe='')}/locations/{quote(location, safe='')}"
        f"/repositories/{quote(repository, safe='')}/packages/{quote(package, safe='')}"
        f"/tags/{quote(tag, safe='')}"
    )
    what = f"Artifact Registry tag {package}:{tag} in {location}/{repository}"
    return _rest_get(clients, "artifactregistry", path, what, timeout, project=project)
