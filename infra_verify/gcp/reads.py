"""Typed reads of the GCP resources the checks judge, each returning the REST JSON shape.

Every function takes a keyword-only ``timeout`` (seconds, the whole budget including retries),
returns plain camelCase dicts exactly as the REST API sends them (so checks judge one
representation whichever client fetched it), and raises
:class:`~infra_verify.gcp.errors.GcpError` subclasses.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from infra_verify.gcp.calls import call_with
from infra_verify.gcp.clients import GcpClients
from infra_verify.gcp.errors import GcpBadResponse

__all__ = [
    "ROLES",
    "find_managed_zone_by_dns_name",
    "get_backend_service",
    "get_certificate_manager_certificate",
    "get_connector",
    "get_forwarding_rule",
    "get_global_address",
    "get_managed_zone",
    "get_region_neg",
    "get_run_service",
    "get_sql_instance",
    "get_ssl_certificate",
    "get_target_http_proxy",
    "get_target_https_proxy",
    "get_url_map",
    "list_rrsets",
]

ROLES = {
    "compute": "roles/compute.viewer",
    "run": "roles/run.viewer",
    "vpcaccess": "roles/vpcaccess.viewer",
    "dns": "roles/dns.reader",
    "sqladmin": "roles/cloudsql.viewer",
    "certificatemanager": "roles/certificatemanager.viewer",
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
    clients: GcpClients, client: str, what: str, timeout: float, **ids: str
) -> dict[str, Any]:
    def fetch(api: Any, attempt_timeout: float) -> dict[str, Any]:
        message = api.get(project=clients.project, **ids, retry=None, timeout=attempt_timeout)
        return _to_rest(message)

    def build() -> Any:
        return clients.compute(client)

    return call_with(build, fetch, timeout=timeout, role=ROLES["compute"], what=what)


def get_ssl_certificate(
    clients: GcpClients, name: str, region: str | None = None, *, timeout: float
) -> dict[str, Any]:
    """A compute SSL certificate (global, or regional when ``region`` is given)."""
    if region is None:
        return _compute_get(
            clients, "SslCertificatesClient", f"SSL certificate {name}", timeout,
            ssl_certificate=name,
        )  # fmt: skip
    return _compute_get(
        clients, "RegionSslCertificatesClient", f"SSL certificate {name} in {region}", timeout,
        region=region, ssl_certificate=name,
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
    clients: GcpClients, region: str, name: str, *, timeout: float
) -> dict[str, Any]:
    """A Cloud Run (v2) service."""
    full_name = f"projects/{clients.project}/locations/{region}/services/{name}"

    def fetch(api: Any, attempt_timeout: float) -> dict[str, Any]:
        message = api.get_service(name=full_name, retry=None, timeout=attempt_timeout)
        return _to_rest(message)

    what = f"Cloud Run service {name} in {region}"
    return call_with(clients.run_services, fetch, timeout=timeout, role=ROLES["run"], what=what)


def get_connector(clients: GcpClients, region: str, name: str, *, timeout: float) -> dict[str, Any]:
    """A Serverless VPC Access connector."""
    full_name = f"projects/{clients.project}/locations/{region}/connectors/{name}"

    def fetch(api: Any, attempt_timeout: float) -> dict[str, Any]:
        message = api.get_connector(name=full_name, retry=None, timeout=attempt_timeout)
        return _to_rest(message)

    what = f"VPC connector {name} in {region}"
    role = ROLES["vpcaccess"]
    return call_with(clients.vpc_access, fetch, timeout=timeout, role=role, what=what)


def _rest_get(
    clients: GcpClients, api: str, path: str, what: str, timeout: float
) -> dict[str, Any]:
    endpoint = clients.settings.endpoint(api)
    if "://" not in endpoint:
        endpoint = f"https://{endpoint}"
    url = f"{endpoint.rstrip('/')}/{path}"

    def build() -> Any:
        from google.api_core import exceptions

        return clients.session(api), exceptions.from_http_response

    def fetch(built: Any, attempt_timeout: float) -> dict[str, Any]:
        session, from_http_response = built
        response = session.get(url, timeout=attempt_timeout)
        if response.status_code >= 400:
            raise from_http_response(response)
        return _json_object(response.json(), what)

    return call_with(build, fetch, timeout=timeout, role=ROLES[api], what=what)


def get_sql_instance(clients: GcpClients, name: str, *, timeout: float) -> dict[str, Any]:
    """A Cloud SQL instance (sqladmin v1 ``instances.get``)."""
    path = f"v1/projects/{quote(clients.project, safe='')}/instances/{quote(name, safe='')}"
    return _rest_get(clients, "sqladmin", path, f"Cloud SQL instance {name}", timeout)


def get_certificate_manager_certificate(
    clients: GcpClients, location: str, name: str, *, timeout: float
) -> dict[str, Any]:
    """A Certificate Manager certificate (``location`` is usually ``global``)."""
    path = "v1/projects/{}/locations/{}/certificates/{}".format(
        *(quote(part, safe="") for part in (clients.project, location, name))
    )
    what = f"Certificate Manager certificate {name} in {location}"
    return _rest_get(clients, "certificatemanager", path, what, timeout)


def _dns_get(
    clients: GcpClients, path: str, params: dict[str, str], what: str, timeout: float
) -> dict[str, Any]:
    def fetch(client: Any, attempt_timeout: float) -> dict[str, Any]:
        reply = client._connection.api_request(
            method="GET", path=path, query_params=params or None, timeout=attempt_timeout
        )
        return _json_object(reply, what)

    return call_with(clients.dns, fetch, timeout=timeout, role=ROLES["dns"], what=what)


def _dns_pages(
    clients: GcpClients, path: str, params: dict[str, str], key: str, what: str, timeout: float
) -> list[dict[str, Any]]:
    """Every item of a Cloud DNS list, following ``nextPageToken`` within one time budget."""
    deadline = time.monotonic() + timeout
    items: list[dict[str, Any]] = []
    token = ""
    for _ in range(_MAX_PAGES):
        page_params = {**params, "pageToken": token} if token else dict(params)
        remaining = max(deadline - time.monotonic(), 0.0)
        page = _dns_get(clients, path, page_params, what, remaining)
        found = page.get(key, [])
        if not isinstance(found, list):
            raise GcpBadResponse(f"malformed response while reading {what}: {key} is not a list")
        items.extend(found)
        token = str(page.get("nextPageToken") or "")
        if not token:
            return items
    raise GcpBadResponse(f"{what}: more than {_MAX_PAGES} pages; the API keeps paging")


def _zone_path(clients: GcpClients, zone: str) -> str:
    return f"/projects/{quote(clients.project, safe='')}/managedZones/{quote(zone, safe='')}"


def get_managed_zone(clients: GcpClients, name: str, *, timeout: float) -> dict[str, Any]:
    """A Cloud DNS managed zone by name."""
    return _dns_get(clients, _zone_path(clients, name), {}, f"Cloud DNS zone {name}", timeout)


def _fqdn(name: str) -> str:
    return name.lower() if name.endswith(".") else f"{name.lower()}."


def find_managed_zone_by_dns_name(
    clients: GcpClients, dns_name: str, *, timeout: float
) -> dict[str, Any] | None:
    """The managed zone serving ``dns_name`` (public preferred), or None if there is none."""
    path = f"/projects/{quote(clients.project, safe='')}/managedZones"
    what = f"Cloud DNS zones for {_fqdn(dns_name)}"
    zones = _dns_pages(clients, path, {"dnsName": _fqdn(dns_name)}, "managedZones", what, timeout)
    matching = [z for z in zones if _fqdn(str(z.get("dnsName", ""))) == _fqdn(dns_name)]
    matching.sort(key=lambda zone: zone.get("visibility", "public") != "public")
    return matching[0] if matching else None


def list_rrsets(
    clients: GcpClients,
    zone: str,
    name: str | None = None,
    type: str | None = None,
    *,
    timeout: float,
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
    return _dns_pages(
        clients, f"{_zone_path(clients, zone)}/rrsets", params, "rrsets", what, timeout
    )
