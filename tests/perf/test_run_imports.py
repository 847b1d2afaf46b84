"""A plain dns + tls + http run imports no heavy library; a check that needs one still gets it.

Each run is a fresh interpreter (``python -c``) loading a policy file and running the gate
against real loopback servers (a DNS server, an HTTPS server with the tests' CA); it prints
its verdicts and which of the watched modules it imported.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra_verify.testing.certs import CertFactory
from tests.perf.python_process import python_stdout
from tests.servers.dns_server import DnsServer
from tests.servers.web_server import WebServer

HOST = "api.test.example"
HEAVY = ("httpx", "httpcore", "cryptography", "dns", "click", "rich", "pygments")
"""httpx (with click, rich and pygments, which its ``__init__`` pulls in when installed),
cryptography and dnspython: what the run path used to import."""

RUN = (
    "import json, sys\n"
    "from infra_verify.gate import Gate\n"
    "gate = Gate.from_policy(sys.argv[1], environment='local', allow_outside_policy_dir=True)\n"
    "run = gate.run()\n"
    "print(json.dumps({'statuses': {r.id: r.status.value for r in run.results},\n"
    "    'summaries': {r.id: r.summary for r in run.results},\n"
    "    'modules': sorted(m for m in sys.argv[2].split(',') if m in sys.modules)}))\n"
)


@pytest.fixture(scope="module")
def world(
    certs: CertFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[DnsServer, WebServer, WebServer, Path]]:
    """A DNS server naming HOST at 127.0.0.1, an HTTPS server for HOST (trusted CA) and one
    with a self-signed certificate, and the CA bundle."""
    ca = certs.write_ca_bundle(tmp_path_factory.mktemp("ca") / "ca.pem")
    good = WebServer(ssl_context=certs.valid(HOST).server_context())
    good.route("/old", 301, "", {"Location": "/health"})
    untrusted = WebServer(ssl_context=certs.self_signed(HOST).server_context())
    with DnsServer({HOST: "127.0.0.1"}) as dns, good, untrusted:
        dns.set(HOST, "TXT", '"v=spf1 -all"')
        yield dns, good, untrusted, ca


def _run(tmp_path: Path, world: tuple[DnsServer, WebServer, WebServer, Path], checks: str) -> Any:
    dns, _, _, ca = world
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "environment: local\n"
        "defaults:\n"
        "  timeout: 20s\n"
        f'  resolvers: ["{dns.resolver}"]\n'
        f'  ca_bundle: "{ca}"\n'
        "checks:\n" + checks
    )
    stdout = python_stdout("-c", RUN, str(policy), ",".join(HEAVY))
    return json.loads(stdout.strip().splitlines()[-1])


def test_plain_dns_tls_http_run_imports_no_heavy_library(
    tmp_path: Path, world: tuple[DnsServer, WebServer, WebServer, Path]
) -> None:
    """dns (A with expect), tls and http, all passing, import none of httpx, cryptography,
    dnspython, click, rich or pygments."""
    port = world[1].port
    seen = _run(
        tmp_path,
        world,
        f"  d: {{kind: dns, name: {HOST}, type: A, expect: [127.0.0.1]}}\n"
        f"  t: {{kind: tls, host: {HOST}, port: {port}}}\n"
        f'  h: {{kind: http, url: "https://{HOST}:{port}/health"}}\n'
        f'  r: {{kind: http, url: "https://{HOST}:{port}/old", follow_redirects: true}}\n',
    )
    assert seen["statuses"] == {"d": "pass", "t": "pass", "h": "pass", "r": "pass"}, seen
    assert seen["modules"] == [], seen


def test_failing_plain_run_imports_no_heavy_library(
    tmp_path: Path, world: tuple[DnsServer, WebServer, WebServer, Path]
) -> None:
    """A wrong A record, a 404 and a certificate for another name are judged without them."""
    port = world[1].port
    seen = _run(
        tmp_path,
        world,
        f"  d: {{kind: dns, name: {HOST}, type: A, expect: [127.0.0.9]}}\n"
        f"  t: {{kind: tls, host: other.test.example, port: {port}, ip: 127.0.0.1}}\n"
        f'  h: {{kind: http, url: "https://{HOST}:{port}/missing", resolve: 127.0.0.1}}\n',
    )
    assert seen["statuses"] == {"d": "fail", "t": "fail", "h": "fail"}, seen
    assert "got api.test.example" in seen["summaries"]["t"]
    assert "→ 404 Not Found" in seen["summaries"]["h"]
    assert seen["modules"] == [], seen


def test_checks_that_need_a_heavy_library_import_it_and_still_work(
    tmp_path: Path, world: tuple[DnsServer, WebServer, WebServer, Path]
) -> None:
    """An untrusted chain (its certificate parsed from DER) imports cryptography and reports
    the certificate; a TXT question imports dnspython and passes; http never needs httpx."""
    good, untrusted = world[1].port, world[2].port
    seen = _run(
        tmp_path,
        world,
        f'  d: {{kind: dns, name: {HOST}, type: TXT, expect: ["v=spf1 -all"]}}\n'
        f"  t: {{kind: tls, host: {HOST}, port: {untrusted}}}\n"
        f'  h: {{kind: http, url: "https://{HOST}:{good}/health", verify: false}}\n',
    )
    assert seen["statuses"] == {"d": "pass", "t": "fail", "h": "pass"}, seen
    assert "does not verify: self-signed certificate" in seen["summaries"]["t"]
    assert seen["modules"] == ["cryptography", "dns"], seen


@pytest.mark.parametrize(
    ("check", "resolvers", "needs"),
    [
        ("Dns('a.example', expect=['192.0.2.1'])", ("127.0.0.1:53",), False),
        ("Dns('a.example', type='AAAA')", ("127.0.0.1:53",), False),
        ("Dns('a.example', resolvers=['127.0.0.1:53'])", (), False),
        ("Dns('a.example', type='TXT')", ("127.0.0.1:53",), True),
        ("Dns('a.example', authoritative=True)", ("127.0.0.1:53",), True),
        ("Dns('a.example', nameservers=['127.0.0.1:53'])", ("127.0.0.1:53",), True),
        ("Dns('a.example')", (), True),
    ],
)
def test_dns_warm_up_imports_dnspython_only_for_a_check_that_needs_it(
    check: str, resolvers: tuple[str, ...], needs: bool
) -> None:
    """A and AAAA at the policy's resolvers go through the lean exchange: no dnspython; another
    type, an authoritative server or the system's resolvers (read by dnspython) need it."""
    stdout = python_stdout(
        "-c",
        "import sys\n"
        "from infra_verify.checks.dns import Dns\n"
        "from infra_verify.context import CheckContext\n"
        f"ctx = CheckContext(resolvers={resolvers!r})\n"
        f"Dns.warm_up([{check}], ctx)\n"
        "print('dns' in sys.modules, 'infra_verify.checks.dns_wire' in sys.modules)\n",
    )
    assert stdout.split() == [str(needs), "True"]
