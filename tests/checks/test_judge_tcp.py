"""The tcp check's judge on plain data: TcpObserved built by hand, no socket, no network."""

from __future__ import annotations

from infra_verify.checks.dns import ServerAnswer
from infra_verify.checks.resolve import Resolution
from infra_verify.checks.tcp import Tcp, TcpObserved
from infra_verify.model import Outcome, Status

CHECK = Tcp(host="db.example.com", port=5432)


def test_an_open_connection_passes_naming_the_time() -> None:
    """A connection that opened PASSes with the connect time in summary and observation."""
    outcome = CHECK.judge(TcpObserved(connected_after=0.0123))
    assert outcome.status is Status.PASS
    assert outcome.summary == "db.example.com:5432 accepts connections (12 ms)"
    assert outcome.observations[0].actual == "open after 12 ms"


def test_a_refused_connection_fails() -> None:
    """A refused connection is a fact about the target: FAIL with a listener hint."""
    outcome = CHECK.judge(TcpObserved(refused=True))
    assert outcome.status is Status.FAIL
    assert outcome.summary == "db.example.com:5432: connection refused"
    assert outcome.hint is not None and "nothing listens" in outcome.hint


def test_another_connect_failure_fails_with_the_os_reason() -> None:
    """Any other connect error (e.g. no route) FAILs with the OS's words."""
    outcome = CHECK.judge(TcpObserved(error="No route to host"))
    assert outcome.status is Status.FAIL
    assert outcome.summary == "db.example.com:5432: could not connect: No route to host"


def test_a_host_that_does_not_resolve_fails() -> None:
    """NXDOMAIN from the policy's resolvers FAILs, pointing at a dns check."""
    negative = ServerAnswer("10.0.0.53", "resolver", "NXDOMAIN")
    outcome = CHECK.judge(TcpObserved(Resolution("db.example.com", negative=negative)))
    assert outcome.status is Status.FAIL
    assert outcome.summary == "db.example.com does not resolve at 10.0.0.53: NXDOMAIN"
    assert outcome.hint is not None and "add a dns check for db.example.com" in outcome.hint


def test_a_host_resolving_to_a_guarded_address_fails() -> None:
    """A resolved address the guards refuse FAILs with the guard's reason and hint."""
    guard = Outcome.failed("127.0.0.1 is a loopback address", hint="use the real host")
    resolution = Resolution("db.example.com", "127.0.0.1", refused=guard)
    outcome = CHECK.judge(TcpObserved(resolution))
    assert outcome.status is Status.FAIL
    assert (
        outcome.summary == "db.example.com resolves to 127.0.0.1: 127.0.0.1 is a loopback address"
    )
    assert outcome.hint == "use the real host"
