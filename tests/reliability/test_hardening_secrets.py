"""Secrets stay masked whoever prints them (issue 15, items 8 and 13).

Every secret is registered when the policy loads, so another check's evidence cannot print it
when its own check is skipped or blocked; and a registered secret is masked in the encodings a
hostile server echoes it in (percent-encoded as in the DSN, base64), in every report format.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from .conftest import cli_env, run_cli

TOKEN = "s3cr3t-token-value-0123456789"
PASSWORD = "p@ss/w0rd+Sup3r"
FORMATS = ("--json", "--junit", "--sarif", "--markdown")


def every_report(tmp_path: Path, args: list[str], env: dict[str, str]) -> str:
    """Run the CLI writing every report format; return stdout, stderr and every file, joined."""
    files = [str(tmp_path / f"report{flag.replace('--', '.')}") for flag in FORMATS]
    extra = [x for flag, file in zip(FORMATS, files, strict=True) for x in (flag, file)]
    proc = run_cli([*args, "-v", "--github", *extra], env=cli_env(**env))
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stdout + proc.stderr + "".join(Path(f).read_text() for f in files)


SKIPPED_OWNER = """\
environment: test
checks:
  api:
    kind: http
    url: "https://127.0.0.1:9/health"
    headers_from_env: {{Authorization: IV_API_TOKEN}}{after}
  motd: {{kind: environment, equals: {{IV_MOTD: hello}}}}
"""


@pytest.mark.parametrize("how", ["skipped", "blocked"])
def test_a_secret_is_masked_when_its_own_check_does_not_run(tmp_path: Path, how: str) -> None:
    """A headers_from_env value echoed in another check's evidence is masked even when the
    check that reads it is skipped (--skip) or blocked (before: printed in clear)."""
    after = "\n    after: [motd]" if how == "blocked" else ""
    policy = tmp_path / "p.yaml"
    policy.write_text(SKIPPED_OWNER.format(after=after))
    args = ["test", "--policy", str(policy)] + (["--skip", "api"] if how == "skipped" else [])
    env = {"IV_API_TOKEN": f"Bearer {TOKEN}", "IV_MOTD": f"today's token is {TOKEN}"}
    out = every_report(tmp_path, args, env)
    assert TOKEN not in out
    assert "today's token is ***" in out


class EchoingPostgres:
    """A server that speaks just enough PostgreSQL to ask for a cleartext password, then
    refuses it with an error that echoes the password percent-encoded and base64-encoded."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.heard: list[str] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> EchoingPostgres:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self.sock.close()
        self._thread.join(timeout=30)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        conn.settimeout(30)
        with conn:
            try:
                while True:  # SSLRequest / GSSENCRequest: "no"; then the StartupMessage
                    length, code = struct.unpack("!ii", _exactly(conn, 8))
                    if code in (80877103, 80877104):
                        conn.sendall(b"N")
                        continue
                    _exactly(conn, length - 8)
                    break
                conn.sendall(b"R" + struct.pack("!ii", 8, 3))  # AuthenticationCleartextPassword
                _, length = struct.unpack("!ci", _exactly(conn, 5))  # PasswordMessage
                password = _exactly(conn, length - 4).rstrip(b"\0").decode()
                self.heard.append(password)
                echoed = (
                    f"password authentication failed: got {quote(password, safe='')} "
                    f"aka {base64.b64encode(password.encode()).decode()}"
                ).encode()
                fields = b"SFATAL\0VFATAL\0C28P01\0M" + echoed + b"\0\0"
                conn.sendall(b"E" + struct.pack("!i", 4 + len(fields)) + fields)
            except (OSError, struct.error):
                return


def _exactly(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise OSError("closed")
        data += chunk
    return data


@pytest.fixture
def echoing() -> Iterator[EchoingPostgres]:
    """A hostile PostgreSQL-speaking server on loopback."""
    with EchoingPostgres() as server:
        yield server


def test_an_echoed_password_is_masked_in_its_encodings(
    tmp_path: Path, echoing: EchoingPostgres
) -> None:
    """The password a hostile server echoes percent-encoded (as in the DSN) and base64-encoded
    appears in no report format (before: printed in both encodings everywhere)."""
    dsn = f"postgresql://app:{quote(PASSWORD, safe='')}@127.0.0.1:{echoing.port}/db?sslmode=disable"
    policy = tmp_path / "p.yaml"
    policy.write_text("environment: test\nchecks:\n  db: {kind: postgres, dsn_env: IV_DB_DSN}\n")
    out = every_report(tmp_path, ["test", "--policy", str(policy)], {"IV_DB_DSN": dsn})
    assert echoing.heard == [PASSWORD] * len(echoing.heard) and echoing.heard
    assert "password authentication failed" in out
    for form in (
        PASSWORD,
        quote(PASSWORD, safe=""),
        base64.b64encode(PASSWORD.encode()).decode(),
    ):
        assert form not in out, form
