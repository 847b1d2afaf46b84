"""A real terminal for tests: a tmux server of its own, a command in it, and its screen."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest


class Terminal:
    """One tmux window running one command, on a private tmux server (its own socket)."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        """Run a tmux command against this terminal's server; its stdout."""
        proc = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=30
        )
        return proc.stdout

    def send(self, *keys: str) -> None:
        """Type keys (tmux key names such as Enter or Tab, or literal text)."""
        self.tmux("send-keys", "-t", "main", "--", *keys)

    def screen(self) -> str:
        """The visible screen, line by line."""
        return self.tmux("capture-pane", "-p", "-t", "main")

    def wait_for(self, ready: Callable[[str], bool], *, timeout: float = 60.0) -> str:
        """Poll the screen until ``ready(screen)``; fail with the last screen after ``timeout``."""
        end = time.monotonic() + timeout
        screen = self.screen()
        while not ready(screen):
            if time.monotonic() > end:
                pytest.fail(f"the terminal never showed what was expected; it shows:\n{screen}")
            time.sleep(0.1)
            screen = self.screen()
        return screen


@contextmanager
def terminal(
    command: list[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    width: int = 140,
    height: int = 40,
) -> Iterator[Terminal]:
    """Run ``command`` in a fresh tmux terminal of ``width`` x ``height``; stop it afterwards."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    term = Terminal(f"infra-verify-test-{uuid.uuid4().hex[:12]}")
    assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    # After the command, the pane shows its exit code and stays open until the server stops.
    # COLUMNS/LINES from the environment the tmux server inherited would override the pane's size.
    line = (
        f"cd {shlex.quote(str(cwd))}; env -u COLUMNS -u LINES {assignments} "
        f"{shlex.join(command)}; "
        'echo "[exited $?]"; exec sleep 3600'
    )
    term.tmux(
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-s",
        "main",
        "-x",
        str(width),
        "-y",
        str(height),
        line,
    )
    try:
        yield term
    finally:
        term.tmux("kill-server")
