"""Run-named Terraform files (plan, outputs) are read through one bounded reader (issue 15)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from infra_verify.cli.plan import plan_main
from infra_verify.iac.files import (
    MAX_OUTPUTS_BYTES,
    MAX_PLAN_BYTES,
    InputFileError,
    read_bounded,
)
from tests.iac.conftest import POLICY, fixture

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python -m infra_verify ARGS`` in a child (an endless read fails by its timeout)."""
    return subprocess.run(
        [sys.executable, "-m", "infra_verify", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def test_a_file_over_the_limit_is_refused_naming_it(tmp_path: Path) -> None:
    """One byte over the limit: InputFileError naming the file and the limit."""
    path = tmp_path / "plan.json"
    path.write_bytes(b"{" + b" " * 2048)
    with pytest.raises(InputFileError, match=r"larger than 2 KiB") as info:
        read_bounded(path, 2048, what="plan file", how="make a smaller one")
    assert str(path) in str(info.value) and "make a smaller one" in str(info.value)
    assert read_bounded(path, 2049, what="plan file", how="x").startswith(b"{")


def test_the_limits_are_the_documented_ones() -> None:
    """128 MiB for a plan, 32 MiB for outputs, as docs/security.md says."""
    assert (MAX_PLAN_BYTES, MAX_OUTPUTS_BYTES) == (128 << 20, 32 << 20)
    doc = (ROOT / "docs" / "security.md").read_text()
    assert re.search(r"plan[^.]*128 MiB", doc) and re.search(r"outputs[^.]*32 MiB", doc)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
@pytest.mark.parametrize("flag", ["--plan", "--tf-outputs"])
def test_plan_refuses_a_device_with_one_line(flag: str, device: str) -> None:
    """plan --plan/--tf-outputs /dev/zero: exit 2, one line naming it, no endless read."""
    files = {"--plan": str(fixture("good")), "--tf-outputs": None} | {flag: device}
    args = [a for f, path in files.items() if path for a in (f, path)]
    proc = cli("plan", *args, "--policy", str(POLICY))
    assert proc.returncode == 2, proc.stderr
    assert f"{device}: not a regular file" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_run_refuses_tf_outputs_from_a_device(tmp_path: Path) -> None:
    """The live gate's --tf-outputs /dev/zero is refused the same way: exit 2, one line."""
    policy = tmp_path / "p.yaml"
    policy.write_text("environment: test\nchecks:\n  s: {kind: environment}\n")
    proc = cli("--policy", str(policy), "--tf-outputs", "/dev/zero")
    assert proc.returncode == 2, proc.stderr
    assert "/dev/zero: not a regular file" in proc.stderr and "Traceback" not in proc.stderr


@pytest.fixture
def outside_extends(tmp_path: Path) -> Path:
    """A plan policy in policies/ whose extends: names a file in a sibling folder."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "base.yaml").write_text("environment: staging\n")
    (tmp_path / "policies").mkdir()
    policy = tmp_path / "policies" / "p.yaml"
    policy.write_text("extends: ../outside/base.yaml\nchecks: {}\n")
    return policy


def test_plan_refuses_files_outside_the_policy_dir(
    outside_extends: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """plan follows the live gate's rule: extends: outside the policy's folder is exit 2."""
    out = io.StringIO()
    code = plan_main(["--plan", str(fixture("good")), "--policy", str(outside_extends)], stdout=out)
    err = capsys.readouterr().err
    assert code == 2 and out.getvalue() == ""
    assert f"{outside_extends}:1: extends:" in err and "outside the policy" in err


def test_plan_allow_outside_policy_dir_is_the_runs_opt_in(outside_extends: Path) -> None:
    """plan --allow-outside-policy-dir reads the outside base and runs the plan check."""
    out = io.StringIO()
    args = ["--plan", str(fixture("good")), "--policy", str(outside_extends)]
    code = plan_main([*args, "--allow-outside-policy-dir"], stdout=out)
    assert code == 0, out.getvalue()
    assert os.path.basename(outside_extends) in out.getvalue()
