"""Shared fixtures: real local servers (knot DNS, PostgreSQL), certificates, free ports.

Fixtures raise (tests fail, not skip) when a server cannot start. A network guard refuses every
connection or datagram to a non-loopback address made in the test process, and fails the test
that tried: tests talk to loopback only, never to 34.54.41.44 or a real resolver.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from infra_verify.guard import is_loopback
from infra_verify.testing.certs import CertFactory
from tests.servers.knot import KnotServer
from tests.servers.ports import free_port as _free_port
from tests.servers.postgres import PostgresServer


@pytest.fixture(scope="session")
def certs() -> CertFactory:
    """One certificate factory (trusted test CA) for the whole session."""
    return CertFactory()


@pytest.fixture
def knot() -> Iterator[KnotServer]:
    """A fresh knotd with no zones; add them with ``knot.set_zone(origin, zone(...))``."""
    with KnotServer() as server:
        yield server


@pytest.fixture(scope="session")
def postgres(certs: CertFactory) -> Iterator[PostgresServer]:
    """One PostgreSQL server (ssl on, CA = ``certs``) for the whole session."""
    with PostgresServer(certs=certs) as server:
        yield server


@pytest.fixture
def free_port() -> Callable[..., int]:
    """The ``free_port(host="127.0.0.1", *, udp=True) -> int`` helper."""
    return _free_port


_OFF_LOOPBACK: list[Any] = []


def _loopback_only(address: Any) -> bool:
    if not isinstance(address, tuple):  # unix sockets
        return True
    return is_loopback(str(address[0]))


def pytest_configure(config: pytest.Config) -> None:
    """Install the loopback-only network guard for the whole test session."""
    real_connect, real_connect_ex, real_sendto = (
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.socket.sendto,
    )

    def connect(self: socket.socket, address: Any) -> None:
        if not _loopback_only(address):
            _OFF_LOOPBACK.append(address)
            raise ConnectionRefusedError(f"test network guard: {address} is not loopback")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not _loopback_only(address):
            _OFF_LOOPBACK.append(address)
            raise ConnectionRefusedError(f"test network guard: {address} is not loopback")
        return real_connect_ex(self, address)

    def sendto(self: socket.socket, data: Any, *args: Any) -> int:
        if not _loopback_only(args[-1]):
            _OFF_LOOPBACK.append(args[-1])
            raise ConnectionRefusedError(f"test network guard: {args[-1]} is not loopback")
        result: int = real_sendto(self, data, *args)
        return result

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = sendto  # type: ignore[method-assign,assignment]


@pytest.fixture(autouse=True)
def loopback_only() -> Iterator[None]:
    """Fail any test that tried to reach a non-loopback address (the attempt was refused)."""
    start = len(_OFF_LOOPBACK)
    yield
    tried = _OFF_LOOPBACK[start:]
    assert not tried, f"the test tried to reach non-loopback addresses: {tried}"
