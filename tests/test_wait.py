"""Waiting for convergence: faults fixed mid-run are noticed within about one poll interval."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from infra_verify.checks.dns import Dns
from infra_verify.checks.gcp.certificate import GcpManagedCertificate
from infra_verify.context import CheckContext
from infra_verify.gate import Gate
from infra_verify.gcp.clients import API_KEYS, GcpClients, GcpSettings
from infra_verify.model import Status
from infra_verify.testing.fake_gcp import FakeGcp
from tests.servers.dns_server import DnsServer
from tests.servers.story_world import fixture_path

POLL = 0.3
CERT = "compute/v1/projects/netra-staging/global/sslCertificates/netra-staging-cert"
DOMAINS = (
    "api.staging.netrasystems.ai",
    "auth.staging.netrasystems.ai",
    "app.staging.netrasystems.ai",
)


@pytest.fixture
def dns() -> Iterator[DnsServer]:
    """A DNS server with an empty zone."""
    server = DnsServer()
    server.add_zone("wait.test")
    with server:
        yield server


@pytest.fixture(scope="module")
def gcp() -> Iterator[FakeGcp]:
    """The fake GCP API with the broken staging fixture."""
    GcpClients.preload()
    with FakeGcp.from_file(fixture_path(True)) as fake:
        yield fake


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` every 20 ms, failing only after a generous 120 s."""
    for _ in range(6000):
        if condition():
            return
        time.sleep(0.02)
    pytest.fail(f"never saw {what}")


def when(
    condition: Callable[[], bool], action: Callable[[], object], seen: Callable[[], int]
) -> list[int]:
    """Run ``action`` in a thread once ``condition`` holds; returns a list receiving ``seen()``
    (the probes the server had answered) at the moment of the change."""
    at_fix: list[int] = []

    def fire() -> None:
        wait_for(condition, "the probes before the fix")
        at_fix.append(seen())
        action()

    threading.Thread(target=fire, daemon=True).start()
    return at_fix


def test_dns_record_that_appears_is_noticed_within_one_poll(dns: DnsServer) -> None:
    """An NXDOMAIN that turns into the right answer passes on the first attempt after the fix
    (no negative caching): at most one attempt more than the server had answered by then."""
    check = Dns(id="dns-api", name="api.wait.test", expect=("127.0.0.1",))
    ctx = CheckContext(environment="test", timeout=2, resolvers=(dns.resolver,))
    fixed = when(
        lambda: dns.queries >= 2,
        lambda: dns.set("api.wait.test", "A", ["127.0.0.1"]),
        lambda: dns.queries,
    )
    run = Gate([check], context=ctx, wait=300, poll=POLL, poll_max=POLL).run()
    result = run.by_id("dns-api")
    assert result.status is Status.PASS and result.attempts >= 2
    assert result.converged_after is not None
    assert result.attempts <= fixed[0] + 1


def test_certificate_provisioning_to_active_converges(gcp: FakeGcp) -> None:
    """A managed certificate going PROVISIONING -> ACTIVE passes soon after the change."""
    ctx = CheckContext(
        environment="test",
        timeout=3,
        gcp=GcpSettings(
            project="netra-staging",
            credentials="anonymous",
            endpoints={k: gcp.url for k in API_KEYS},
        ),
    )
    check = GcpManagedCertificate(id="cert", name="netra-staging-cert", domains=DOMAINS)
    active = {
        "expireTime": "2099-01-01T00:00:00.000-08:00",
        "managed": {"status": "ACTIVE", "domainStatus": dict.fromkeys(DOMAINS, "ACTIVE")},
    }
    gcp.patch(
        CERT,
        {
            "managed": {
                "status": "PROVISIONING",
                "domainStatus": dict.fromkeys(DOMAINS, "PROVISIONING"),
            }
        },
    )
    before = _cert_reads(gcp)
    fixed = when(
        lambda: _cert_reads(gcp) - before >= 2,
        lambda: gcp.patch(CERT, active),
        lambda: _cert_reads(gcp) - before,
    )
    run = Gate([check], context=ctx, wait=300, poll=POLL, poll_max=POLL).run()
    result = run.by_id("cert")
    assert result.status is Status.PASS, result.summary
    assert result.converged_after is not None
    assert 2 <= result.attempts <= fixed[0] + 1  # the first attempt after the change passed


def _cert_reads(gcp: FakeGcp) -> int:
    """How many times the fake served the certificate."""
    return sum(CERT in r.path for r in gcp.requests)


def test_terminal_failure_stops_waiting_at_once(gcp: FakeGcp) -> None:
    """PROVISIONING_FAILED_PERMANENTLY ends a 300 s wait (past pytest-timeout's 120 s guard)
    after one attempt."""
    ctx = CheckContext(
        environment="test",
        timeout=3,
        gcp=GcpSettings(
            project="netra-staging",
            credentials="anonymous",
            endpoints={k: gcp.url for k in API_KEYS},
        ),
    )
    gcp.patch(CERT, {"managed": {"status": "PROVISIONING_FAILED_PERMANENTLY"}})
    before = _cert_reads(gcp)
    run = Gate(
        [GcpManagedCertificate(id="cert", name="netra-staging-cert", domains=DOMAINS)],
        context=ctx,
        wait=300,
        poll=POLL,
    ).run()
    result = run.by_id("cert")
    assert _cert_reads(gcp) - before == 1
    assert result.status is Status.FAIL and result.terminal and result.attempts == 1
    assert "permanently" in result.summary


def test_wait_deadline_is_respected(dns: DnsServer) -> None:
    """A record that never appears: the run ends at the wait deadline, FAIL with its last finding.
    Attempts are POLL apart, so a 1.5 s wait holds at most 1.5 / POLL + 1 of them however busy
    the machine is; a run ignoring the deadline would retry until pytest-timeout's guard."""
    ctx = CheckContext(environment="test", timeout=1, resolvers=(dns.resolver,))
    run = Gate(
        [Dns(id="d", name="never.wait.test", expect=("127.0.0.1",))],
        context=ctx,
        wait=1.5,
        poll=POLL,
        poll_max=POLL,
    ).run()
    result = run.by_id("d")
    assert result.status is Status.FAIL and "NXDOMAIN" in result.summary
    assert 2 <= result.attempts <= 1.5 / POLL + 1


def test_passed_checks_are_not_rerun(dns: DnsServer) -> None:
    """While waiting, a check that passed is probed once, however long the others take."""
    dns.set("ok.wait.test", "A", ["127.0.0.1"])
    ctx = CheckContext(environment="test", timeout=1, resolvers=(dns.resolver,))
    run = Gate(
        [
            Dns(id="ok", name="ok.wait.test", expect=("127.0.0.1",)),
            Dns(id="bad", name="bad.wait.test", expect=("127.0.0.1",)),
        ],
        context=ctx,
        wait=1.2,
        poll=POLL,
        poll_max=POLL,
    ).run()
    assert run.by_id("ok").attempts == 1 and run.by_id("bad").attempts >= 2


ROOT = Path(__file__).resolve().parent.parent


def test_cli_wait_prints_plain_progress_lines_when_not_a_tty(
    dns: DnsServer, tmp_path: Path
) -> None:
    """--wait in CI logs: one plain line per state change, no escape codes, and the final report."""
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "environment: test\n"
        f"defaults: {{timeout: 1s, resolvers: ['{dns.resolver}'], poll: 300ms, poll_max: 300ms}}\n"
        "checks:\n  d: {kind: dns, name: late.wait.test, expect: [127.0.0.1]}\n"
    )
    before = dns.queries
    proc = subprocess.Popen(
        [sys.executable, "-m", "infra_verify", "test", "--policy", str(policy), "--wait", "120s"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Two queries answered NXDOMAIN (the first surely before the record exists), however long
    # the child takes to start on a loaded machine; then the record appears.
    wait_for(
        lambda: dns.queries >= before + 2 or proc.poll() is not None, "the CLI's first attempts"
    )
    dns.set("late.wait.test", "A", ["127.0.0.1"])
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, out + err
    assert "\x1b[" not in err and "\r" not in err
    lines = [line for line in err.splitlines() if " d " in line or " d (" in line]
    assert any("FAIL" in line and "NXDOMAIN" in line for line in lines)
    assert any("PASS" in line for line in lines)
    assert "converged after" in out
