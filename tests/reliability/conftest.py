"""Fixtures for the reliability suite: misbehaving local servers and a one-check gate runner.

Every server here listens on loopback only. Faults that ``tests/checks`` already pins down one by
one are not repeated; this suite adds the ones missing there and the run-wide invariants.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from infra_verify.check import Check
from infra_verify.context import CheckContext
from infra_verify.gate import Gate
from infra_verify.gcp.clients import GcpClients
from infra_verify.model import Result
from infra_verify.testing.fake_gcp import FakeGcp
from tests.checks.gcp.world import HEALTHY, GcpWorld
from tests.servers.dns_server import DnsServer

ROOT = Path(__file__).resolve().parents[2]


def run_one(check: Check, *, timeout: float = 1.0, **context: Any) -> Result:
    """Run one check through the real gate (guards, timeouts, error mapping)."""
    context.setdefault("environment", "test")
    ctx = CheckContext(timeout=timeout, **context)
    return Gate([check], context=ctx).run().results[0]


def cli_env(**extra: str) -> dict[str, str]:
    """The environment for a CLI subprocess: this one, plus ``extra``, run from the repo root."""
    env = dict(os.environ)
    env.update(extra)
    return env


def run_cli(
    args: Sequence[str], *, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m infra_verify ARGS`` to completion; capture stdout and stderr."""
    return subprocess.run(
        [sys.executable, "-m", "infra_verify", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or cli_env(),
        cwd=ROOT,
    )


@pytest.fixture(scope="session")
def google_libraries() -> None:
    """Import the google client libraries once (seconds), outside every timed assertion."""
    GcpClients.preload()


@pytest.fixture
def fake(google_libraries: None) -> Iterator[FakeGcp]:
    """A FakeGcp serving its own copy of the healthy staging fixture on loopback."""
    with FakeGcp(HEALTHY) as server:
        yield server


@pytest.fixture
def gcp(fake: FakeGcp) -> GcpWorld:
    """The fake plus helpers to run one GCP check against it through the gate."""
    return GcpWorld(fake)


@pytest.fixture
def dns() -> Iterator[DnsServer]:
    """A started pure-Python authoritative DnsServer on loopback."""
    with DnsServer() as server:
        yield server
