"""Fixtures for the check tests: extra local servers beyond tests/conftest.py."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.servers.dns_server import DnsServer
from tests.servers.knot import KnotServer


@pytest.fixture
def fake_dns() -> Iterator[DnsServer]:
    """A started pure-Python DnsServer on loopback (for fault modes knot cannot produce)."""
    with DnsServer() as server:
        yield server


@pytest.fixture
def second_knot() -> Iterator[KnotServer]:
    """A second, independent knotd (to make two authoritative servers disagree)."""
    with KnotServer() as server:
        yield server


@pytest.fixture
def silent_udp() -> Iterator[str]:
    """A bound UDP socket that never answers, as a ``127.0.0.1:PORT`` resolver string."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{sock.getsockname()[1]}"
