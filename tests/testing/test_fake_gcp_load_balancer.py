"""FakeGcp serves the load balancer's newer collections (regional resources, backend buckets,
certificate maps and entries, Cloud Run IAM policies) the way the APIs do, and the discovery
validator knows their schemas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from infra_verify.testing.discovery import schema_for_path, validate_resource
from infra_verify.testing.fake_gcp import FakeGcp

FIXTURES = Path(__file__).resolve().parents[2] / "infra_verify" / "testing" / "fixtures"
P = "netra-staging"
RUN = f"v2/projects/{P}/locations/us-central1/services/netra-backend-staging"
MAP = f"v1/projects/{P}/locations/global/certificateMaps/netra-map"
REGIONAL = f"compute/v1/projects/{P}/regions/europe-west1"


@pytest.fixture
def fake() -> Iterator[FakeGcp]:
    """The healthy staging fixture served on loopback."""
    with FakeGcp.from_file(FIXTURES / "staging_healthy.yaml") as server:
        yield server


@pytest.fixture
def http(fake: FakeGcp) -> Iterator[httpx.Client]:
    """An HTTP client bound to the fake's URL."""
    with httpx.Client(base_url=fake.url, timeout=5) as client:
        yield client


def test_iam_policy_is_served_at_its_custom_method(http: httpx.Client) -> None:
    """``services/{s}:getIamPolicy`` answers the stored policy (URL-encoded colon too)."""
    body = http.get(f"/{RUN}:getIamPolicy").json()
    assert body["bindings"] == [{"role": "roles/run.invoker", "members": ["allUsers"]}]
    assert http.get(f"/{RUN}%3AgetIamPolicy").json() == body


def test_service_without_a_policy_has_an_empty_one(fake: FakeGcp, http: httpx.Client) -> None:
    """An existing service with no stored policy answers an empty policy; a missing one 404s."""
    fake.delete(f"{RUN}:getIamPolicy")
    assert http.get(f"/{RUN}:getIamPolicy").json() == {"etag": "ACAB"}
    other = f"v2/projects/{P}/locations/us-central1/services/nope:getIamPolicy"
    assert http.get(f"/{other}").status_code == 404


def test_iam_policies_are_not_listed_as_services(http: httpx.Client) -> None:
    """Listing services never returns the ``:getIamPolicy`` answers stored beside them."""
    body = http.get(f"/v2/projects/{P}/locations/us-central1/services").json()
    assert [s["name"].rsplit("/", 1)[1] for s in body["services"]] == ["netra-backend-staging"]


def test_certificate_map_entries_list_pages(http: httpx.Client) -> None:
    """Entries list under their map with the Certificate Manager envelope and pageSize paging."""
    first = http.get(f"/{MAP}/certificateMapEntries", params={"pageSize": "2"}).json()
    assert len(first["certificateMapEntries"]) == 2 and first["nextPageToken"]
    rest = http.get(
        f"/{MAP}/certificateMapEntries", params={"pageToken": first["nextPageToken"]}
    ).json()
    hosts = {e["hostname"] for e in first["certificateMapEntries"] + rest["certificateMapEntries"]}
    assert hosts == {f"{h}.staging.netrasystems.ai" for h in ("api", "auth", "app")}
    maps = http.get(f"/v1/projects/{P}/locations/global/certificateMaps").json()
    assert [m["name"].rsplit("/", 1)[1] for m in maps["certificateMaps"]] == ["netra-map"]


def test_entries_of_a_missing_map_are_404(http: httpx.Client) -> None:
    """Listing the entries of a map that does not exist answers 404, as the API does."""
    missing = f"v1/projects/{P}/locations/global/certificateMaps/nope/certificateMapEntries"
    assert http.get(f"/{missing}").status_code == 404


@pytest.mark.parametrize(
    ("collection", "kind"),
    [
        (f"{REGIONAL}/forwardingRules", "compute#forwardingRuleList"),
        (f"{REGIONAL}/targetHttpsProxies", "compute#targetHttpsProxyList"),
        (f"{REGIONAL}/targetHttpProxies", "compute#targetHttpProxyList"),
        (f"{REGIONAL}/urlMaps", "compute#urlMapList"),
        (f"{REGIONAL}/backendServices", "compute#backendServiceList"),
        (f"compute/v1/projects/{P}/global/backendBuckets", "compute#backendBucketList"),
        (f"{REGIONAL}/backendBuckets", "compute#backendBucketList"),
        (
            f"compute/v1/projects/{P}/global/networkEndpointGroups",
            "compute#networkEndpointGroupList",
        ),
    ],
)
def test_new_compute_collections_list(
    fake: FakeGcp, http: httpx.Client, collection: str, kind: str
) -> None:
    """Regional load balancer collections and backend buckets list in compute's envelope."""
    fake.put(f"{collection}/one", {"name": "one"})
    body = http.get(f"/{collection}").json()
    assert body["kind"] == kind and [i["name"] for i in body["items"]] == ["one"]


@pytest.mark.parametrize(
    ("path", "schema"),
    [
        (f"{REGIONAL}/forwardingRules/r", ("compute.v1", "ForwardingRule")),
        (f"{REGIONAL}/targetHttpsProxies/p", ("compute.v1", "TargetHttpsProxy")),
        (f"{REGIONAL}/targetHttpProxies/p", ("compute.v1", "TargetHttpProxy")),
        (f"{REGIONAL}/urlMaps/m", ("compute.v1", "UrlMap")),
        (f"{REGIONAL}/backendServices/b", ("compute.v1", "BackendService")),
        (f"compute/v1/projects/{P}/global/backendBuckets/b", ("compute.v1", "BackendBucket")),
        (f"{REGIONAL}/backendBuckets/b", ("compute.v1", "BackendBucket")),
        (
            f"compute/v1/projects/{P}/global/networkEndpointGroups/n",
            ("compute.v1", "NetworkEndpointGroup"),
        ),
        (MAP, ("certificatemanager.v1", "CertificateMap")),
        (f"{MAP}/certificateMapEntries/e", ("certificatemanager.v1", "CertificateMapEntry")),
        (f"{RUN}:getIamPolicy", ("run.v2", "GoogleIamV1Policy")),
        (RUN, ("run.v2", "GoogleCloudRunV2Service")),
    ],
)
def test_new_paths_map_to_their_discovery_schemas(path: str, schema: tuple[str, str]) -> None:
    """Every new resource path is validated against its own discovery schema."""
    assert schema_for_path(path) == schema


def test_validator_catches_mistakes_in_the_new_resources() -> None:
    """Wrong enum, wrong field name and wrong type are caught in the new schemas."""
    entry = f"{MAP}/certificateMapEntries/e"
    assert validate_resource(entry, {"hostname": "a.example.com", "state": "READY"})
    assert validate_resource(f"{RUN}:getIamPolicy", {"bindings": [{"member": "allUsers"}]})
    url_map = {"pathMatchers": [{"name": "pm", "routeRules": [{"priority": "1"}]}]}
    assert validate_resource(f"{REGIONAL}/urlMaps/m", url_map)
    internet = {"networkEndpointType": "INTERNET_FQDN", "defaultPort": "443"}
    neg_path = f"compute/v1/projects/{P}/global/networkEndpointGroups/n"
    assert len(validate_resource(neg_path, internet)) == 2
    assert validate_resource(f"{REGIONAL}/backendBuckets/b", {"bucket": "x"})
    assert validate_resource(f"{RUN}:setIamPolicy", {}) == [
        f"{RUN}:setIamPolicy: no known GCP REST collection holds this path"
    ]
    weighted = {
        "defaultRouteAction": {
            "weightedBackendServices": [{"backendService": "global/backendServices/b", "weight": 1}]
        }
    }
    assert validate_resource(f"{REGIONAL}/urlMaps/m", weighted) == []
