"""The base of GCP checks: time-bounded reads in the blocking pool, and resource-name helpers."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pydantic import Field

from infra_verify.budget import Budget
from infra_verify.check import Check
from infra_verify.context import CheckContext
from infra_verify.errors import ProbeError
from infra_verify.gcp.errors import GcpNotFound
from infra_verify.model import Outcome

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


def not_found(what: str, project: str, hint: str) -> Outcome:
    """The FAIL for a resource the policy expects that does not exist (HTTP 404)."""
    return Outcome.failed(f"{what} does not exist in project {project}", hint=hint)


class Reader:
    """Reads for one probe, sharing one time budget so a chain of reads cannot overrun."""

    def __init__(self, ctx: CheckContext, budget: Budget) -> None:
        self.ctx = ctx
        self.clients = ctx.gcp_clients()
        self.budget = budget
        self._project = self.clients.project

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

    async def get(self, fn: Callable[..., R], *args: Any) -> R:
        """Call a read function from infra_verify.gcp.reads with what is left of the budget."""
        await self.ensure_project()
        remaining = self.budget.remaining()
        clients = self.clients
        return await self.ctx.run_blocking(lambda: fn(clients, *args, timeout=remaining))

    async def get_or_none(
        self, fn: Callable[..., dict[str, Any]], *args: Any
    ) -> dict[str, Any] | None:
        """Like get(), but a 404 is None: the resource does not exist (a fact, for judge)."""
        try:
            return await self.get(fn, *args)
        except GcpNotFound:
            return None


class GcpCheck(Check):
    """Base of the GCP check kinds."""

    family = "gcp"

    region: str | None = Field(default=None, description="region (default: gcp.region)")

    def region_for(self, ctx: CheckContext) -> str:
        """This check's region, else the policy's."""
        return self.region or (ctx.gcp.region if ctx.gcp else "us-central1")

    def covers_host(self, host: str | None) -> bool:
        """True when this check is about the DNS name ``host``."""
        return False

    def reader(self, ctx: CheckContext) -> Reader:
        """A reader for one probe of this check, bounded by the check's budget."""
        return Reader(ctx, self.budget(ctx))


def first(items: Iterable[Any]) -> Any:
    """The first item, or None."""
    return next(iter(items), None)
