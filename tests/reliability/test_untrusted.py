"""Untrusted policies and credentials: what a policy can make the gate send, and to whom.

A network tripwire wraps ``socket.connect`` for these tests: a connection to anything but
loopback is refused and recorded, so a broken guard fails the test instead of reaching out.
"""

from __future__ import annotations

import ast
import json
import logging
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from infra_verify.check import Check
from infra_verify.checks.http import Http
from infra_verify.checks.postgres import Postgres
from infra_verify.checks.tcp import Tcp
from infra_verify.checks.tls import Tls
from infra_verify.checks.websocket import WebSocket
from infra_verify.context import CheckContext
from infra_verify.gate import Gate, GateRun
from infra_verify.guard import is_loopback
from infra_verify.model import Status
from infra_verify.reporters import REPORTERS, ReportOptions, render
from infra_verify.testing.certs import CertFactory
from infra_verify.testing.fake_gcp import FakeGcp
from tests.checks.gcp.world import HEALTHY
from tests.servers.web_server import WebServer

from .conftest import ROOT, cli_env, run_cli

FORMATS = sorted(REPORTERS)


# -- a tripwire for any connection that is not loopback -------------------------------------


@pytest.fixture(autouse=True)
def tripwire(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Refuse and record every socket connect to a non-loopback address in this process."""
    import socket

    seen: list[Any] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def allowed(address: Any) -> bool:
        return not isinstance(address, tuple) or is_loopback(str(address[0]))

    def connect(self: socket.socket, address: Any) -> None:
        if not allowed(address):
            seen.append(address)
            raise ConnectionRefusedError(f"tripwire: {address} is not loopback")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not allowed(address):
            seen.append(address)
            return 111
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return seen


def run(checks: list[Check], **context: Any) -> GateRun:
    """Run checks in the 'test' environment with a 2 s timeout."""
    context.setdefault("environment", "test")
    return Gate(checks, context=CheckContext(timeout=2.0, **context), infer=False).run()


def every_format(gate_run: GateRun, ctx: CheckContext | None = None) -> dict[str, str]:
    """The run rendered in every registered format, with the run's redactor."""
    opts = ReportOptions(verbose=2, redactor=ctx.redactor if ctx else None)
    return {fmt: render(fmt, gate_run, opts) for fmt in FORMATS}


# -- ADC never goes to a custom endpoint unless the CLI says so --------------------------------


class _TokenHandler(BaseHTTPRequestHandler):
    """An OAuth token endpoint that hands out one well-known access token."""

    calls: list[str] = []

    def do_POST(self) -> None:
        """Answer every token request with ya29.SECRET."""
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).calls.append(self.path)
        body = json.dumps({"access_token": "ya29.SECRET", "expires_in": 3600}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""


@pytest.fixture
def token_server() -> Iterator[ThreadingHTTPServer]:
    """A local OAuth token endpoint (the ADC file's token_uri points here)."""
    _TokenHandler.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TokenHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _service_account(token_uri: str) -> dict[str, str]:
    """A service-account key file whose token endpoint is ``token_uri``.

    google-auth ignores ``token_uri`` in ``authorized_user`` files (it always uses Google's),
    but honours it for service accounts, so ADC works offline against a local token server.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": "netra-staging",
        "private_key_id": "dummy",
        "private_key": pem,
        "client_email": "gate@netra-staging.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": token_uri,
    }


ADC_POLICY = """\
environment: test
gcp:
  project: netra-staging
  region: us-central1
  credentials: adc
  endpoints: {{compute: "{url}", sqladmin: "{url}"}}
checks:
  cert: {{kind: gcp.managed_certificate, name: netra-staging-cert}}
  sql: {{kind: gcp.cloud_sql_instance, instance: netra-staging-db}}
"""


@pytest.mark.parametrize("allow", [False, True], ids=["default", "opted-in"])
def test_adc_token_is_not_sent_to_a_custom_endpoint(
    tmp_path: Path, token_server: ThreadingHTTPServer, allow: bool
) -> None:
    """A policy pointing GCP APIs at a local server sends it no credential unless the CLI opts in."""
    adc = tmp_path / "adc.json"
    host, port = token_server.server_address[:2]
    adc.write_text(json.dumps(_service_account(f"http://{host!s}:{port}/token")))
    with FakeGcp(HEALTHY) as recorder:
        policy = tmp_path / "policy.yaml"
        policy.write_text(ADC_POLICY.format(url=recorder.url))
        flags = ["--allow-credentials-to-custom-endpoints"] if allow else []
        env = cli_env(GOOGLE_APPLICATION_CREDENTIALS=str(adc), GCE_METADATA_HOST="127.0.0.1:9")
        proc = run_cli(["--policy", str(policy), "--format", "json", *flags], env=env)
        seen = [(r.path, r.headers.get("authorization")) for r in recorder.requests]
    compute = [auth for path, auth in seen if path.startswith("compute/")]
    sql = [auth for path, auth in seen if "/instances/" in path]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert compute and sql, "the checks never read their resources"
    if allow:
        # compute's client signs its own JWT with the key; the REST session uses the token
        assert all(a is not None and a.startswith("Bearer ey") for a in compute), compute
        assert set(sql) == {"Bearer ya29.SECRET"}, sql
        assert _TokenHandler.calls
    else:
        assert compute == [None] * len(compute) and sql == [None] * len(sql)
        assert _TokenHandler.calls == []  # ADC was not even loaded
    assert "ya29.SECRET" not in proc.stdout + proc.stderr


def test_a_policy_cannot_grant_itself_credentials(tmp_path: Path) -> None:
    """There is no policy key that allows credentials to custom endpoints: exit 2 naming it."""
    policy = tmp_path / "policy.yaml"
    text = ADC_POLICY.format(url="http://127.0.0.1:9").replace(
        "  credentials: adc\n",
        "  credentials: adc\n  allow_credentials_to_custom_endpoints: true\n",
    )
    policy.write_text(text)
    proc = run_cli(["--policy", str(policy)])
    assert proc.returncode == 2
    assert "unknown key 'allow_credentials_to_custom_endpoints'" in proc.stderr


# -- the cloud metadata server ----------------------------------------------------------------

METADATA_HOSTS = [
    "169.254.169.254",
    "metadata.google.internal",
    "METADATA.Google.Internal.",
    "[fd00:ec2::254]",
    "[fd00:ec2:0::254]",
    "[::ffff:169.254.169.254]",
    "0xa9fea9fe",
    "2852039166",
    "0251.0376.0251.0376",
]


@pytest.fixture
def recorder() -> Iterator[WebServer]:
    """A plain-HTTP server on loopback that records every request (the pins point here)."""
    with WebServer() as web:
        web.route("/computeMetadata/v1/", 200, "metadata!")
        web.route("/latest/meta-data/", 200, "metadata!")
        web.websocket("/ws")
        yield web


@pytest.mark.parametrize("host", METADATA_HOSTS)
def test_metadata_url_fails_without_sending_a_packet(
    recorder: WebServer, host: str, tripwire: list[Any]
) -> None:
    """An http check on a metadata address (any spelling) FAILs; the pinned server sees nothing."""
    url = f"http://{host}:{recorder.port}/computeMetadata/v1/"
    check = Http(url=url, resolve="127.0.0.1")
    result = run([check]).results[0]
    assert result.status is Status.FAIL and result.terminal, result.summary
    assert "metadata server" in result.summary
    assert recorder.requests == [] and tripwire == []


def test_allow_metadata_lets_the_request_through(recorder: WebServer) -> None:
    """With allow_metadata (the --allow-metadata flag) the same check reaches the server."""
    url = f"http://metadata.google.internal:{recorder.port}/computeMetadata/v1/"
    result = run([Http(url=url, resolve="127.0.0.1")], allow_metadata=True).results[0]
    assert result.status is Status.PASS, result.summary
    assert len(recorder.requests) == 1


@pytest.mark.parametrize(
    "check",
    [
        Tcp(host="169.254.169.254", port=80),
        Tls(host="metadata.google.internal", port=443, ip="169.254.169.254"),
        Postgres(host="169.254.169.254", port=5432),
        WebSocket(url="ws://[fd00:ec2::254]/ws"),
        WebSocket(url="ws://metadata.google.internal/ws", resolve="169.254.169.254"),
    ],
    ids=["tcp", "tls", "postgres", "websocket-v6", "websocket-pin"],
)
def test_every_kind_refuses_the_metadata_server(check: Check, tripwire: list[Any]) -> None:
    """tcp, tls, postgres and websocket checks on the metadata server FAIL before connecting."""
    result = run([check]).results[0]
    assert result.status is Status.FAIL and "metadata server" in result.summary, result.summary
    assert tripwire == []


def test_redirect_to_the_metadata_server_is_not_followed(
    recorder: WebServer, tripwire: list[Any]
) -> None:
    """A followed redirect to the metadata server FAILs at that hop; nothing reaches it."""
    token_url = "http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/token"
    recorder.route("/go", 302, "", {"Location": token_url})
    check = Http(
        url=recorder.url("/go"), follow_redirects=True, headers={"Metadata-Flavor": "Google"}
    )
    result = run([check]).results[0]
    assert result.status is Status.FAIL, result.summary
    assert "metadata server" in result.summary and "redirected to" in result.summary
    assert tripwire == []
    assert [r.path for r in recorder.requests] == ["/go"]


# -- bodies in reports are bounded and redacted ----------------------------------------------

TOKEN = "ya29.a0AfB_byC" + "Q" * 120
PASSWORD_LINE = "password=hunter2-very-secret"


def test_huge_body_is_truncated_and_redacted_in_every_format(recorder: WebServer) -> None:
    """A 1 MB body with a token in it: every report shows a bounded snippet, the token masked."""
    body = f'{{"access_token": "{TOKEN}", "note": "{PASSWORD_LINE}", "pad": "' + "z" * 1_000_000
    recorder.route("/big", 200, body + '"}')
    run_ = run([Http(url=recorder.url("/big"), body_contains="all good")])
    result = run_.results[0]
    assert result.status is Status.FAIL
    for fmt, text in every_format(run_).items():
        assert TOKEN[:20] not in text and "hunter2" not in text, fmt
        longest = max((len(m) for m in re.findall(r"z+", text)), default=0)
        assert longest <= 300, f"{fmt}: {longest} body characters"
        assert len(text) < 50_000, f"{fmt}: {len(text)} characters"


# -- TLS verification ------------------------------------------------------------------------


def test_verify_false_is_a_warning_in_every_format(certs: CertFactory) -> None:
    """verify: false passes a self-signed site, and every report format carries the warning."""
    cert = certs.self_signed("api.test.example")
    with WebServer(ssl_context=cert.server_context()) as site:
        url = f"https://api.test.example:{site.port}/health"
        strict = run([Http(id="strict", url=url, resolve="127.0.0.1")])
        lax = run([Http(id="lax", url=url, resolve="127.0.0.1", verify=False)])
    assert strict.results[0].status is Status.FAIL  # verification is on by default
    assert "verif" in strict.results[0].summary
    assert lax.results[0].status is Status.PASS and lax.results[0].warnings
    for fmt, text in every_format(lax).items():
        assert "verify: false" in text or "verification is turned off" in text, fmt


# -- no code execution from a policy ------------------------------------------------------------

PACKAGE = ROOT / "infra_verify"
SAFE_LOADERS = {"SafeLoader", "CSafeLoader"}


def _safe_loader(loader: ast.expr | None, assigned: dict[str, ast.expr]) -> bool:
    """A SafeLoader by name, or a module-level name bound to an expression of safe loaders only."""
    if isinstance(loader, ast.Name) and loader.id in assigned:
        loader = assigned[loader.id]
    names = [
        n.attr if isinstance(n, ast.Attribute) else n.value
        for n in ast.walk(loader or ast.Constant(None))
        if isinstance(n, ast.Attribute)
        or (isinstance(n, ast.Constant) and isinstance(n.value, str))
    ]
    return bool(names) and all(n in SAFE_LOADERS for n in names)


def _findings(tree: ast.AST, where: str) -> Iterator[str]:
    assigned: dict[str, ast.expr] = {}
    for stmt in getattr(tree, "body", []):
        if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            assigned.update({t.id: stmt.value for t in targets if isinstance(t, ast.Name)})
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if isinstance(func, ast.Name) and name in {"eval", "exec"}:
                yield f"{where}:{node.lineno}: {name}()"
            for kw in node.keywords:
                if kw.arg == "shell" and not (
                    isinstance(kw.value, ast.Constant) and kw.value.value is False
                ):
                    yield f"{where}:{node.lineno}: shell=..."
            base = getattr(func, "value", None)
            if isinstance(base, ast.Name) and base.id == "yaml":
                if name in {"unsafe_load", "full_load", "unsafe_load_all", "full_load_all"}:
                    yield f"{where}:{node.lineno}: yaml.{name}"
                if name in {"load", "load_all", "compose", "compose_all"}:
                    loader = next((k.value for k in node.keywords if k.arg == "Loader"), None)
                    if loader is None and len(node.args) > 1:
                        loader = node.args[1]
                    if not _safe_loader(loader, assigned):
                        yield f"{where}:{node.lineno}: yaml.{name} without SafeLoader"
            if isinstance(base, ast.Name) and base.id in {"pickle", "marshal"}:
                yield f"{where}:{node.lineno}: {base.id}.{name}"
            if isinstance(base, ast.Name) and base.id == "os" and name in {"system", "popen"}:
                yield f"{where}:{node.lineno}: os.{name}"


def test_no_eval_exec_shell_or_unsafe_yaml_in_the_package() -> None:
    """No eval/exec, no shell=True, no os.system, no pickle and only safe YAML loading."""
    problems: list[str] = []
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 20
    for path in files:
        problems += _findings(ast.parse(path.read_text(), str(path)), str(path.relative_to(ROOT)))
    text = "\n".join(p.read_text() for p in files)
    assert "yaml.Loader" not in text and "UnsafeLoader" not in text and "FullLoader" not in text
    assert not problems, "\n".join(problems)


def test_the_scanner_finds_what_it_looks_for() -> None:
    """The AST scan flags each forbidden construct (so an empty result above means something)."""
    bad = (
        "eval('1')\nexec('x')\nsubprocess.run('ls', shell=True)\nyaml.load(t)\n"
        "yaml.load(t, Loader=yaml.Loader)\nyaml.unsafe_load(t)\nos.system('ls')\npickle.loads(b)\n"
        "yaml.load(t, Loader=yaml.SafeLoader)\nyaml.load(t, Loader=SAFE)\n"
        "yaml.compose(t, Loader=UNSAFE)\n"
        "SAFE = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)\n"
        "UNSAFE = getattr(yaml, 'CLoader', yaml.Loader)\n"
    )
    found = list(_findings(ast.parse(bad), "x"))
    assert len(found) == 9, found
    assert found[-1] == "x:11: yaml.compose without SafeLoader"


# -- every secret source, redacted everywhere -----------------------------------------------------


_ECHO_FIRST = {"authorization", "x-api-key"}


class _EchoHandler(BaseHTTPRequestHandler):
    """Echoes the request headers into a 500 body (a debug page that leaks everything)."""

    def do_GET(self) -> None:
        """Answer with the request's headers as the body."""
        first = sorted(self.headers.items(), key=lambda kv: kv[0].lower() not in _ECHO_FIRST)
        body = "".join(f"{k}: {v}\n" for k, v in first).encode()
        self.send_response(500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""


@pytest.fixture
def echo() -> Iterator[str]:
    """A local server echoing request headers in its body; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


DSN_PASSWORD = "dsn-pw-Zq81!x"
BEARER = "tok3n-Bearer-Secret-77"
API_KEY = "k3y-from-env-5512"


def test_every_secret_source_is_redacted_in_logs_results_and_every_format(
    echo: str, caplog: pytest.LogCaptureFixture
) -> None:
    """DSN passwords, env header values and Authorization never appear in logs or any report."""
    env = {
        "DATABASE_URL": f"postgresql://app:{DSN_PASSWORD}@127.0.0.1:9/app",
        "AUTH": f"Bearer {BEARER}",
        "API_KEY": API_KEY,
    }
    checks: list[Check] = [
        Postgres(id="db", dsn_env="DATABASE_URL"),
        Http(
            id="api",
            url=f"{echo}/debug",
            status=(500,),
            body_contains="all good",
            headers_from_env={"Authorization": "AUTH", "X-Api-Key": "API_KEY"},
        ),
        WebSocket(
            id="ws",
            url=f"{echo.replace('http', 'ws')}/ws",
            headers_from_env={"X-Api-Key": "API_KEY"},
        ),
    ]
    ctx = CheckContext(environment="test", timeout=2.0, env=env)
    with caplog.at_level(logging.DEBUG):
        gate_run = Gate(checks, context=ctx, infer=False).run()
    assert [r.status for r in gate_run.results] == [Status.ERROR, Status.FAIL, Status.FAIL]
    said = [repr(r) for r in gate_run.results] + [caplog.text]
    said += list(every_format(gate_run, ctx).values())
    said += list(every_format(gate_run).values())  # even without the run's redactor
    api = gate_run.by_id("api")
    assert "X-Api-Key: ***" in repr(api.observations)  # the echo really carried the secret
    for text in said:
        for secret in (DSN_PASSWORD, BEARER, API_KEY):
            assert secret not in text, (secret, text[:500])


def test_junit_and_sarif_stay_parseable_with_secrets_masked(echo: str) -> None:
    """Masking happens before encoding: the JUnit XML and SARIF JSON still parse."""
    env = {"AUTH": "Bearer <&\"secret'>value-123"}
    check = Http(id="api", url=f"{echo}/x", headers_from_env={"Authorization": "AUTH"})
    ctx = CheckContext(environment="test", timeout=2.0, env=env)
    gate_run = Gate([check], context=ctx).run()
    reports = every_format(gate_run, ctx)
    ET.fromstring(reports["junit"])
    json.loads(reports["sarif"])
    json.loads(reports["json"])
    assert all("secret'>value-123" not in t for t in reports.values())
