"""Project numbers in the names a check compares, resolved to project IDs before comparing.

A policy or an API may name a project by number (``projects/123456789012/global/networks/x``,
``allowedConsumerProjects: ["123456789012"]``). Compared as text, the number never equals the
ID and a healthy stack would FAIL; so each number is resolved once with Resource Manager's
``projects.get`` in the probe (kept in the observed value), and the judge compares names with
the IDs put in. A number that cannot be resolved is an ERROR naming it, never a FAIL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from infra_verify.checks.gcp.base import Reader
from infra_verify.errors import ProbeError
from infra_verify.gcp import projects

__all__ = ["by_id", "resolve_project_numbers"]

T = TypeVar("T")


async def resolve_project_numbers(
    reader: Reader, values: Iterable[Any], project_fields: Iterable[str | None] = ()
) -> dict[str, str]:
    """Every project number in ``values`` (REST dicts, policy names) and ``project_fields``
    (whole project values, e.g. ``project:``) mapped to its project ID; ProbeError when one
    cannot be resolved. Reads nothing when no number is named."""
    numbers = projects.project_numbers_in(list(values))
    numbers |= {p for p in project_fields if p and projects.is_project_number(p)}
    ids: dict[str, str] = {}
    for number in sorted(numbers):
        try:
            found = await reader.get(projects.get_project, number)
        except ProbeError as exc:
            raise ProbeError(
                f"project number {number} could not be resolved to a project ID: {exc.message}",
                hint=exc.hint or "grant roles/browser on that project so its number resolves",
            ) from exc
        ident = str(found.get("projectId") or "")
        if not ident:
            raise ProbeError(
                f"project number {number}: projects.get answered without a projectId",
                hint="Resource Manager's answer is malformed; retry, or name the project by ID",
            )
        ids[number] = ident
    return ids


def by_id(value: T, ids: Mapping[str, str]) -> T:
    """``value`` (a REST dict, a name or a project) with resolved numbers replaced by IDs."""
    if isinstance(value, str) and value in ids:
        return ids[value]  # type: ignore[return-value]
    result: T = projects.with_project_ids(value, ids)
    return result
