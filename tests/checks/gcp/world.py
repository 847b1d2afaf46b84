"""Tests of the GCP check kinds: the real google client libraries against the local FakeGcp.

``GcpWorld`` wraps a started FakeGcp: it edits resources (validating every edit against
Google's discovery documents, so a test cannot drift from the real API's shapes) and runs one
check through the real gate with a CheckContext whose every endpoint points at the fake.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from infra_verify.check import Check
from infra_verify.context import CheckContext
from infra_verify.gate import Gate
from infra_verify.gcp.clients import API_KEYS, GcpSettings
from infra_verify.model import Result
from infra_verify.testing.discovery import validate_resource
from infra_verify.testing.fake_gcp import FakeGcp, load_fixture
from tests.servers.story_world import fixture_path

PROJECT = "netra-staging"
REGION = "us-central1"
API = "api.staging.netrasystems.ai"
AUTH = "auth.staging.netrasystems.ai"
APP = "app.staging.netrasystems.ai"
HOSTS = (API, AUTH, APP)
LB_IP = "34.54.41.44"
GOOGLE = "https://www.googleapis.com/compute/v1"

COMPUTE = f"compute/v1/projects/{PROJECT}"
CERT = f"{COMPUTE}/global/sslCertificates/netra-staging-cert"
ADDRESS = f"{COMPUTE}/global/addresses/netra-staging-lb-ip"
HTTPS_RULE = f"{COMPUTE}/global/forwardingRules/netra-staging-https"
HTTP_RULE = f"{COMPUTE}/global/forwardingRules/netra-staging-http"
HTTPS_PROXY = f"{COMPUTE}/global/targetHttpsProxies/netra-staging-https-proxy"
URL_MAP = f"{COMPUTE}/global/urlMaps/netra-staging-url-map"
REDIRECT_MAP = f"{COMPUTE}/global/urlMaps/netra-staging-redirect"
BACKEND = f"{COMPUTE}/global/backendServices/netra-staging-backend"
NEG = f"{COMPUTE}/regions/{REGION}/networkEndpointGroups/netra-staging-neg"
RUN_SERVICE = f"v2/projects/{PROJECT}/locations/{REGION}/services/netra-backend-staging"
CONNECTOR = f"v1/projects/{PROJECT}/locations/{REGION}/connectors/netra-staging-connector"
CONNECTOR_NAME = f"projects/{PROJECT}/locations/{REGION}/connectors/netra-staging-connector"
SQL = f"v1/projects/{PROJECT}/instances/netra-staging-db"
SQL_CONNECTION = f"{PROJECT}:{REGION}:netra-staging-db"
CM_CERT = f"v1/projects/{PROJECT}/locations/global/certificates/netra-staging-cm-cert"
CM_MAP = f"v1/projects/{PROJECT}/locations/global/certificateMaps/netra-map"
CM_MAP_URL = f"//certificatemanager.googleapis.com/projects/{PROJECT}/locations/global/certificateMaps/netra-map"
RUN_IAM = f"{RUN_SERVICE}:getIamPolicy"
HTTP_PROXY = f"{COMPUTE}/global/targetHttpProxies/netra-staging-http-proxy"
REGIONAL = f"{COMPUTE}/regions/{REGION}"
ZONE = f"dns/v1/projects/{PROJECT}/managedZones/staging-zone"
RRSETS = f"{ZONE}/rrsets"
NAME_SERVERS = tuple(f"ns-cloud-a{i}.googledomains.com." for i in range(1, 5))

HEALTHY: dict[str, dict[str, Any]] = load_fixture(fixture_path(broken=False))
"""The healthy staging fixture, read once; each test's FakeGcp gets its own copy."""


def record_path(name: str, rtype: str = "A") -> str:
    """The fake's REST path of one Cloud DNS record set."""
    return f"{RRSETS}/{name.rstrip('.')}./{rtype}"


def _merged(base: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def link(path: str) -> str:
    """The selfLink URL of a fake REST path."""
    return f"https://www.googleapis.com/{path}"


def backend_service(name: str, neg: str = NEG, region: str | None = None) -> dict[str, Any]:
    """A backend service (global, or regional in ``region``) whose one backend is ``neg``."""
    path = (
        f"{REGIONAL}/backendServices/{name}"
        if region
        else f"{COMPUTE}/global/backendServices/{name}"
    )
    out: dict[str, Any] = {
        "kind": "compute#backendService",
        "name": name,
        "loadBalancingScheme": "EXTERNAL_MANAGED",
        "protocol": "HTTPS",
        "backends": [{"group": link(neg), "balancingMode": "UTILIZATION", "capacityScaler": 1}],
        "selfLink": link(path),
    }
    if region:
        out["region"] = link(f"{COMPUTE}/regions/{region}")
    return out


def serverless_neg(name: str, cloud_run: dict[str, str]) -> dict[str, Any]:
    """A serverless NEG in REGION with the given ``cloudRun`` block."""
    return {
        "kind": "compute#networkEndpointGroup",
        "name": name,
        "networkEndpointType": "SERVERLESS",
        "region": link(f"{COMPUTE}/regions/{REGION}"),
        "cloudRun": cloud_run,
        "selfLink": link(f"{REGIONAL}/networkEndpointGroups/{name}"),
    }


class GcpWorld:
    """A started FakeGcp plus discovery-validated edits and a one-check gate runner."""

    def __init__(self, fake: FakeGcp) -> None:
        self.fake = fake

    def put(self, path: str, resource: Mapping[str, Any]) -> None:
        """Create or replace a resource, after checking it against the discovery document."""
        errors = validate_resource(path, dict(resource))
        assert not errors, errors
        self.fake.put(path, resource)

    def patch(self, path: str, changes: Mapping[str, Any]) -> None:
        """Deep-merge changes (``None`` removes a key) and check the result is a real shape."""
        self.put(path, _merged(self.fake.get(path), changes))

    def settings(self, **overrides: Any) -> GcpSettings:
        """Anonymous settings sending every API to the fake."""
        options: dict[str, Any] = {
            "project": PROJECT,
            "region": REGION,
            "credentials": "anonymous",
            "endpoints": dict.fromkeys(API_KEYS, self.fake.url),
            **overrides,
        }
        return GcpSettings(**options)

    def context(
        self,
        *,
        timeout: float = 3.0,
        environment: str = "test",
        allow_loopback: bool = False,
        gcp: GcpSettings | None = None,
    ) -> CheckContext:
        """A CheckContext reading GCP from the fake."""
        return CheckContext(
            environment=environment,
            timeout=timeout,
            allow_loopback=allow_loopback,
            gcp=gcp or self.settings(),
        )

    def run(self, check: Check, **context: Any) -> Result:
        """Run one check through the real gate (error mapping, timeouts, guards)."""
        return Gate([check], context=self.context(**context)).run().results[0]

    def add_backend(self, name: str, cloud_run: dict[str, str]) -> str:
        """A global backend service ``name`` behind a serverless NEG ``name-neg``; its URL."""
        neg = f"{REGIONAL}/networkEndpointGroups/{name}-neg"
        self.put(neg, serverless_neg(f"{name}-neg", cloud_run))
        self.put(f"{COMPUTE}/global/backendServices/{name}", backend_service(name, neg))
        return link(f"{COMPUTE}/global/backendServices/{name}")

    def add_run_service(self, name: str, **changes: Any) -> None:
        """Another Cloud Run service in REGION, copied from the story's, open to allUsers."""
        service = _merged(self.fake.get(RUN_SERVICE), changes)
        service["name"] = f"projects/{PROJECT}/locations/{REGION}/services/{name}"
        path = f"v2/projects/{PROJECT}/locations/{REGION}/services/{name}"
        self.put(path, service)
        self.put(f"{path}:getIamPolicy", self.fake.get(RUN_IAM))

    def regional_lb(self, ip: str = "34.54.41.45") -> None:
        """A regional external Application Load Balancer in REGION, in front of the story's NEG:
        address, HTTPS and HTTP rules, proxies, URL maps and backend service, all regional."""
        region = link(f"{COMPUTE}/regions/{REGION}")
        cert = f"{REGIONAL}/sslCertificates/netra-regional-cert"
        self.put(
            cert,
            {
                "kind": "compute#sslCertificate",
                "name": "netra-regional-cert",
                "type": "SELF_MANAGED",
                "region": region,
                "selfLink": link(cert),
                "subjectAlternativeNames": list(HOSTS),
            },
        )
        self.put(
            f"{REGIONAL}/addresses/netra-regional-ip",
            {
                "kind": "compute#address",
                "name": "netra-regional-ip",
                "address": ip,
                "addressType": "EXTERNAL",
                "networkTier": "STANDARD",
                "region": region,
                "status": "IN_USE",
            },
        )
        self.put(
            f"{REGIONAL}/backendServices/netra-regional-backend",
            backend_service("netra-regional-backend", region=REGION),
        )
        self.put(
            f"{REGIONAL}/urlMaps/netra-regional-map",
            {
                "kind": "compute#urlMap",
                "name": "netra-regional-map",
                "region": region,
                "defaultService": link(f"{REGIONAL}/backendServices/netra-regional-backend"),
            },
        )
        self.put(
            f"{REGIONAL}/urlMaps/netra-regional-redirect",
            {
                "kind": "compute#urlMap",
                "name": "netra-regional-redirect",
                "region": region,
                "defaultUrlRedirect": {"httpsRedirect": True},
            },
        )
        self.put(
            f"{REGIONAL}/targetHttpsProxies/netra-regional-proxy",
            {
                "kind": "compute#targetHttpsProxy",
                "name": "netra-regional-proxy",
                "region": region,
                "sslCertificates": [link(cert)],
                "urlMap": link(f"{REGIONAL}/urlMaps/netra-regional-map"),
            },
        )
        self.put(
            f"{REGIONAL}/targetHttpProxies/netra-regional-http-proxy",
            {
                "kind": "compute#targetHttpProxy",
                "name": "netra-regional-http-proxy",
                "region": region,
                "urlMap": link(f"{REGIONAL}/urlMaps/netra-regional-redirect"),
            },
        )
        for name, port, target in (
            ("netra-regional-https", "443-443", "targetHttpsProxies/netra-regional-proxy"),
            ("netra-regional-http", "80-80", "targetHttpProxies/netra-regional-http-proxy"),
        ):
            self.put(
                f"{REGIONAL}/forwardingRules/{name}",
                {
                    "kind": "compute#forwardingRule",
                    "name": name,
                    "IPAddress": ip,
                    "IPProtocol": "TCP",
                    "portRange": port,
                    "loadBalancingScheme": "EXTERNAL_MANAGED",
                    "networkTier": "STANDARD",
                    "region": region,
                    "target": link(f"{REGIONAL}/{target}"),
                },
            )

    def requests_to(self, prefix: str) -> int:
        """How many requests the fake received under a REST path prefix."""
        return sum(1 for r in self.fake.requests if r.path.startswith(prefix))
