"""What a person waiting sees: the live table in a real terminal (tmux), and the heartbeat lines
of a CI log (no terminal), while a real TCP port goes from refused to listening."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.cli.terminal import terminal

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A loopback port nothing listens on (for now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@contextmanager
def listening(port: int) -> Iterator[None]:
    """Listen on 127.0.0.1:port (the fix arriving mid-run)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(16)
        yield


def write_policy(tmp_path: Path, port: int) -> Path:
    """A port that refuses, a setting that passes, and a check that waits for the port."""
    path = tmp_path / "p.yaml"
    path.write_text(
        "environment: test\n"
        "defaults: {timeout: 1s, poll: 200ms, poll_max: 500ms}\n"
        "checks:\n"
        f"  port: {{kind: tcp, host: 127.0.0.1, port: {port}}}\n"
        "  settings: {kind: environment, require: [IV_TEST_PRESENT]}\n"
        f"  after-port: {{kind: tcp, host: 127.0.0.1, port: {port}, after: [port]}}\n"
    )
    return path


def command(policy: Path) -> list[str]:
    """`python -m infra_verify test --policy POLICY`."""
    return [sys.executable, "-m", "infra_verify", "test", "--policy", str(policy)]


def environment() -> dict[str, str]:
    """The child's environment: ours, the test variable set, no color or size overrides."""
    unset = ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    return {**env, "IV_TEST_PRESENT": "yes", "TERM": "xterm-256color"}


def test_live_table_in_a_terminal_shows_every_check_counts_and_root_cause(tmp_path: Path) -> None:
    """In tmux: every check, the counts, next attempts and root cause; then the report."""
    port = free_port()
    policy = write_policy(tmp_path, port)
    argv = [*command(policy), "--wait", "2m", "--heartbeat", "1s"]
    with terminal(argv, cwd=ROOT, env=environment()) as term:
        screen = term.wait_for(lambda s: "root cause: port" in s and "in " in s)
        assert "waiting: 1 pass, 1 fail, 0 error, 0 blocked, 1 pending" in screen
        assert "elapsed" in screen and "left" in screen
        assert "next attempt" in screen and "latest finding" in screen
        rows = {line.split()[1]: line for line in screen.splitlines() if line.startswith("│")}
        assert "FAIL" in rows["port"] and "connection refused" in rows["port"]
        assert "PASS" in rows["settings"]
        assert "PENDING" in rows["after-port"] and "after port" in rows["after-port"]
        with listening(port):
            final = term.wait_for(lambda s: "[exited" in s)
        assert "[exited 0]" in final and "PASSED: deployment complete" in final
        assert "latest finding" not in final  # the live table is gone, the report stays
        assert "still waiting" not in final  # heartbeat lines are for logs, not terminals


def test_ci_log_gets_heartbeat_lines_between_state_changes(tmp_path: Path) -> None:
    """Without a terminal, heartbeat lines come while nothing changes; no escape codes."""
    port = free_port()
    policy = write_policy(tmp_path, port)
    proc = subprocess.Popen(
        [*command(policy), "--wait", "2m", "--heartbeat", "300ms"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
        cwd=ROOT,
    )
    assert proc.stderr is not None
    seen: list[str] = []
    try:
        while len([line for line in seen if "still waiting" in line]) < 2:
            line = proc.stderr.readline()
            assert line, f"the process ended before two heartbeats: {seen}"
            seen.append(line)
        with listening(port):
            out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    beats = [line for line in seen if "still waiting" in line]
    assert "still waiting... [1 pass, 1 fail, 0 error, 0 blocked, 1 pending; " in beats[-1]
    assert "left] root cause: port; not converged: " in beats[-1]
    assert "port (FAIL, attempt" in beats[-1] and "after-port (waiting for port)" in beats[-1]
    assert "\x1b[" not in "".join(seen) + err
    assert proc.returncode == 0 and "PASSED" in out
