"""An example infra_verify plugin: the ``feature_flag`` check kind.

A flag in a JSON document served over HTTP(S) has the expected value. Like the built-in kinds, it
follows the Check template: ``probe()`` does the I/O (one GET) and returns a plain dataclass;
``judge()`` is a pure function of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import Field

from infra_verify import Check, CheckContext, Observation, Outcome, ProbeError

__all__ = ["FeatureFlag", "FlagsDocument"]

MISSING = object()


@dataclass(frozen=True)
class FlagsDocument:
    """What the probe saw: the HTTP status and the parsed JSON document."""

    status: int
    document: Any
    is_json: bool = True


class FeatureFlag(Check):
    """A feature flag in a JSON flags document has the expected value."""

    kind = "feature_flag"

    url: str = Field(description="URL of the JSON flags document")
    flag: str = Field(description="dotted path of the flag in the document, e.g. flags.new-ui")
    expect: bool | int | str = Field(default=True, description="the value the flag must have")

    def subject(self) -> str:
        """The flag's path."""
        return self.flag

    def host(self) -> str | None:
        """The flags server's host (so a dns check for it is inferred as a dependency)."""
        return urlsplit(self.url).hostname

    def targets(self) -> tuple[str, ...]:
        """The flags URL (the gate's loopback guard looks at it)."""
        return (self.url,)

    async def probe(self, ctx: CheckContext) -> FlagsDocument:
        """Fetch the flags document (all the I/O this kind does)."""
        budget = self.budget(ctx)
        try:
            async with httpx.AsyncClient(
                timeout=budget.remaining(), verify=ctx.ssl_context(), trust_env=False
            ) as client:
                response = await client.get(self.url)
        except httpx.HTTPError as exc:
            raise ProbeError(
                f"GET {self.url}: {type(exc).__name__}: {exc}",
                hint="is the flags service reachable from where the gate runs?",
            ) from exc
        try:
            document = response.json() if response.status_code == 200 else None
        except ValueError:
            return FlagsDocument(response.status_code, None, is_json=False)
        return FlagsDocument(response.status_code, document)

    def judge(self, observed: FlagsDocument) -> Outcome:
        """Compare the flag's value in the document with ``expect`` (pure: no I/O)."""
        if observed.status != 200:
            return Outcome.failed(
                f"GET {self.url} → {observed.status}, expected 200",
                (Observation("status", "200", str(observed.status), False, self.url),),
            )
        if not observed.is_json:
            return Outcome.failed(f"GET {self.url}: the body is not JSON")
        value: Any = observed.document
        for part in self.flag.split("."):
            value = value.get(part, MISSING) if isinstance(value, dict) else MISSING
            if value is MISSING:
                break
        shown = "(absent)" if value is MISSING else json.dumps(value)
        obs = Observation(f"flag {self.flag}", json.dumps(self.expect), shown, value == self.expect)
        return Outcome.judge(
            [obs],
            ok=f"flag {self.flag} is {shown}",
            hint=f"set {self.flag} to {json.dumps(self.expect)} in the flags service",
        )
