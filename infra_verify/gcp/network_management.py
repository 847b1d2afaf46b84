"""Connectivity Tests of the Network Management API (v1), called as plain REST.

Unlike every other module of this package these calls *write*: they create, patch and rerun a
``ConnectivityTest`` resource, so they need ``roles/networkmanagement.admin``. Only the opt-in
``gcp.connectivity_test`` kind uses them. Each function returns the REST JSON the API sends and
raises :class:`~infra_verify.gcp.errors.GcpError` subclasses.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from infra_verify.gcp.calls import call_with
from infra_verify.gcp.clients import GcpClients
from infra_verify.gcp.errors import GcpBadResponse

__all__ = [
    "ADMIN_ROLE",
    "connectivity_test_path",
    "create_test",
    "get_operation",
    "get_test",
    "patch_test",
    "rerun_test",
]

ADMIN_ROLE = "roles/networkmanagement.admin"
"""Creating and rerunning a test writes a resource: the viewer role is not enough."""


def connectivity_test_path(project: str, name: str) -> str:
    """The REST path of a global connectivity test."""
    return (
        f"v1/projects/{quote(project, safe='')}/locations/global/connectivityTests/"
        f"{quote(name, safe='')}"
    )


def _call(
    clients: GcpClients,
    method: str,
    path: str,
    what: str,
    timeout: float,
    *,
    project: str,
    body: dict[str, Any] | None = None,
    params: dict[str, str] | None = None,
) -> dict[str, Any]:
    endpoint = clients.settings.endpoint("networkmanagement")
    url = f"{endpoint.rstrip('/')}/{path}" + (f"?{urlencode(params)}" if params else "")

    def build() -> Any:
        from google.api_core import exceptions

        return clients.session("networkmanagement"), exceptions.from_http_response

    def fetch(built: Any, attempt_timeout: float) -> dict[str, Any]:
        session, from_http_response = built
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        response = session.request(method, url, data=data, headers=headers, timeout=attempt_timeout)
        if response.status_code >= 400:
            raise from_http_response(response)
        value = response.json()
        if not isinstance(value, dict):
            raise GcpBadResponse(f"malformed response while {what}: not a JSON object")
        return value

    return call_with(build, fetch, timeout=timeout, role=ADMIN_ROLE, what=what, project=project)


def get_test(clients: GcpClients, project: str, name: str, *, timeout: float) -> dict[str, Any]:
    """A connectivity test with its latest ``reachabilityDetails``."""
    what = f"reading connectivity test {name}"
    return _call(
        clients, "GET", connectivity_test_path(project, name), what, timeout, project=project
    )


def create_test(
    clients: GcpClients, project: str, name: str, test: dict[str, Any], *, timeout: float
) -> dict[str, Any]:
    """Create (and so run) a connectivity test; returns the long-running Operation."""
    path = connectivity_test_path(project, name).rsplit("/", 1)[0]
    what = f"creating connectivity test {name}"
    return _call(
        clients, "POST", path, what, timeout, project=project, body=test, params={"testId": name}
    )


def patch_test(
    clients: GcpClients, project: str, name: str, test: dict[str, Any], *, timeout: float
) -> dict[str, Any]:
    """Point an existing test at new endpoints (the API reruns it); returns the Operation."""
    what = f"updating connectivity test {name}"
    params = {"updateMask": "source,destination,protocol"}
    return _call(
        clients, "PATCH", connectivity_test_path(project, name), what, timeout, project=project, body=test,
        params=params,
    )  # fmt: skip


def rerun_test(clients: GcpClients, project: str, name: str, *, timeout: float) -> dict[str, Any]:
    """Rerun an existing test; returns the Operation."""
    what = f"rerunning connectivity test {name}"
    path = f"{connectivity_test_path(project, name)}:rerun"
    return _call(clients, "POST", path, what, timeout, project=project, body={})


def get_operation(
    clients: GcpClients, project: str, operation: str, *, timeout: float
) -> dict[str, Any]:
    """A long-running operation of the API (``operation`` is its full name)."""
    what = f"reading operation {operation.rsplit('/', 1)[-1]}"
    return _call(clients, "GET", f"v1/{operation}", what, timeout, project=project)
