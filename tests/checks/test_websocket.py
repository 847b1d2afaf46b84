"""The ``websocket`` check against real ws/wss servers on loopback, run through the Gate.

The wss site serves a certificate per SNI name and a local DNS server (``CheckContext.resolvers``)
maps the test names to 127.0.0.1. Broken handshakes come from ``FaultyServer``. ``judge()`` is
also tested on plain data.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from infra_verify.checks.websocket import WebSocket, WebSocketObserved, WsExchange
from infra_verify.model import Status
from infra_verify.reporters import ReportOptions, render
from infra_verify.testing.certs import CertFactory
from tests.servers.dns_server import DnsServer
from tests.servers.faulty import FaultyServer
from tests.servers.ports import free_port
from tests.servers.web_server import WebServer

from .webfixtures import (
    HOST,
    OTHER,
    ca_path,
    context,
    gate_run,
    observation,
    run_one,
    sni_server_context,
    web_dns,
)

__all__ = ["ca_path", "web_dns"]  # fixtures, imported for pytest

TOKEN = "wsK3y-9fQzT2-deploy"


@pytest.fixture(scope="module")
def site(certs: CertFactory) -> Iterator[WebServer]:
    """A wss server: an echo endpoint, a greeting one, a mute one, a secret echo and a 503 path."""
    with WebServer(ssl_context=sni_server_context(certs)) as web:
        web.websocket("/ws")
        web.websocket("/greet", greeting="hello from the backend", echo=False)
        web.websocket("/mute", echo=False)
        web.websocket("/leaky", greeting=f"authenticated with {TOKEN}", echo=False)
        web.route("/down", 503, "no healthy upstream", {"Server": "Google Frontend"})
        yield web


def wss(site: WebServer, path: str, host: str = HOST) -> str:
    """The site's wss:// URL for ``path`` on ``host``."""
    return f"wss://{host}:{site.port}{path}"


def last_request(site: WebServer, path: str) -> dict[str, str]:
    """The headers of the most recent request the site received for ``path``."""
    seen = [r for r in site.requests if r.path == path]
    assert seen, f"the server never saw {path}"
    return seen[-1].headers


# -- upgrade and message exchange ---------------------------------------------------------------


def test_echo_passes_with_send_and_expect_reply(
    site: WebServer, ca_path: Path, web_dns: DnsServer
) -> None:
    """wss upgrade through the resolvers, send 'ping', get 'ping' back: PASS naming the time."""
    url = wss(site, "/ws")
    result = run_one(
        WebSocket(url=url, send="ping", expect_reply="ping"),
        context(resolvers=(web_dns.resolver,), ca_bundle=ca_path),
    )
    assert result.status is Status.PASS, result.summary
    assert result.summary.startswith(f"{url} upgraded in ")
    assert observation(result, "reply contains") == ("'ping'", "ping", True)
    assert observation(result, "upgrade")[2] is True


def test_greeting_satisfies_expect_reply_without_send(
    site: WebServer, ca_path: Path, web_dns: DnsServer
) -> None:
    """With only ``expect_reply`` the first message the server sends is judged."""
    result = run_one(
        WebSocket(url=wss(site, "/greet"), expect_reply="hello"),
        context(resolvers=(web_dns.resolver,), ca_bundle=ca_path),
    )
    assert result.status is Status.PASS, result.summary
    assert observation(result, "reply contains")[1] == "hello from the backend"


def test_upgrade_only_passes_on_plain_ws() -> None:
    """Without send/expect_reply an upgrade on ws:// is enough to pass."""
    with WebServer() as web:
        web.websocket("/ws")
        result = run_one(WebSocket(url=web.ws_url("/ws")), context())
    assert result.status is Status.PASS, result.summary
    assert [o.property for o in result.observations] == ["upgrade"]


def test_expect_reply_mismatch_fails(site: WebServer, ca_path: Path, web_dns: DnsServer) -> None:
    """A reply without the expected text FAILs showing what came back."""
    url = wss(site, "/ws")
    result = run_one(
        WebSocket(url=url, send="ping", expect_reply="pong"),
        context(resolvers=(web_dns.resolver,), ca_bundle=ca_path),
    )
    assert result.status is Status.FAIL
    assert result.summary == f"reply contains: expected 'pong', got ping (at {url})"
    assert result.hint == "the WebSocket endpoint answered, but not as expected"


def test_no_reply_is_an_error_within_the_timeout(
    site: WebServer, ca_path: Path, web_dns: DnsServer
) -> None:
    """An endpoint that upgrades but never replies is ERROR at the timeout, not a hang."""
    timeout = 0.5
    result = run_one(
        WebSocket(url=wss(site, "/mute"), send="ping", expect_reply="pong"),
        context(resolvers=(web_dns.resolver,), ca_bundle=ca_path, timeout=timeout),
    )
    assert result.status is Status.ERROR
    assert "within" in result.summary, result.summary


# -- rejected and broken upgrades ----------------------------------------------------------------


def test_upgrade_rejected_with_503_fails_naming_the_status(
    site: WebServer, ca_path: Path, web_dns: DnsServer
) -> None:
    """A 503 instead of 101 FAILs naming HTTP 503 and the server, with a backend hint."""
    url = wss(site, "/down")
    result = run_one(WebSocket(url=url), context(resolvers=(web_dns.resolver,), ca_bundle=ca_path))
    assert result.status is Status.FAIL
    assert result.summary == f"upgrade of {url} rejected: HTTP 503 (server: Google Frontend)"
    assert "no healthy backend" in (result.hint or "")


def test_upgrade_on_a_missing_path_fails_with_404(
    site: WebServer, ca_path: Path, web_dns: DnsServer
) -> None:
    """An upgrade to a path with no WebSocket endpoint FAILs with the 404 it got."""
    result = run_one(
        WebSocket(url=wss(site, "/nowhere")),
        context(resolvers=(web_dns.resolver,), ca_bundle=ca_path),
    )
    assert result.status is Status.FAIL
    assert "rejected: HTTP 404" in result.summary


def test_bad_accept_header_fails() -> None:
    """A 101 with a wrong Sec-WebSocket-Accept FAILs: the handshake is not a WebSocket one."""
    with FaultyServer("ws_101_bad") as faulty:
        url = faulty.url("/ws", "ws")
        result = run_one(WebSocket(url=url), context())
    assert result.status is Status.FAIL
    assert result.summary.startswith(f"upgrade of {url} failed: invalid Sec-WebSocket-Accept")
    assert "did not complete a WebSocket handshake" in (result.hint or "")


def test_close_right_after_upgrade_fails_the_exchange() -> None:
    """An upgrade followed by a dropped TCP connection FAILs: closed before a reply."""
    with FaultyServer("ws_close_after_upgrade") as faulty:
        url = faulty.url("/ws", "ws")
        result = run_one(WebSocket(url=url, send="ping", expect_reply="ping"), context())
    assert result.status is Status.FAIL
    assert result.summary.startswith(f"{url}: the connection closed before a reply")


def test_plain_http_answer_fails_with_its_status() -> None:
    """A server answering 200 instead of 101 FAILs naming HTTP 200."""
    with FaultyServer("http_plain") as faulty:
        url = faulty.url("/ws", "ws")
        result = run_one(WebSocket(url=url), context())
    assert result.status is Status.FAIL
    assert result.summary == f"upgrade of {url} rejected: HTTP 200"


def test_connection_refused_is_an_error() -> None:
    """Nothing listening is ERROR 'connection refused'."""
    url = f"ws://127.0.0.1:{free_port()}/ws"
    result = run_one(WebSocket(url=url), context())
    assert result.status is Status.ERROR
    assert result.summary == f"{url}: connection refused"
    assert result.hint == "is the service listening?"


def test_silent_server_is_an_error_within_the_timeout() -> None:
    """A server that never answers the upgrade request is ERROR once the timeout passes (not
    earlier: a lower bound only; not a hang: pytest-timeout's guard)."""
    timeout = 0.5
    with FaultyServer("silent") as faulty:
        result = run_one(WebSocket(url=faulty.url("/ws", "ws")), context(timeout=timeout))
    assert result.status is Status.ERROR
    assert "within" in result.summary, result.summary
    assert result.duration >= timeout - 0.05


# -- headers and secrets -------------------------------------------------------------------------


def test_header_from_env_is_sent_and_redacted_in_reports(
    site: WebServer, ca_path: Path, web_dns: DnsServer
) -> None:
    """A token from the environment reaches the server but is masked in text and JSON reports."""
    ctx = context(resolvers=(web_dns.resolver,), ca_bundle=ca_path, env={"WS_TOKEN": TOKEN})
    run = gate_run(
        WebSocket(
            url=wss(site, "/leaky"),
            headers_from_env={"X-Ws-Key": "WS_TOKEN"},
            expect_reply="welcome",
        ),
        ctx,
    )
    result = run.results[0]
    assert result.status is Status.FAIL
    assert last_request(site, "/leaky")["x-ws-key"] == TOKEN  # the secret was in play
    assert observation(result, "reply contains")[1] == "authenticated with ***"
    for fmt in ("text", "json"):
        report = render(fmt, run, ReportOptions(redactor=ctx.redactor))
        assert TOKEN not in report, fmt
        assert "authenticated with ***" in report, fmt


def test_missing_env_var_for_a_header_is_an_error(site: WebServer, ca_path: Path) -> None:
    """A ``headers_from_env`` variable that is not set is ERROR naming the variable."""
    result = run_one(
        WebSocket(
            url=wss(site, "/ws"), resolve="127.0.0.1", headers_from_env={"X-Key": "NO_SUCH_VAR"}
        ),
        context(ca_bundle=ca_path),
    )
    assert result.status is Status.ERROR
    assert "NO_SUCH_VAR" in result.summary and "not set" in result.summary


# -- TLS: private CA, pins ----------------------------------------------------------------------


def test_wss_with_check_level_ca_bundle(site: WebServer, ca_path: Path, web_dns: DnsServer) -> None:
    """``ca_bundle:`` on the check trusts the private CA for wss when the run gives none."""
    result = run_one(
        WebSocket(url=wss(site, "/ws"), ca_bundle=str(ca_path), send="x", expect_reply="x"),
        context(resolvers=(web_dns.resolver,)),
    )
    assert result.status is Status.PASS, result.summary


def test_wss_without_the_private_ca_is_an_error(site: WebServer, web_dns: DnsServer) -> None:
    """Without the private CA the wss connection cannot be made: ERROR naming verification."""
    result = run_one(WebSocket(url=wss(site, "/ws")), context(resolvers=(web_dns.resolver,)))
    assert result.status is Status.ERROR
    assert "CERTIFICATE_VERIFY_FAILED" in result.summary


def test_resolve_pin_keeps_sni_and_host_header(site: WebServer, ca_path: Path) -> None:
    """``resolve: 127.0.0.1`` dials the IP; SNI and Host stay the URL's host (its certificate)."""
    result = run_one(
        WebSocket(url=wss(site, "/ws", OTHER), resolve="127.0.0.1", send="hi", expect_reply="hi"),
        context(ca_bundle=ca_path),
    )
    assert result.status is Status.PASS, result.summary
    assert last_request(site, "/ws")["host"] == f"{OTHER}:{site.port}"


# -- the loopback guard --------------------------------------------------------------------------


def test_loopback_url_fails_in_a_real_environment() -> None:
    """In 'staging', a ws:// URL on 127.0.0.1 FAILs (terminal) without connecting."""
    with WebServer() as web:
        web.websocket("/ws")
        url = web.ws_url("/ws")
        result = run_one(WebSocket(url=url), context(environment="staging"))
        assert web.requests == []
    assert result.status is Status.FAIL
    assert result.summary == f"points at loopback ({url}) in the real environment 'staging'"
    assert result.terminal


def test_name_resolving_to_loopback_fails_in_a_real_environment(
    site: WebServer, ca_path: Path, web_dns: DnsServer
) -> None:
    """In 'staging', a host the resolvers map to loopback FAILs; allow_loopback lifts it."""
    check = WebSocket(url=wss(site, "/ws"))
    staging = context(environment="staging", resolvers=(web_dns.resolver,), ca_bundle=ca_path)
    result = run_one(check, staging)
    assert result.status is Status.FAIL
    assert result.summary.startswith(f"{HOST} resolves to 127.0.0.1: points at loopback")
    allowed = context(
        environment="staging",
        resolvers=(web_dns.resolver,),
        ca_bundle=ca_path,
        allow_loopback=True,
    )
    assert run_one(check, allowed).status is Status.PASS


# -- judge() on plain data -----------------------------------------------------------------------

URL = "wss://api.staging.example/ws"


def test_judge_upgrade_only_passes() -> None:
    """Without expect_reply an exchange passes on the upgrade, naming the time it took."""
    outcome = WebSocket(url=URL).judge(WebSocketObserved(WsExchange(0.0123, None, None)))
    assert outcome.status is Status.PASS
    assert outcome.summary == f"{URL} upgraded in 12ms"
    assert [o.property for o in outcome.observations] == ["upgrade"]


def test_judge_reply_containing_the_text_passes() -> None:
    """A reply that contains expect_reply (as a substring) passes."""
    outcome = WebSocket(url=URL, expect_reply="pong").judge(
        WebSocketObserved(WsExchange(0.2, None, '{"t":"pong"}'))
    )
    assert outcome.status is Status.PASS


def test_judge_missing_reply_fails() -> None:
    """No reply at all fails as '(no reply)'."""
    outcome = WebSocket(url=URL, expect_reply="pong").judge(
        WebSocketObserved(WsExchange(0.2, None, None))
    )
    assert outcome.status is Status.FAIL
    assert outcome.summary == f"reply contains: expected 'pong', got (no reply) (at {URL})"


def test_judge_long_reply_is_shortened() -> None:
    """The reply shown in the observation is cut to 200 characters."""
    outcome = WebSocket(url=URL, expect_reply="zzz").judge(
        WebSocketObserved(WsExchange(0.2, None, "y" * 1000))
    )
    assert outcome.status is Status.FAIL
    assert outcome.observations[1].actual == "y" * 200


def test_websocket_check_fields() -> None:
    """The URL must be ws(s); the port defaults by scheme; targets include the pin."""
    check = WebSocket(url=URL, resolve="192.0.2.5")
    assert check.port == 443
    assert WebSocket(url="ws://api.staging.example/ws").port == 80
    assert check.targets() == (URL, "192.0.2.5")
    with pytest.raises(ValueError, match="must start with ws:// or wss://"):
        WebSocket(url="https://api.staging.example/ws")
