"""The tcp check against real loopback sockets, through the Gate."""

from __future__ import annotations

import contextlib
import re
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from infra_verify.checks.tcp import Tcp
from infra_verify.context import CheckContext
from infra_verify.gate import Gate
from infra_verify.model import Result, Status
from tests.servers.dns_server import DnsServer


def run_one(
    check: Tcp,
    *,
    environment: str = "test",
    allow_loopback: bool = False,
    resolvers: tuple[str, ...] = (),
) -> Result:
    """Run one check through a Gate (real error mapping) and return its result."""
    context = CheckContext(
        environment=environment, timeout=1.0, allow_loopback=allow_loopback, resolvers=resolvers
    )
    return Gate([check], context=context).run().results[0]


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A listening TCP socket on 127.0.0.1 (the kernel completes handshakes)."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        yield sock


@pytest.fixture
def full_backlog() -> Iterator[int]:
    """A port whose accept queue is full, so new SYNs are dropped and connects hang (Linux)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("relies on Linux dropping SYNs to a listener with a full accept queue")
    overflow = Path("/proc/sys/net/ipv4/tcp_abort_on_overflow")
    if overflow.exists() and overflow.read_text().strip() != "0":
        pytest.skip("tcp_abort_on_overflow is set: a full queue resets instead of dropping")
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    fillers: list[socket.socket] = []
    try:
        for _ in range(8):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(server.getsockname())
            fillers.append(filler)
        yield server.getsockname()[1]
    finally:
        for filler in fillers:
            filler.close()
        server.close()


def test_listening_port_passes(listener: socket.socket) -> None:
    """A listening socket PASSes with an 'open' observation and the connect time."""
    port = listener.getsockname()[1]
    result = run_one(Tcp(host="127.0.0.1", port=port))
    assert result.status is Status.PASS, result.summary
    assert result.summary.startswith(f"127.0.0.1:{port} accepts connections (")
    (obs,) = result.observations
    assert obs.ok and obs.property == "connect" and obs.expected == "open"
    assert obs.where == f"127.0.0.1:{port}"


def test_ipv6_loopback_passes() -> None:
    """The check dials ::1 too."""
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        sock = socket.create_server(("::1", 0), family=socket.AF_INET6)
    except OSError:
        pytest.skip("::1 not available")
    with sock:
        result = run_one(Tcp(host="::1", port=sock.getsockname()[1]))
    assert result.status is Status.PASS, result.summary


def test_hostname_is_resolved_through_context_resolvers(listener: socket.socket) -> None:
    """With resolvers configured, the host is resolved by them (not /etc/hosts) and dialed."""
    port = listener.getsockname()[1]
    with DnsServer({"db.test.example": "127.0.0.1"}) as dns_server:
        result = run_one(Tcp(host="db.test.example", port=port), resolvers=(dns_server.resolver,))
    assert result.status is Status.PASS, result.summary
    assert f"db.test.example:{port}" in result.summary


def test_closed_port_fails_as_refused(free_port: Callable[..., int]) -> None:
    """A port nobody listens on FAILs (connection refused): the infrastructure is wrong."""
    port = free_port(udp=False)
    result = run_one(Tcp(host="127.0.0.1", port=port))
    assert result.status is Status.FAIL
    assert result.summary == f"127.0.0.1:{port}: connection refused"
    assert result.hint is not None and "nothing listens" in result.hint


def test_unresolvable_host_fails(fake_dns: DnsServer) -> None:
    """A host the resolvers say does not exist FAILs, naming the DNS answer."""
    fake_dns.add_zone("test.example")
    result = run_one(Tcp(host="nope.test.example", port=5432), resolvers=(fake_dns.resolver,))
    assert result.status is Status.FAIL
    assert "does not resolve" in result.summary
    assert "NXDOMAIN" in result.summary


def test_connect_timeout_is_an_error(full_backlog: int) -> None:
    """A connect that never completes is ERROR naming its share of the 1 s timeout, not FAIL
    and not a hang (pytest-timeout's guard)."""
    result = run_one(Tcp(host="127.0.0.1", port=full_backlog))
    assert result.status is Status.ERROR
    within = re.search(r"no TCP connection within ([0-9.]+)s$", result.summary)
    assert within is not None, result.summary
    assert 0 < float(within[1]) <= 1.0  # the connect's share of the 1 s timeout


def test_silent_resolver_is_an_error(silent_udp: str, listener: socket.socket) -> None:
    """When no resolver answers for the host, the check could not decide: ERROR."""
    port = listener.getsockname()[1]
    result = run_one(Tcp(host="db.test.example", port=port), resolvers=(silent_udp,))
    assert result.status is Status.ERROR
    assert "within" in result.summary


def test_loopback_target_fails_in_staging(listener: socket.socket) -> None:
    """In a real environment a loopback target FAILs on the guard, without connecting."""
    port = listener.getsockname()[1]
    result = run_one(Tcp(host="127.0.0.1", port=port), environment="staging")
    assert result.status is Status.FAIL
    assert "loopback" in result.summary and "staging" in result.summary
    assert result.terminal


def test_loopback_target_passes_in_staging_with_allow_loopback(listener: socket.socket) -> None:
    """allow_loopback=True lifts the guard in a real environment."""
    port = listener.getsockname()[1]
    result = run_one(Tcp(host="127.0.0.1", port=port), environment="staging", allow_loopback=True)
    assert result.status is Status.PASS, result.summary


def test_name_resolving_to_loopback_fails_in_staging(listener: socket.socket) -> None:
    """A real-looking name that resolves to 127.0.0.1 FAILs the guard in staging too."""
    port = listener.getsockname()[1]
    with DnsServer({"db.test.example": "127.0.0.1"}) as dns_server:
        result = run_one(
            Tcp(host="db.test.example", port=port),
            environment="staging",
            resolvers=(dns_server.resolver,),
        )
    assert result.status is Status.FAIL
    assert "resolves to 127.0.0.1" in result.summary
    assert "loopback" in result.summary
