"""FakeGcp speaks the GCP REST wire format: resources, list envelopes, paging, errors, faults."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from infra_verify.testing.fake_gcp import FOREVER, FakeGcp, load_fixture

FIXTURES = Path(__file__).resolve().parents[2] / "infra_verify" / "testing" / "fixtures"
HEALTHY = FIXTURES / "staging_healthy.yaml"
P = "netra-staging"
CERT = f"compute/v1/projects/{P}/global/sslCertificates/netra-staging-cert"
ZONE = f"dns/v1/projects/{P}/managedZones/staging-zone"


@pytest.fixture
def fake() -> Iterator[FakeGcp]:
    """The healthy staging fixture served on loopback."""
    with FakeGcp.from_file(HEALTHY) as server:
        yield server


@pytest.fixture
def http(fake: FakeGcp) -> Iterator[httpx.Client]:
    """An HTTP client bound to the fake's URL."""
    with httpx.Client(base_url=fake.url, timeout=5) as client:
        yield client


def test_get_returns_the_stored_resource(fake: FakeGcp, http: httpx.Client) -> None:
    """A GET of a resource path answers 200 with the fixture's JSON."""
    reply = http.get(f"/{CERT}")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("application/json")
    assert reply.json() == fake.get(CERT)


def test_unknown_resource_is_a_google_404_envelope(http: httpx.Client) -> None:
    """A missing resource answers Google's error envelope with code and status."""
    reply = http.get(f"/compute/v1/projects/{P}/global/urlMaps/nope")
    assert reply.status_code == 404
    error = reply.json()["error"]
    assert error["code"] == 404
    assert error["status"] == "NOT_FOUND"
    assert "urlMaps/nope" in error["message"]


@pytest.mark.parametrize(
    ("collection", "key", "kind", "count"),
    [
        (
            f"compute/v1/projects/{P}/global/forwardingRules",
            "items",
            "compute#forwardingRuleList",
            2,
        ),
        (f"compute/v1/projects/{P}/regions/us-central1/networkEndpointGroups", "items", None, 1),
        (f"v2/projects/{P}/locations/us-central1/services", "services", None, 1),
        (f"v1/projects/{P}/locations/us-central1/connectors", "connectors", None, 1),
        (f"v1/projects/{P}/locations/global/certificates", "certificates", None, 1),
        (f"v1/projects/{P}/instances", "items", "sql#instancesList", 1),
        (f"sql/v1beta4/projects/{P}/instances", "items", "sql#instancesList", 1),
        (f"dns/v1/projects/{P}/managedZones", "managedZones", "dns#managedZonesListResponse", 1),
        (f"{ZONE}/rrsets", "rrsets", "dns#resourceRecordSetsListResponse", 5),
    ],
)
def test_lists_use_each_apis_envelope(
    http: httpx.Client, collection: str, key: str, kind: str | None, count: int
) -> None:
    """Each collection lists its direct children under the API's own items key."""
    body = http.get(f"/{collection}").json()
    assert len(body[key]) == count
    if kind:
        assert body["kind"] == kind
    assert "nextPageToken" not in body


def test_empty_collection_is_200_without_items(http: httpx.Client) -> None:
    """An empty list answers 200 and omits the items key, as proto3 JSON does."""
    empty = http.get(f"/v2/projects/{P}/locations/europe-west1/services")
    assert empty.status_code == 200
    assert empty.json() == {}


def test_rrsets_of_a_missing_zone_is_404(http: httpx.Client) -> None:
    """Listing record sets of a zone that does not exist answers 404."""
    assert http.get(f"/dns/v1/projects/{P}/managedZones/other/rrsets").status_code == 404


def test_paging_follows_tokens_and_honours_max_results(http: httpx.Client) -> None:
    """maxResults splits a list into pages linked by nextPageToken."""
    names: list[str] = []
    token = ""
    pages = 0
    while True:
        params = {"maxResults": "2", **({"pageToken": token} if token else {})}
        body = http.get(f"/{ZONE}/rrsets", params=params).json()
        pages += 1
        names += [f"{r['name']}{r['type']}" for r in body["rrsets"]]
        token = body.get("nextPageToken", "")
        if not token:
            break
    assert pages == 3
    assert len(names) == len(set(names)) == 5


def test_server_page_size_and_page_size_param(fake: FakeGcp, http: httpx.Client) -> None:
    """The fake's page_size pages every list; a smaller pageSize wins."""
    fake.put(f"v2/projects/{P}/locations/us-central1/services/second", {"name": "second"})
    fake.page_size = 5
    assert (
        "nextPageToken" not in http.get(f"/v2/projects/{P}/locations/us-central1/services").json()
    )
    body = http.get(f"/v2/projects/{P}/locations/us-central1/services?pageSize=1").json()
    assert len(body["services"]) == 1
    assert body["nextPageToken"]


def test_bad_page_token_is_400(http: httpx.Client) -> None:
    """An invalid pageToken answers 400 INVALID_ARGUMENT."""
    reply = http.get(f"/{ZONE}/rrsets", params={"pageToken": "garbage"})
    assert reply.status_code == 400
    assert reply.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_rrsets_filter_by_name_and_type(http: httpx.Client) -> None:
    """Cloud DNS name and type filters select matching record sets only."""
    body = http.get(
        f"/{ZONE}/rrsets", params={"name": "staging.netrasystems.ai.", "type": "NS"}
    ).json()
    assert [(r["name"], r["type"]) for r in body["rrsets"]] == [("staging.netrasystems.ai.", "NS")]
    body = http.get(f"/{ZONE}/rrsets", params={"name": "nope.staging.netrasystems.ai."}).json()
    assert "rrsets" not in body


def test_put_patch_delete_change_what_is_served(fake: FakeGcp, http: httpx.Client) -> None:
    """patch deep-merges (None removes a key) and delete makes the resource 404."""
    fake.patch(CERT, {"managed": {"status": "PROVISIONING"}, "expireTime": None})
    body = http.get(f"/{CERT}").json()
    assert body["managed"]["status"] == "PROVISIONING"
    assert body["managed"]["domains"]
    assert "expireTime" not in body
    fake.delete(CERT)
    assert http.get(f"/{CERT}").status_code == 404
    fake.put(CERT, {"name": "netra-staging-cert"})
    assert http.get(f"/{CERT}").json() == {"name": "netra-staging-cert"}


def test_injected_statuses_are_answered_in_order_then_recover(
    fake: FakeGcp, http: httpx.Client
) -> None:
    """inject(statuses=[429, 503]) answers those, then the real resource."""
    fake.inject(CERT, statuses=[429, 503])
    codes = [http.get(f"/{CERT}").status_code for _ in range(3)]
    assert codes == [429, 503, 200]
    assert http.get(f"/{CERT}").json()["name"] == "netra-staging-cert"


def test_forever_fault_keeps_repeating_the_last_status(fake: FakeGcp, http: httpx.Client) -> None:
    """times=FOREVER repeats the last injected status on every matching request."""
    fake.inject("compute/", statuses=[500], times=FOREVER)
    assert {http.get(f"/{CERT}").status_code for _ in range(4)} == {500}
    assert http.get(f"/{ZONE}").status_code == 200
    fake.clear_faults()
    assert http.get(f"/{CERT}").status_code == 200


def test_injected_delay_and_malformed_json(fake: FakeGcp, http: httpx.Client) -> None:
    """A delayed fault answers late; a malformed one answers JSON that does not parse."""
    fake.inject(CERT, delay=0.3, malformed=True, times=1)
    start = time.monotonic()
    reply = http.get(f"/{CERT}")
    assert time.monotonic() - start >= 0.3
    with pytest.raises(ValueError):
        reply.json()
    assert http.get(f"/{CERT}").json()["name"] == "netra-staging-cert"


def test_requests_are_recorded_with_headers_and_query(fake: FakeGcp, http: httpx.Client) -> None:
    """Each request is logged with its path, query and lower-cased headers."""
    http.get(f"/{ZONE}/rrsets", params={"name": "x."}, headers={"Authorization": "Bearer t"})
    recorded = fake.requests[-1]
    assert recorded.method == "GET"
    assert recorded.path == f"{ZONE}/rrsets"
    assert recorded.query == {"name": ["x."]}
    assert recorded.headers["authorization"] == "Bearer t"


def test_writes_are_refused(http: httpx.Client) -> None:
    """The fake is read-only: a POST answers 501 UNIMPLEMENTED."""
    reply = http.post(f"/{CERT}", json={})
    assert reply.status_code == 501
    assert reply.json()["error"]["status"] == "UNIMPLEMENTED"


def test_fixture_with_unquoted_timestamp_is_rejected(tmp_path: Path) -> None:
    """A timestamp YAML turned into a date is reported instead of served wrongly."""
    fixture = tmp_path / "f.yaml"
    fixture.write_text(f"{CERT}:\n  expireTime: 2027-02-15T00:00:00Z\n")
    with pytest.raises(ValueError, match="quote it"):
        load_fixture(fixture)


def test_stop_returns_promptly_with_a_delayed_request_in_flight() -> None:
    """Stopping cuts delayed answers short instead of waiting for them: the answer is due in
    300 s, so a stop that waited would trip pytest-timeout's 120 s guard."""
    fake = FakeGcp({CERT: {"name": "c"}}).start()
    fake.inject(CERT, delay=300, times=FOREVER)
    with httpx.Client(base_url=fake.url, timeout=0.3) as client, pytest.raises(httpx.ReadTimeout):
        client.get(f"/{CERT}")
    fake.stop()


def default_sigint() -> None:
    """In the child: Ctrl-C's default action, even when this run was started with SIGINT ignored
    (a background job of a non-interactive shell), so Python installs its KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_cli_serves_a_fixture_until_interrupted() -> None:
    """python -m infra_verify.testing.fake_gcp prints its URL, serves, and exits on Ctrl-C."""
    process = subprocess.Popen(
        [sys.executable, "-m", "infra_verify.testing.fake_gcp", "--fixture", str(HEALTHY)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=default_sigint,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        url = first.rsplit(" ", 1)[-1].strip()
        assert url.startswith("http://127.0.0.1:")
        reply = httpx.get(f"{url}/{CERT}", timeout=60)
        assert reply.json()["name"] == "netra-staging-cert"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=120) == 0  # a hang guard for a loaded machine, not a timing
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
