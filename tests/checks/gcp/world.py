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

    def requests_to(self, prefix: str) -> int:
        """How many requests the fake received under a REST path prefix."""
        return sum(1 for r in self.fake.requests if r.path.startswith(prefix))
