"""URLs as the http check requests them: parsed, validated and normalized (RFC 3986).

The rules are httpx's (``httpx/_urlparse.py``, BSD-3-Clause), which the check followed while it
sent its requests through httpx: a URL with a control character, a bad port or a malformed IP
literal is refused (:class:`InvalidUrl`); the scheme and host are lower-cased, a scheme's
default port is dropped, dot segments are removed and what must be is percent-encoded. A
redirect's ``Location`` is joined to the URL it answered (``urllib.parse.urljoin``) as httpx
joined it, and only http and https are followed.
"""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple
from urllib.parse import urljoin

from infra_verify.checks.http_message import InvalidUrl, RemoteProtocolError

MAX_URL_LENGTH = 65536
DEFAULT_PORTS = {"ftp": 21, "http": 80, "https": 443, "ws": 80, "wss": 443}
_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
_SUB_DELIMS = "!$&'()*+,;="


def _printable_except(*excluded: int) -> str:
    return "".join(chr(i) for i in range(0x20, 0x7F) if i not in excluded)


_FRAG_SAFE = _printable_except(0x20, 0x22, 0x3C, 0x3E, 0x60)
_QUERY_SAFE = _printable_except(0x20, 0x22, 0x23, 0x3C, 0x3E)
_PATH_SAFE = _printable_except(0x20, 0x22, 0x23, 0x3C, 0x3E, 0x3F, 0x60, 0x7B, 0x7D)
_USERINFO_SAFE = _printable_except(
    *(0x20, 0x22, 0x23, 0x3C, 0x3E, 0x3F, 0x60, 0x7B, 0x7D),
    *(0x2F, 0x3B, 0x3D, 0x40, 0x5B, 0x5C, 0x5D, 0x5E, 0x7C),
)
_URL = re.compile(
    r"(?:(?P<scheme>([a-zA-Z][a-zA-Z0-9+.-]*)?):)?"
    r"(?://(?P<authority>[^/?#]*))?"
    r"(?P<path>[^?#]*)"
    r"(?:\?(?P<query>[^#]*))?"
    r"(?:#(?P<fragment>.*))?",
    re.DOTALL,
)
_AUTHORITY = re.compile(
    r"(?:(?P<userinfo>.*)@)?(?P<host>(\[.*\]|[^:@]*)):?(?P<port>.*)?", re.DOTALL
)
_PERCENT = re.compile("%[A-Fa-f0-9]{2}")
_IPV4_STYLE = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$")


class Url(NamedTuple):
    """A parsed URL in its canonical form (str() writes it back)."""

    scheme: str
    userinfo: str
    host: str
    """Lower-cased, IDNA-encoded; an IPv6 address without its brackets."""
    port: int | None
    """None for the scheme's default port."""
    path: str
    query: str | None
    fragment: str | None

    @property
    def netloc(self) -> str:
        """host[:port], an IPv6 host in brackets: what the ``Host`` header names."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host + (f":{self.port}" if self.port is not None else "")

    @property
    def target(self) -> str:
        """The request target: the path ("/" when empty) and the query, if any."""
        return (self.path or "/") + (f"?{self.query}" if self.query is not None else "")

    @property
    def effective_port(self) -> int:
        """The port to dial (the scheme's default when none is given)."""
        return self.port if self.port is not None else DEFAULT_PORTS.get(self.scheme, 80)

    @property
    def is_absolute(self) -> bool:
        """A scheme and a host: a URL a connection can be made to."""
        return bool(self.scheme and self.host)

    def __str__(self) -> str:
        authority = (f"{self.userinfo}@" if self.userinfo else "") + self.netloc
        return "".join(
            [
                f"{self.scheme}:" if self.scheme else "",
                f"//{authority}" if authority else "",
                self.path,
                f"?{self.query}" if self.query is not None else "",
                f"#{self.fragment}" if self.fragment is not None else "",
            ]
        )


def parse_url(text: str) -> Url:
    """Parse and normalize ``text``; InvalidUrl when it is not a valid URL (httpx's rules)."""
    if len(text) > MAX_URL_LENGTH:
        raise InvalidUrl("URL too long")
    for idx, char in enumerate(text):
        if char.isascii() and not char.isprintable():
            raise InvalidUrl(
                f"Invalid non-printable ASCII character in URL, {char!r} at position {idx}."
            )
    match = _URL.match(text)
    assert match is not None  # every group is optional: it always matches
    scheme = (match["scheme"] or "").lower()
    authority = _AUTHORITY.match(match["authority"] or "")
    assert authority is not None
    userinfo = _quote(authority["userinfo"] or "", _USERINFO_SAFE)
    host = _encode_host(authority["host"] or "")
    port = _port(authority["port"], scheme)
    path = match["path"] or ""
    has_authority = bool(userinfo or host or port is not None)
    if has_authority and path and not path.startswith("/"):
        raise InvalidUrl("For absolute URLs, path must be empty or begin with '/'")
    if not scheme and not has_authority:
        if path.startswith("//"):
            raise InvalidUrl("Relative URLs cannot have a path starting with '//'")
        if path.startswith(":"):
            raise InvalidUrl("Relative URLs cannot have a path starting with ':'")
    if scheme or has_authority:
        path = _remove_dot_segments(path)
    query, fragment = match["query"], match["fragment"]
    return Url(
        scheme,
        userinfo,
        host,
        port,
        _quote(path, _PATH_SAFE),
        None if query is None else _quote(query, _QUERY_SAFE),
        None if fragment is None else _quote(fragment, _FRAG_SAFE),
    )


def redirect_url(url: str, location: str) -> str:
    """The absolute URL a Location header points to (relative to ``url``), as httpx does it:
    a scheme without a host takes the request's host, a relative reference is joined, the
    fragment carries over; RemoteProtocolError for a scheme other than http or https."""
    base, target = parse_url(url), parse_url(location)
    if target.scheme and not target.host:
        if target.path and not target.path.startswith("/"):
            raise InvalidUrl("For absolute URLs, path must be empty or begin with '/'")
        target = target._replace(host=base.host)
    if not target.is_absolute:
        target = parse_url(urljoin(str(base), str(target)))
    if base.fragment and not target.fragment:
        target = target._replace(fragment=base.fragment)
    if target.scheme not in ("http", "https"):
        raise RemoteProtocolError(f"redirect to a non-HTTP URL: {str(target)[:200]}")
    return str(target)


def same_origin(a: str, b: str) -> bool:
    """Same scheme, host and port."""
    x, y = parse_url(a), parse_url(b)
    return (x.scheme, x.host, x.effective_port) == (y.scheme, y.host, y.effective_port)


def same_host(a: str, b: str) -> bool:
    """Same host (any scheme or port)."""
    return parse_url(a).host == parse_url(b).host


def _encode_host(host: str) -> str:
    if not host:
        return ""
    if _IPV4_STYLE.match(host):
        try:
            ipaddress.IPv4Address(host)
        except ipaddress.AddressValueError:
            raise InvalidUrl(f"Invalid IPv4 address: {host!r}") from None
        return host
    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ipaddress.AddressValueError:
            raise InvalidUrl(f"Invalid IPv6 address: {host!r}") from None
        return host[1:-1]
    if host.isascii():
        return _quote(host.lower(), _SUB_DELIMS + '"`{}%|\\')
    try:
        import idna  # a non-ASCII host only (httpx's dependency; IDNA 2008 as httpx does)

        return str(idna.encode(host.lower()).decode("ascii"))
    except ImportError:  # pragma: no cover - idna comes with httpx
        try:
            return host.lower().encode("idna").decode("ascii")
        except UnicodeError:
            raise InvalidUrl(f"Invalid IDNA hostname: {host!r}") from None
    except Exception as exc:  # idna.IDNAError and its kin
        raise InvalidUrl(f"Invalid IDNA hostname: {host!r}") from exc


def _port(port: str | None, scheme: str) -> int | None:
    if not port:
        return None
    try:
        number = int(port)
    except ValueError:
        raise InvalidUrl(f"Invalid port: {port!r}") from None
    return None if number == DEFAULT_PORTS.get(scheme) else number


def _remove_dot_segments(path: str) -> str:
    """Drop "." and ".." segments (RFC 3986 section 5.2.4)."""
    if "." not in path:
        return path
    parts = path.split("/")
    if "." not in parts and ".." not in parts:
        return path
    out: list[str] = []
    for part in parts:
        if part == ".":
            continue
        if part == "..":
            if out and out != [""]:
                out.pop()
        else:
            out.append(part)
    return "/".join(out)


def _percent_encoded(text: str, safe: str) -> str:
    keep = _UNRESERVED + safe
    if not text.rstrip(keep):
        return text
    return "".join(
        c if c in keep else "".join(f"%{b:02X}" for b in c.encode("utf-8")) for c in text
    )


def _quote(text: str, safe: str) -> str:
    """Percent-encode ``text``, keeping the ``%xx`` escapes already in it."""
    parts, at = [], 0
    for match in _PERCENT.finditer(text):
        if match.start() != at:
            parts.append(_percent_encoded(text[at : match.start()], safe))
        parts.append(match.group(0))
        at = match.end()
    if at != len(text):
        parts.append(_percent_encoded(text[at:], safe))
    return "".join(parts)
