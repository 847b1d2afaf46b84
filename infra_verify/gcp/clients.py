"""Build and cache the Google Cloud clients the checks read with.

Nothing here imports google.* at module import time; each client is built (and its library
imported) on first use. Credentials are Application Default Credentials with the
``cloud-platform`` scope (the compute, run, vpcaccess and sqladmin read methods accept no
narrower one; the principal stays read-only through its IAM roles), or anonymous ones for
tests and local fakes. ADC tokens are only ever sent to Google API hosts over HTTPS: an
endpoint override pointing anywhere else gets anonymous credentials unless
``allow_credentials_to_custom_endpoints`` is set.

==================  ==========================================  ==============================
API key             client                                      REST paths (see fake_gcp)
==================  ==========================================  ==============================
compute             google.cloud.compute_v1.*Client (REST)      compute/v1/projects/...
run                 google.cloud.run_v2.ServicesClient (REST)   v2/projects/.../services/...
vpcaccess           google.cloud.vpcaccess_v1 (REST)            v1/projects/.../connectors/...
dns                 google.cloud.dns.Client (JSON connection)   dns/v1/projects/...
sqladmin            google-auth AuthorizedSession               v1/projects/{p}/instances/...
certificatemanager  google-auth AuthorizedSession               v1/projects/.../certificates/...
artifactregistry    google-auth AuthorizedSession               v1/projects/.../packages/.../tags/...
networkmanagement   google-auth AuthorizedSession               v1/projects/.../connectivityTests/...
==================  ==========================================  ==============================

Cloud Run *revisions* are read as plain REST too (``run`` session): the google-cloud-run proto
drops ``containerStatuses`` (the digest each container runs).

``cloudresourcemanager`` (Resource Manager v1: ``v1/projects/{p}`` and its ``:getIamPolicy``)
is read like sqladmin, through a google-auth AuthorizedSession (see ``gcp/projects.py``).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from infra_verify.gcp.endpoints import EndpointError, parse_endpoint

__all__ = [
    "API_KEYS",
    "DEFAULT_ENDPOINTS",
    "READ_ONLY_SCOPE",
    "GcpClients",
    "GcpSettings",
    "credentials_mode",
    "is_google_api_endpoint",
]

READ_ONLY_SCOPE = "https://www.googleapis.com/auth/cloud-platform"  # read-only by IAM roles

DEFAULT_ENDPOINTS: Mapping[str, str] = {
    "compute": "https://compute.googleapis.com",
    "run": "https://run.googleapis.com",
    "dns": "https://dns.googleapis.com",
    "sqladmin": "https://sqladmin.googleapis.com",
    "vpcaccess": "https://vpcaccess.googleapis.com",
    "certificatemanager": "https://certificatemanager.googleapis.com",
    "cloudresourcemanager": "https://cloudresourcemanager.googleapis.com",
    "artifactregistry": "https://artifactregistry.googleapis.com",
    "networkmanagement": "https://networkmanagement.googleapis.com",
}
API_KEYS = frozenset(DEFAULT_ENDPOINTS)

_LIBRARIES = (
    "google.auth.transport.requests",
    "google.cloud.compute_v1",
    "google.cloud.run_v2",
    "google.cloud.vpcaccess_v1",
    "google.cloud.dns",
)

COMPUTE_CLIENTS = frozenset(
    {
        "SslCertificatesClient",
        "RegionSslCertificatesClient",
        "GlobalAddressesClient",
        "GlobalForwardingRulesClient",
        "TargetHttpsProxiesClient",
        "TargetHttpProxiesClient",
        "UrlMapsClient",
        "BackendServicesClient",
        "RegionNetworkEndpointGroupsClient",
        "NetworksClient",
        # the regional external Application Load Balancer, and backend buckets
        "AddressesClient",
        "ForwardingRulesClient",
        "RegionTargetHttpsProxiesClient",
        "RegionTargetHttpProxiesClient",
        "RegionUrlMapsClient",
        "RegionBackendServicesClient",
        "BackendBucketsClient",
        # internet (global) NEGs and regional backend buckets
        "GlobalNetworkEndpointGroupsClient",
        "RegionBackendBucketsClient",
    }
)


@dataclass(frozen=True)
class GcpSettings:
    """Where and as whom to read GCP: project, region, credentials and endpoint overrides."""

    project: str
    region: str = "us-central1"
    credentials: Literal["adc", "anonymous"] = "adc"
    endpoints: Mapping[str, str] = field(default_factory=dict)
    allow_credentials_to_custom_endpoints: bool = False

    def __post_init__(self) -> None:
        unknown = set(self.endpoints) - API_KEYS
        if unknown:
            raise ValueError(f"unknown GCP endpoint keys {sorted(unknown)}; use {sorted(API_KEYS)}")
        if self.credentials not in ("adc", "anonymous"):
            raise ValueError(f"credentials must be 'adc' or 'anonymous', not {self.credentials!r}")
        canonical: dict[str, str] = {}
        for api, raw in self.endpoints.items():
            if not raw:
                continue
            try:
                canonical[api] = parse_endpoint(raw).url
            except EndpointError as exc:
                raise EndpointError(f"gcp.endpoints.{api}: {exc}") from None
        # the client libraries get the canonical URL: the host they dial is the host judged
        object.__setattr__(self, "endpoints", canonical)

    def endpoint(self, api: str) -> str:
        """The endpoint for one API key: the override, or Google's default."""
        if api not in API_KEYS:
            raise ValueError(f"unknown GCP API {api!r}; use one of {sorted(API_KEYS)}")
        return self.endpoints.get(api) or DEFAULT_ENDPOINTS[api]


def is_google_api_endpoint(endpoint: str) -> bool:
    """True if ``endpoint`` is an HTTPS ``*.googleapis.com`` host (PSC ``*.p.`` names included).

    Decided by the strict parser (:mod:`infra_verify.gcp.endpoints`) on the host the transport
    dials; an endpoint that parser refuses is never Google's.
    """
    try:
        return parse_endpoint(endpoint).is_google
    except EndpointError:
        return False


def credentials_mode(settings: GcpSettings, api: str) -> Literal["adc", "anonymous"]:
    """Which credentials to send to one API: never ADC to a foreign endpoint unless allowed."""
    if settings.credentials == "anonymous":
        return "anonymous"
    if is_google_api_endpoint(settings.endpoint(api)):
        return "adc"
    return "adc" if settings.allow_credentials_to_custom_endpoints else "anonymous"


class GcpClients:
    """Lazily built, cached, thread-safe google-cloud clients for one GcpSettings."""

    def __init__(self, settings: GcpSettings) -> None:
        self.settings = settings
        self._lock = threading.RLock()
        self._cache: dict[str, Any] = {}
        self._adc: Any = None
        self._adc_project: str | None = None

    @property
    def project(self) -> str:
        """The project every read targets."""
        return self.settings.project

    def credentials(self, api: str) -> Any:
        """The google-auth credentials to use for one API (loading ADC on first need)."""
        if credentials_mode(self.settings, api) == "anonymous":
            from google.auth.credentials import AnonymousCredentials

            return AnonymousCredentials()  # type: ignore[no-untyped-call]
        with self._lock:
            if self._adc is None:
                import google.auth

                self._adc, self._adc_project = google.auth.default(scopes=[READ_ONLY_SCOPE])
            return self._adc

    def adc_project(self) -> str:
        """The project Application Default Credentials name (blocking; '' when none)."""
        if self.settings.credentials != "adc":
            return ""
        try:
            self.credentials("compute")
        except Exception as exc:
            from infra_verify.gcp.errors import map_error

            raise map_error(exc, role="", what="Application Default Credentials") from exc
        return str(getattr(self, "_adc_project", "") or "")

    def _cached(self, key: str, build: Any) -> Any:
        with self._lock:
            if key not in self._cache:
                self._cache[key] = build()
            return self._cache[key]

    def _options(self, api: str) -> dict[str, str]:
        return {"api_endpoint": self.settings.endpoint(api)}

    def compute(self, name: str) -> Any:
        """A google.cloud.compute_v1 client by class name, e.g. ``"SslCertificatesClient"``."""
        if name not in COMPUTE_CLIENTS:
            raise ValueError(f"unsupported compute client {name!r}")

        def build() -> Any:
            from google.cloud import compute_v1

            client_class = getattr(compute_v1, name)
            return client_class(
                credentials=self.credentials("compute"),
                client_options=self._options("compute"),
                transport="rest",
            )

        return self._cached(f"compute.{name}", build)

    def run_services(self) -> Any:
        """A google.cloud.run_v2.ServicesClient over REST."""

        def build() -> Any:
            from google.cloud import run_v2

            return run_v2.ServicesClient(
                credentials=self.credentials("run"),
                client_options=self._options("run"),
                transport="rest",
            )

        return self._cached("run", build)

    def vpc_access(self) -> Any:
        """A google.cloud.vpcaccess_v1.VpcAccessServiceClient over REST."""

        def build() -> Any:
            from google.cloud import vpcaccess_v1

            return vpcaccess_v1.VpcAccessServiceClient(
                credentials=self.credentials("vpcaccess"),
                client_options=self._options("vpcaccess"),
                transport="rest",
            )

        return self._cached("vpcaccess", build)

    def dns(self) -> Any:
        """A google.cloud.dns.Client; reads go through its JSON connection's ``api_request``."""

        def build() -> Any:
            from google.cloud import dns  # type: ignore[attr-defined]

            return dns.Client(
                project=self.project,
                credentials=self.credentials("dns"),
                client_options=self._options("dns"),
            )

        return self._cached("dns", build)

    def session(self, api: str) -> Any:
        """A google-auth AuthorizedSession for APIs read as plain REST (sqladmin, certificatemanager,
        cloudresourcemanager)."""

        def build() -> Any:
            from google.auth.transport.requests import AuthorizedSession

            return AuthorizedSession(self.credentials(api))  # type: ignore[no-untyped-call]

        return self._cached(f"session.{api}", build)

    @staticmethod
    def preload() -> None:
        """Import the client libraries now (seconds of work) so no read's time budget pays it."""
        for module in _LIBRARIES:
            importlib.import_module(module)

    def close(self) -> None:
        """Close cached HTTP sessions and transports."""
        with self._lock:
            clients, self._cache = list(self._cache.values()), {}
        for client in clients:
            closer = getattr(getattr(client, "transport", None), "close", None)
            closer = closer or getattr(client, "close", None)
            if callable(closer):
                closer()
