"""The command line: exit codes, one-line errors, --list, formats and selection."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from infra_verify.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str) -> tuple[int, str]:
    """Run the CLI in-process; return the exit code and stdout."""
    out = io.StringIO()
    code = main(list(args), stdout=out)
    return code, out.getvalue()


def write(tmp_path: Path, text: str) -> Path:
    """Write a policy file."""
    path = tmp_path / "p.yaml"
    path.write_text(text)
    return path


ENV_ONLY = """\
environment: test
checks:
  settings:
    kind: environment
    require: [IV_TEST_PRESENT]
"""


def test_passing_policy_exits_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A policy whose checks pass exits 0 and says so."""
    monkeypatch.setenv("IV_TEST_PRESENT", "yes")
    code, out = cli("--policy", str(write(tmp_path, ENV_ONLY)))
    assert code == 0 and "PASSED: deployment complete" in out


def test_failing_policy_exits_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failing check exits 1 and names the root cause."""
    monkeypatch.delenv("IV_TEST_PRESENT", raising=False)
    code, out = cli("--policy", str(write(tmp_path, ENV_ONLY)))
    assert code == 1 and "Root cause (1)" in out and "settings [environment]" in out


def test_malformed_policy_is_one_line_exit_two(tmp_path: Path) -> None:
    """A malformed policy prints exactly one line on stderr, no traceback, exit 2."""
    path = write(tmp_path, ENV_ONLY.replace("require", "requir"))
    proc = subprocess.run(
        [sys.executable, "-m", "infra_verify", "--policy", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert f"{path}:5: checks.settings.requir: unknown key 'requir'" in lines[0]


def test_unknown_environment_exits_two(capsys: pytest.CaptureFixture[str]) -> None:
    """An environment without a policy file is a usage error with a suggestion."""
    code, _ = cli("stagingg", "--policies-dir", str(ROOT / "policies"))
    assert code == 2 and "did you mean 'staging'" in capsys.readouterr().err


def test_no_arguments_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """Running without an environment or policy exits 2 with advice."""
    code, _ = cli()
    assert code == 2 and "name an environment" in capsys.readouterr().err


def test_bad_flag_value_exits_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unparsable --timeout exits 2 naming the flag."""
    code, _ = cli("--policy", str(write(tmp_path, ENV_ONLY)), "--timeout", "soon")
    assert code == 2 and "--timeout" in capsys.readouterr().err


def test_unknown_format_exits_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown --format exits 2 and lists the formats."""
    code, _ = cli("--policy", str(write(tmp_path, ENV_ONLY)), "--format", "yaml")
    assert code == 2 and "text" in capsys.readouterr().err


def test_unknown_flag_exits_two() -> None:
    """argparse errors exit 2 (main returns the code, as for every other usage error)."""
    assert cli("--no-such-flag")[0] == 2


def test_staging_list_works_offline() -> None:
    """`staging --list` lists the staging checks with inferred edges, running nothing."""
    code, out = cli("staging", "--list", "--policies-dir", str(ROOT / "policies"))
    assert code == 0
    assert (
        "dns-api" in out
        and "health" in out
        and "after: dns-api (inferred), tls-api (inferred)" in out
    )


def test_json_format_is_the_serialized_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--format json prints the versioned JSON report."""
    monkeypatch.setenv("IV_TEST_PRESENT", "yes")
    code, out = cli("--policy", str(write(tmp_path, ENV_ONLY)), "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["schema_version"] == 1 and doc["results"][0]["id"] == "settings"


def test_output_and_json_files_are_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--output and --json write reports to files."""
    monkeypatch.setenv("IV_TEST_PRESENT", "yes")
    cli(
        "--policy",
        str(write(tmp_path, ENV_ONLY)),
        "--output",
        str(tmp_path / "r.txt"),
        "--json",
        str(tmp_path / "r.json"),
    )
    assert "settings" in (tmp_path / "r.txt").read_text()
    assert json.loads((tmp_path / "r.json").read_text())["ok"] is True


TWO = """\
environment: test
checks:
  a: {kind: environment, require: [IV_TEST_PRESENT]}
  b: {kind: environment, require: [IV_TEST_ABSENT]}
"""


def test_only_and_skip_select_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--skip deselects a failing check (shown as skipped); --only selects one."""
    monkeypatch.setenv("IV_TEST_PRESENT", "yes")
    monkeypatch.delenv("IV_TEST_ABSENT", raising=False)
    path = str(write(tmp_path, TWO))
    code, out = cli("--policy", path, "--skip", "b")
    assert code == 0 and "SKIPPED b" in out
    code, _ = cli("--policy", path, "--only", "b")
    assert code == 1


def test_unknown_only_id_exits_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--only naming no check is a usage error, not a silent no-op."""
    code, _ = cli("--policy", str(write(tmp_path, TWO)), "--only", "zzz")
    assert code == 2 and "zzz" in capsys.readouterr().err


def test_demo_names_the_dns_root_cause() -> None:
    """The offline demo exits 1, names dns-auth as the root cause and blocks tls/http/ws for auth."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py"), "--color", "never"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert "Root cause (1):" in out and "1. dns-auth [dns]" in out
    assert "blocks: tls-auth, health-auth, ws-auth" in out
    assert "gcloud dns record-sets update auth.demo.test." in out


def test_fixed_demo_passes() -> None:
    """The demo world with the record fixed passes with exit 0."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py"), "--fixed"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PASSED: deployment complete" in proc.stdout


def test_policy_without_gcp_checks_imports_no_google_library(tmp_path: Path) -> None:
    """Loading and running a policy without GCP checks never imports google.* (cold start stays fast)."""
    policy = write(tmp_path, ENV_ONLY)
    code = (
        "import sys, io\n"
        "from infra_verify.cli.main import main\n"
        f"main(['--policy', {str(policy)!r}, '--list'], stdout=io.StringIO())\n"
        f"main(['--policy', {str(policy)!r}], stdout=io.StringIO())\n"
        "print(sorted(m for m in sys.modules if m == 'google' or m.startswith('google.')))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip().splitlines()[-1] == "[]", proc.stdout + proc.stderr


def test_staging_list_imports_no_google_library() -> None:
    """--list of the staging policy (GCP kinds included) does not import google.* either."""
    code = (
        "import sys, io\n"
        "from infra_verify.cli.main import main\n"
        f"main(['staging', '--list', '--policies-dir', {str(ROOT / 'policies')!r}], stdout=io.StringIO())\n"
        "print(sorted(m for m in sys.modules if m == 'google' or m.startswith('google.')))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip().splitlines()[-1] == "[]", proc.stdout + proc.stderr


def test_a_policy_without_checks_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An empty checks: mapping would verify nothing: one line naming file, line and key, exit 2."""
    path = write(tmp_path, "environment: test\nchecks: {}\n")
    code, out = cli("--policy", str(path))
    err = capsys.readouterr().err
    assert code == 2 and out == ""
    assert f"{path}:2: checks: the policy has no checks" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize(
    "selection", [("--skip", "settings"), ("--only", "settings", "--skip", "environment")]
)
def test_filters_that_leave_nothing_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], selection: tuple[str, ...]
) -> None:
    """--only/--skip that deselect every check are a usage error (exit 2), not a FAIL."""
    code, out = cli("--policy", str(write(tmp_path, ENV_ONLY)), *selection)
    err = capsys.readouterr().err
    assert code == 2 and out == ""
    assert "every check is deselected" in err and len(err.splitlines()) == 1
