"""Fixtures for the GCP check tests: the google libraries imported once, a fresh fake per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra_verify.gcp.clients import GcpClients
from infra_verify.testing.fake_gcp import FakeGcp
from tests.checks.gcp.world import HEALTHY, GcpWorld


@pytest.fixture(scope="session", autouse=True)
def _google_libraries() -> None:
    """Import the google client libraries once (seconds), not inside any test's timing."""
    GcpClients.preload()


@pytest.fixture
def fake() -> Iterator[FakeGcp]:
    """A FakeGcp serving its own copy of the healthy staging fixture on loopback."""
    with FakeGcp(HEALTHY) as server:
        yield server


@pytest.fixture
def gcp(fake: FakeGcp) -> GcpWorld:
    """The fake plus helpers to edit it and run one check against it through the gate."""
    return GcpWorld(fake)
