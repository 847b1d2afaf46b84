"""Fixtures for the composition tests: a plain-HTTP loopback web server and a closed port."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.servers.web_server import WebServer


@pytest.fixture(scope="module")
def web() -> Iterator[WebServer]:
    """A plain-HTTP server on 127.0.0.1 with /health (200) and /missing (404) routes."""
    with WebServer() as server:
        server.route("/missing", 404, "not here")
        yield server


@pytest.fixture
def closed_port() -> int:
    """A loopback TCP port with nothing listening (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
