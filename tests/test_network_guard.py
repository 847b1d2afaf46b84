"""The test session's network guard really refuses non-loopback traffic (so it can catch a leak)."""

from __future__ import annotations

import socket

import pytest

from tests import conftest


def test_guard_refuses_a_non_loopback_connect_before_any_packet() -> None:
    """A TCP connect to a documentation address is refused by the guard and recorded."""
    before = len(conftest._OFF_LOOPBACK)
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError, match="not loopback"):
        sock.connect(("192.0.2.1", 443))
    assert conftest._OFF_LOOPBACK[before:] == [("192.0.2.1", 443)]
    del conftest._OFF_LOOPBACK[before:]  # expected here: do not fail this test at teardown


def test_guard_lets_loopback_through() -> None:
    """Loopback UDP datagrams pass the guard untouched."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        assert sock.sendto(b"x", sock.getsockname()) == 1
