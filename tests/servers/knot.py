"""A real authoritative DNS server (Debian's ``knotd``) on loopback, for tests.

Usage::

    with KnotServer({"example.test": zone("example.test", ["www A 192.0.2.1"])}) as dns:
        dns.resolver                      # "127.0.0.1:PORT"
        dns.set_zone("example.test", zone("example.test", ["www A 192.0.2.2"]))

Authoritative-server discovery: ``zone()`` adds ``@ NS ns1`` plus the glue record
``ns1 A 127.0.0.1`` by default, so following the zone's NS records leads back to this
server. DNS cannot carry the port, so a checker that discovers authoritative servers
through NS records needs a port override (use ``KnotServer.port``).
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.zone

from infra_verify.testing.lifecycle import StartStop
from tests.servers.ports import free_port

__all__ = ["KnotServer", "find_knot_binaries", "zone"]

_HOST = "127.0.0.1"
_serials = itertools.count(int(time.time()))
_MAX_SOCKET_PATH = 100


def zone(
    origin: str,
    records: Sequence[str] | str = (),
    *,
    serial: int | None = None,
    ttl: int = 60,
    nameserver: str = "ns1",
    nameserver_address: str | None = "127.0.0.1",
) -> str:
    """Build zone-file text: SOA, apex NS (+ glue A when in-zone) and ``records`` lines."""
    name = _absolute(origin)
    lines = [records] if isinstance(records, str) else list(records)
    serial = next(_serials) if serial is None else serial
    head = [
        f"$ORIGIN {name}",
        f"$TTL {ttl}",
        f"@ SOA {nameserver} hostmaster {serial} 60 60 3600 60",
        f"@ NS {nameserver}",
    ]
    if nameserver_address is not None and not nameserver.endswith("."):
        rtype = "AAAA" if ":" in nameserver_address else "A"
        head.append(f"{nameserver} {rtype} {nameserver_address}")
    return "\n".join([*head, *lines]) + "\n"


def find_knot_binaries() -> tuple[str, str]:
    """Return the paths of ``knotd`` and ``knotc`` (PATH, then /usr/sbin) or raise."""
    found = []
    for program in ("knotd", "knotc"):
        path = shutil.which(program) or shutil.which(program, path="/usr/sbin:/sbin")
        if path is None:
            raise RuntimeError(
                f"{program} not found in PATH or /usr/sbin; install Debian's 'knot' package"
            )
        found.append(path)
    return found[0], found[1]


def _absolute(origin: str) -> str:
    """Return ``origin`` as an absolute, lower-case domain name with a trailing dot."""
    return dns.name.from_text(origin).to_text().lower()


def _parse_serial(origin: str, zone_text: str) -> int:
    """Parse ``zone_text`` with dnspython (catching errors before knot does); return its serial."""
    try:
        parsed = dns.zone.from_text(zone_text, origin=origin, relativize=False)
    except dns.exception.DNSException as exc:
        raise ValueError(f"invalid zone text for {origin}: {exc}") from exc
    soa = parsed.get_soa()
    return int(soa.serial)


class KnotServer(StartStop):
    """A ``knotd`` serving ``zones`` on 127.0.0.1 (UDP+TCP, one free port) from a temp dir."""

    def __init__(
        self,
        zones: Mapping[str, str] | None = None,
        *,
        workdir: Path | None = None,
        startup_timeout: float = 10.0,
    ) -> None:
        """Prepare (not start) a server; ``zones`` maps origin to zone-file text."""
        self._zones: dict[str, tuple[str, int]] = {}
        for origin, text in (zones or {}).items():
            name = _absolute(origin)
            self._zones[name] = (text, _parse_serial(name, text))
        self._given_workdir = workdir
        self._startup_timeout = startup_timeout
        self._workdir: Path | None = None
        self._socket_dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._port = 0
        self._knotc = ""
        self._socket = Path()

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> KnotServer:
        """Start knotd and wait (bounded) until every zone is served over UDP and TCP."""
        if self._proc is not None:
            return self
        knotd, self._knotc = find_knot_binaries()
        self._workdir = self._make_workdir()
        try:
            self._launch(knotd)
        except BaseException:
            self.stop()
            raise
        return self

    def _launch(self, knotd: str) -> None:
        """Write the files, spawn knotd and wait; retry on a port taken meanwhile."""
        socket_path = self.workdir / "knot.sock"
        if len(str(socket_path)) > _MAX_SOCKET_PATH:
            self._socket_dir = Path(tempfile.mkdtemp(prefix="knotc-"))
            socket_path = self._socket_dir / "knot.sock"
        self._socket = socket_path
        (self.workdir / "zones").mkdir(exist_ok=True)
        (self.workdir / "db").mkdir(exist_ok=True)
        for attempt in range(3):  # a port can be taken between picking and binding it
            self._port = free_port(_HOST)
            for origin in self._zones:
                self._write_zone_file(origin)
            self._write_config()
            log = open(self._log_path, "wb")  # noqa: SIM115 - closed right after Popen
            try:
                self._proc = subprocess.Popen(
                    [knotd, "-c", str(self.workdir / "knot.conf")],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=self.workdir,
                )
            finally:
                log.close()
            try:
                self._wait_ready(self._startup_timeout)
                return
            except RuntimeError:
                if attempt == 2 or "cannot bind" not in self.log_tail().lower():
                    raise
                self._terminate()

    def stop(self) -> None:
        """Stop knotd and remove the temporary directory (a given ``workdir`` is kept)."""
        self._terminate()
        self._cleanup_dirs()

    # -- public accessors ------------------------------------------------------------

    @property
    def port(self) -> int:
        """The UDP and TCP port knotd listens on."""
        return self._port

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` of the server."""
        return (_HOST, self._port)

    @property
    def resolver(self) -> str:
        """The server as a ``"127.0.0.1:PORT"`` resolver string."""
        return f"{_HOST}:{self._port}"

    @property
    def workdir(self) -> Path:
        """The directory holding knot.conf, the zone files and knotd.log."""
        if self._workdir is None:
            raise RuntimeError("KnotServer is not started")
        return self._workdir

    def log_tail(self, lines: int = 30) -> str:
        """The last ``lines`` lines of knotd's log."""
        try:
            text = self._log_path.read_text(errors="replace")
        except (OSError, RuntimeError):
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def serial(self, origin: str) -> int:
        """The SOA serial of ``origin`` as last given to this server."""
        return self._zones[_absolute(origin)][1]

    # -- changing zones --------------------------------------------------------------

    def set_zone(self, origin: str, zone_text: str, *, timeout: float = 10.0) -> None:
        """(Re)write zone ``origin`` and wait until knotd serves its new serial.

        The serial in ``zone_text`` must be higher than the one served now (``zone()``
        picks increasing serials by itself). A new origin is added to the configuration.
        """
        name = _absolute(origin)
        serial = _parse_serial(name, zone_text)
        known = name in self._zones
        if known and serial <= self._zones[name][1]:
            raise ValueError(
                f"serial of {name} must increase: served {self._zones[name][1]}, given {serial}"
            )
        self._zones[name] = (zone_text, serial)
        if self._proc is None:
            return
        log_offset = self._log_size()
        self._write_zone_file(name)
        if known:
            self._knotc_run("zone-reload", name)
        else:
            self._write_config()
            self._knotc_run("reload")
        deadline = time.monotonic() + timeout
        while self._served_serial(name, tcp=False) != serial:
            self._check_alive()
            self._check_load_errors(since=log_offset)
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"knotd did not serve serial {serial} of {name} within {timeout:.0f}s\n"
                    f"{self.log_tail()}"
                )
            time.sleep(0.02)

    # -- internals -------------------------------------------------------------------

    @property
    def _log_path(self) -> Path:
        """Where knotd's stdout and stderr go."""
        return self.workdir / "knotd.log"

    def _make_workdir(self) -> Path:
        """Create (or reuse) the working directory."""
        if self._given_workdir is not None:
            self._given_workdir.mkdir(parents=True, exist_ok=True)
            return self._given_workdir
        return Path(tempfile.mkdtemp(prefix="knot-"))

    def _zone_file(self, origin: str) -> Path:
        """The zone file path for ``origin``."""
        stem = origin.rstrip(".") or "root"
        return self.workdir / "zones" / f"{stem}.zone"

    def _write_zone_file(self, origin: str) -> None:
        """Write the stored text of ``origin`` atomically."""
        path = self._zone_file(origin)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(self._zones[origin][0])
        os.replace(tmp, path)

    def _write_config(self) -> None:
        """Write knot.conf for the current port and zones."""
        workdir = self.workdir
        zones = "".join(
            f'  - domain: "{origin}"\n    file: "{self._zone_file(origin)}"\n'
            for origin in self._zones
        )
        config = (
            "server:\n"
            f'    rundir: "{workdir}"\n'
            f"    listen: {_HOST}@{self._port}\n"
            "    udp-workers: 1\n"
            "    tcp-workers: 1\n"
            "    background-workers: 1\n"
            "log:\n"
            "  - target: stderr\n"
            "    any: info\n"
            "database:\n"
            f'    storage: "{workdir / "db"}"\n'
            "control:\n"
            f'    listen: "{self._socket}"\n'
            "template:\n"
            "  - id: default\n"
            f'    storage: "{workdir / "zones"}"\n'
            "    zonefile-sync: -1\n"
            "    zonefile-load: whole\n"
            "    journal-content: none\n"
            "    semantic-checks: off\n" + ("zone:\n" + zones if zones else "")
        )
        tmp = workdir / "knot.conf.tmp"
        tmp.write_text(config)
        os.replace(tmp, workdir / "knot.conf")

    def _knotc_run(self, *args: str) -> None:
        """Run a knotc command against this server's control socket (bounded)."""
        try:
            done = subprocess.run(
                [self._knotc, "-s", str(self._socket), "-t", "5", *args],
                capture_output=True,
                timeout=10,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"knotc {' '.join(args)} timed out") from exc
        if done.returncode != 0:
            out = (done.stdout + done.stderr).decode(errors="replace").strip()
            raise RuntimeError(f"knotc {' '.join(args)} failed: {out}\n{self.log_tail()}")

    def _served_serial(self, origin: str, *, tcp: bool) -> int | None:
        """The SOA serial knotd answers for ``origin`` now, or None."""
        query = dns.message.make_query(origin, dns.rdatatype.SOA)
        try:
            if tcp:
                answer = dns.query.tcp(query, _HOST, port=self._port, timeout=0.2)
            else:
                answer = dns.query.udp(query, _HOST, port=self._port, timeout=0.2)
        except (dns.exception.DNSException, OSError):
            return None
        if answer.rcode() != dns.rcode.NOERROR:
            return None
        for rrset in answer.answer:
            if rrset.rdtype == dns.rdatatype.SOA:
                return int(rrset[0].serial)
        return None

    def _server_answers(self, *, tcp: bool) -> bool:
        """Whether knotd answers at all (any rcode) on UDP or TCP."""
        query = dns.message.make_query(".", dns.rdatatype.SOA)
        try:
            if tcp:
                dns.query.tcp(query, _HOST, port=self._port, timeout=0.2)
            else:
                dns.query.udp(query, _HOST, port=self._port, timeout=0.2)
        except (dns.exception.DNSException, OSError):
            return False
        return True

    def _ready(self) -> bool:
        """Whether every zone is served with its serial (UDP), and TCP answers."""
        for origin, (_, serial) in self._zones.items():
            if self._served_serial(origin, tcp=False) != serial:
                return False
        return self._server_answers(tcp=True) and (
            bool(self._zones) or self._server_answers(tcp=False)
        )

    def _check_alive(self) -> None:
        """Raise with the log tail if knotd has exited."""
        if self._proc is not None and self._proc.poll() is not None:
            raise RuntimeError(
                f"knotd exited with code {self._proc.returncode} on port {self._port}\n"
                f"{self.log_tail()}"
            )

    def _log_size(self) -> int:
        """The current size of knotd's log in bytes."""
        try:
            return self._log_path.stat().st_size
        except OSError:
            return 0

    def _check_load_errors(self, *, since: int) -> None:
        """Raise with the log tail if knotd logged a zone load failure after ``since``."""
        try:
            with self._log_path.open("rb") as log:
                log.seek(since)
                new = log.read().decode(errors="replace")
        except OSError:
            return
        if "failed to load zone" in new or "zone event 'load' failed" in new:
            raise RuntimeError(f"knotd failed to load a zone on {self.resolver}\n{self.log_tail()}")

    def _wait_ready(self, timeout: float) -> None:
        """Poll until ready; raise a RuntimeError naming the failure otherwise."""
        deadline = time.monotonic() + timeout
        while not self._ready():
            self._check_alive()
            self._check_load_errors(since=0)
            if time.monotonic() > deadline:
                missing = [
                    origin
                    for origin, (_, serial) in self._zones.items()
                    if self._served_serial(origin, tcp=False) != serial
                ]
                raise RuntimeError(
                    f"knotd on {self.resolver} not ready within {timeout:.0f}s "
                    f"(zones not served: {missing or 'none'})\n{self.log_tail()}"
                )
            time.sleep(0.02)

    def _terminate(self) -> None:
        """Stop the knotd process (TERM, then KILL after 5 s)."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def _cleanup_dirs(self) -> None:
        """Remove directories this server created."""
        if self._workdir is not None and self._given_workdir is None:
            shutil.rmtree(self._workdir, ignore_errors=True)
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
        self._workdir = None
        self._socket_dir = None
