"""Unusable stdout/stderr and internal errors get the right exit code, never a traceback.

Issue 15, item 12 (stdout closed, on /dev/full, a broken pipe; stderr closed) and the exit-code
finding (3 for an exception that escapes infra_verify, as pytest does).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra_verify.cli.main import main

ROOT = Path(__file__).resolve().parents[2]

PASSING = """\
environment: test
checks:
  settings: {kind: environment, require: [IV_STREAMS_PRESENT]}
"""


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    """A policy whose one check passes when IV_STREAMS_PRESENT is set (it is, in these runs)."""
    path = tmp_path / "p.yaml"
    path.write_text(PASSING)
    return path


def run(args: list[str], *, shell_redirect: str = "", **kwargs: object) -> tuple[int, str]:
    """Run ``python -m infra_verify ARGS`` with an optional shell redirection of its streams;
    return the exit code and stderr."""
    env = {**os.environ, "IV_STREAMS_PRESENT": "yes"}
    command = ["sh", "-c", f'exec "$@" {shell_redirect}', "sh", sys.executable, "-m"]
    proc = subprocess.run(
        [*command, "infra_verify", *args],
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
        **kwargs,  # type: ignore[call-overload]
    )
    return proc.returncode, proc.stderr


def assert_one_line(stderr: str, *fragments: str) -> None:
    """Exactly one stderr line, containing every fragment, and no traceback."""
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    for fragment in fragments:
        assert fragment in lines[0], stderr


@pytest.mark.parametrize("extra", [[], ["--list"]], ids=["run", "list"])
def test_closed_stdout_is_exit_two_in_one_line(policy: Path, extra: list[str]) -> None:
    """stdout closed (`>&-`): exit 2, "stdout is closed" (before: AttributeError traceback)."""
    code, stderr = run(["test", "--policy", str(policy), *extra], shell_redirect=">&-")
    assert code == 2
    assert_one_line(stderr, "cannot write the report: stdout is closed")


@pytest.mark.parametrize("extra", [[], ["--list"]], ids=["run", "list"])
def test_full_stdout_is_exit_two_in_one_line(policy: Path, extra: list[str]) -> None:
    """stdout on /dev/full: exit 2, "No space left on device" (before: OSError traceback)."""
    with open("/dev/full", "w") as full:
        code, stderr = run(["test", "--policy", str(policy), *extra], stdout=full)
    assert code == 2
    assert_one_line(stderr, "cannot write the report to stdout: No space left on device")


@pytest.mark.parametrize(
    "args", [["--help"], ["--version"], ["plan", "--help"], ["kinds", "--help"]]
)
@pytest.mark.parametrize("redirect", ["closed", "full"])
def test_help_that_cannot_be_written_is_exit_two(args: list[str], redirect: str) -> None:
    """--help/--version on a closed or full stdout: exit 2, one line (before: 0, nothing written)."""
    if redirect == "closed":
        code, stderr = run(args, shell_redirect=">&-")
        assert code == 2
        assert_one_line(stderr, "cannot write the report: stdout is closed")
        return
    with open("/dev/full", "w") as full:
        code, stderr = run(args, stdout=full)
    assert code == 2
    assert_one_line(stderr, "cannot write the report to stdout: No space left on device")


def test_help_still_exits_zero() -> None:
    """--help on a usable stdout prints the exit codes and exits 0."""
    proc = subprocess.run(
        [sys.executable, "-m", "infra_verify", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0 and "exit codes: 0" in proc.stdout and proc.stderr == ""


def test_broken_pipe_is_exit_two_in_one_line(policy: Path) -> None:
    """stdout a pipe nobody reads any more (EPIPE): exit 2, one line, no traceback."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        code, stderr = run(["test", "--policy", str(policy)], stdout=write_end)
    finally:
        os.close(write_end)
    assert code == 2
    assert_one_line(stderr, "cannot write the report to stdout: Broken pipe")


def test_closed_stderr_keeps_exit_two(tmp_path: Path) -> None:
    """A bad policy with stderr closed still exits 2 (before: 1, the error line crashed)."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("environment: test\nchecks: {a: {kind: nope}}\n")
    code, _ = run(["--policy", str(bad)], shell_redirect="2>&-", stdout=subprocess.DEVNULL)
    assert code == 2


def test_closed_stderr_keeps_the_verdict(policy: Path) -> None:
    """With stderr closed and stdout fine, a passing run still exits 0 and prints its report."""
    env = {**os.environ, "IV_STREAMS_PRESENT": "yes"}
    argv = ["infra_verify", "test", "--policy", str(policy), "--github"]
    proc = subprocess.run(
        ["sh", "-c", 'exec "$@" 2>&-', "sh", sys.executable, "-m", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
    )
    assert proc.returncode == 0 and "PASSED: deployment complete" in proc.stdout


def test_an_internal_error_exits_three_and_says_it_is_a_bug(
    policy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An exception escaping infra_verify (here: a reporter crash) is exit 3 with its traceback
    and a last line saying it is a bug (before: the exception escaped, exit 1 like a FAIL)."""
    import infra_verify.reporters

    def crash(*_: object, **__: object) -> str:
        raise RuntimeError("reporter exploded with password=hunter2hunter2")

    monkeypatch.setenv("IV_STREAMS_PRESENT", "yes")
    monkeypatch.setattr(infra_verify.reporters, "render", crash)
    code = main(["test", "--policy", str(policy)], stdout=io.StringIO())
    err = capsys.readouterr().err
    assert code == 3
    assert "Traceback" in err and "RuntimeError" in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("infra_verify: internal error: RuntimeError: reporter exploded")
    assert "a bug in infra_verify" in last
    assert "hunter2hunter2" not in err  # the traceback is redacted too


def test_a_failing_run_still_exits_one(policy: Path) -> None:
    """The contract is unchanged for verdicts: not complete is 1, not 3."""
    env = {k: v for k, v in os.environ.items() if k != "IV_STREAMS_PRESENT"}
    proc = subprocess.run(
        [sys.executable, "-m", "infra_verify", "test", "--policy", str(policy)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
    )
    assert proc.returncode == 1 and "Root cause (1)" in proc.stdout
