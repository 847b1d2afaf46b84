"""scripts/deploy_staging.sh end to end: deploy, then the gate, and "success" only when it passes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.servers.story_world import StoryWorld

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "deploy_staging.sh"


def deploy(world_env: dict[str, str], **extra: str) -> subprocess.CompletedProcess[str]:
    """Run the deploy script against a world, with a no-op deploy and no waiting."""
    env = {
        **os.environ,
        **world_env,
        "DEPLOY_CMD": "true",
        "GATE_WAIT": "",
        "INFRA_VERIFY_ARGS": "--allow-loopback --timeout 2s --color never",
        "PYTHON": sys.executable,
        "NO_COLOR": "1",
        **extra,
    }
    return subprocess.run(
        ["bash", str(SCRIPT)], env=env, cwd=REPO, capture_output=True, text=True, timeout=90
    )


def test_broken_stack_fails_with_the_root_causes() -> None:
    """The story's broken staging: non-zero exit, the root causes named, no "success"."""
    with StoryWorld(broken=True) as world:
        proc = deploy(world.env)
    assert proc.returncode == 1
    assert "Root causes" in proc.stdout
    assert "dns-records [gcp.dns_record]" in proc.stdout
    assert "run-service [gcp.cloud_run_service]" in proc.stdout
    assert "FAILED: staging is deployed but NOT working (gate exit 1)" in proc.stderr
    assert "success" not in proc.stdout


def test_healthy_stack_prints_success() -> None:
    """The healthy staging: exit 0 and "success" after the gate's PASSED verdict."""
    with StoryWorld(broken=False) as world:
        proc = deploy(world.env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PASSED: deployment complete" in proc.stdout
    assert proc.stdout.rstrip().endswith("success: staging is deployed and verified")
    assert proc.stdout.index("==> deploy: true") < proc.stdout.index("==> verify:")


def test_failed_deploy_stops_before_the_gate() -> None:
    """A failing deploy command exits 1 without running the gate."""
    proc = deploy({}, DEPLOY_CMD="false")
    assert proc.returncode == 1
    assert "FAILED: the deploy command failed; the gate was not run" in proc.stderr
    assert "==> verify" not in proc.stdout


CRASHING_PYTHON = """#!/bin/sh
# python, except that infra_verify's policy loader crashes (a stand-in for a bug in infra_verify)
shift 2  # "-m infra_verify"
exec "{python}" -c '
import sys
import infra_verify.policy.load as load
def crash(*args, **kwargs):
    raise RuntimeError("simulated bug")
load.load_policy = crash
from infra_verify.cli.main import main
sys.exit(main(sys.argv[1:]))
' "$@"
"""


def test_bad_usage_is_told_apart_from_a_broken_deployment() -> None:
    """Gate exit 2 (bad policy or usage) is reported as "could not run", not as NOT working."""
    proc = deploy({}, INFRA_VERIFY_ARGS="--no-such-flag")
    assert proc.returncode == 2
    assert "FAILED: the gate could not run (gate exit 2: bad policy or usage" in proc.stderr
    assert "NOT working" not in proc.stderr and "success" not in proc.stdout


def test_a_crashing_gate_is_told_apart_from_a_broken_deployment(tmp_path: Path) -> None:
    """Gate exit 3 (infra_verify crashed) is reported as a bug in the gate, exit 3."""
    python = tmp_path / "python"
    python.write_text(CRASHING_PYTHON.format(python=sys.executable))
    python.chmod(0o755)
    proc = deploy({}, PYTHON=str(python))
    assert proc.returncode == 3, proc.stderr
    assert "infra_verify: internal error: RuntimeError: simulated bug" in proc.stderr
    assert "FAILED: the gate itself crashed (gate exit 3: a bug in infra_verify" in proc.stderr
    assert "NOT working" not in proc.stderr and "success" not in proc.stdout
