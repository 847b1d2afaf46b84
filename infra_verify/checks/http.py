"""The ``http`` check: method, URL, expected status (or set), body substring or JSON fields,
maximum latency and request headers; with an optional ``resolve:`` pin like curl's --resolve.
A 503 reads as plainly as: ``GET https://api…/health → 503 Service Unavailable (server:
Google Frontend) after 120 ms``.

Every request, the first and each followed redirect, goes through the same steps: resolve the
URL's host (the policy's resolvers, else the OS), guard the address, dial exactly that address
with the name kept in ``Host`` and SNI. Redirects are followed here, so a hop is never dialled
unguarded and a redirect's body is never read. The request is written and the response read by
``http_client.py`` (h11 over the run's TLS streams); URLs are parsed and joined by
``http_url.py`` with the rules httpx follows, which the check used before.

Bodies are read bounded: at most :data:`MAX_BODY` bytes *after* decoding. ``gzip`` and
``deflate`` are inflated in steps of at most what is still wanted, so neither memory nor the
event loop pays for what the server claims the body expands to. More than one encoding
(``gzip, gzip``) is refused, and so is a compressed body that inflates past the limit at more
than :data:`MAX_RATIO` to one (a decompression bomb).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from infra_verify.budget import Budget
from infra_verify.check import Check
from infra_verify.checks.addresses import (
    AddressMode,
    addresses_field,
    combine,
    each,
    not_probed_warnings,
    to_dial,
)
from infra_verify.checks.http_client import Client, Request
from infra_verify.checks.http_message import (
    ConnectError,
    HttpError,
    InvalidUrl,
    RemoteProtocolError,
    Response,
)
from infra_verify.checks.http_url import parse_url, redirect_url, same_host, same_origin
from infra_verify.checks.resolve import RESOLVE_PART, Resolution, is_ip, resolve_address
from infra_verify.checks.url import UrlCheck, env_headers, url_port
from infra_verify.context import CheckContext
from infra_verify.durations import Duration, DurationLike, format_duration
from infra_verify.errors import ProbeError
from infra_verify.guard import check_guards_for_host
from infra_verify.model import Observation, Outcome

MAX_BODY = 64 * 1024
"""The most body the check reads, counted after decoding."""
MAX_RAW = 4 * MAX_BODY
"""The most encoded bytes read while the decoded body is still under :data:`MAX_BODY`."""
MAX_RATIO = 100
"""A compressed body inflating past MAX_BODY at more than this ratio is a decompression bomb."""
MAX_REDIRECTS = 5
ACCEPT_ENCODING = "gzip, deflate"
"""The encodings the check asks for (and the only ones it decodes)."""
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = b"infra_verify"
"""The User-Agent every request sends (the policy's ``headers`` may set another)."""
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
    """How the host resolved (the policy's resolvers, else the OS), and the guards' verdict
    on that address (None: pinned by ``resolve:``)."""
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
    body_refused: str | None = None
    """Why the response body was refused (stacked or unknown encoding, decompression bomb)."""
    per_address: tuple[tuple[str, HttpObserved], ...] = ()
    """With more than one address dialled: what each address answered (then judged each)."""
    not_probed: tuple[str, ...] = ()
    """IPv6 addresses this machine has no route to: reported, neither passed nor failed."""


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
    addresses: AddressMode = addresses_field()

    if TYPE_CHECKING:

        def __init__(
            self,
            url: str,
            *,
            headers: Mapping[str, str] = ...,
            headers_from_env: Mapping[str, str] = ...,
            resolve: str | None = None,
            ca_bundle: str | None = None,
            method: str = "GET",
            status: int | Sequence[int] = (200,),
            body_contains: str | None = None,
            json: Mapping[str, Any] = ...,
            max_latency: DurationLike | None = None,
            follow_redirects: bool = False,
            verify: bool = True,
            addresses: AddressMode = "all",
            id: str = "",
            after: Sequence[str | Check] | str | Check = (),
            timeout: DurationLike | None = None,
            poll: DurationLike | None = None,
            poll_max: DurationLike | None = None,
            description: str | None = None,
        ) -> None:
            """Build the check (the subject may be positional)."""

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, v: Any) -> Any:
        return (v,) if isinstance(v, int) and not isinstance(v, bool) else v

    @classmethod
    def warm_up(cls, checks: Sequence[Check] = (), ctx: CheckContext | None = None) -> None:
        """Import what http checks use (h11, the lean DNS exchange), before any check's timer
        starts; not httpx, not dnspython (listing imports none of them)."""
        import h11  # noqa: F401

        from infra_verify.checks.dns import warm_up_resolving

        warm_up_resolving()

    async def probe(self, ctx: CheckContext) -> HttpObserved:
        """Request on a fresh connection, following redirects if asked; a bounded body read."""
        budget = self.budget(ctx)
        headers = env_headers(self.headers, self.headers_from_env, ctx)
        if not _has(headers, "accept-encoding"):
            headers["Accept-Encoding"] = ACCEPT_ENCODING
        host = self.host() or ""
        if self.resolve or is_ip(host):
            hops = _Hops(ctx, budget, headers)
            if self.resolve:
                hops.pins[(host, self.port)] = self.resolve
            return await self._probe_at(ctx, budget, hops)
        resolution = await resolve_address(host, ctx, budget.part(RESOLVE_PART))
        if resolution.failure() is not None:
            return HttpObserved(resolution=resolution)
        dial, skipped = to_dial(resolution, host, self.addresses)

        async def at(address: str) -> HttpObserved:
            hops = _Hops(ctx, budget, dict(headers))
            hops.first = resolution
            hops.pins[(host, self.port)] = address
            return await self._probe_at(ctx, budget, hops)

        seen = await each(dial, at)
        if len(seen) == 1 and not skipped:
            return seen[0]
        return HttpObserved(
            resolution=resolution,
            per_address=tuple(zip(dial, seen, strict=True)),
            not_probed=skipped,
        )

    async def _probe_at(self, ctx: CheckContext, budget: Budget, hops: _Hops) -> HttpObserved:
        """One exchange, first hop to the address ``hops`` pins (or resolves)."""
        timeout = self.effective_timeout(ctx)  # named in messages: the check's own timeout
        verify = ctx.ssl_context(self.ca_bundle, verify=self.verify)
        client = Client(ctx, verify, share=self.verify, ca_bundle=self.ca_bundle or ctx.ca_bundle)
        try:
            async with budget.bound():
                return await self._exchange(client, hops)
        except ConnectError as exc:
            if _cert_failure(exc):
                return HttpObserved(resolution=hops.first, cert_error=_why(exc))
            raise ProbeError(
                f"{self.method} {self.url}: could not connect: {_why(exc)}",
                hint="is the service listening, and does DNS point at it?",
            ) from exc
        except TimeoutError as exc:
            raise ProbeError(
                f"{self.method} {self.url}: no complete response within {format_duration(timeout)}"
            ) from exc
        except (RemoteProtocolError, InvalidUrl) as exc:
            return HttpObserved(resolution=hops.first, protocol_error=_why(exc))
        except HttpError as exc:
            raise ProbeError(
                f"{self.method} {self.url}: {type(exc).__name__}: {_why(exc)}"
            ) from exc

    async def _exchange(self, client: Client, hops: _Hops) -> HttpObserved:
        """Send the request, and each redirect when following them; read the last body."""
        url, method = self.url, self.method
        start = time.monotonic()
        visited: list[str] = []
        for hop in range(MAX_REDIRECTS + 1):
            stop = await hops.route(url, hop)
            if stop is not None:
                return stop
            if hop == 0:
                start = time.monotonic()
            response = await client.send(hops.request(method, url))
            response.history = tuple(visited)
            try:
                location = response.headers.get("location")
                if (
                    self.follow_redirects
                    and response.status in REDIRECT_STATUSES
                    and location is not None
                ):
                    if hop == MAX_REDIRECTS:
                        return HttpObserved(resolution=hops.first, redirect_loop=True)
                    next_url = redirect_url(url, location)
                    if not same_origin(url, next_url):
                        hops.headers = _cross_origin(hops.headers, url, next_url)
                    visited.append(url)
                    url, method = next_url, _redirect_method(method, response.status)
                    continue  # a redirect's body is never read
                body = await read_body(response)
            finally:
                await response.aclose()
            return self._observed(response, body, time.monotonic() - start, hops.first)
        raise AssertionError("unreachable: the last hop returns")  # pragma: no cover

    @staticmethod
    def _observed(
        response: Response, body: Body, latency: float, resolution: Resolution | None
    ) -> HttpObserved:
        if body.refused is not None:
            return HttpObserved(resolution=resolution, body_refused=body.refused)
        if body.broken is not None:
            return HttpObserved(resolution=resolution, protocol_error=body.broken)
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = response.reason
        return HttpObserved(
            HttpResponse(
                response.status,
                reason,
                response.headers.get("server"),
                latency,
                body.text,
                body.truncated,
                response.headers.get("content-type"),
                response.headers.get("location"),
            ),
            resolution,
        )

    def judge(self, observed: HttpObserved) -> Outcome:
        """Status, body, JSON fields and latency, each as an observation, at each address."""
        if observed.per_address or observed.not_probed:
            notes = observed.resolution.notes if observed.resolution else ()
            return combine(
                [(a, self._judge_one(seen)) for a, seen in observed.per_address],
                not_probed_warnings(observed.not_probed, notes),
            )
        return self._judge_one(observed)

    def _judge_one(self, observed: HttpObserved) -> Outcome:
        """Status, body, JSON fields and latency of one exchange."""
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
        if observed.body_refused is not None:
            return Outcome.failed(
                f"{head}: response body refused: {observed.body_refused}",
                hint=(
                    f"serve the body plainly or with one Content-Encoding ({ACCEPT_ENCODING}); "
                    f"the check reads at most {MAX_BODY // 1024} KiB of decoded body"
                ),
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
    for _ in range(5):  # the first cause with a message (e.g. the OSError under a ReadError)
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


def _has(headers: dict[str, str], name: str) -> bool:
    return any(k.lower() == name for k in headers)


class _Hops:
    """Where each request of one exchange goes: resolved, guarded, pinned (like curl --resolve).

    Every hop's host is resolved once (the policy's resolvers, else the OS) and its address
    guarded before it is dialled; the request then goes to that address with ``Host`` and SNI
    naming the host.
    """

    def __init__(self, ctx: CheckContext, budget: Budget, headers: dict[str, str]) -> None:
        self.ctx = ctx
        self.budget = budget
        self.headers = headers
        self.pins: dict[tuple[str, int], str] = {}
        self.first: Resolution | None = None
        """How the first host resolved (None: pinned by ``resolve:``, or an IP literal)."""

    async def route(self, url: str, hop: int) -> HttpObserved | None:
        """Resolve and guard ``url``'s host; the observation that stops the exchange, if any."""
        host = (urlsplit(url).hostname or "").lower()
        key = (host.rstrip("."), url_port(url))
        address = self.pins.get(key)
        if address is None:
            seen = await resolve_address(host, self.ctx, self.budget.part(RESOLVE_PART))
            if hop == 0:
                self.first = seen
            failure = seen.failure()
            if failure is not None:
                if hop == 0 or seen.negative is not None:
                    return HttpObserved(resolution=seen)
                return HttpObserved(resolution=self.first, refused_hop=url, refused_by=failure)
            if seen.address:
                self.pins[key] = address = seen.address
        if hop > 0:  # the first hop's own targets were guarded before the probe
            blocked = check_guards_for_host(address or host, self.ctx)
            if blocked is not None:
                return HttpObserved(resolution=self.first, refused_hop=url, refused_by=blocked)
        return None

    def request(self, method: str, url: str) -> Request:
        """The request for ``url``, sent to its routed address (the name in Host and SNI)."""
        host = (urlsplit(url).hostname or "").lower()
        address = self.pins.get((host.rstrip("."), url_port(url)))
        parsed = parse_url(url)
        fields: list[tuple[bytes, bytes]] = []
        if not _has(self.headers, "host"):
            host_header = parsed.netloc if address is None else _host_header(url)
            fields.append((b"Host", host_header.encode("ascii")))
        defaults = {"accept": b"*/*", "user-agent": USER_AGENT}
        given = {k.lower() for k in self.headers}
        fields += [(k.title().encode(), v) for k, v in defaults.items() if k not in given]
        fields += [(k.encode("ascii"), v.encode("ascii")) for k, v in self.headers.items()]
        if method in ("POST", "PUT", "PATCH") and not given & {
            "content-length",
            "transfer-encoding",
        }:
            fields.append((b"Content-Length", b"0"))
        secure = parsed.scheme == "https"
        return Request(
            method=method,
            url=url,
            target=parsed.target,
            headers=tuple(fields),
            address=address if address is not None else parsed.host,
            port=parsed.effective_port,
            secure=secure,
            sni=host if secure and address is not None else parsed.host,
        )


def _host_header(url: str) -> str:
    """The Host header of a request dialled at a pinned address: the URL's name[:port]."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{host}:{parts.port}" if parts.port else host


def _cross_origin(headers: dict[str, str], old: str, new: str) -> dict[str, str]:
    """Headers for a hop to another origin: no Host (it follows the URL), no Authorization
    unless it is the same host upgraded to https (httpx's rule)."""
    upgrade = same_host(old, new) and old.startswith("http://") and new.startswith("https://")
    drop = {"host"} | (set() if upgrade else {"authorization"})
    return {k: v for k, v in headers.items() if k.lower() not in drop}


def _redirect_method(method: str, status: int) -> str:
    """The method of the next hop (303 and 302 turn into GET, a POST on 301 too)."""
    if status in (302, 303) and method != "HEAD":
        return "GET"
    if status == 301 and method == "POST":
        return "GET"
    return method


@dataclass(frozen=True)
class Body:
    """A response body as read: decoded text (at most MAX_BODY bytes), or why it was not."""

    text: str = ""
    truncated: bool = False
    refused: str | None = None
    """Why the body was refused (stacked or unsupported encoding, decompression bomb)."""
    broken: str | None = None
    """How the encoded body was corrupt (it does not inflate)."""


class _Inflater:
    """gzip or deflate, inflated in bounded steps: never more output than asked for."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self.raw_deflate = False
        self._obj = zlib.decompressobj(31 if encoding in ("gzip", "x-gzip") else 15)
        self._tail = b""
        self._started = False

    def feed(self, data: bytes, want: int) -> bytes:
        """At most ``want`` decoded bytes from what has arrived so far."""
        data, self._tail = self._tail + data, b""
        try:
            out = self._obj.decompress(data, want)
        except zlib.error:
            if self.encoding != "deflate" or self._started:
                raise
            self._obj = zlib.decompressobj(-15)  # deflate without its zlib header
            out = self._obj.decompress(data, want)
        self._started = True
        self._tail = self._obj.unconsumed_tail
        return out

    @property
    def pending(self) -> int:
        """Encoded bytes received but not consumed yet."""
        return len(self._tail)

    @property
    def done(self) -> bool:
        """The compressed stream ended (anything after it is ignored, as httpx does)."""
        return self._obj.eof


async def read_body(response: Response) -> Body:
    """Read at most MAX_BODY decoded bytes of a streamed response, decoding in bounded steps."""
    codings = [
        c.strip().lower()
        for c in response.headers.get_list("content-encoding", split_commas=True)
        if c.strip() and c.strip().lower() != "identity"
    ]
    if len(codings) > 1:
        return Body(refused=f"stacked Content-Encoding '{', '.join(codings)}' (one at most)")
    if codings and codings[0] not in ("gzip", "x-gzip", "deflate"):
        return Body(refused=f"unsupported Content-Encoding '{codings[0]}' ({ACCEPT_ENCODING})")
    inflater = _Inflater(codings[0]) if codings else None
    out = bytearray()
    raw = 0
    async for chunk in response.stream:
        raw += len(chunk)
        want = MAX_BODY + 1 - len(out)
        if inflater is None:
            out += chunk[:want]
        elif not inflater.done:
            try:
                out += inflater.feed(chunk, want)
            except zlib.error as exc:
                return Body(broken=f"the {inflater.encoding} body does not decode: {exc}")
        if len(out) > MAX_BODY:
            if inflater is not None and len(out) > MAX_RATIO * max(1, raw - inflater.pending):
                return Body(
                    refused=(
                        f"decompression bomb: {inflater.encoding} inflates past "
                        f"{MAX_BODY // 1024} KiB at more than {MAX_RATIO}:1"
                    )
                )
            break
        if raw > MAX_RAW:
            break
    truncated = len(out) > MAX_BODY or raw > MAX_RAW
    return Body(bytes(out[:MAX_BODY]).decode("utf-8", "replace"), truncated)
