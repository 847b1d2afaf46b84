"""The real google-cloud clients, built by GcpClients, reading from FakeGcp over loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infra_verify.gcp import reads
from infra_verify.gcp.clients import GcpClients, GcpSettings, credentials_mode
from infra_verify.gcp.errors import (
    GcpBadResponse,
    GcpNotFound,
    GcpPermissionDenied,
    GcpUnavailable,
)
from infra_verify.testing.fake_gcp import FOREVER, FakeGcp

SettingsFor = Callable[..., GcpSettings]

P = "netra-staging"
Read = Callable[[GcpClients, float], Any]

READS: dict[str, tuple[Read, str]] = {
    "ssl_certificate": (
        lambda c, t: reads.get_ssl_certificate(c, "netra-staging-cert", timeout=t),
        f"compute/v1/projects/{P}/global/sslCertificates/netra-staging-cert",
    ),
    "global_address": (
        lambda c, t: reads.get_global_address(c, "netra-staging-lb-ip", timeout=t),
        f"compute/v1/projects/{P}/global/addresses/netra-staging-lb-ip",
    ),
    "forwarding_rule": (
        lambda c, t: reads.get_forwarding_rule(c, "netra-staging-https", timeout=t),
        f"compute/v1/projects/{P}/global/forwardingRules/netra-staging-https",
    ),
    "target_https_proxy": (
        lambda c, t: reads.get_target_https_proxy(c, "netra-staging-https-proxy", timeout=t),
        f"compute/v1/projects/{P}/global/targetHttpsProxies/netra-staging-https-proxy",
    ),
    "target_http_proxy": (
        lambda c, t: reads.get_target_http_proxy(c, "netra-staging-http-proxy", timeout=t),
        f"compute/v1/projects/{P}/global/targetHttpProxies/netra-staging-http-proxy",
    ),
    "url_map": (
        lambda c, t: reads.get_url_map(c, "netra-staging-url-map", timeout=t),
        f"compute/v1/projects/{P}/global/urlMaps/netra-staging-url-map",
    ),
    "backend_service": (
        lambda c, t: reads.get_backend_service(c, "netra-staging-backend", timeout=t),
        f"compute/v1/projects/{P}/global/backendServices/netra-staging-backend",
    ),
    "region_neg": (
        lambda c, t: reads.get_region_neg(c, "us-central1", "netra-staging-neg", timeout=t),
        f"compute/v1/projects/{P}/regions/us-central1/networkEndpointGroups/netra-staging-neg",
    ),
    "connector": (
        lambda c, t: reads.get_connector(c, "us-central1", "netra-staging-connector", timeout=t),
        f"v1/projects/{P}/locations/us-central1/connectors/netra-staging-connector",
    ),
    "sql_instance": (
        lambda c, t: reads.get_sql_instance(c, "netra-staging-db", timeout=t),
        f"v1/projects/{P}/instances/netra-staging-db",
    ),
    "managed_zone": (
        lambda c, t: reads.get_managed_zone(c, "staging-zone", timeout=t),
        f"dns/v1/projects/{P}/managedZones/staging-zone",
    ),
    "zone_by_dns_name": (
        lambda c, t: reads.find_managed_zone_by_dns_name(c, "staging.netrasystems.ai", timeout=t),
        f"dns/v1/projects/{P}/managedZones/staging-zone",
    ),
    "certificate_manager": (
        lambda c, t: reads.get_certificate_manager_certificate(
            c, "global", "netra-staging-cm-cert", timeout=t
        ),
        f"v1/projects/{P}/locations/global/certificates/netra-staging-cm-cert",
    ),
}

RUN_PATH = f"v2/projects/{P}/locations/us-central1/services/netra-backend-staging"
ZONE = f"dns/v1/projects/{P}/managedZones/staging-zone"

# One read per API family: each maps errors through a different client stack.
FAMILIES: dict[str, tuple[Read, str]] = {
    "compute": READS["forwarding_rule"],
    "run": (
        lambda c, t: reads.get_run_service(c, "us-central1", "netra-backend-staging", timeout=t),
        RUN_PATH,
    ),
    "vpcaccess": READS["connector"],
    "sqladmin": READS["sql_instance"],
    "dns": READS["managed_zone"],
    "certificatemanager": READS["certificate_manager"],
}
ROLE_OF = {
    "compute": "roles/compute.viewer",
    "run": "roles/run.viewer",
    "vpcaccess": "roles/vpcaccess.viewer",
    "sqladmin": "roles/cloudsql.viewer",
    "dns": "roles/dns.reader",
    "certificatemanager": "roles/certificatemanager.viewer",
}


@pytest.mark.parametrize("name", sorted(READS))
def test_read_returns_the_rest_json_the_fake_serves(
    name: str, fake: FakeGcp, clients: GcpClients
) -> None:
    """Each typed read returns exactly the REST JSON resource the API sent."""
    read, path = READS[name]
    assert read(clients, 5.0) == fake.get(path)


def test_run_service_read_keeps_rest_names_and_enum_names(clients: GcpClients) -> None:
    """A Cloud Run read comes back camelCase with enum names, as the REST API sends it."""
    service = reads.get_run_service(clients, "us-central1", "netra-backend-staging", timeout=5)
    assert service["terminalCondition"]["state"] == "CONDITION_SUCCEEDED"
    assert service["traffic"] == [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100}]
    assert service["latestReadyRevision"] == service["latestCreatedRevision"]
    assert service["ingress"] == "INGRESS_TRAFFIC_ALL"
    assert service["template"]["vpcAccess"]["egress"] == "PRIVATE_RANGES_ONLY"
    assert service["generation"] == "3"


def test_regional_ssl_certificate_uses_the_regional_path(
    fake: FakeGcp, clients: GcpClients
) -> None:
    """Passing a region reads the certificate from the regional sslCertificates collection."""
    path = f"compute/v1/projects/{P}/regions/us-central1/sslCertificates/regional-cert"
    fake.put(path, {"name": "regional-cert", "type": "SELF_MANAGED"})
    cert = reads.get_ssl_certificate(clients, "regional-cert", region="us-central1", timeout=5)
    assert cert == {"name": "regional-cert", "type": "SELF_MANAGED"}
    assert fake.requests[-1].path == path


def test_list_rrsets_follows_next_page_token_across_pages(
    fake: FakeGcp, clients: GcpClients
) -> None:
    """All record sets are returned when the API pages one record set at a time."""
    fake.page_size = 1
    rrsets = reads.list_rrsets(clients, "staging-zone", timeout=5)
    assert [(r["name"], r["type"]) for r in rrsets] == [
        ("api.staging.netrasystems.ai.", "A"),
        ("app.staging.netrasystems.ai.", "A"),
        ("auth.staging.netrasystems.ai.", "A"),
        ("staging.netrasystems.ai.", "NS"),
        ("staging.netrasystems.ai.", "SOA"),
    ]
    tokens = [r.query.get("pageToken", [""])[0] for r in fake.requests]
    assert tokens == ["", "o1", "o2", "o3", "o4"]


def test_list_rrsets_filters_by_name_and_type(fake: FakeGcp, clients: GcpClients) -> None:
    """Name and type filters are sent to the API and only matching record sets return."""
    rrsets = reads.list_rrsets(
        clients, "staging-zone", "api.staging.netrasystems.ai", "a", timeout=5
    )
    assert rrsets == [fake.get(f"{ZONE}/rrsets/api.staging.netrasystems.ai./A")]
    assert fake.requests[-1].query["name"] == ["api.staging.netrasystems.ai."]
    assert fake.requests[-1].query["type"] == ["A"]


def test_find_managed_zone_by_dns_name_returns_none_when_absent(clients: GcpClients) -> None:
    """Looking up a DNS name no zone serves returns None rather than raising."""
    assert reads.find_managed_zone_by_dns_name(clients, "example.org", timeout=5) is None


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_missing_resource_raises_gcp_not_found(
    family: str, fake: FakeGcp, clients: GcpClients
) -> None:
    """A 404 from any API becomes GcpNotFound naming the resource."""
    read, path = FAMILIES[family]
    fake.delete(path)
    with pytest.raises(GcpNotFound, match="was not found") as caught:
        read(clients, 5.0)
    assert caught.value.__cause__ is not None
    assert caught.value.status_code == 404


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_forbidden_raises_permission_denied_naming_the_role(
    family: str, fake: FakeGcp, clients: GcpClients
) -> None:
    """A persistent 403 is retried once, then becomes GcpPermissionDenied naming the role."""
    read, path = FAMILIES[family]
    fake.inject(path, statuses=[403], times=FOREVER)
    with pytest.raises(GcpPermissionDenied, match=ROLE_OF[family]):
        read(clients, 5.0)
    assert sum(r.path == path for r in fake.requests) == 2


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_transient_errors_are_retried_until_success(
    family: str, fake: FakeGcp, clients: GcpClients
) -> None:
    """Two 503s then a 200 return the resource after three attempts."""
    read, path = FAMILIES[family]
    fake.inject(path, statuses=[503, 429])
    assert read(clients, 10.0)
    assert sum(r.path == path for r in fake.requests) == 3


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_persistent_500_gives_up_within_the_timeout(
    family: str, fake: FakeGcp, clients: GcpClients
) -> None:
    """A server that keeps failing yields GcpUnavailable once the timeout is spent, not a hang
    (pytest-timeout's 120 s guard): it retried, then stopped retrying."""
    read, path = FAMILIES[family]
    fake.inject(path, statuses=[500], times=FOREVER)
    with pytest.raises(GcpUnavailable, match="HTTP 500"):
        read(clients, 1.5)
    assert sum(r.path == path for r in fake.requests) >= 3


def test_slow_answer_times_out_within_the_budget(fake: FakeGcp, clients: GcpClients) -> None:
    """An answer slower than the timeout becomes GcpUnavailable naming the timeout, not a hang:
    the answer would take 300 s, past pytest-timeout's 120 s guard."""
    read, path = FAMILIES["compute"]
    fake.inject(path, delay=300, times=FOREVER)
    with pytest.raises(GcpUnavailable, match="timed out"):
        read(clients, 1.0)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_malformed_json_raises_bad_response(
    family: str, fake: FakeGcp, clients: GcpClients
) -> None:
    """A 200 with broken JSON becomes GcpBadResponse, without retrying."""
    read, path = FAMILIES[family]
    fake.inject(path, malformed=True, times=1)
    with pytest.raises(GcpBadResponse, match="malformed"):
        read(clients, 5.0)


def test_connection_refused_becomes_unavailable_within_the_timeout(
    settings_for: SettingsFor,
) -> None:
    """A closed port yields GcpUnavailable (no hang: pytest-timeout's guard)."""
    clients = GcpClients(settings_for(f"http://127.0.0.1:{_closed_port()}"))
    with pytest.raises(GcpUnavailable, match="could not be read"):
        reads.get_url_map(clients, "netra-staging-url-map", timeout=1.0)


@pytest.mark.parametrize(
    ("credentials", "endpoint", "allow", "expected"),
    [
        ("anonymous", "https://compute.googleapis.com", False, "anonymous"),
        ("adc", "https://compute.googleapis.com", False, "adc"),
        ("adc", "compute.googleapis.com", False, "adc"),
        ("adc", "https://compute-vpc1.p.googleapis.com", False, "adc"),
        ("adc", "http://127.0.0.1:8080", False, "anonymous"),
        ("adc", "http://127.0.0.1:8080", True, "adc"),
        ("adc", "http://compute.googleapis.com", False, "anonymous"),
        ("adc", "https://compute.googleapis.com.evil.example", False, "anonymous"),
        # userinfo spellings ("...googleapis.com@evil.example") are refused outright:
        # tests/gcp/test_endpoints.py
        ("adc", "https://googleapis.com", False, "anonymous"),
    ],
)
def test_adc_is_only_sent_to_google_api_hosts(
    credentials: str, endpoint: str, allow: bool, expected: str
) -> None:
    """ADC goes only to HTTPS *.googleapis.com endpoints unless custom hosts are allowed."""
    settings = GcpSettings(
        project=P,
        credentials=credentials,  # type: ignore[arg-type]
        endpoints={"compute": endpoint},
        allow_credentials_to_custom_endpoints=allow,
    )
    assert credentials_mode(settings, "compute") == expected


def test_adc_settings_with_custom_endpoint_send_no_authorization(
    fake: FakeGcp, settings_for: SettingsFor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With credentials=adc and a loopback endpoint, ADC is never loaded nor sent."""
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/adc.json")
    clients = GcpClients(settings_for(fake.url, credentials="adc"))
    for read, _ in FAMILIES.values():
        read(clients, 5.0)
    assert len(fake.requests) == len(FAMILIES)
    assert all("authorization" not in r.headers for r in fake.requests)


def test_settings_reject_unknown_endpoint_keys() -> None:
    """A typo in an endpoint key is an error, not a silently ignored override."""
    with pytest.raises(ValueError, match="unknown GCP endpoint keys"):
        GcpSettings(project=P, endpoints={"cloudsql": "http://127.0.0.1:1"})


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_no_adc_raises_unauthenticated_quickly(fake: FakeGcp, tmp_path: Path) -> None:
    """Without any ADC source, a read fails fast with GcpUnauthenticated and the gcloud hint."""
    metadata = f"127.0.0.1:{_closed_port()}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GOOGLE_", "GCE_", "CLOUDSDK_"))
    }
    env.update(
        HOME=str(tmp_path),
        CLOUDSDK_CONFIG=str(tmp_path / "gcloud"),
        GCE_METADATA_HOST=metadata,
        GCE_METADATA_IP=metadata,
        NO_GCE_CHECK="true",
    )
    script = textwrap.dedent(
        f"""
        import json
        from infra_verify.gcp import reads
        from infra_verify.gcp.clients import GcpClients, GcpSettings, DEFAULT_ENDPOINTS
        from infra_verify.gcp.errors import GcpUnauthenticated
        settings = GcpSettings(
            project="netra-staging", credentials="adc",
            endpoints=dict.fromkeys(DEFAULT_ENDPOINTS, {fake.url!r}),
            allow_credentials_to_custom_endpoints=True,
        )
        try:
            reads.get_url_map(GcpClients(settings), "netra-staging-url-map", timeout=5)
        except GcpUnauthenticated as exc:
            print(json.dumps({{"error": str(exc), "chained": exc.__cause__ is not None}}))
        """
    )
    done = subprocess.run(  # the timeout is a hang guard, not a measurement
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert "gcloud auth application-default login" in result["error"]
    assert result["chained"]
    assert fake.requests == []


def test_importing_the_gcp_layer_imports_no_google_module() -> None:
    """infra_verify.gcp and the fake import without loading any google.* module."""
    script = (
        "import sys\n"
        "import infra_verify, infra_verify.gcp.clients, infra_verify.gcp.reads\n"
        "import infra_verify.gcp.calls, infra_verify.gcp.errors\n"
        "import infra_verify.testing.fake_gcp, infra_verify.testing.discovery\n"
        "print(sorted(m for m in sys.modules if m == 'google' or m.startswith('google.')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_read_with_no_time_left_fails_fast_without_a_request(
    fake: FakeGcp, clients: GcpClients
) -> None:
    """A zero budget yields GcpUnavailable at once and sends nothing."""
    with pytest.raises(GcpUnavailable, match="time budget was spent"):
        reads.get_url_map(clients, "netra-staging-url-map", timeout=0)
    assert fake.requests == []


def test_preload_imports_the_client_libraries() -> None:
    """preload() imports every client library up front, in a fresh interpreter."""
    script = (
        "import sys\n"
        "from infra_verify.gcp.clients import GcpClients\n"
        "GcpClients.preload()\n"
        "print('google.cloud.compute_v1' in sys.modules, 'google.cloud.dns' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]
