"""One TLS handshake per (address, port, SNI): the tls check's connection serves the http check.

Against a real HTTPS server whose TLS context counts the handshakes it accepted.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from infra_verify.checks.http import Http
from infra_verify.checks.tls import Tls
from infra_verify.checks.tls_stream import PARK_SECONDS, connection_pool
from infra_verify.context import CheckContext
from infra_verify.gate import Gate
from infra_verify.model import Outcome, Status
from infra_verify.testing.certs import CertFactory, IssuedCert
from tests.servers.web_server import WebServer

from .webfixtures import HOST, ca_path, context

__all__ = ["ca_path"]


def _server(issued: IssuedCert) -> tuple[WebServer, dict[str, int]]:
    ctx = issued.server_context()
    return WebServer(ssl_context=ctx), ctx.session_stats()


def _handshakes(web: WebServer) -> int:
    """TLS handshakes the server started (a client may abort one on the name)."""
    assert web.ssl_context is not None
    return int(web.ssl_context.session_stats()["accept"])


def _checks(port: int) -> tuple[Tls, Http]:
    return (
        Tls(id="tls", host=HOST, port=port, ip="127.0.0.1"),
        Http(id="http", url=f"https://{HOST}:{port}/health", resolve="127.0.0.1"),
    )


def _tls_then_http(ctx: CheckContext, tls: Tls, http: Http, between: object = None) -> Outcome:
    async def both() -> Outcome:
        await tls.run(ctx)
        if callable(between):
            between()
        try:
            return await http.run(ctx)
        finally:
            ctx.close()

    return asyncio.run(both())


def test_tls_and_http_of_a_host_share_one_handshake(certs: CertFactory, ca_path: Path) -> None:
    """A gate run of tls + http for one host passes with one TLS handshake at the server."""
    web, _ = _server(certs.valid(HOST))
    with web:
        run = Gate(list(_checks(web.port)), context=context(ca_bundle=ca_path), deadline=30).run()
        assert run.ok, run.summary()
        assert _handshakes(web) == 1


def test_certificate_for_another_name_is_not_reused(certs: CertFactory, ca_path: Path) -> None:
    """A verified chain that does not cover the host is not handed to http: it shakes hands
    itself and fails on the name, as it would alone."""
    web, _ = _server(certs.valid("other.test.example"))
    with web:
        tls, http = _checks(web.port)
        outcome = _tls_then_http(context(ca_bundle=ca_path), tls, http)
        assert _handshakes(web) == 2
    assert outcome.status is Status.FAIL
    assert "certificate does not verify" in outcome.summary


def test_connection_closed_while_parked_is_replaced(certs: CertFactory, ca_path: Path) -> None:
    """A parked connection that ended before the request is replaced by a fresh one."""
    web, _ = _server(certs.valid(HOST))
    ctx = context(ca_bundle=ca_path)

    def end_parked() -> None:
        for entries in connection_pool(ctx).parked.values():
            for entry in entries:
                entry.stream.sock.shutdown(socket.SHUT_RDWR)

    with web:
        tls, http = _checks(web.port)
        outcome = _tls_then_http(ctx, tls, http, end_parked)
        assert _handshakes(web) == 2
    assert outcome.status is Status.PASS, outcome.summary


def test_server_gone_after_the_tls_check_is_an_error(certs: CertFactory, ca_path: Path) -> None:
    """When the server goes away after the handshake, http reports it could not connect."""
    web, _ = _server(certs.valid(HOST))
    ctx = context(ca_bundle=ca_path)
    web.start()
    tls, http = _checks(web.port)

    async def both() -> Outcome:
        await tls.run(ctx)
        web.stop()
        try:
            return await http.run(ctx)
        finally:
            ctx.close()

    try:
        outcome = asyncio.run(both())
    except Exception as exc:  # the probe's ProbeError is the verdict ERROR in a gate
        assert "could not connect" in str(exc)
    else:
        raise AssertionError(f"expected a probe error, got {outcome}")


def test_parked_connections_are_closed_with_the_run(certs: CertFactory, ca_path: Path) -> None:
    """A tls check with no http check leaves nothing open after the run."""
    web, _ = _server(certs.valid(HOST))
    ctx = context(ca_bundle=ca_path)
    with web:
        tls, _http = _checks(web.port)

        async def only_tls() -> int:
            await tls.run(ctx)
            parked = connection_pool(ctx).count
            ctx.close()
            return parked

        assert asyncio.run(only_tls()) == 1
        assert connection_pool(ctx).count == 0
    assert PARK_SECONDS > 0
