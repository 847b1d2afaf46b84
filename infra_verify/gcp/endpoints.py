"""The one strict parser for Google Cloud API endpoint overrides (``gcp.endpoints.<api>``).

Whether Application Default Credentials go to an endpoint is decided on the host the HTTP
library will dial. Python's ``urlsplit``, urllib3/requests and httpx read odd URLs differently
(``https://localhost:1\\@compute.googleapis.com`` is ``compute.googleapis.com`` to ``urlsplit``
and ``localhost:1`` to urllib3), so an endpoint is parsed once, here, by a grammar small enough
that every one of those parsers reads the canonical result the same way:

    endpoint  = [ ("http" | "https") "://" ] host [ ":" port ] [ path ]
    host      = DNS name (letters, digits, hyphens; dot-separated) | IPv4 | "[" IPv6 "]"
    path      = "/" followed by letters, digits and ``-._~/`` only

Anything else is refused with :class:`EndpointError` (an input error, exit 2): backslashes,
userinfo (``@``), whitespace or control characters, percent-encoding, a query or fragment,
non-ASCII text, a scheme other than http(s), a missing host or port digits, a name whose last
label is numeric but that is no IPv4 address (``127.1``). :attr:`Endpoint.url` is the canonical
spelling the client libraries receive; :attr:`Endpoint.is_google` is true only for
``https://*.googleapis.com``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from infra_verify.errors import UsageError

__all__ = ["GOOGLE_API_SUFFIX", "Endpoint", "EndpointError", "parse_endpoint"]

GOOGLE_API_SUFFIX = ".googleapis.com"

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_PATH = re.compile(r"(?:/[A-Za-z0-9._~-]*)*")
_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]*")


class EndpointError(UsageError, ValueError):
    """An endpoint override that is not a plain http(s)://host[:port][/path] URL."""


@dataclass(frozen=True)
class Endpoint:
    """One parsed endpoint: scheme, host (lower case, no brackets), port and path."""

    scheme: str
    host: str
    port: int | None = None
    path: str = ""

    @property
    def url(self) -> str:
        """The canonical URL, e.g. ``https://compute.googleapis.com`` or ``http://[::1]:8080``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.scheme}://{host}{port}{self.path}"

    @property
    def is_google(self) -> bool:
        """True for HTTPS to a ``*.googleapis.com`` name (Private Service Connect included)."""
        return self.scheme == "https" and self.host.endswith(GOOGLE_API_SUFFIX)


def parse_endpoint(raw: str) -> Endpoint:
    """Parse an endpoint override strictly; raise :class:`EndpointError` saying why not."""
    if not isinstance(raw, str) or not raw:
        raise EndpointError("an endpoint must be a non-empty URL such as https://HOST[:PORT]")
    if not _VISIBLE_ASCII.fullmatch(raw):
        raise EndpointError(
            "an endpoint may not contain whitespace, control or non-ASCII characters"
        )
    for char, what in (
        ("\\", "a backslash"),
        ("@", "userinfo ('@')"),
        ("%", "percent-encoding"),
        ("?", "a query"),
        ("#", "a fragment"),
    ):
        if char in raw:
            raise EndpointError(f"an endpoint may not contain {what}")
    scheme, sep, rest = raw.partition("://")
    if not sep:
        scheme, rest = "https", raw
    scheme = scheme.lower()
    if scheme not in ("http", "https"):
        raise EndpointError(f"the scheme must be http or https, not {scheme!r}")
    authority, slash, path = rest.partition("/")
    path = slash + path
    if not _PATH.fullmatch(path):
        raise EndpointError("the path may hold only letters, digits and -._~/")
    host, port = _split_authority(authority)
    return Endpoint(scheme, host, port, path.rstrip("/"))


def _split_authority(authority: str) -> tuple[str, int | None]:
    if authority.startswith("["):
        inside, bracket, after = authority[1:].partition("]")
        if not bracket:
            raise EndpointError("an IPv6 host needs its closing ']'")
        try:
            host = str(ipaddress.IPv6Address(inside))
        except ValueError:
            raise EndpointError("the host in brackets is not an IPv6 address") from None
        port_text = after
    else:
        host, colon, port_text = authority.partition(":")
        port_text = colon + port_text
        host = _host(host)
    if not port_text:
        return host, None
    digits = port_text.removeprefix(":")
    if not port_text.startswith(":") or not digits.isdigit() or not 0 < int(digits) < 65536:
        raise EndpointError("the port must be a number from 1 to 65535")
    return host, int(digits)


def _host(text: str) -> str:
    name = text.lower().removesuffix(".")
    if not name:
        raise EndpointError("the endpoint has no host")
    if not _NAME.fullmatch(name):
        raise EndpointError("the host must be a DNS name, an IPv4 address or [IPv6]")
    if name.rsplit(".", 1)[-1].isdigit():  # numeric last label: must be a dotted-quad IPv4
        try:
            return str(ipaddress.IPv4Address(name))
        except ValueError:
            raise EndpointError("a numeric host must be a dotted-quad IPv4 address") from None
    return name
