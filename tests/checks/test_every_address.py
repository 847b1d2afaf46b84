"""Every address answers: a host with two A records is probed at both, and each is judged.

A real DNS server answers two A records for the host (127.0.0.1 and 127.0.0.2) and a real
HTTPS/WebSocket server listens on each address at the same port; one of them can serve a
certificate for another name, or nothing at all.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra_verify.check import Check
from infra_verify.checks import addresses
from infra_verify.checks.http import Http
from infra_verify.checks.tls import Tls
from infra_verify.checks.websocket import WebSocket
from infra_verify.model import Result, Status
from infra_verify.testing.certs import CertFactory, IssuedCert
from tests.servers.dns_server import DnsServer
from tests.servers.ports import free_port
from tests.servers.web_server import WebServer

from .webfixtures import HOST, ca_path, context, run_one

__all__ = ["ca_path"]

FIRST, SECOND = "127.0.0.1", "127.0.0.2"


@contextlib.contextmanager
def two_servers(first: IssuedCert, second: IssuedCert | None) -> Iterator[int]:
    """HTTPS/WebSocket servers on FIRST and SECOND at one port (SECOND: none when None)."""
    for _ in range(20):
        port = free_port(FIRST, udp=False)
        servers = [WebServer(ssl_context=first.server_context(), host=FIRST, port=port)]
        if second is not None:
            servers.append(WebServer(ssl_context=second.server_context(), host=SECOND, port=port))
        with contextlib.ExitStack() as stack:
            try:
                for server in servers:
                    server.websocket("/ws")
                    stack.enter_context(server)
            except OSError:
                continue
            yield port
            return
    raise RuntimeError("no port free on both addresses")


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsServer]:
    """HOST has two A records; v6.HOST has an A and an AAAA record (::1)."""
    with DnsServer({HOST: [FIRST, SECOND]}) as server:
        server.set(f"v6.{HOST}", "A", FIRST)
        server.set(f"v6.{HOST}", "AAAA", "::1")
        yield server


def _checks(port: int, **extra: str) -> list[Check]:
    return [
        Tls(host=HOST, port=port, **extra),
        Http(url=f"https://{HOST}:{port}/health", **extra),
        WebSocket(url=f"wss://{HOST}:{port}/ws", **extra),
    ]


def _run(check: Check, dns: DnsServer, ca: Path) -> Result:
    return run_one(check, context(resolvers=(dns.resolver,), ca_bundle=ca, timeout=5))


@pytest.mark.parametrize("kind", [0, 1, 2], ids=["tls", "http", "websocket"])
def test_both_good_addresses_pass_naming_both(
    kind: int, certs: CertFactory, ca_path: Path, dns: DnsServer
) -> None:
    """Both addresses serve a good certificate: PASS, saying every address was probed."""
    with two_servers(certs.valid(HOST), certs.valid(HOST)) as port:
        result = _run(_checks(port)[kind], dns, ca_path)
    assert result.status is Status.PASS, result.summary
    assert f"at every address ({FIRST}" in result.summary
    assert SECOND in result.summary


@pytest.mark.parametrize("kind", [0, 1, 2], ids=["tls", "http", "websocket"])
def test_one_bad_certificate_fails_naming_that_address(
    kind: int, certs: CertFactory, ca_path: Path, dns: DnsServer
) -> None:
    """The second address serves a certificate for another name: the check fails naming it,
    with the first shown as fine (websocket, as for one address, reports the refused
    handshake as ERROR: it could not open the connection)."""
    with two_servers(certs.valid(HOST), certs.valid("other.test.example")) as port:
        result = _run(_checks(port)[kind], dns, ca_path)
    assert result.summary.startswith(SECOND), result.summary
    if kind == 2:
        assert result.status is Status.ERROR, result.summary
        assert f"answered: {FIRST}" in result.summary
    else:
        assert result.status is Status.FAIL, result.summary
        assert f"fine: {FIRST}" in result.summary


@pytest.mark.parametrize("kind", [0, 1, 2], ids=["tls", "http", "websocket"])
def test_addresses_first_keeps_the_old_behaviour(
    kind: int, certs: CertFactory, ca_path: Path, dns: DnsServer
) -> None:
    """With `addresses: first` only the first address is dialled: the bad second one is unseen."""
    with two_servers(certs.valid(HOST), certs.valid("other.test.example")) as port:
        result = _run(_checks(port, addresses="first")[kind], dns, ca_path)
    assert result.status is Status.PASS, result.summary
    assert SECOND not in result.summary


@pytest.mark.parametrize("kind", [0, 1, 2], ids=["tls", "http", "websocket"])
def test_nothing_listening_at_one_address_is_an_error_naming_it(
    kind: int, certs: CertFactory, ca_path: Path, dns: DnsServer
) -> None:
    """Nothing listens on the second address: ERROR (could not look there), naming it."""
    with two_servers(certs.valid(HOST), None) as port:
        result = _run(_checks(port)[kind], dns, ca_path)
    assert result.status is Status.ERROR, result.summary
    assert result.summary.startswith(SECOND), result.summary


def test_ipv6_without_a_route_is_reported_not_probed(
    certs: CertFactory, ca_path: Path, dns: DnsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a machine without IPv6 (simulated: no route), the AAAA address is not probed: the
    check passes on IPv4 and warns that ::1 was neither passed nor failed."""
    monkeypatch.setattr(addresses, "has_ipv6_route", lambda address: False)
    with two_servers(certs.valid(f"v6.{HOST}"), None) as port:
        result = _run(Tls(host=f"v6.{HOST}", port=port), dns, ca_path)
    assert result.status is Status.PASS, result.summary
    assert any("::1: not probed" in w for w in result.warnings), result.warnings


def test_ipv6_with_a_route_is_probed(certs: CertFactory, ca_path: Path, dns: DnsServer) -> None:
    """Where the machine has IPv6, the AAAA address is dialled too (nothing listens on ::1 at
    that port here, so the check cannot pass: ERROR naming ::1)."""
    with two_servers(certs.valid(f"v6.{HOST}"), None) as port:
        result = _run(Tls(host=f"v6.{HOST}", port=port), dns, ca_path)
    assert result.status is Status.ERROR, result.summary
    assert result.summary.startswith("::1"), result.summary
