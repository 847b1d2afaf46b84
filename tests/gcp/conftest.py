"""Fixtures for the GCP client tests: a running FakeGcp and clients pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from infra_verify.gcp.clients import DEFAULT_ENDPOINTS, GcpClients, GcpSettings
from infra_verify.testing.fake_gcp import FakeGcp

FIXTURES = Path(__file__).resolve().parents[2] / "infra_verify" / "testing" / "fixtures"
HEALTHY = FIXTURES / "staging_healthy.yaml"


@pytest.fixture
def fake() -> Iterator[FakeGcp]:
    """The healthy staging fixture served on loopback."""
    with FakeGcp.from_file(HEALTHY) as server:
        yield server


def _settings_for(url: str, **kwargs: Any) -> GcpSettings:
    """Settings sending every API to ``url`` with anonymous credentials unless overridden."""
    options: dict[str, Any] = {"credentials": "anonymous", **kwargs}
    return GcpSettings(
        project="netra-staging",
        region="us-central1",
        endpoints=dict.fromkeys(DEFAULT_ENDPOINTS, url),
        **options,
    )


@pytest.fixture
def settings_for() -> Callable[..., GcpSettings]:
    """A factory of settings pointing every API at one URL (anonymous unless overridden)."""
    return _settings_for


@pytest.fixture
def clients(fake: FakeGcp) -> Iterator[GcpClients]:
    """Real google-cloud clients reading from the fake (libraries imported before any budget starts)."""
    GcpClients.preload()
    built = GcpClients(_settings_for(fake.url))
    yield built
    built.close()
