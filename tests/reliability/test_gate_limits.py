"""The gate as a whole: the deadline holds, signals end a run with a report, nothing leaks.

tests/test_gate.py pins the deadline with scripted checks; here the probes are real and the
servers misbehave, and the CLI runs in a subprocess that receives SIGINT or SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra_verify.check import Check
from infra_verify.checks.dns import Dns
from infra_verify.checks.environment import Environment
from infra_verify.checks.gcp.certificate import GcpManagedCertificate
from infra_verify.checks.gcp.cloud_run import GcpCloudRunService
from infra_verify.checks.gcp.cloud_sql import GcpCloudSqlInstance
from infra_verify.checks.gcp.dns_record import GcpDnsRecord
from infra_verify.checks.gcp.load_balancer import GcpLoadBalancer
from infra_verify.checks.gcp.sql_path import GcpCloudSqlPath
from infra_verify.checks.gcp.vpc_connector import GcpVpcConnector
from infra_verify.checks.http import Http
from infra_verify.checks.postgres import Postgres
from infra_verify.checks.tcp import Tcp
from infra_verify.checks.tls import Tls
from infra_verify.checks.websocket import WebSocket
from infra_verify.context import CheckContext
from infra_verify.gate import Gate
from infra_verify.model import Status
from infra_verify.testing.certs import CertFactory
from infra_verify.testing.fake_gcp import FOREVER, FakeGcp
from tests.checks.gcp.world import API, LB_IP, GcpWorld
from tests.servers.dns_server import DnsServer
from tests.servers.faulty import FaultyServer
from tests.servers.postgres import PostgresServer
from tests.servers.web_server import WebServer

from .conftest import ROOT, cli_env


@pytest.fixture
def silent() -> Iterator[FaultyServer]:
    """A server that accepts connections and never says a word."""
    with FaultyServer("silent") as server:
        yield server


# -- the overall deadline ------------------------------------------------------------------


def test_deadline_holds_over_silent_servers_and_long_timeouts(
    silent: FaultyServer, dns: DnsServer, gcp: GcpWorld
) -> None:
    """Probes with 300 s timeouts against silent servers and a slow API: a 1 s deadline ends it
    (every check ERROR naming the deadline; waiting for any probe would trip the 120 s guard)."""
    dns.add_zone("slow.test")
    dns.set("api.slow.test", "A", ["192.0.2.1"])
    dns.mode("api.slow.test", "drop")
    gcp.fake.inject("compute/v1", delay=300, times=FOREVER)
    port, long = silent.port, 300.0
    checks: list[Check] = [
        Http(id="http", url=f"http://127.0.0.1:{port}/", timeout=long),
        Tls(id="tls", host="api.test.example", ip="127.0.0.1", port=port, timeout=long),
        WebSocket(id="ws", url=f"ws://127.0.0.1:{port}/ws", timeout=long),
        Postgres(id="pg", host="127.0.0.1", port=port, timeout=long),
        Dns(id="dns", name="api.slow.test", resolvers=(dns.resolver,), timeout=long),
        GcpLoadBalancer(id="lb", forwarding_rule="netra-staging-https", timeout=long),
    ]
    ctx = gcp.context(timeout=long)
    deadline = 1.0
    run = Gate(checks, context=ctx, deadline=deadline, infer=False).run()
    assert run.deadline_reached and not run.ok
    for r in run.results:
        assert r.status is Status.ERROR, (r.id, r.summary)
        assert "deadline" in r.summary, (r.id, r.summary)


# -- signals ---------------------------------------------------------------------------------

SILENT_POLICY = """\
environment: test
defaults: {{timeout: 300s, deadline: 600s}}
checks:
  http: {{kind: http, url: "http://127.0.0.1:{port}/health"}}
  tls: {{kind: tls, host: api.test.example, ip: 127.0.0.1, port: {port}}}
  pg: {{kind: postgres, host: 127.0.0.1, port: {port}}}
  ws: {{kind: websocket, url: "ws://127.0.0.1:{port}/ws"}}
"""


def default_sigint() -> None:
    """In the child: Ctrl-C's default action, even when this run was started with SIGINT ignored
    (a background job of a non-interactive shell), so Python installs its KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_ends_the_run_promptly_with_a_partial_report(
    silent: FaultyServer, tmp_path: Path, signum: signal.Signals
) -> None:
    """SIGINT or SIGTERM mid-run ends the run (long before any probe's timeout) with a report."""
    policy = tmp_path / "silent.yaml"
    policy.write_text(SILENT_POLICY.format(port=silent.port))
    proc = subprocess.Popen(
        [sys.executable, "-m", "infra_verify", "test", "--policy", str(policy), "--color", "never"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=cli_env(),
        preexec_fn=default_sigint,
    )
    try:
        started = time.monotonic()
        while silent.connections < 4 and time.monotonic() - started < 60:  # a polling bound
            time.sleep(0.05)  # every probe is now waiting on the silent server
        assert silent.connections >= 4, "the probes never reached the server"
        proc.send_signal(signum)
        # Probes wait 300 s on the silent server: ending within this hang guard means the signal
        # ended the run; the report below says so ("interrupted"). No timing is asserted.
        out, err = proc.communicate(timeout=150)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 1, (proc.returncode, out, err)
    assert "Traceback" not in err
    assert "FAILED: deployment NOT complete" in out and "interrupted" in out
    for cid in ("http", "tls", "pg", "ws"):
        assert f" {cid} " in out, out


# -- nothing left behind -----------------------------------------------------------------------


def _open_fds() -> set[int]:
    return {int(fd) for fd in os.listdir("/proc/self/fd")}


def _settled(baseline_threads: set[int], timeout: float = 60.0) -> set[int]:
    """Thread idents beyond the baseline once worker threads had a moment to end."""
    end = time.monotonic() + timeout
    while True:
        extra = {t.ident for t in threading.enumerate() if t.ident is not None} - baseline_threads
        if not extra or time.monotonic() > end:
            return {i for i in extra if i is not None}
        time.sleep(0.05)


def _every_kind(
    dns: DnsServer, web: WebServer, postgres: PostgresServer, ca_bundle: str
) -> list[Check]:
    checks: list[Check] = [
        Dns(id="dns", name="api.test.example", expect=("127.0.0.1",)),
        Tls(id="tls", host="api.test.example", port=web.port, ca_bundle=ca_bundle),
        Http(id="http", url=f"https://api.test.example:{web.port}/health", ca_bundle=ca_bundle),
        WebSocket(id="ws", url=f"wss://api.test.example:{web.port}/ws", ca_bundle=ca_bundle),
        Tcp(id="tcp", host="api.test.example", port=web.port),
        Postgres(id="pg", dsn_env="DATABASE_URL"),
        Environment(id="env", require=("DATABASE_URL",)),
        GcpManagedCertificate(id="cert", name="netra-staging-cert", domains=(API,)),
        GcpCloudRunService(id="run", service="netra-backend-staging"),
        GcpCloudSqlInstance(id="sql", instance="netra-staging-db"),
        GcpDnsRecord(
            id="rec", zone="staging-zone", name=API, rrdatas=(LB_IP,), check_delegation=False
        ),
        GcpLoadBalancer(id="lb", forwarding_rule="netra-staging-https"),
        GcpCloudSqlPath(id="path", service="netra-backend-staging", instance="netra-staging-db"),
        GcpVpcConnector(id="conn", connector="netra-staging-connector"),
        GcpManagedCertificate(
            id="cm", name="netra-staging-cm-cert", domains=(API,), certificate_manager=True
        ),
    ]
    return checks


def test_no_file_descriptors_or_threads_left_after_runs(
    certs: CertFactory, postgres: PostgresServer, fake: FakeGcp, dns: DnsServer, tmp_path: Path
) -> None:
    """After Gate.run() over every check kind (GCP included), no fd and no thread is left open."""
    cert = certs.valid("api.test.example")
    bundle = tmp_path / "ca.pem"
    certs.write_ca_bundle(bundle)
    dns.set("api.test.example", "A", ["127.0.0.1"])
    with WebServer(ssl_context=cert.server_context()) as web:
        web.websocket("/ws")
        checks = _every_kind(dns, web, postgres, str(bundle))
        world = GcpWorld(fake)

        def one_run() -> None:
            ctx = CheckContext(
                environment="test",
                timeout=5.0,
                resolvers=(dns.resolver,),
                env={"DATABASE_URL": postgres.dsn(sslmode="require")},
                gcp=world.settings(),
            )
            run = Gate(checks, context=ctx, infer=False).run()
            bad = [(r.id, r.summary) for r in run.results if r.status is not Status.PASS]
            assert not bad, bad

        one_run()  # warm up: imports, lazily built singletons, the servers' own threads
        fds = _open_fds()
        threads = {t.ident for t in threading.enumerate() if t.ident is not None}
        for _ in range(3):
            one_run()
        leaked_threads = _settled(threads)
        deadline = time.monotonic() + 60.0  # a generous polling bound: ends once they close
        while _open_fds() - fds and time.monotonic() < deadline:
            time.sleep(0.05)  # sockets the servers close after the client left
        leaked_fds = _open_fds() - fds
    names = [t.name for t in threading.enumerate() if t.ident in leaked_threads]
    assert not leaked_threads, f"threads left behind: {names}"
    assert not leaked_fds, {fd: _describe_fd(fd) for fd in leaked_fds}


def _describe_fd(fd: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return "?"
