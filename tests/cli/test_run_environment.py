"""The run's environment is the one it asked for; only the run lifts the loopback guards.

Issue 15, items 2 and 7: a policy whose ``environment:`` differs from the requested name is an
input error (exit 2), a policy file alone never makes a run local, and ``--allow-loopback``
(probe targets) no longer lifts the settings guard (``--allow-loopback-settings`` does).
"""

from __future__ import annotations

import io
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra_verify.cli.main import main
from infra_verify.errors import PolicyError
from infra_verify.gate import Gate
from infra_verify.model import Status
from infra_verify.policy.load import load_policy

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def listener() -> Iterator[int]:
    """A TCP port on 127.0.0.1 that accepts connections (a tcp check against it passes)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def loopback_policy(folder: Path, name: str, environment: str, port: int) -> Path:
    """``folder/name`` probing 127.0.0.1:port, its ``environment:`` written as given."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(
        f"environment: {environment}\nchecks:\n  local: {{kind: tcp, host: 127.0.0.1, port: {port}}}\n"
    )
    return path


def cli(*args: str) -> tuple[int, str]:
    """Run the CLI in-process; return the exit code and stdout."""
    out = io.StringIO()
    return main(list(args), stdout=out), out.getvalue()


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The single stderr line of a refused run."""
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_a_policy_for_another_environment_is_refused(
    tmp_path: Path, listener: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """`staging --policies-dir d` with d/staging.yaml saying `environment: dev`: exit 2, one line
    naming the file, the line and the key (before: it probed 127.0.0.1 and passed)."""
    path = loopback_policy(tmp_path / "d", "staging.yaml", "dev", listener)
    code, _ = cli("staging", "--policies-dir", str(tmp_path / "d"))
    line = one_error_line(capsys)
    assert code == 2
    assert f"{path}:1: environment: " in line
    assert "'dev'" in line and "'staging'" in line and "fix 'environment:'" in line


def test_an_interpolated_environment_is_compared_after_interpolation(
    tmp_path: Path,
    listener: int,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`environment: "${ENV_NAME:-test}"` in staging.yaml is 'test', not 'staging': exit 2."""
    monkeypatch.delenv("ENV_NAME", raising=False)
    path = loopback_policy(tmp_path / "d", "staging.yaml", '"${ENV_NAME:-test}"', listener)
    code, _ = cli("staging", "--policies-dir", str(tmp_path / "d"))
    assert code == 2 and f"{path}:1: environment: " in one_error_line(capsys)
    monkeypatch.setenv("ENV_NAME", "staging")  # the run's own variable may name it, of course
    code, out = cli("staging", "--policies-dir", str(tmp_path / "d"))
    assert code == 1 and "points at loopback (127.0.0.1)" in out


def test_a_duplicate_environment_key_is_refused(
    tmp_path: Path, listener: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """A second `environment: dev` after `environment: staging` is an error naming both lines."""
    folder = tmp_path / "d"
    folder.mkdir()
    path = folder / "staging.yaml"
    path.write_text(
        "environment: staging\n"
        f"checks:\n  local: {{kind: tcp, host: 127.0.0.1, port: {listener}}}\n"
        "environment: dev\n"
    )
    code, _ = cli("staging", "--policies-dir", str(folder))
    line = one_error_line(capsys)
    assert code == 2 and f"{path}:4: environment: duplicate key 'environment'" in line
    assert "lines 1 and 4" in line


def test_a_policy_file_alone_cannot_make_the_run_local(tmp_path: Path, listener: int) -> None:
    """`--policy f.yaml` saying `environment: dev` keeps the loopback guard (exit 1); naming
    `dev` on the command line, or --allow-loopback, is what lifts it."""
    path = loopback_policy(tmp_path, "f.yaml", "dev", listener)
    code, out = cli("--policy", str(path), "--color", "never")
    assert code == 1
    assert "points at loopback (127.0.0.1) in environment 'dev', which only the policy" in out
    assert cli("dev", "--policy", str(path))[0] == 0
    assert cli("--policy", str(path), "--allow-loopback")[0] == 0


def test_the_code_api_follows_the_environment_the_caller_names(
    tmp_path: Path, listener: int
) -> None:
    """Gate.from_policy/load_policy: environment= is checked; without it a local name lifts
    nothing; with the matching name it does."""
    path = loopback_policy(tmp_path, "dev.yaml", "dev", listener)
    with pytest.raises(PolicyError, match="run asked for 'staging'") as info:
        Gate.from_policy(path, environment="staging")
    assert info.value.key == "environment" and info.value.line == 1
    with pytest.raises(PolicyError):
        Gate.from_policy(load_policy(path), environment="staging")
    assert Gate.from_policy(path).run().results[0].status is Status.FAIL
    assert Gate.from_policy(path, environment="dev").run().ok
    assert load_policy(path, environment="dev").environment_named


def test_environment_argument_and_policy_must_agree(
    tmp_path: Path, listener: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """`staging --policy f.yaml` with f.yaml for dev is the same input error, in one line."""
    path = loopback_policy(tmp_path, "f.yaml", "dev", listener)
    code, _ = cli("staging", "--policy", str(path))
    assert code == 2 and f"{path}:1: environment:" in one_error_line(capsys)


SETTINGS = """\
environment: staging
checks:
  app-settings: {kind: environment, no_loopback: [IV_DATABASE_URL]}
"""


def test_allow_loopback_does_not_lift_the_settings_guard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--allow-loopback lets probes reach loopback, but a staging DATABASE_URL on localhost
    still FAILs; only --allow-loopback-settings accepts it (with a note)."""
    monkeypatch.setenv("IV_DATABASE_URL", "postgresql+asyncpg://u:pw12345@localhost:5432/netra_dev")
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "staging.yaml").write_text(SETTINGS)
    base = ("staging", "--policies-dir", str(folder), "--color", "never", "-v")
    code, out = cli(*base, "--allow-loopback")
    assert (
        code == 1 and "IV_DATABASE_URL host: expected not localhost/loopback, got localhost" in out
    )
    code, out = cli(*base, "--allow-loopback-settings")
    assert code == 0 and "localhost (allowed for this run)" in out


def test_the_settings_opt_in_is_a_gate_option(tmp_path: Path) -> None:
    """Gate.from_policy(..., allow_loopback=True) keeps the settings guard; the option named
    for it, allow_loopback_settings=True, lifts it (it is carried in the CheckContext)."""
    path = tmp_path / "staging.yaml"
    path.write_text(SETTINGS)
    env = {"IV_DATABASE_URL": "postgresql://u@127.0.0.1/db"}
    probes = Gate.from_policy(path, allow_loopback=True, env=env)
    assert not probes.context.allow_loopback_settings and not probes.run().ok
    settings = Gate.from_policy(path, allow_loopback_settings=True, env=env)
    assert settings.context.allow_loopback_settings and settings.run().ok


def test_help_documents_both_opt_ins_and_the_exit_codes() -> None:
    """--help names --allow-loopback-settings, --allow-outside-policy-dir and exit code 3."""
    proc = subprocess.run(
        [sys.executable, "-m", "infra_verify", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    text = " ".join(proc.stdout.split())
    assert proc.returncode == 0
    assert "--allow-loopback-settings" in text and "--allow-outside-policy-dir" in text
    assert "0 deployment complete" in text and "3 internal error" in text
