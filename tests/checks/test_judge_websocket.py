"""The websocket check's judge on plain data: WebSocketObserved built by hand, no server."""

from __future__ import annotations

import pytest

from infra_verify.checks.websocket import WebSocket, WebSocketObserved, WsExchange
from infra_verify.model import Status

URL = "wss://api.example.com/ws"


def test_an_upgrade_passes_naming_its_time() -> None:
    """An upgrade alone (no expect_reply) PASSes naming how long it took."""
    outcome = WebSocket(url=URL).judge(WebSocketObserved(WsExchange(0.0123, None, None)))
    assert outcome.status is Status.PASS
    assert outcome.summary == f"{URL} upgraded in 12ms"


def test_a_reply_containing_the_text_passes() -> None:
    """A reply that contains expect_reply PASSes."""
    check = WebSocket(url=URL, send="ping", expect_reply="pong")
    outcome = check.judge(WebSocketObserved(WsExchange(0.2, None, '{"type": "pong"}')))
    assert outcome.status is Status.PASS


@pytest.mark.parametrize(
    ("reply", "shown"), [("ping", "ping"), (None, "(no reply)")], ids=["wrong", "none"]
)
def test_a_wrong_or_missing_reply_fails(reply: str | None, shown: str) -> None:
    """A reply without the expected text, or none, FAILs showing what came back."""
    check = WebSocket(url=URL, expect_reply="pong")
    outcome = check.judge(WebSocketObserved(WsExchange(0.2, None, reply)))
    assert outcome.status is Status.FAIL
    assert outcome.summary == f"reply contains: expected 'pong', got {shown} (at {URL})"


@pytest.mark.parametrize(
    ("observed", "summary", "hint_part"),
    [
        (
            WebSocketObserved(rejected_status=503, rejected_server="Google Frontend"),
            f"upgrade of {URL} rejected: HTTP 503 (server: Google Frontend)",
            "no healthy backend",
        ),
        (
            WebSocketObserved(rejected_status=404),
            f"upgrade of {URL} rejected: HTTP 404",
            "accept WebSocket upgrades",
        ),
        (
            WebSocketObserved(handshake_error="invalid Sec-WebSocket-Accept header"),
            f"upgrade of {URL} failed: invalid Sec-WebSocket-Accept header",
            "did not complete a WebSocket handshake",
        ),
        (
            WebSocketObserved(closed="received 1011 (internal error)"),
            f"{URL}: the connection closed before a reply (received 1011 (internal error))",
            None,
        ),
        (
            WebSocketObserved(cut_mid_handshake=True),
            f"{URL}: the server closed the connection mid-handshake",
            None,
        ),
    ],
    ids=["rejected-503", "rejected-404", "bad-handshake", "closed", "cut"],
)
def test_a_rejected_or_broken_upgrade_fails(
    observed: WebSocketObserved, summary: str, hint_part: str | None
) -> None:
    """A refused upgrade, a broken handshake or a connection closed early: FAIL naming it."""
    outcome = WebSocket(url=URL, expect_reply="pong").judge(observed)
    assert outcome.status is Status.FAIL
    assert outcome.summary == summary
    assert hint_part is None or hint_part in (outcome.hint or "")


def test_nothing_observed_is_an_error() -> None:
    """No exchange and no recorded failure leaves nothing to judge: ERROR, never PASS."""
    outcome = WebSocket(url=URL).judge(WebSocketObserved())
    assert outcome.status is Status.ERROR
    assert "no WebSocket exchange was observed" in outcome.summary
