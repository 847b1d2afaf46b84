"""The base of GCP checks: time-bounded reads in the blocking pool, and resource-name helpers."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pydantic import Field

from infra_verify.check import Check
from infra_verify.context import CheckContext
from infra_verify.errors import ProbeError, ProbeFailed
from infra_verify.gcp.errors import GcpNotFound

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


class Reader:
    """Reads for one check run, sharing one time budget so a chain of reads cannot overrun."""

    def __init__(self, check: GcpCheck, ctx: CheckContext) -> None:
        self.ctx = ctx
        self.clients = ctx.gcp_clients()
        self.deadline = time.monotonic() + check.effective_timeout(ctx) * 0.9
        self._project = self.clients.project

    @property
    def project(self) -> str:
        """The project the reads target."""
        return self._project

    async def _ensure_project(self) -> None:
        """Policy, else --project, else the environment, else ADC's own project."""
        if self._project:
            return
        self._project = await self.ctx.run_blocking(self.clients.adc_project)
        if not self._project:
            raise ProbeError(
                "no GCP project is configured",
                hint="set gcp.project in the policy, pass --project, or export GOOGLE_CLOUD_PROJECT",
            )
        import dataclasses

        self.clients.settings = dataclasses.replace(self.clients.settings, project=self._project)

    async def get(self, fn: Callable[..., R], *args: Any) -> R:
        """Call a read function from infra_verify.gcp.reads with the time left."""
        await self._ensure_project()
        remaining = max(0.05, self.deadline - time.monotonic())
        clients = self.clients
        return await self.ctx.run_blocking(lambda: fn(clients, *args, timeout=remaining))

    async def get_or_fail(
        self, fn: Callable[..., dict[str, Any]], *args: Any, missing: str, hint: str
    ) -> dict[str, Any]:
        """Like get(), but a 404 is a FAIL: the resource the policy expects does not exist."""
        try:
            return await self.get(fn, *args)
        except GcpNotFound as exc:
            raise ProbeFailed(
                f"{missing} does not exist in project {self.project}", hint=hint
            ) from exc


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


def first(items: Iterable[Any]) -> Any:
    """The first item, or None."""
    return next(iter(items), None)
