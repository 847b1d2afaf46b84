"""The fair benchmark's world: servers that are not Python, so the client is what is measured.

- knot (Debian) serves ``h0 … h{N-1}.bench.test``, host ``i`` at its own loopback address
  (``address(i)``: 127.1.0.1, 127.1.0.2, …), so connections spread over many addresses as
  they do in a real fleet (and 20,000 connections do not exhaust one address's ports);
- dnsdist in front of knot delays every answer by ``latency`` (``DelayResponseAction``);
- nginx, one worker process, serves TLS on every loopback address (one wildcard listener,
  certificate ``*.bench.test`` from ``CertFactory``) and answers ``/health`` after ``latency``
  (``echo_sleep`` from libnginx-mod-http-echo).

``FairWorld`` starts and stops them and reads each server's CPU time from ``/proc``.

    with FairWorld(hosts=1000, latency=0.05, workdir=Path("/tmp/fair")) as world:
        world.dns, world.https_port, world.ca, world.server_cpu()
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/servers

ZONE = "bench.test"
ECHO_MODULE = "/usr/lib/nginx/modules/ngx_http_echo_module.so"


DNS53 = "127.53.0.1"
"""The loopback address where dnsdist also listens on port 53 (when run as root)."""


def _free53(address: str) -> bool:
    """Whether UDP port 53 on ``address`` can be bound (root, and nobody else has it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind((address, 53))
        except OSError:
            return False
    return True


def host(i: int) -> str:
    """The i-th benchmark hostname."""
    return f"h{i}.{ZONE}"


def address(i: int) -> str:
    """The loopback address host ``i`` resolves to (250 hosts per /24, up to 64,000 hosts)."""
    return f"127.1.{i // 250}.{i % 250 + 1}"


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port free on 127.0.0.1 for ``kind`` (TCP or UDP) at the time of asking."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its reaped children (from /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(f) for f in fields[11:15]) / ticks


def children(pid: int) -> list[int]:
    """Direct child pids of ``pid``."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def find(*names: str) -> str:
    """The first of ``names`` on PATH or in /usr/sbin, else RuntimeError naming the package."""
    for name in names:
        found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
        if found:
            return found
    raise RuntimeError(
        f"{names[0]} not found: apt-get install knot dnsdist nginx "
        "libnginx-mod-http-echo prometheus-blackbox-exporter"
    )


class FairWorld:
    """knot + dnsdist (delay) + nginx (one worker, echo_sleep) for ``hosts`` names."""

    def __init__(self, hosts: int, latency: float, workdir: Path) -> None:
        """Prepare (not start) a world of ``hosts`` names answering after ``latency`` s."""
        self.hosts = hosts
        self.latency = latency
        self.workdir = workdir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.dns = ""
        self.dns53 = ""  # dnsdist on port 53 too (root only): for peers that read resolv.conf
        self.https_port = 0
        self.ca = ""
        self._knot: object | None = None

    def __enter__(self) -> FairWorld:
        self.start()
        return self

    def __exit__(
        self,
        et: type[BaseException] | None,
        ev: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start knot, dnsdist and nginx; wait until each answers."""
        from infra_verify.testing.certs import CertFactory
        from tests.servers.knot import KnotServer, zone

        self.workdir.mkdir(parents=True, exist_ok=True)
        certs = CertFactory()
        self.ca = str(certs.write_ca_bundle(self.workdir / "ca.pem"))
        leaf = certs.valid(f"*.{ZONE}", ZONE)
        cert_file, key_file = leaf.write(self.workdir, "leaf")
        records = [f"h{i} A {address(i)}" for i in range(self.hosts)]
        knot = KnotServer({ZONE: zone(ZONE, records)}, startup_timeout=120).start()
        self._knot = knot
        self._retry(lambda: self._start_dnsdist(knot.resolver), "dnsdist")
        self._retry(lambda: self._start_nginx(cert_file, key_file), "nginx")

    def _retry(self, start: Callable[[], None], name: str) -> None:
        """Start a server on a fresh port, again when another process took the port."""
        for attempt in range(5):
            try:
                start()
                return
            except RuntimeError as exc:
                proc = self.procs.pop(name, None)
                if proc is not None and proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=10)
                if attempt == 4 or "in use" not in str(exc):
                    raise

    def _start_dnsdist(self, upstream: str) -> None:
        port = free_port(socket.SOCK_DGRAM)
        ms = round(self.latency * 1000)
        # A second listener on port 53, for a peer that resolves through resolv.conf (which
        # names no port): blackbox_exporter, given hostnames, in its own mount namespace.
        dns53 = DNS53 if os.geteuid() == 0 and _free53(DNS53) else ""
        conf = self.workdir / "dnsdist.conf"
        conf.write_text(
            "\n".join(
                [
                    f'setLocal("127.0.0.1:{port}")',
                    f'addLocal("{dns53}:53")' if dns53 else "",
                    f'newServer({{address="{upstream}", checkInterval=3600}})',
                    "setMaxUDPOutstanding(65535)",
                    "setRingBuffersSize(1000)",
                    f"addResponseAction(AllRule(), DelayResponseAction({ms}))" if ms else "",
                    "",
                ]
            )
        )
        self.procs["dnsdist"] = subprocess.Popen(
            [find("dnsdist"), "--supervised", "--disable-syslog", "-C", str(conf)],
            stdin=subprocess.DEVNULL,
            stdout=open(self.workdir / "dnsdist.log", "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        self.dns = f"127.0.0.1:{port}"
        self.dns53 = dns53
        self._wait(self._dns_answers, "dnsdist")

    def _dns_answers(self) -> bool:
        import dns.message
        import dns.query

        host_, port = self.dns.rsplit(":", 1)
        q = dns.message.make_query(host(0), "A")
        try:
            r = dns.query.udp(q, host_, port=int(port), timeout=1)
        except Exception:
            return False
        return bool(r.answer)

    def _start_nginx(self, cert: Path, key: Path) -> None:
        self.https_port = free_port()
        delay = f"echo_sleep {self.latency:.3f};" if self.latency else ""
        conf = self.workdir / "nginx.conf"
        conf.write_text(
            f"""load_module {ECHO_MODULE};
worker_processes 1;
worker_rlimit_nofile 200000;
daemon off;
master_process on;
pid {self.workdir}/nginx.pid;
error_log {self.workdir}/nginx-error.log error;
events {{ worker_connections 65000; multi_accept on; }}
http {{
  access_log off;
  keepalive_requests 100000;
  server {{
    listen {self.https_port} ssl backlog=65535 reuseport;
    server_name *.{ZONE};
    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_session_cache off;
    ssl_session_tickets off;
    location = /health {{ default_type text/plain; {delay} echo "ok"; }}
    location / {{ return 404; }}
  }}
}}
"""
        )
        self.procs["nginx"] = subprocess.Popen(
            [find("nginx"), "-p", str(self.workdir), "-c", str(conf), "-e", "stderr"],
            stdin=subprocess.DEVNULL,
            stdout=open(self.workdir / "nginx.log", "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        self._wait(self._https_answers, "nginx")

    def _https_answers(self) -> bool:
        try:
            with socket.create_connection((address(0), self.https_port), timeout=1):
                return True
        except OSError:
            return False

    def _wait(self, ready: object, name: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if callable(ready) and ready():
                return
            proc = self.procs[name]
            if proc.poll() is not None or time.monotonic() > deadline:
                log = (self.workdir / f"{name}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} did not start: {log}")
            time.sleep(0.05)

    def server_pids(self) -> dict[str, list[int]]:
        """Each server's pids (nginx: its master and worker)."""
        pids: dict[str, list[int]] = {}
        for name, proc in self.procs.items():
            pids[name] = [proc.pid, *children(proc.pid)]
        knot = self._knot
        proc_ = getattr(knot, "_proc", None)
        if proc_ is not None:
            pids["knot"] = [proc_.pid]
        return pids

    def server_cpu(self) -> float:
        """CPU seconds used so far by knot, dnsdist and nginx together."""
        return sum(cpu_seconds(p) for ps in self.server_pids().values() for p in ps)

    def stop(self) -> None:
        """Stop every server (bounded), knot last."""
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        self.procs.clear()
        knot, self._knot = self._knot, None
        stop = getattr(knot, "stop", None)
        if stop is not None:
            stop()
