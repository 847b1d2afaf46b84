"""Resource Manager v1 reads: a project (its ID, number and parent) and its IAM policy.

The APIs name a project by its ID (``netra-staging``) or by its number (``123456789012``):
Cloud SQL's ``allowedConsumerProjects`` holds either, the default compute service account is
``NUMBER-compute@developer.gserviceaccount.com``, and a path may say ``projects/NUMBER/...``.
``projects.get`` accepts either and answers both (``projectId``, ``projectNumber``), so a
number is resolved to the ID before names are compared. Both reads go through the same
plumbing as every other read (:func:`~infra_verify.gcp.calls.call_with`: one time budget,
bounded retries, ErrorInfo mapping) over google-auth's AuthorizedSession, as plain REST:

==================  =================================================  ================
method              REST                                               role
==================  =================================================  ================
projects.get        ``GET v1/projects/{projectId}``                    ``roles/browser``
getIamPolicy        ``POST v1/projects/{resource}:getIamPolicy``       ``roles/browser``
==================  =================================================  ================
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from infra_verify.gcp.clients import GcpClients
from infra_verify.gcp.reads import ROLES
from infra_verify.gcp.rest import rest_read

__all__ = [
    "IAM_POLICY_VERSION",
    "get_project",
    "get_project_iam_policy",
    "is_project_number",
    "project_numbers_in",
    "with_project_ids",
]

IAM_POLICY_VERSION = 3
"""The policy version asked for: version 3 returns conditional bindings with their conditions."""

_NUMBER = re.compile(r"^\d{1,20}$")


def is_project_number(text: str | None) -> bool:
    """True when ``text`` is a project number (digits only) rather than a project ID."""
    return bool(text) and bool(_NUMBER.fullmatch(str(text)))


def _read(
    clients: GcpClients,
    path: str,
    what: str,
    timeout: float,
    project: str,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return rest_read(
        clients, "cloudresourcemanager", path, what=what, role=ROLES["cloudresourcemanager"],
        timeout=timeout, project=project, method="POST" if body is not None else "GET", body=body,
    )  # fmt: skip


def get_project(clients: GcpClients, project: str, *, timeout: float) -> dict[str, Any]:
    """A project by ID or number (``projects.get``): ``projectId``, ``projectNumber``, ``parent``."""
    path = f"v1/projects/{quote(project, safe='')}"
    return _read(clients, path, f"project {project}", timeout, project)


def get_project_iam_policy(clients: GcpClients, project: str, *, timeout: float) -> dict[str, Any]:
    """A project's own IAM policy (``projects.getIamPolicy``, version 3: conditions included).

    Only the project's policy: grants inherited from its folders or organization are not in it.
    """
    path = f"v1/projects/{quote(project, safe='')}:getIamPolicy"
    body = {"options": {"requestedPolicyVersion": IAM_POLICY_VERSION}}
    what = f"IAM policy of project {project}"
    return _read(clients, path, what, timeout, project, body)


_PATH_NUMBER = re.compile(r"(?:^|(?<=/))projects/(\d{1,20})(?=/|$)")
_PROJECT_KEYS = frozenset({"allowedConsumerProjects", "projectId", "consumerProject"})
"""Fields whose whole value is a project (ID or number), beside the ``projects/N/`` paths."""


def project_numbers_in(value: Any, key: str = "") -> set[str]:
    """Every project number a REST value names: ``projects/N/...`` paths and project fields."""
    found: set[str] = set()
    if isinstance(value, str):
        found.update(_PATH_NUMBER.findall(value))
        if key in _PROJECT_KEYS and is_project_number(value):
            found.add(value)
    elif isinstance(value, dict):
        for k, item in value.items():
            found |= project_numbers_in(item, str(k))
    elif isinstance(value, list | tuple):
        for item in value:
            found |= project_numbers_in(item, key)
    return found


def with_project_ids(value: Any, ids: Mapping[str, str], key: str = "") -> Any:
    """``value`` with every project number in ``ids`` replaced by its project ID."""
    if not ids:
        return value
    if isinstance(value, str):
        if key in _PROJECT_KEYS and value in ids:
            return ids[value]
        return _PATH_NUMBER.sub(lambda m: f"projects/{ids.get(m[1], m[1])}", value)
    if isinstance(value, dict):
        return {k: with_project_ids(item, ids, str(k)) for k, item in value.items()}
    if isinstance(value, list):
        return [with_project_ids(item, ids, key) for item in value]
    return value
