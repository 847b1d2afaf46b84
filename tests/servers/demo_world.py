"""The offline demo's world: a DNS server and an HTTPS + WebSocket server on loopback.

``api.demo.test`` and ``app.demo.test`` point at the HTTPS server; ``auth.demo.test`` points at
the wrong address (127.0.0.2), so the gate has one broken link to find. Pure Python: no root,
no system packages, no internet.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Self

from infra_verify.testing.certs import CertFactory
from infra_verify.testing.lifecycle import StartStop
from tests.servers.dns_server import DnsServer
from tests.servers.web_server import WebServer

HOSTS = ("api.demo.test", "auth.demo.test", "app.demo.test")
WRONG_ADDRESS = "127.0.0.2"


class DemoWorld(StartStop):
    """Starts the demo's servers; ``env`` holds the variables policies/demo.yaml reads."""

    def __init__(self, *, broken: bool = True) -> None:
        self.broken = broken
        self._tmp = tempfile.TemporaryDirectory(prefix="infra-verify-demo-")
        self.certs = CertFactory()
        self.dns = DnsServer()
        self.web = WebServer(ssl_context=self.certs.valid(*HOSTS).server_context())
        self.env: dict[str, str] = {}

    def start(self) -> Self:
        """Start both servers and fill ``env``."""
        self.dns.add_zone("demo.test")
        for host in HOSTS:
            wrong = self.broken and host.startswith("auth.")
            self.dns.set(host, "A", [WRONG_ADDRESS if wrong else "127.0.0.1"], ttl=300)
        self.dns.start()
        self.web.websocket("/ws", echo=True)
        self.web.start()
        ca = self.certs.write_ca_bundle(Path(self._tmp.name) / "demo-ca.pem")
        self.env = {
            "DEMO_RESOLVER": self.dns.resolver,
            "DEMO_HTTPS_PORT": str(self.web.port),
            "DEMO_CA_BUNDLE": str(ca),
            "DEMO_IP": "127.0.0.1",
            "DATABASE_URL": "postgresql://app:demo-password@db.demo.test:5432/app",
            "SECRET_KEY": "demo-secret-key",
            "ENVIRONMENT": "demo",
        }
        return self

    def stop(self) -> None:
        """Stop the servers and remove the temporary files."""
        self.web.stop()
        self.dns.stop()
        self._tmp.cleanup()
