"""Shared helpers for the tls, http and websocket check tests.

Fixtures here are imported into each test module (pytest only auto-loads ``conftest.py``).
Every check runs through a real ``Gate`` so the gate's error mapping, guards and redaction apply.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from infra_verify.check import Check
from infra_verify.context import CheckContext
from infra_verify.gate import Gate, GateRun
from infra_verify.model import Result
from infra_verify.testing.certs import CertFactory
from tests.servers.dns_server import DnsServer
from tests.servers.web_server import sni_context

#: The name tests use for "the service"; ``web_dns`` resolves it to 127.0.0.1.
HOST = "api.test.example"
#: A second name served by the same loopback address (for SNI tests).
OTHER = "auth.test.example"
#: A name that resolves to 127.0.0.1 but that no SNI table knows (gets the default certificate).
UNKNOWN = "www.test.example"
#: A name that resolves to an address nothing listens on.
ELSEWHERE = "elsewhere.test.example"
#: The address ``ELSEWHERE`` resolves to (loopback, but no server binds it).
ELSEWHERE_IP = "127.0.0.2"
#: The only name the default certificate of ``sni_server_context`` covers.
DEFAULT_CERT_HOST = "default.test.example"


@pytest.fixture(scope="module")
def web_dns() -> Iterator[DnsServer]:
    """A DNS server resolving the test names to loopback, for ``CheckContext.resolvers``."""
    records = {HOST: "127.0.0.1", OTHER: "127.0.0.1", UNKNOWN: "127.0.0.1"}
    with DnsServer(records) as server:
        server.set(ELSEWHERE, "A", ELSEWHERE_IP)
        yield server


@pytest.fixture(scope="session")
def ca_path(certs: CertFactory, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test CA's root certificate written as a PEM bundle."""
    return certs.write_ca_bundle(tmp_path_factory.mktemp("ca") / "ca.pem")


def context(
    *,
    environment: str = "test",
    timeout: float = 1.0,
    resolvers: tuple[str, ...] = (),
    ca_bundle: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    allow_loopback: bool = False,
) -> CheckContext:
    """A CheckContext with short timeouts suitable for loopback tests."""
    return CheckContext(
        environment=environment,
        timeout=timeout,
        resolvers=resolvers,
        ca_bundle=str(ca_bundle) if ca_bundle is not None else None,
        env=dict(env or {}),
        allow_loopback=allow_loopback,
    )


def gate_run(check: Check, ctx: CheckContext) -> GateRun:
    """Run one check through a real Gate (no waiting) and return the whole run."""
    return Gate([check], context=ctx, deadline=30.0).run()


def run_one(check: Check, ctx: CheckContext) -> Result:
    """Run one check through a real Gate and return its result."""
    run = gate_run(check, ctx)
    assert len(run.results) == 1
    return run.results[0]


def sni_server_context(certs: CertFactory) -> ssl.SSLContext:
    """A server context picking a certificate by SNI: HOST and OTHER have their own, else default."""
    return sni_context(
        {
            HOST: certs.valid(HOST).server_context(),
            OTHER: certs.valid(OTHER).server_context(),
        },
        default=certs.valid(DEFAULT_CERT_HOST).server_context(),
    )


def observation(result: Result, prop: str) -> tuple[str | None, str | None, bool]:
    """The (expected, actual, ok) of the observation named ``prop``; fails the test if absent."""
    for o in result.observations:
        if o.property == prop:
            return o.expected, o.actual, o.ok
    raise AssertionError(f"no observation {prop!r} in {[o.property for o in result.observations]}")
