"""The http check's URL rules say what httpx said: parsing, normalizing, joining redirects.

httpx (a test dependency) is the reference: the check followed redirects with ``httpx.URL``
before it stopped importing httpx, so every Location below must come out the same, or be
refused with the same message.
"""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infra_verify.checks.http_message import InvalidUrl, RemoteProtocolError
from infra_verify.checks.http_url import parse_url, redirect_url, same_origin

BASE = "https://api.example.com:8443/v1/items/?page=2#top"


def _httpx_redirect(url: str, location: str) -> str:
    """The check's former rule, on httpx.URL."""
    base, target = httpx.URL(url), httpx.URL(location)
    if target.scheme and not target.host:
        target = target.copy_with(host=base.host)
    if target.is_relative_url:
        target = base.join(target)
    if base.fragment and not target.fragment:
        target = target.copy_with(fragment=base.fragment)
    if target.scheme not in ("http", "https"):
        raise httpx.RemoteProtocolError(f"redirect to a non-HTTP URL: {str(target)[:200]}")
    return str(target)


def _both(url: str, location: str) -> tuple[str, str]:
    try:
        theirs = _httpx_redirect(url, location)
    except (httpx.InvalidURL, httpx.RemoteProtocolError) as exc:
        theirs = f"{type(exc).__name__}: {exc}"
    try:
        ours = redirect_url(url, location)
    except InvalidUrl as exc:
        ours = f"InvalidURL: {exc}"
    except RemoteProtocolError as exc:
        ours = f"RemoteProtocolError: {exc}"
    return ours, theirs


LOCATIONS = [
    "/health",
    "health",
    "../up/./x",
    "?q=1",
    "#frag",
    "",
    "//other.example.com/x",
    "https://Other.Example.COM:443/a/./b/../c",
    "http://api.example.com/",
    "http://api.example.com:80/",
    "https:/no-host",
    "https:///triple",
    "http://[::1]:8080/v6",
    "http://[2001:DB8::1]/",
    "http://[zz]/",
    "http://1.2.3.999/",
    "http://h:99999/",
    "http://h:abc/",
    "http://h:/empty-port",
    "/a b/ü?x=ä y#f g",
    "/%41%zz%",
    "/line\nbreak",
    "/tab\there",
    "ftp://files.example.com/",
    "javascript:alert(1)",
    "mailto:ops@example.com",
    "http://user:pa ss@h.example/",
    "http://bücher.example/",
    "http://xn--bcher-kva.example/",
    "//",
    "/" + "a" * 70000,
    "https://h.example?only-query",
    "https://h.example#only-fragment",
    "HTTP://H.EXAMPLE/Path",
]


@pytest.mark.parametrize("location", LOCATIONS)
def test_redirect_urls_match_httpx(location: str) -> None:
    """Each Location resolves (or is refused) exactly as httpx resolved it."""
    ours, theirs = _both(BASE, location)
    assert ours == theirs


@pytest.mark.parametrize("base", ["http://h.example", "https://h.example/a/b", "http://[::1]/"])
def test_redirects_from_other_bases_match_httpx(base: str) -> None:
    """Bases without a path, with a deep path, with an IPv6 host."""
    for location in ("x", "/y", "../z", "?q", "https:/p", "//o.example/"):
        ours, theirs = _both(base, location)
        assert ours == theirs, location


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_any_location_matches_httpx(location: str) -> None:
    """Arbitrary text as a Location: the same URL or the same refusal as httpx."""
    ours, theirs = _both(BASE, location)
    assert ours == theirs


def test_request_target_and_host_header_are_httpx_s() -> None:
    """The target sent on the wire and the Host header name what httpx sent."""
    for url in ("https://H.example:443/a b?x=1", "http://h.example:8080", "https://[::1]:9/p?"):
        parsed, ref = parse_url(url), httpx.URL(url)
        assert parsed.target == ref.raw_path.decode("ascii")
        assert parsed.netloc == ref.netloc.decode("ascii")


def test_same_origin_counts_default_ports() -> None:
    """https://h and https://h:443 are one origin; http://h is another."""
    assert same_origin("https://h.example/a", "https://H.example:443/b")
    assert not same_origin("https://h.example/", "http://h.example/")
    assert not same_origin("https://h.example/", "https://h.example:8443/")
