"""The story's staging stack, offline: the fake GCP API plus live DNS, HTTPS and WebSocket on loopback.

``StoryWorld(broken=True)`` is the story: no A records (in Cloud DNS and in live DNS), the
managed certificate stuck with FAILED_NOT_VISIBLE, the Cloud Run service without its VPC
connector. ``broken=False`` is the healthy stack. The load balancer's IP is moved to 127.0.0.1
everywhere, so the live probes stay on loopback; the run must pass ``--allow-loopback``.
"""

from __future__ import annotations

import tempfile
from importlib import resources
from pathlib import Path
from typing import Self

from infra_verify.testing.certs import CertFactory
from infra_verify.testing.fake_gcp import FakeGcp
from infra_verify.testing.lifecycle import StartStop
from tests.servers.dns_server import DnsServer
from tests.servers.web_server import WebServer

DOMAIN = "staging.netrasystems.ai"
HOSTS = tuple(f"{h}.{DOMAIN}" for h in ("api", "auth", "app"))
STORY_IP = "34.54.41.44"
LOCAL_IP = "127.0.0.1"
PROJECT = "netra-staging"
NAME_SERVERS = tuple(f"ns-cloud-a{i}.googledomains.com" for i in range(1, 5))
OLD_REVISION = "netra-backend-staging-00003-xyz"
BAD_REVISION = "netra-backend-staging-00004-bad"
BAD_IMAGE = "us-docker.pkg.dev/netra-staging/netra/backend:2026-12-07"
BAD_DIGEST = "sha256:" + "9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d" * 2
BAD_MESSAGE = (
    "The user-provided container failed to start and listen on the port defined provided by "
    "the PORT=8000 environment variable within the allocated timeout."
)


def fixture_path(broken: bool) -> Path:
    """The fake-API fixture file of the broken or healthy staging stack."""
    name = "staging_broken.yaml" if broken else "staging_healthy.yaml"
    return Path(str(resources.files("infra_verify.testing") / "fixtures" / name))


class StoryWorld(StartStop):
    """Starts the fake GCP API, a DNS server and an HTTPS+WebSocket server for policies/staging.yaml."""

    def __init__(self, *, broken: bool = True) -> None:
        self.broken = broken
        self._tmp = tempfile.TemporaryDirectory(prefix="infra-verify-story-")
        self.certs = CertFactory()
        self.gcp = FakeGcp.from_file(fixture_path(broken))
        self.dns = DnsServer()
        self.served = self.certs.valid(*HOSTS)
        """The certificate the 'load balancer' serves; the fake API's ACTIVE certificate has its
        PEM, so the gate's cross-check (gcp.certificate_served) sees the API and the wire agree."""
        self.web = WebServer(ssl_context=self.served.server_context())
        self.env: dict[str, str] = {}

    def start(self) -> Self:
        """Start everything and fill ``env`` with the staging policy's overrides."""
        self._move_ip_to_loopback()
        self.gcp.start()
        self.dns.add_zone(DOMAIN)
        self.dns.set(DOMAIN, "NS", [f"{ns}." for ns in NAME_SERVERS], ttl=3600)
        self.dns.add_zone("googledomains.com")
        for ns in NAME_SERVERS:
            self.dns.set(ns, "A", [LOCAL_IP])
        if not self.broken:
            for host in HOSTS:
                self.dns.set(host, "A", [LOCAL_IP], ttl=300)
        self.dns.start()
        self.web.websocket("/ws", echo=True)
        self.web.start()
        ca = self.certs.write_ca_bundle(Path(self._tmp.name) / "story-ca.pem")
        self.env = {
            "GCP_ENDPOINT": self.gcp.url,
            "GCP_CREDENTIALS": "anonymous",
            "DNS_RESOLVER": self.dns.resolver,
            "DNS_RESOLVER_2": self.dns.resolver,
            "DNS_NS_PORT": str(self.dns.port),
            "LB_IP": LOCAL_IP,
            "HTTPS_PORT": str(self.web.port),
            "CA_BUNDLE": str(ca),
            "DATABASE_URL": "postgresql+asyncpg://netra:story-db-password@10.20.0.3:5432/netra",
            "SECRET_KEY": "story-secret-key",
            "ENVIRONMENT": "staging",
        }
        return self

    def _move_ip_to_loopback(self) -> None:
        """Replace the story's public IP with 127.0.0.1 in every fake-API resource."""
        base = f"compute/v1/projects/{PROJECT}/global"
        self.gcp.patch(f"{base}/addresses/netra-staging-lb-ip", {"address": LOCAL_IP})
        self.gcp.patch(
            f"{base}/sslCertificates/netra-staging-cert",
            {"certificate": self.served.cert_pem.decode()},
        )
        for rule in ("netra-staging-https", "netra-staging-http"):
            self.gcp.patch(f"{base}/forwardingRules/{rule}", {"IPAddress": LOCAL_IP})
        if not self.broken:
            zone = f"dns/v1/projects/{PROJECT}/managedZones/staging-zone/rrsets"
            for host in HOSTS:
                self.gcp.patch(f"{zone}/{host}./A", {"rrdatas": [LOCAL_IP]})

    def fix_dns(self) -> None:
        """Publish the A records (Cloud DNS and live), as the fix for the story's root cause."""
        zone = f"dns/v1/projects/{PROJECT}/managedZones/staging-zone/rrsets"
        for host in HOSTS:
            self.gcp.put(
                f"{zone}/{host}./A",
                {
                    "kind": "dns#resourceRecordSet",
                    "name": f"{host}.",
                    "type": "A",
                    "ttl": 300,
                    "rrdatas": [LOCAL_IP],
                },
            )
            self.dns.set(host, "A", [LOCAL_IP], ttl=300)

    def heal(self) -> None:
        """Fix everything the broken story lacks: A records, then the certificate and the connector."""
        self.fix_dns()
        cert = f"compute/v1/projects/{PROJECT}/global/sslCertificates/netra-staging-cert"
        self.gcp.patch(
            cert,
            {
                "expireTime": "2027-02-15T00:00:00.000-08:00",
                "managed": {"status": "ACTIVE", "domainStatus": dict.fromkeys(HOSTS, "ACTIVE")},
            },
        )
        service = f"v2/projects/{PROJECT}/locations/us-central1/services/netra-backend-staging"
        self.gcp.patch(
            service,
            {
                "template": {
                    "vpcAccess": {
                        "connector": f"projects/{PROJECT}/locations/us-central1/connectors/netra-staging-connector",
                        "egress": "PRIVATE_RANGES_ONLY",
                    }
                }
            },
        )

    def bad_deploy(self, image: str = BAD_IMAGE) -> str:
        """Deploy ``image`` as a new revision that fails to start: traffic stays on the old
        revision (so /health still answers 200); returns the image, for the policy's ${IMAGE}."""
        service = f"v2/projects/{PROJECT}/locations/us-central1/services/netra-backend-staging"
        revisions = (
            f"projects/{PROJECT}/locations/us-central1/services/netra-backend-staging/revisions"
        )
        old = self.gcp.get(f"{service}/revisions/{OLD_REVISION}")
        new = {
            **old,
            "name": f"{revisions}/{BAD_REVISION}",
            "uid": "7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6",
            "createTime": "2026-12-07T05:00:00.000Z",
            "containers": [{**old["containers"][0], "image": image}],
            "containerStatuses": [{"imageDigest": f"{image.rsplit(':', 1)[0]}@{BAD_DIGEST}"}],
            "conditions": [
                {
                    "type": "Ready",
                    "state": "CONDITION_FAILED",
                    "message": BAD_MESSAGE,
                    "lastTransitionTime": "2026-12-07T05:04:00.000Z",
                },
                {"type": "ContainerHealthy", "state": "CONDITION_FAILED", "message": BAD_MESSAGE},
            ],
        }
        self.gcp.put(f"{service}/revisions/{BAD_REVISION}", new)
        tag = image.rsplit(":", 1)[1]
        package = f"projects/{PROJECT}/locations/us/repositories/netra/packages/backend"
        self.gcp.put(
            f"v1/{package}/tags/{tag}",
            {"name": f"{package}/tags/{tag}", "version": f"{package}/versions/{BAD_DIGEST}"},
        )
        self.gcp.patch(
            service,
            {
                "latestCreatedRevision": f"{revisions}/{BAD_REVISION}",
                "terminalCondition": {
                    "state": "CONDITION_FAILED",
                    "message": f"Revision '{BAD_REVISION}' is not ready and cannot serve "
                    f"traffic. {BAD_MESSAGE}",
                },
            },
        )
        self.env["IMAGE"] = image
        return image

    def stop(self) -> None:
        """Stop everything."""
        self.web.stop()
        self.dns.stop()
        self.gcp.stop()
        self._tmp.cleanup()
