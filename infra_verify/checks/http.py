"""The ``http`` check: method, URL, expected status (or set), body substring or JSON fields,
maximum latency and request headers; with an optional ``resolve:`` pin like curl's --resolve.
A 503 reads as plainly as: ``GET https://api…/health → 503 Service Unavailable (server:
Google Frontend) after 120 ms``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import httpx
from pydantic import Field, field_validator

from infra_verify.checks.resolve import RESOLVE_PART, Resolution, resolve_address
from infra_verify.checks.url import (
    UrlCheck,
    env_headers,
    pinned,
)
from infra_verify.context import CheckContext
from infra_verify.durations import Duration, format_duration
from infra_verify.errors import ProbeError
from infra_verify.guard import check_guards_for_host
from infra_verify.model import Observation, Outcome

MAX_BODY = 64 * 1024
MISSING = object()


@dataclass(frozen=True)
class HttpResponse:
    """The facts of one HTTP exchange that the check judges."""

    status: int
    reason: str
    server: str | None
    latency: float
    body: str
    truncated: bool
    content_type: str | None
    location: str | None = None


@dataclass(frozen=True)
class HttpObserved:
    """What the http probe saw: the response, or the fact that ended the exchange before one."""

    response: HttpResponse | None = None
    """The final response (after redirects, when followed); None when the exchange ended early."""
    resolution: Resolution | None = None
    """How the policy's resolvers resolved the host (None: pinned by ``resolve:``, or not asked)."""
    refused_hop: str | None = None
    """A redirect target the guards refused to request (metadata, loopback)."""
    refused_by: Outcome | None = None
    """The guards' verdict on ``refused_hop``."""
    redirect_loop: bool = False
    """More than 5 redirects were followed."""
    cert_error: str | None = None
    """Why the server's certificate did not verify, when it did not."""
    protocol_error: str | None = None
    """How the server broke the HTTP protocol, when it did."""


class RedirectRefused(Exception):
    """Raised by the redirect hook to stop at a target the guards refuse (caught in probe)."""

    def __init__(self, url: str, verdict: Outcome) -> None:
        super().__init__(url)
        self.url = url
        self.verdict = verdict


def json_field(doc: Any, path: str) -> Any:
    """Look up a dotted path (``a.b.0.c``) in a JSON document; MISSING when absent."""
    cur = doc
    for part in path.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return MISSING
    return cur


class Http(UrlCheck):
    """An HTTP(S) request returns the expected status, body and latency."""

    kind = "http"
    schemes = ("http", "https")

    method: str = Field(default="GET", description="HTTP method")
    status: tuple[int, ...] = Field(
        default=(200,), description="expected status code or list of codes"
    )
    body_contains: str | None = Field(default=None, description="substring the body must contain")
    json_fields: dict[str, Any] = Field(
        default_factory=dict,
        alias="json",
        description="dotted JSON paths and their expected values",
    )
    max_latency: Duration | None = Field(
        default=None, description="slowest acceptable response time"
    )
    follow_redirects: bool = Field(default=False, description="follow up to 5 redirects")
    verify: bool = Field(
        default=True, description="verify TLS; false is shown as a warning in every report"
    )

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, v: Any) -> Any:
        return (v,) if isinstance(v, int) and not isinstance(v, bool) else v

    @classmethod
    def warm_up(cls) -> None:
        """Import what httpx imports on its first request (httpcore, h11, anyio's asyncio
        backend: ~150 ms), so that the gate pays it once before any check's timer starts."""
        import anyio._backends._asyncio  # noqa: F401
        import httpcore  # noqa: F401

    async def probe(self, ctx: CheckContext) -> HttpObserved:
        """One request on a fresh connection; reads at most 64 KiB of body."""
        budget = self.budget(ctx)
        timeout = self.effective_timeout(ctx)  # named in messages: the check's own timeout
        resolution = None
        if not self.resolve:
            resolution = await resolve_address(self.host() or "", ctx, budget.part(RESOLVE_PART))
            if resolution.failure() is not None:
                return HttpObserved(resolution=resolution)
        pin = self.resolve or (resolution.address if resolution else None)
        url, host_header = pinned(self.url, pin)
        headers = env_headers(self.headers, self.headers_from_env, ctx)
        if host_header:
            headers.setdefault("Host", host_header)
        extensions = {"sni_hostname": self.host()} if pin and url.startswith("https") else {}
        verify = ctx.ssl_context(self.ca_bundle, verify=self.verify)

        async def guard_hop(request: httpx.Request) -> None:
            """A redirect may not lead where the policy itself could not (metadata, loopback)."""
            blocked = check_guards_for_host(request.url.host, ctx)
            if blocked is not None:
                raise RedirectRefused(str(request.url), blocked)

        start = time.monotonic()
        try:
            async with (
                budget.bound(),
                httpx.AsyncClient(
                    verify=verify,
                    timeout=budget.remaining(),
                    follow_redirects=self.follow_redirects,
                    max_redirects=5,
                    trust_env=False,
                    event_hooks={"request": [guard_hop]},
                ) as client,
            ):
                request = client.build_request(
                    self.method, url, headers=headers, extensions=extensions
                )
                response = await client.send(request, stream=True)
                try:
                    body, truncated = await _read_bounded(response)
                finally:
                    await response.aclose()
        except RedirectRefused as exc:
            return HttpObserved(resolution=resolution, refused_hop=exc.url, refused_by=exc.verdict)
        except httpx.TooManyRedirects:
            return HttpObserved(resolution=resolution, redirect_loop=True)
        except httpx.ConnectError as exc:
            if _cert_failure(exc):
                return HttpObserved(resolution=resolution, cert_error=_why(exc))
            raise ProbeError(
                f"{self.method} {self.url}: could not connect: {_why(exc)}",
                hint="is the service listening, and does DNS point at it?",
            ) from exc
        except (httpx.TimeoutException, TimeoutError) as exc:
            raise ProbeError(
                f"{self.method} {self.url}: no complete response within {format_duration(timeout)}"
            ) from exc
        except (httpx.RemoteProtocolError, httpx.DecodingError) as exc:
            return HttpObserved(resolution=resolution, protocol_error=_why(exc))
        except httpx.HTTPError as exc:
            raise ProbeError(
                f"{self.method} {self.url}: {type(exc).__name__}: {_why(exc)}"
            ) from exc
        latency = time.monotonic() - start
        try:
            reason = HTTPStatus(response.status_code).phrase
        except ValueError:
            reason = response.reason_phrase or ""
        return HttpObserved(
            HttpResponse(
                response.status_code,
                reason,
                response.headers.get("server"),
                latency,
                body,
                truncated,
                response.headers.get("content-type"),
                response.headers.get("location"),
            ),
            resolution,
        )

    def judge(self, observed: HttpObserved) -> Outcome:
        """Status, body, JSON fields and latency, each as an observation."""
        stopped = self._stopped(observed)
        if stopped is not None or observed.response is None:
            return stopped or Outcome.error(f"{self.method} {self.url}: no response was observed")
        r = observed.response
        line = f"{self.method} {self.url} → {r.status} {r.reason}".rstrip()
        if r.server:
            line += f" (server: {r.server})"
        line += f" after {r.latency * 1000:.0f} ms"
        expected = " or ".join(str(s) for s in self.status)
        obs = [
            Observation(
                "status",
                expected,
                f"{r.status} {r.reason}".strip(),
                r.status in self.status,
                self.url,
            )
        ]
        if self.body_contains is not None:
            obs.append(
                Observation(
                    "body contains",
                    repr(self.body_contains),
                    _snippet(r.body),
                    self.body_contains in r.body,
                    self.url,
                )
            )
        if self.json_fields:
            obs.extend(self._json_observations(r))
        if self.max_latency is not None:
            obs.append(
                Observation(
                    "latency",
                    f"<= {format_duration(self.max_latency)}",
                    format_duration(r.latency),
                    r.latency <= self.max_latency,
                    self.url,
                )
            )
        outcome = Outcome.judge(obs, ok=line, hint=_hint(r), warnings=self._warnings())
        if outcome.status.value == "fail" and r.status not in self.status:
            return Outcome.failed(
                f"{line}, expected {expected}",
                outcome.observations,
                hint=outcome.hint,
                warnings=outcome.warnings,
            )
        return outcome

    def _stopped(self, observed: HttpObserved) -> Outcome | None:
        """FAIL for a fact that ended the exchange before a response could be judged."""
        unresolved = observed.resolution.failure() if observed.resolution else None
        head = f"{self.method} {self.url}"
        if unresolved is not None:
            return unresolved
        if observed.refused_by is not None:
            return Outcome.failed(
                f"{head}: redirected to {observed.refused_hop}: {observed.refused_by.summary}",
                hint=observed.refused_by.hint,
                terminal=True,
            )
        if observed.redirect_loop:
            return Outcome.failed(f"{head}: redirect loop (more than 5 redirects)")
        if observed.cert_error is not None:
            return Outcome.failed(
                f"{head}: the server's certificate does not verify: {observed.cert_error}",
                hint="see the tls check for this host; for a private CA set 'ca_bundle:'",
            )
        if observed.protocol_error is not None:
            return Outcome.failed(
                f"{head}: the server did not speak HTTP properly: {observed.protocol_error}"
            )
        return None

    def _json_observations(self, r: HttpResponse) -> list[Observation]:
        import json

        try:
            doc = json.loads(r.body)
        except ValueError:
            return [Observation("JSON body", "valid JSON", _snippet(r.body), False, self.url)]
        out = []
        for path, want in self.json_fields.items():
            got = json_field(doc, path)
            shown = "(absent)" if got is MISSING else json.dumps(got)
            out.append(Observation(f"json {path}", json.dumps(want), shown, got == want, self.url))
        return out

    def _warnings(self) -> tuple[str, ...]:
        return (
            ("TLS verification is turned off for this check (verify: false)",)
            if not self.verify
            else ()
        )


def _why(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    cause = exc.__cause__ or exc.__context__
    for _ in range(5):  # the first cause with a message (httpx → httpcore → anyio → OSError)
        if cause is None:
            break
        if str(cause):
            if str(cause) not in text:
                text += f" ({cause})"
            break
        cause = cause.__cause__ or cause.__context__
    return text


def _cert_failure(exc: BaseException) -> bool:
    """True when a certificate verification error is somewhere in the cause chain."""
    import ssl

    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 6:
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    return False


def _snippet(body: str, limit: int = 200) -> str:
    body = " ".join(body.split())
    return body if len(body) <= limit else body[:limit] + "…"


def _hint(r: HttpResponse) -> str:
    if r.status in (502, 503, 504):
        return (
            "the load balancer has no healthy backend: check the Cloud Run service is Ready, its "
            "revision starts, and the serverless NEG points at it"
        )
    if r.status == 404:
        return "check the URL map's host and path rules route this path to the service"
    if r.status in (301, 302, 307, 308):
        return (
            f"the server redirects to {r.location}; request that URL or set follow_redirects: true"
        )
    if r.status in (401, 403):
        return (
            "the request is not authorized; check the headers (or headers_from_env) the check sends"
        )
    return "compare the expected and actual values above"


async def _read_bounded(response: httpx.Response) -> tuple[str, bool]:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_BODY:
            return b"".join(chunks)[:MAX_BODY].decode("utf-8", "replace"), True
    return b"".join(chunks).decode("utf-8", "replace"), False
