"""Plain REST reads through google-auth's AuthorizedSession, inside one ``call_with`` budget.

For reads no generated client covers cheaply (Resource Manager, compute lists filtered here):
the same time budget, bounded retries and ErrorInfo mapping as every other read, and errors
built by google-api-core from the real error body.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from infra_verify.gcp.calls import call_with
from infra_verify.gcp.clients import GcpClients
from infra_verify.gcp.errors import GcpBadResponse

__all__ = ["MAX_PAGES", "rest_pages", "rest_read"]

MAX_PAGES = 1000


def rest_read(
    clients: GcpClients,
    api: str,
    path: str,
    *,
    what: str,
    role: str,
    timeout: float,
    project: str,
    method: str = "GET",
    params: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One JSON object read from ``api``'s endpoint at ``path`` (a POST only for read methods)."""
    url = f"{clients.settings.endpoint(api).rstrip('/')}/{path}"
    if params:
        url = f"{url}?{urlencode(params)}"

    def build() -> Any:
        from google.api_core import exceptions

        return clients.session(api), exceptions.from_http_response

    def fetch(built: Any, attempt_timeout: float) -> dict[str, Any]:
        session, from_http_response = built
        response = session.request(method, url, json=body, timeout=attempt_timeout)
        if response.status_code >= 400:
            raise from_http_response(response)
        value = response.json()
        if not isinstance(value, dict):
            raise GcpBadResponse(f"malformed response while reading {what}: not a JSON object")
        return value

    return call_with(build, fetch, timeout=timeout, role=role, what=what, project=project)


def rest_pages(
    clients: GcpClients,
    api: str,
    path: str,
    key: str,
    *,
    what: str,
    role: str,
    timeout: float,
    project: str,
) -> list[dict[str, Any]]:
    """Every item of a REST list (``key``), following ``nextPageToken`` within one budget."""
    deadline = time.monotonic() + timeout
    items: list[dict[str, Any]] = []
    token = ""
    for _ in range(MAX_PAGES):
        params = {"pageToken": token} if token else None
        remaining = max(deadline - time.monotonic(), 0.0)
        page = rest_read(
            clients, api, path, what=what, role=role, timeout=remaining, project=project,
            params=params,
        )  # fmt: skip
        found = page.get(key, [])
        if not isinstance(found, list) or not all(isinstance(i, dict) for i in found):
            raise GcpBadResponse(f"malformed response while reading {what}: {key} is not a list")
        items.extend(found)
        token = str(page.get("nextPageToken") or "")
        if not token:
            return items
    raise GcpBadResponse(f"{what}: more than {MAX_PAGES} pages; the API keeps paging")
