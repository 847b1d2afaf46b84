"""An example infra_verify plugin: the ``feature_flag`` check kind.

A flag in a JSON document served over HTTP(S) has the expected value. Probing (one GET) is kept
apart from judging (a pure function of the document), like the built-in kinds.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import Field

from infra_verify import Check, CheckContext, Observation, Outcome, ProbeError

__all__ = ["FeatureFlag"]

_MISSING = object()


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

    async def run(self, ctx: CheckContext) -> Outcome:
        """Fetch the document, then judge the flag."""
        timeout = self.effective_timeout(ctx)
        try:
            async with httpx.AsyncClient(
                timeout=timeout, verify=ctx.ssl_context(), trust_env=False
            ) as client:
                response = await client.get(self.url)
        except httpx.HTTPError as exc:
            raise ProbeError(
                f"GET {self.url}: {type(exc).__name__}: {exc}",
                hint="is the flags service reachable from where the gate runs?",
            ) from exc
        if response.status_code != 200:
            return Outcome.failed(
                f"GET {self.url} → {response.status_code}, expected 200",
                (Observation("status", "200", str(response.status_code), False, self.url),),
            )
        try:
            doc = response.json()
        except ValueError:
            return Outcome.failed(f"GET {self.url}: the body is not JSON")
        return self.judge(doc)

    def judge(self, doc: Any) -> Outcome:
        """Compare the flag's value in ``doc`` with ``expect``."""
        value: Any = doc
        for part in self.flag.split("."):
            value = value.get(part, _MISSING) if isinstance(value, dict) else _MISSING
            if value is _MISSING:
                break
        shown = "(absent)" if value is _MISSING else json.dumps(value)
        obs = Observation(f"flag {self.flag}", json.dumps(self.expect), shown, value == self.expect)
        return Outcome.judge(
            [obs],
            ok=f"flag {self.flag} is {shown}",
            hint=f"set {self.flag} to {json.dumps(self.expect)} in the flags service",
        )
