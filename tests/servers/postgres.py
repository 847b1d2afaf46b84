"""A real PostgreSQL server (Debian's postgresql) on loopback, for tests.

``initdb`` into a temporary directory, then ``postgres`` on 127.0.0.1 with a free port,
scram-sha-256 password auth over TCP and a known superuser. SSL is on by default with a
leaf from ``CertFactory`` for ``127.0.0.1``/``localhost``, so an SSLRequest is answered
``S`` and ``sslmode=verify-full`` works with ``sslrootcert=server.ca_file``; pass
``ssl=False`` for a server that answers ``N``. As root, the server runs as the
``postgres`` system user (initdb refuses root).
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import psycopg

from infra_verify.testing.certs import CertFactory
from infra_verify.testing.lifecycle import StartStop
from tests.servers.ports import free_port

__all__ = ["PostgresServer", "find_postgres_bindir"]

_HOST = "127.0.0.1"


def find_postgres_bindir() -> Path:
    """Return the directory holding ``initdb`` and ``postgres`` (PATH, then the newest
    /usr/lib/postgresql/*/bin) or raise RuntimeError."""
    candidates: list[Path] = []
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(os.path.realpath(on_path)).parent)
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else -1,
        reverse=True,
    )
    candidates.extend(versions)
    for bindir in candidates:
        if all(os.access(bindir / program, os.X_OK) for program in ("initdb", "postgres")):
            return bindir
    raise RuntimeError(
        "initdb/postgres not found in PATH or /usr/lib/postgresql/*/bin; "
        "install Debian's 'postgresql' package"
    )


class PostgresServer(StartStop):
    """A throwaway PostgreSQL cluster on 127.0.0.1 with password (scram-sha-256) auth."""

    def __init__(
        self,
        *,
        user: str = "postgres",
        password: str = "secret",
        ssl: bool = True,
        certs: CertFactory | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        """Prepare (not start) a server with superuser ``user``/``password``."""
        self.user = user
        self.password = password
        self.ssl = ssl
        self.certs = certs if certs is not None or not ssl else CertFactory()
        self._startup_timeout = startup_timeout
        self._workdir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._port = 0
        self._run_as: dict[str, Any] = {}
        self._owner = (os.getuid(), os.getgid())

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> PostgresServer:
        """Run initdb and start postgres; wait (bounded) until a password login works."""
        if self._proc is not None:
            return self
        bindir = find_postgres_bindir()
        self._workdir = Path(tempfile.mkdtemp(prefix="pg-"))
        try:
            self._prepare_owner()
            self._initdb(bindir)
            for attempt in range(3):  # a port can be taken between picking and binding it
                self._port = free_port(_HOST, udp=False)
                self._spawn(bindir)
                try:
                    self._wait_ready()
                    break
                except RuntimeError:
                    if attempt == 2 or "could not bind" not in self.log_tail():
                        raise
                    self._halt()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop postgres (fast shutdown, then kill) and remove the temporary directory."""
        self._halt()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def _spawn(self, bindir: Path) -> None:
        """Start the postgres process, its output appended to the log."""
        log = open(self._log_path, "ab")  # noqa: SIM115 - closed right after Popen
        try:
            self._proc = subprocess.Popen(
                [str(bindir / "postgres"), *self._server_args()],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self._workdir,
                **self._run_as,
            )
        finally:
            log.close()

    def _halt(self) -> None:
        """Stop the postgres process: fast shutdown (SIGINT), then SIGKILL after 10 s."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # fast shutdown: do not wait for clients
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)

    # -- public accessors ------------------------------------------------------------

    @property
    def host(self) -> str:
        """The address postgres listens on."""
        return _HOST

    @property
    def port(self) -> int:
        """The TCP port postgres listens on."""
        return self._port

    @property
    def workdir(self) -> Path:
        """The cluster's temporary directory (data/, postgres.log, ca.pem, the socket)."""
        if self._workdir is None:
            raise RuntimeError("PostgresServer is not started")
        return self._workdir

    @property
    def ca_file(self) -> Path:
        """A file holding the CA that signed the server certificate (ssl only)."""
        if not self.ssl:
            raise RuntimeError("PostgresServer was started with ssl=False")
        return self.workdir / "ca.pem"

    def dsn(
        self,
        password: str | None = None,
        *,
        user: str | None = None,
        database: str = "postgres",
        **params: str,
    ) -> str:
        """A ``postgresql://`` URL for this server; ``params`` become query parameters."""
        secret = self.password if password is None else password
        auth = f"{quote(user or self.user, safe='')}:{quote(secret, safe='')}"
        query = f"?{urlencode(params)}" if params else ""
        return f"postgresql://{auth}@{_HOST}:{self._port}/{quote(database, safe='')}{query}"

    def log_tail(self, lines: int = 30) -> str:
        """The last ``lines`` lines of the server (and initdb) log."""
        try:
            text = self._log_path.read_text(errors="replace")
        except (OSError, RuntimeError):
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # -- internals -------------------------------------------------------------------

    @property
    def _log_path(self) -> Path:
        """The server log."""
        return self.workdir / "postgres.log"

    def _prepare_owner(self) -> None:
        """As root, hand the directory to the ``postgres`` system user and run as it."""
        if os.geteuid() != 0:
            return
        try:
            account = pwd.getpwnam("postgres")
        except KeyError as exc:
            raise RuntimeError(
                "running as root but there is no 'postgres' system user to run initdb as; "
                "install Debian's 'postgresql' package"
            ) from exc
        os.chown(self.workdir, account.pw_uid, account.pw_gid)
        self._run_as = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
        self._owner = (account.pw_uid, account.pw_gid)

    def _own(self, path: Path) -> None:
        """Give ``path`` to the user the server runs as."""
        if self._run_as:
            os.chown(path, *self._owner)

    def _write_private(self, path: Path, data: bytes) -> None:
        """Write ``data`` to ``path`` with mode 0600, owned by the server's user."""
        path.touch(mode=0o600)
        path.write_bytes(data)
        self._own(path)

    def _initdb(self, bindir: Path) -> None:
        """Create the cluster (bounded to the startup timeout)."""
        workdir = self.workdir
        pwfile = workdir / "pwfile"
        self._write_private(pwfile, self.password.encode() + b"\n")
        self._log_path.touch()
        self._own(self._log_path)
        command = [
            str(bindir / "initdb"),
            "-D",
            str(workdir / "data"),
            "-U",
            self.user,
            f"--pwfile={pwfile}",
            "--auth-host=scram-sha-256",
            "--auth-local=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ]
        try:
            done = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                cwd=workdir,
                timeout=self._startup_timeout,
                check=False,
                **self._run_as,
            )
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"initdb timed out after {self._startup_timeout:.0f}s") from exc
        finally:
            pwfile.unlink(missing_ok=True)
        if done.returncode != 0:
            output = (done.stdout + done.stderr).decode(errors="replace")
            tail = "\n".join(output.splitlines()[-30:])
            raise RuntimeError(f"initdb failed with code {done.returncode}:\n{tail}")
        if self.ssl:
            assert self.certs is not None
            leaf = self.certs.valid("127.0.0.1", "localhost")
            self._write_private(workdir / "server.crt", leaf.chain_pem)
            self._write_private(workdir / "server.key", leaf.key_pem)
            self.certs.write_ca_bundle(workdir / "ca.pem")

    def _server_args(self) -> list[str]:
        """Command-line arguments for ``postgres``."""
        workdir = self.workdir
        settings = {
            "listen_addresses": _HOST,
            "port": str(self._port),
            "unix_socket_directories": str(workdir),
            "fsync": "off",
            "full_page_writes": "off",
            "synchronous_commit": "off",
            "max_connections": "50",
            "shared_buffers": "16MB",
            "dynamic_shared_memory_type": "mmap",
            "logging_collector": "off",
            "ssl": "on" if self.ssl else "off",
        }
        if self.ssl:
            settings["ssl_cert_file"] = str(workdir / "server.crt")
            settings["ssl_key_file"] = str(workdir / "server.key")
        args = ["-D", str(workdir / "data")]
        for key, value in settings.items():
            args += ["-c", f"{key}={value}"]
        return args

    def _wait_ready(self) -> None:
        """Poll a password login until it works; raise with the log tail otherwise."""
        deadline = time.monotonic() + self._startup_timeout
        last_error = ""
        while True:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"postgres exited with code {self._proc.returncode}\n{self.log_tail()}"
                )
            try:
                with psycopg.connect(self.dsn(), connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.Error as exc:
                last_error = str(exc).strip()
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"postgres on {_HOST}:{self._port} not ready within "
                    f"{self._startup_timeout:.0f}s (last error: {last_error})\n{self.log_tail()}"
                )
            time.sleep(0.05)
