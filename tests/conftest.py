"""Shared fixtures: real local servers (knot DNS, PostgreSQL), certificates, free ports.

Fixtures raise (tests fail, not skip) when a server cannot start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from infra_verify.testing.certs import CertFactory
from infra_verify.testing.knot import KnotServer
from infra_verify.testing.ports import free_port as _free_port
from infra_verify.testing.postgres import PostgresServer


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
