"""The strict endpoint parser: what is refused, what is Google's, and what the libraries get."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra_verify.errors import PolicyError, UsageError
from infra_verify.gcp.clients import GcpSettings, credentials_mode, is_google_api_endpoint
from infra_verify.gcp.endpoints import EndpointError, parse_endpoint
from infra_verify.policy.load import load_policy

#: Spellings on which urlsplit, urllib3/requests and httpx disagree about the host, or that
#: hide one: every one is refused outright.
REFUSED = [
    "https://localhost:1\\@compute.googleapis.com",
    "https://127.0.0.1:1\\@compute.googleapis.com",
    "https://compute.googleapis.com\\@127.0.0.1",
    "https://compute.googleapis.com@127.0.0.1",
    "https://compute.googleapis.com@evil.example",
    "https://user:pw@compute.googleapis.com",
    "https://127.0.0.1#@compute.googleapis.com",
    "https://127.0.0.1?@compute.googleapis.com",
    "https://compute.googleapis.com%2F@127.0.0.1",
    "https://compute%2egoogleapis.com",
    "https://127.0.0.1:1\t@compute.googleapis.com",
    "https://127.0.0.1:1\n@compute.googleapis.com",
    "https://compute.googleapis\t.com",
    "https://compute.googleapis.com\r\n",
    " https://compute.googleapis.com",
    "https://compute.googleapis.com /x",
    "https://compute.googleapis.com\x00.127.0.0.1.nip.io",
    "https://cömpute.googleapis.com",
    "ftp://compute.googleapis.com",
    "file:///etc/passwd",
    "https://",
    "https://:443",
    "https://compute.googleapis.com:",
    "https://compute.googleapis.com:0",
    "https://compute.googleapis.com:99999",
    "https://compute.googleapis.com:44x",
    "https://127.1",
    "https://0x7f.0.0.1",
    "https://2130706433",
    "https://[::1",
    "https://[fe80::1%25eth0]",
    "https://under_score.googleapis.com",
]


@pytest.mark.parametrize("raw", REFUSED)
def test_the_strict_parser_refuses_ambiguous_endpoints(raw: str) -> None:
    """Every spelling that parsers read differently is refused as an input error."""
    with pytest.raises(EndpointError) as caught:
        parse_endpoint(raw)
    assert isinstance(caught.value, UsageError)
    assert not is_google_api_endpoint(raw)


@pytest.mark.parametrize("raw", REFUSED)
def test_settings_refuse_ambiguous_endpoints_naming_the_key(raw: str) -> None:
    """GcpSettings built in code refuse the same spellings, naming gcp.endpoints.<api>."""
    with pytest.raises(EndpointError, match=r"gcp\.endpoints\.sqladmin"):
        GcpSettings(project="p", endpoints={"sqladmin": raw})


@pytest.mark.parametrize(
    "raw",
    [
        "https://compute.googleapis.com.127.0.0.1.nip.io",
        "https://compute.googleapis.com.evil.example",
        "https://googleapis.com",
        "https://evilgoogleapis.com",
        "http://compute.googleapis.com",
        "http://127.0.0.1:8080",
        "https://[::1]:8443",
    ],
)
def test_other_hosts_get_anonymous_credentials(raw: str) -> None:
    """A well-formed endpoint that is not HTTPS *.googleapis.com never gets ADC."""
    settings = GcpSettings(project="p", credentials="adc", endpoints={"compute": raw})
    assert credentials_mode(settings, "compute") == "anonymous"


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("https://compute.googleapis.com", "https://compute.googleapis.com"),
        ("compute.googleapis.com", "https://compute.googleapis.com"),
        ("HTTPS://Compute.GoogleAPIs.com:443/", "https://compute.googleapis.com:443"),
        ("https://compute.googleapis.com./", "https://compute.googleapis.com"),
        ("https://compute-vpc1.p.googleapis.com", "https://compute-vpc1.p.googleapis.com"),
    ],
)
def test_google_endpoints_are_passed_on_canonical(raw: str, canonical: str) -> None:
    """Google's hosts get ADC, and the client libraries receive the canonical URL."""
    settings = GcpSettings(project="p", credentials="adc", endpoints={"compute": raw})
    assert settings.endpoint("compute") == canonical
    assert credentials_mode(settings, "compute") == "adc"


def test_canonical_local_endpoints_keep_port_and_path() -> None:
    """A local fake's URL comes out as written: scheme, IPv4/[IPv6] host, port and path."""
    assert parse_endpoint("http://127.0.0.1:8080").url == "http://127.0.0.1:8080"
    assert parse_endpoint("http://[::1]:9/api/").url == "http://[::1]:9/api"


def test_a_policy_with_an_ambiguous_endpoint_is_refused_at_load(tmp_path: Path) -> None:
    """The policy names file, line and gcp.endpoints.compute; nothing is ever dialled."""
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "environment: test\n"
        "gcp:\n"
        "  project: p\n"
        "  endpoints:\n"
        "    compute: 'https://localhost:1\\@compute.googleapis.com'\n"
        "checks:\n"
        "  c: {kind: tcp, host: 127.0.0.1, port: 1}\n"
    )
    with pytest.raises(PolicyError) as caught:
        load_policy(policy)
    assert caught.value.key == "gcp.endpoints.compute"
    assert caught.value.line == 5
    assert "backslash" in caught.value.message
