"""Pieces shared by the http and websocket checks: URL targets, pins, headers from env."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, field_validator

from infra_verify.check import Check
from infra_verify.context import CheckContext
from infra_verify.edges import address_records_on_host, checks_on_host, norm_host
from infra_verify.errors import ProbeError

SECURE_SCHEMES = {"https": 443, "wss": 443}
PLAIN_SCHEMES = {"http": 80, "ws": 80}


def url_port(url: str) -> int:
    """The URL's port, defaulting by scheme."""
    parts = urlsplit(url)
    return parts.port or SECURE_SCHEMES.get(parts.scheme, PLAIN_SCHEMES.get(parts.scheme, 80))


def pinned(url: str, ip: str | None) -> tuple[str, str | None]:
    """Rewrite ``url`` to dial ``ip`` (like curl --resolve); returns the URL and the Host header."""
    if not ip:
        return url, None
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc_ip = f"[{ip}]" if ":" in ip else ip
    if parts.port:
        netloc_ip += f":{parts.port}"
        host_header = f"{host}:{parts.port}"
    else:
        host_header = host
    return urlunsplit(
        (parts.scheme, netloc_ip, parts.path, parts.query, parts.fragment)
    ), host_header


def env_headers(
    headers: Mapping[str, str], from_env: Mapping[str, str], ctx: CheckContext
) -> dict[str, str]:
    """Merge literal headers with headers whose values come from env vars (registered as secrets)."""
    out = dict(headers)
    for header, var in from_env.items():
        value = ctx.env.get(var)
        if value is None:
            raise ProbeError(
                f"header {header} needs the environment variable {var}, which is not set in "
                f"{ctx.env_source}",
                hint=f"export {var}=... in the environment that runs the gate",
            )
        ctx.redactor.add(value)
        if value.lower().startswith(("bearer ", "basic ")):
            ctx.redactor.add(value.split(" ", 1)[1])
        out[header] = value
    for header, value in out.items():
        if header.lower() in {"authorization", "cookie", "x-api-key", "proxy-authorization"}:
            ctx.redactor.add(value)
            if " " in value:
                ctx.redactor.add(value.split(" ", 1)[1])
    return out


def url_edges(
    check: Check, url: str, resolve: str | None, others: Sequence[Check]
) -> Iterable[tuple[str, str]]:
    """A URL needs DNS for its host (unless pinned) and, over TLS, the tls check for host:port."""
    host = urlsplit(url).hostname
    if resolve is None:
        for cid in address_records_on_host(others, host):
            yield cid, "hard"
    if urlsplit(url).scheme in SECURE_SCHEMES:
        for cid in checks_on_host(others, host, ["tls"], port=url_port(url)):
            if cid != check.id:
                yield cid, "hard"


def url_host(url: str) -> str | None:
    """The URL's host, normalized."""
    return norm_host(urlsplit(url).hostname)


class UrlCheck(Check):
    """Base of the checks that request a URL (http, websocket): shared keys, edges and targets."""

    positional: ClassVar[str | None] = "url"
    schemes: ClassVar[tuple[str, ...]] = ()

    url: str = Field(description="the URL to request")
    headers: dict[str, str] = Field(default_factory=dict, description="request headers")
    headers_from_env: dict[str, str] = Field(
        default_factory=dict, description="header name -> env var holding its value (redacted)"
    )
    resolve: str | None = Field(
        default=None, description="dial this IP instead of resolving the host (like curl --resolve)"
    )
    ca_bundle: str | None = Field(
        default=None,
        description="PEM CA bundle; default: defaults.ca_bundle, else the system store",
    )

    @field_validator("url")
    @classmethod
    def _scheme(cls, v: str) -> str:
        if cls.schemes and not v.startswith(tuple(f"{s}://" for s in cls.schemes)):
            raise ValueError("must start with " + " or ".join(f"{s}://" for s in cls.schemes))
        return v

    def subject(self) -> str:
        """The URL."""
        return self.url

    def host(self) -> str | None:
        """The URL's host."""
        return url_host(self.url)

    @property
    def port(self) -> int:
        """The URL's port."""
        return url_port(self.url)

    def targets(self) -> tuple[str, ...]:
        """The URL and the pinned address."""
        return (self.url,) + ((self.resolve,) if self.resolve else ())

    def infer_edges(self, others: Sequence[Check]) -> Iterable[tuple[str, str]]:
        """DNS for the host, and the tls check for host:port."""
        return url_edges(self, self.url, self.resolve, others)
