"""Whether a Cloud Run service account may connect to Cloud SQL, judged from a project IAM policy.

The Cloud SQL connector and Auth Proxy need ``cloudsql.instances.connect`` in the instance's
project: ``roles/cloudsql.client`` grants it (so do ``cloudsql.editor``, ``cloudsql.admin``,
``editor`` and ``owner``). A service whose template names no ``serviceAccount`` runs as the
project's default compute service account, ``PROJECT_NUMBER-compute@developer.gserviceaccount.com``.

Only the project's own policy is read (``projects.getIamPolicy``, version 3), so the verdict
says no only when it can know: a grant under a condition, through a custom role, a group or a
domain, or inherited from a folder or organization is a warning ("not evaluated"), never a
FAIL. A policy that could not be read is a warning too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CONNECT_ROLES",
    "SqlClientGrant",
    "default_compute_account",
    "judge_sql_client",
]

CONNECT_ROLES = frozenset(
    {
        "roles/cloudsql.client",
        "roles/cloudsql.editor",
        "roles/cloudsql.admin",
        "roles/editor",
        "roles/owner",
    }
)
"""Predefined roles that include ``cloudsql.instances.connect``."""

_INDIRECT = ("group:", "domain:", "principalSet:", "allAuthenticatedUsers")


def default_compute_account(project_number: str) -> str:
    """The default compute service account Cloud Run uses when a service names none."""
    return f"{project_number}-compute@developer.gserviceaccount.com"


@dataclass(frozen=True)
class SqlClientGrant:
    """The verdict on one service account's right to connect: ok, evidence, warnings."""

    ok: bool
    """False only when the project's policy proves there is no grant."""
    evidence: str
    warnings: tuple[str, ...] = ()


def _bindings(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = policy.get("bindings") or []
    return [b for b in found if isinstance(b, Mapping)] if isinstance(found, list) else []


def _condition(binding: Mapping[str, Any]) -> str:
    cond = binding.get("condition") or {}
    return str(cond.get("title") or cond.get("expression") or "a condition")


def judge_sql_client(
    account: str | None,
    project: str,
    policy: Mapping[str, Any] | None,
    project_info: Mapping[str, Any] | None,
    error: str | None = None,
) -> SqlClientGrant:
    """May ``account`` connect to Cloud SQL in ``project``, from the project's IAM ``policy``?

    ``project_info`` is the project as ``projects.get`` returns it (None: not read), so a
    project with a parent (whose grants are not read) never FAILs; ``error`` says why the
    account or the policy could not be read.
    """
    need = f"roles/cloudsql.client on project {project}"
    if account is None:
        return SqlClientGrant(
            True,
            "service account unknown (not checked)",
            (f"the service's account needs {need}; it could not be named: {error or 'not read'}",),
        )
    if policy is None:
        return SqlClientGrant(
            True,
            "IAM policy not read (not checked)",
            (
                f"{account} needs {need}; the project's IAM policy could not be read: "
                f"{error or 'not read'}",
            ),
        )
    member = f"serviceAccount:{account}"
    warnings: list[str] = []
    for binding in _bindings(policy):
        role, members = str(binding.get("role") or ""), binding.get("members") or []
        mine = member in members
        if mine and role in CONNECT_ROLES and not binding.get("condition"):
            return SqlClientGrant(True, f"{role} granted to {account} on project {project}")
        if mine and role in CONNECT_ROLES:
            warnings.append(
                f"{account} has {role} on project {project} only under the condition "
                f"{_condition(binding)!r}, which is not evaluated"
            )
        elif mine and "/roles/" in role:
            warnings.append(
                f"{account} has the custom role {role} on project {project}; whether it includes "
                "cloudsql.instances.connect is not read"
            )
        elif role in CONNECT_ROLES:
            indirect = [str(m) for m in members if str(m).startswith(_INDIRECT)]
            if indirect:
                warnings.append(
                    f"{role} on project {project} is granted to {', '.join(indirect)}; whether "
                    f"{account} is among them is not read"
                )
    parent = (project_info or {}).get("parent") if project_info is not None else None
    if project_info is None:
        warnings.append(
            f"{account} has no {need} in the project's own policy; the project (and grants "
            "inherited from its folder or organization) could not be read"
        )
    elif parent:
        kind, ident = parent.get("type", "parent"), parent.get("id", "?")
        warnings.append(
            f"{account} has no {need} in the project's own policy; grants inherited from "
            f"{kind} {ident} are not read"
        )
    if warnings:
        return SqlClientGrant(
            True, f"not granted directly to {account} (see warnings)", tuple(warnings)
        )
    return SqlClientGrant(
        False,
        f"no binding for {member} in project {project}'s IAM policy (the project has no parent "
        "to inherit from)",
    )
