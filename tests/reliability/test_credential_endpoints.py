"""Google credentials go only to Google: endpoint spellings that parsers read differently.

A TLS server on loopback, trusted through REQUESTS_CA_BUNDLE, records every request it gets,
and a local OAuth token endpoint hands out a known token. A policy whose endpoint override
hides that loopback server behind ``compute.googleapis.com`` must be refused at load (exit 2)
with nothing sent to either server.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from infra_verify.testing.certs import CertFactory

from .conftest import cli_env, run_cli

TOKEN = "ya29.RECORDED-TOKEN"


class _Recorder(BaseHTTPRequestHandler):
    """Record method, path and Authorization of every request; answer JSON."""

    seen: list[tuple[str, str, str | None]]

    def _record(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.seen.append(  # type: ignore[attr-defined]
            (self.command, self.path, self.headers.get("authorization"))
        )
        token = {"access_token": TOKEN, "expires_in": 3600}
        body = json.dumps(token if self.command == "POST" else {"error": {"code": 404}}).encode()
        self.send_response(200 if self.command == "POST" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _record

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""


def _serve(context: ssl.SSLContext | None) -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.seen = []  # type: ignore[attr-defined]
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def tls_recorder(certs: CertFactory) -> Iterator[ThreadingHTTPServer]:
    """An HTTPS recorder on 127.0.0.1 with a certificate for localhost and 127.0.0.1."""
    yield from _serve(certs.valid("localhost", "127.0.0.1").server_context())


@pytest.fixture
def token_recorder() -> Iterator[ThreadingHTTPServer]:
    """A plain-HTTP OAuth token endpoint (the ADC file's token_uri) that records its calls."""
    yield from _serve(None)


def _adc_file(path: Path, token_uri: str) -> Path:
    """A service-account ADC file whose token endpoint is ``token_uri``."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "netra-staging",
        "private_key_id": "dummy",
        "private_key": pem,
        "client_email": "gate@netra-staging.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": token_uri,
    }
    path.write_text(json.dumps(info))
    return path


#: Endpoint spellings around a loopback PORT: each hides the host that is really dialled.
SPELLINGS = [
    "https://localhost:{port}\\@compute.googleapis.com",
    "https://127.0.0.1:{port}\\@compute.googleapis.com",
    "https://localhost:{port}\\\\@compute.googleapis.com",
    "https://compute.googleapis.com@127.0.0.1:{port}",
    "https://127.0.0.1:{port}#@compute.googleapis.com",
    "https://compute.googleapis.com%2F@127.0.0.1:{port}",
    "https://localhost:{port}/\\@compute.googleapis.com",
]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_no_authorization_reaches_a_loopback_server_behind_a_google_name(
    tmp_path: Path,
    tls_recorder: ThreadingHTTPServer,
    token_recorder: ThreadingHTTPServer,
    certs: CertFactory,
    spelling: str,
) -> None:
    """An endpoint that parsers read differently is refused (exit 2); no credential is sent."""
    port = tls_recorder.server_address[1]
    endpoint = spelling.format(port=port)
    token_port = token_recorder.server_address[1]
    adc = _adc_file(tmp_path / "adc.json", f"http://127.0.0.1:{token_port}/token")
    ca = certs.write_ca_bundle(tmp_path / "ca.pem")
    policy = tmp_path / "policy.yaml"
    url = json.dumps(endpoint)  # a JSON string is a YAML double-quoted scalar
    policy.write_text(
        "environment: test\n"
        "gcp:\n"
        "  project: netra-staging\n"
        "  credentials: adc\n"
        f"  endpoints: {{compute: {url}, sqladmin: {url}}}\n"
        "checks:\n"
        "  cert: {kind: gcp.managed_certificate, name: netra-staging-cert}\n"
        "  sql: {kind: gcp.cloud_sql_instance, instance: netra-staging-db}\n"
    )
    env = cli_env(
        GOOGLE_APPLICATION_CREDENTIALS=str(adc),
        GCE_METADATA_HOST="127.0.0.1:9",
        REQUESTS_CA_BUNDLE=str(ca),
        SSL_CERT_FILE=str(ca),
    )
    proc = run_cli(["--policy", str(policy), "--format", "json", "--timeout", "5s"], env=env)
    seen = tls_recorder.seen  # type: ignore[attr-defined]
    tokens = token_recorder.seen  # type: ignore[attr-defined]
    assert [auth for _, _, auth in seen if auth] == [], seen
    assert tokens == [], "ADC was loaded and a token requested"
    assert TOKEN not in proc.stdout + proc.stderr
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "gcp.endpoints." in proc.stderr
