"""The base of GCP checks: time-bounded reads in the blocking pool, and resource-name helpers.

Resource names are :class:`~infra_verify.gcp.names.ResourceName` values: a short name in a
policy is qualified with the check's ``project`` (default: the gate's) before it is compared,
so a network called ``default`` in one project never matches ``default`` in another.
``short``/``same_resource`` remain for the load balancer's names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pydantic import Field, field_validator

from infra_verify.budget import Budget
from infra_verify.check import Check
from infra_verify.context import CheckContext
from infra_verify.errors import ProbeError
from infra_verify.gcp.errors import GcpNotFound
from infra_verify.gcp.names import ResourceName
from infra_verify.model import Observation, Outcome

R = TypeVar("R")


def short(name: str | None) -> str:
    """The last path segment of a resource name or URL (``…/connectors/c`` -> ``c``)."""
    return (name or "").rstrip("/").rsplit("/", 1)[-1]


def same_resource(expected: str, actual: str | None) -> bool:
    """Compare a short or full expected name with an actual name or URL."""
    if not actual:
        return False
    if "/" in expected:
        return actual.rstrip("/").endswith(expected.strip("/"))
    return short(actual) == expected


def normalize_enum(value: str | None, aliases: dict[str, str]) -> str | None:
    """Map gcloud-style short values (``all``, ``private-ranges-only``) to REST enum names."""
    if value is None:
        return None
    key = value.strip().lower().replace("_", "-")
    return aliases.get(key, value.strip().upper().replace("-", "_"))


def not_found(what: str, project: str, hint: str, evidence: Iterable[str] = ()) -> Outcome:
    """The FAIL for a resource the policy expects that does not exist (HTTP 404).

    ``evidence`` holds the server's 404 messages (kept as observations, in the API's words).
    """
    obs = tuple(Observation("exists", "yes", f"no: {said}", False, what) for said in evidence)
    return Outcome.failed(f"{what} does not exist in project {project}", obs, hint=hint)


def valid_name(value: str | None, kind: str) -> str | None:
    """Validate a policy's resource name (short, path or self-link) of collection ``kind``.

    Raises ValueError (a policy error at load) for a malformed name or one of another kind.
    """
    if value is not None:
        ResourceName.parse(value, kind)
    return value


def qualified(
    text: str | None, kind: str, project: str, location: str | None = None
) -> ResourceName | None:
    """``text`` parsed as a ``kind`` name, its project (and location) filled in where unsaid."""
    if not text:
        return None
    return ResourceName.parse(text, kind).qualified(project, location)


class Reader:
    """Reads for one probe, sharing one time budget so a chain of reads cannot overrun."""

    def __init__(self, ctx: CheckContext, budget: Budget) -> None:
        self.ctx = ctx
        self.clients = ctx.gcp_clients()
        self.budget = budget
        self._project = self.clients.project
        self.missing: list[str] = []
        """The server's messages for the 404s :meth:`get_or_none` turned into None."""

    @property
    def project(self) -> str:
        """The project the reads target."""
        return self._project

    async def ensure_project(self) -> None:
        """Policy, else --project, else the environment, else ADC's own project."""
        if self._project:
            return
        self._project = await self.ctx.run_blocking(self.clients.adc_project)
        if not self._project:
            raise ProbeError(
                "no GCP project is configured",
                hint="set gcp.project in the policy, pass --project, or export GOOGLE_CLOUD_PROJECT",
            )
        self.clients.settings = dataclasses.replace(self.clients.settings, project=self._project)

    async def get(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """Call a read function from infra_verify.gcp.reads with what is left of the budget.

        Keyword arguments pass through (``project=`` reads in another project than the gate's).
        """
        await self.ensure_project()
        remaining = self.budget.remaining()
        clients = self.clients
        return await self.ctx.run_blocking(lambda: fn(clients, *args, timeout=remaining, **kwargs))

    async def get_or_none(
        self, fn: Callable[..., dict[str, Any]], *args: Any, **kwargs: Any
    ) -> dict[str, Any] | None:
        """Like get(), but a 404 is None: the resource does not exist (a fact, for judge).

        The server's message is kept in :attr:`missing`.
        """
        try:
            return await self.get(fn, *args, **kwargs)
        except GcpNotFound as exc:
            self.missing.append(exc.message)
            return None


class GcpCheck(Check):
    """Base of the GCP check kinds."""

    family = "gcp"

    region: str | None = Field(default=None, description="region (default: gcp.region)")
    project: str | None = Field(
        default=None,
        description="the resource's own project (default: gcp.project); short names of "
        "related resources resolve in it too",
    )

    @field_validator("project")
    @classmethod
    def _valid_project(cls, value: str | None) -> str | None:
        if value is not None:
            ResourceName.parse(f"projects/{value}/global/networks/x")
        return value

    def region_for(self, ctx: CheckContext) -> str:
        """This check's region, else the policy's."""
        return self.region or (ctx.gcp.region if ctx.gcp else "us-central1")

    def project_for(self, reader: Reader) -> str:
        """This check's project, else the gate's (call after ``reader.ensure_project()``)."""
        return self.project or reader.project

    def covers_host(self, host: str | None) -> bool:
        """True when this check is about the DNS name ``host``."""
        return False

    def reader(self, ctx: CheckContext) -> Reader:
        """A reader for one probe of this check, bounded by the check's budget."""
        return Reader(ctx, self.budget(ctx))


def first(items: Iterable[Any]) -> Any:
    """The first item, or None."""
    return next(iter(items), None)
