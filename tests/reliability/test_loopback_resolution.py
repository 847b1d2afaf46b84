"""The loopback guard judges the address actually dialled, whoever resolved the name.

Without ``defaults.resolvers`` the operating system resolves. A name that /etc/hosts maps to
127.0.0.1 (here: the machine's own hostname, or another alias found in /etc/hosts) is no
loopback *name*, so only the address it resolves to can give it away. Every kind that dials
(tcp, tls, http, websocket, postgres) and the environment check's ``no_loopback`` must see it.
Positive controls in the 'test' environment prove the name is dialled by its address while
SNI and Host keep the name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra_verify.budget import Budget
from infra_verify.check import Check
from infra_verify.checks.environment import Environment
from infra_verify.checks.http import Http
from infra_verify.checks.postgres import Postgres
from infra_verify.checks.resolve import resolve_address
from infra_verify.checks.tcp import Tcp
from infra_verify.checks.tls import Tls
from infra_verify.checks.websocket import WebSocket
from infra_verify.context import CheckContext
from infra_verify.gate import Gate
from infra_verify.guard import is_loopback
from infra_verify.model import Result, Status
from infra_verify.testing.certs import CertFactory
from tests.servers.dns_server import DnsServer
from tests.servers.faulty import FaultyServer
from tests.servers.postgres import PostgresServer
from tests.servers.web_server import WebServer


def _resolves_to_loopback_only(name: str) -> bool:
    try:
        infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    addresses = {info[4][0] for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(a).is_loopback for a in addresses)


def _loopback_alias() -> str | None:
    """A name the OS resolves (offline, from /etc/hosts) to loopback only, not a loopback name."""
    candidates = [socket.gethostname()]
    try:
        for line in Path("/etc/hosts").read_text().splitlines():
            fields = line.split("#", 1)[0].split()
            if len(fields) >= 2 and fields[0].startswith(("127.", "::1")):
                candidates += fields[1:]
    except OSError:
        pass
    for name in candidates:
        if name and not is_loopback(name) and "." not in name and _resolves_to_loopback_only(name):
            return name
    return None


ALIAS = _loopback_alias()
pytestmark = pytest.mark.skipif(
    ALIAS is None, reason="no /etc/hosts name resolves to loopback on this machine"
)


def _run(check: Check, environment: str = "staging", **context: object) -> Result:
    """One check through a real gate, no policy resolvers, no --allow-loopback."""
    ctx = CheckContext(environment=environment, timeout=5.0, **context)  # type: ignore[arg-type]
    return Gate([check], context=ctx, deadline=60.0).run().results[0]


def _refused(result: Result) -> None:
    assert result.status is Status.FAIL, result
    assert f"{ALIAS} resolves to 127.0.0.1" in result.summary, result.summary
    assert "loopback" in result.summary


@pytest.fixture
def web() -> Iterator[WebServer]:
    """A plain HTTP and WebSocket server on 127.0.0.1."""
    with WebServer() as server:
        server.websocket("/ws")
        yield server


@pytest.fixture
def listener() -> Iterator[FaultyServer]:
    """A TCP server on 127.0.0.1 that counts its connections and never answers."""
    with FaultyServer("silent") as server:
        yield server


def test_the_system_resolver_answer_passes_the_guard() -> None:
    """resolve_address resolves through the OS when the policy sets no resolvers."""
    assert ALIAS is not None
    ctx = CheckContext(environment="staging")
    try:
        resolution = asyncio.run(resolve_address(ALIAS, ctx, Budget.start(5.0)))
    finally:
        ctx.close()
    assert resolution.address == "127.0.0.1"
    assert resolution.failure() is not None


def test_tcp_refuses_a_name_that_resolves_to_loopback(listener: FaultyServer) -> None:
    """tcp: FAIL in staging, and the listener never sees a connection."""
    _refused(_run(Tcp(host=str(ALIAS), port=listener.port)))
    assert listener.connections == 0


def test_tcp_dials_the_resolved_address_where_loopback_is_allowed(
    listener: FaultyServer,
) -> None:
    """tcp in 'test': the OS-resolved address is dialled and the check passes."""
    result = _run(Tcp(host=str(ALIAS), port=listener.port), environment="test")
    assert result.status is Status.PASS, result
    assert any(o.where == f"{ALIAS}:{listener.port}" for o in result.observations), result


def test_http_refuses_a_name_that_resolves_to_loopback(web: WebServer) -> None:
    """http: FAIL in staging, and the server gets no request."""
    _refused(_run(Http(url=f"http://{ALIAS}:{web.port}/health")))
    assert web.requests == []


def test_http_keeps_the_host_header_when_dialling_the_address(web: WebServer) -> None:
    """http in 'test': the request reaches the address with Host: the name."""
    result = _run(Http(url=f"http://{ALIAS}:{web.port}/health"), environment="test")
    assert result.status is Status.PASS, result
    assert web.requests[-1].headers["host"] == f"{ALIAS}:{web.port}"


def test_http_resolves_and_guards_every_redirect_hop(web: WebServer, dns: DnsServer) -> None:
    """A followed redirect's host is resolved like the first one, and its address guarded."""
    dns.set("api.test.example", "A", "127.0.0.1")
    dns.set("meta.test.example", "A", "169.254.169.254")
    web.route("/go", 302, "", {"Location": "http://meta.test.example/computeMetadata/v1/"})
    check = Http(url=f"http://api.test.example:{web.port}/go", follow_redirects=True)
    result = _run(check, environment="test", resolvers=(dns.resolver,))
    assert result.status is Status.FAIL, result
    assert "cloud metadata server" in result.summary, result.summary
    assert "meta.test.example" in result.summary


def test_tls_refuses_a_name_that_resolves_to_loopback(listener: FaultyServer) -> None:
    """tls: FAIL in staging before any handshake."""
    _refused(_run(Tls(host=str(ALIAS), port=listener.port)))
    assert listener.connections == 0


def test_tls_keeps_sni_when_dialling_the_address(certs: CertFactory, tmp_path: Path) -> None:
    """tls in 'test': the handshake goes to the address with SNI = the name (SAN covers it)."""
    assert ALIAS is not None
    ca = certs.write_ca_bundle(tmp_path / "ca.pem")
    with WebServer(ssl_context=certs.valid(ALIAS).server_context()) as server:
        result = _run(Tls(host=ALIAS, port=server.port, ca_bundle=str(ca)), environment="test")
    assert result.status is Status.PASS, result


def test_websocket_refuses_a_name_that_resolves_to_loopback(web: WebServer) -> None:
    """websocket: FAIL in staging, and the server gets no upgrade request."""
    _refused(_run(WebSocket(url=f"ws://{ALIAS}:{web.port}/ws")))
    assert web.requests == []


def test_postgres_handshake_refuses_a_name_that_resolves_to_loopback(
    listener: FaultyServer,
) -> None:
    """postgres (handshake): FAIL in staging, and nothing is dialled."""
    _refused(_run(Postgres(host=ALIAS, port=listener.port)))
    assert listener.connections == 0


def test_postgres_dsn_refuses_a_host_that_resolves_to_loopback(postgres: PostgresServer) -> None:
    """postgres (DSN): a DSN host resolving to loopback is refused before libpq dials."""
    assert ALIAS is not None
    dsn = postgres.dsn().replace("@127.0.0.1:", f"@{ALIAS}:")
    result = _run(Postgres(dsn_env="DB"), env={"DB": dsn})
    _refused(result)


def test_postgres_dsn_refuses_libpq_hostaddr_on_loopback(postgres: PostgresServer) -> None:
    """postgres (DSN): libpq dials hostaddr=127.0.0.1, so the guard judges that address."""
    dsn = postgres.dsn(hostaddr="127.0.0.1").replace("@127.0.0.1:", "@10.20.0.3:")
    result = _run(Postgres(dsn_env="DB"), env={"DB": dsn})
    assert result.status is Status.FAIL, result
    assert "loopback (127.0.0.1)" in result.summary


def test_postgres_dsn_dials_the_checked_address(postgres: PostgresServer) -> None:
    """postgres (DSN) in 'test': SELECT 1 runs on the resolved address of the DSN's name."""
    assert ALIAS is not None
    dsn = postgres.dsn().replace("@127.0.0.1:", f"@{ALIAS}:")
    result = _run(Postgres(dsn_env="DB"), environment="test", env={"DB": dsn})
    assert result.status is Status.PASS, result


@pytest.mark.parametrize(
    "value",
    [
        "postgresql://app:pw@{alias}:5432/app",
        "https://{alias}/api",
        "postgresql://app:pw@10.20.0.3:5432/app?hostaddr=127.0.0.1",
        "host=10.20.0.3 hostaddr=127.0.0.1 dbname=app user=app",
        "host={alias} dbname=app user=app",
    ],
)
def test_environment_no_loopback_sees_resolved_and_hostaddr_loopback(value: str) -> None:
    """no_loopback FAILs for a DSN host resolving to loopback and for libpq's hostaddr."""
    env = {"DATABASE_URL": value.format(alias=ALIAS)}
    result = _run(Environment(no_loopback=("DATABASE_URL",)), env=env)
    assert result.status is Status.FAIL, result
    bad = [o for o in result.observations if not o.ok]
    assert bad and all("127.0.0.1" in (o.actual or "") for o in bad), bad
