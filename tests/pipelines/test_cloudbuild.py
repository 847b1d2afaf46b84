"""scripts/cloudbuild.yaml: self-contained (substitutions for every project-specific name, a
preflight step that checks what must exist), the steps in order, and a gate step that stands on
its own and runs the command the README documents. The preflight and gate scripts run here for
real in bash; only gcloud and pip (the network) are stand-ins."""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra_verify.cli.plan import build_parser as build_plan_parser
from infra_verify.cli.run import build_parser
from infra_verify.policy.load import load_policy

REPO = Path(__file__).resolve().parents[2]
CLOUDBUILD = REPO / "scripts" / "cloudbuild.yaml"

README_GATE_COMMAND = "python -m infra_verify staging --wait 20m --junit reports/gate.xml"
"""The gate command as the README shows it; the Cloud Build gate step must run exactly this."""

BUILTINS = {"PROJECT_ID": "my-project", "BUILD_ID": "b-123"}
GATE_SUBSTITUTIONS = {
    "_ENV",
    "_REGION",
    "_POLICIES_DIR",
    "_INFRA_VERIFY",
    "_REPOSITORY",
    "_SERVICE",
}
"""What the gate step needs from the file it is pasted into (its header comment names them)."""


@pytest.fixture(scope="module")
def build() -> dict[str, Any]:
    """The parsed cloudbuild.yaml."""
    data: dict[str, Any] = yaml.safe_load(CLOUDBUILD.read_text(encoding="utf-8"))
    return data


def references(value: str) -> set[str]:
    """The substitutions a value uses ($VAR, ${VAR}; $$ is a literal $)."""
    return {a or b for a, b in re.findall(r"(?<!\$)\$\{(\w+)\}|(?<!\$)\$([A-Za-z_]\w*)", value)}


def substitute(value: str, build: dict[str, Any]) -> str:
    """Apply Cloud Build substitutions ($VAR and ${VAR}, $$ for $) with the file's defaults."""
    values = {**BUILTINS, **build["substitutions"]}

    def one(match: re.Match[str]) -> str:
        """The value of one reference."""
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(2)
        assert name in values, f"unknown substitution {name}"
        return str(values[name])

    return re.sub(r"\$\$|\$\{(\w+)\}|\$([A-Za-z_]\w*)", one, value)


def step(build: dict[str, Any], step_id: str) -> dict[str, Any]:
    """The step with this id."""
    found: dict[str, Any] = next(s for s in build["steps"] if s.get("id") == step_id)
    return found


def ids(build: dict[str, Any]) -> list[str]:
    """The step ids in file order."""
    return [s["id"] for s in build["steps"]]


def script(build: dict[str, Any], step_id: str) -> str:
    """A bash step's script (``bash -c SCRIPT``), substituted."""
    s = step(build, step_id)
    assert s["entrypoint"] == "bash" and s["args"][0] == "-c"
    return substitute(s["args"][1], build)


def infra_verify_command(build: dict[str, Any], step_id: str) -> list[str]:
    """The `python -m infra_verify ...` command a step's script runs, as words."""
    parts = [p.strip() for p in script(build, step_id).split("&&")]
    found = [p for p in parts if p.startswith("python -m infra_verify")]
    assert len(found) == 1
    return shlex.split(found[0])


def step_env(build: dict[str, Any], step_id: str) -> dict[str, str]:
    """A step's env, substituted."""
    pairs = [substitute(item, build).split("=", 1) for item in step(build, step_id)["env"]]
    return {k: v for k, v in pairs}


def test_steps_preflight_build_plan_check_apply_deploy_gate_in_order(build: dict[str, Any]) -> None:
    """Preflight, build, plan, plan check, apply, deploy, and the gate last."""
    order = ids(build)
    assert order[0] == "preflight" and order[-1] == "gate"
    for name in ("build", "terraform-plan", "plan-check", "terraform-apply", "deploy"):
        assert name in order
    assert order.index("build") < order.index("deploy")
    assert (
        order.index("terraform-plan") < order.index("plan-check") < order.index("terraform-apply")
    )
    assert order.index("terraform-apply") < order.index("deploy") < order.index("gate")


def test_apply_waits_for_the_plan_check(build: dict[str, Any]) -> None:
    """terraform apply has no waitFor, so it starts only after every earlier step (the plan check) passed."""
    apply = step(build, "terraform-apply")
    assert "waitFor" not in apply
    assert apply["args"][:1] == ["apply"] and "tfplan" in apply["args"]
    plan = step(build, "terraform-plan")
    assert "-out=tfplan" in plan["args"][-1]
    assert "terraform show -json tfplan > /workspace/plan.json" in plan["args"][-1]
    assert plan["waitFor"] == ["preflight"]


def test_every_project_specific_name_is_a_substitution(build: dict[str, Any]) -> None:
    """No project-specific name is literal; declared and used substitutions are the same."""
    steps_text = yaml.safe_dump(build["steps"]) + yaml.safe_dump(build["artifacts"])
    used = {name for name in references(steps_text) if name.startswith("_")}
    assert used == set(build["substitutions"])
    assert {"_APP_DIR", "_TF_DIR", "_REPORTS_BUCKET", "_REGION", "_REPOSITORY"} <= used
    for s in build["steps"]:
        assert s.get("dir") in (None, "${_TF_DIR}")
    assert "netra" not in CLOUDBUILD.read_text(encoding="utf-8")
    assert substitute(build["artifacts"]["objects"]["location"], build).startswith(
        "gs://my-build-reports/"
    )


def test_header_says_what_must_exist(build: dict[str, Any]) -> None:
    """The comment block names each thing that must exist, by its substitution."""
    header = CLOUDBUILD.read_text(encoding="utf-8").split("substitutions:", 1)[0]
    assert "WHAT MUST EXIST" in header
    for name in ("_APP_DIR", "_TF_DIR", "_POLICIES_DIR", "_REPOSITORY", "_REPORTS_BUCKET"):
        assert name in header
    assert "ONLY THE GATE" in header and all(n in header for n in GATE_SUBSTITUTIONS)


def test_plan_check_reads_the_plan_with_the_policy(build: dict[str, Any]) -> None:
    """The plan check runs `infra_verify plan <env> --plan plan.json` and its args parse."""
    words = infra_verify_command(build, "plan-check")
    assert words[:4] == ["python", "-m", "infra_verify", "plan"]
    parsed = build_plan_parser().parse_args(words[4:])
    assert (parsed.environment, parsed.plan, parsed.tf_dir) == ("staging", "plan.json", "infra")
    assert (parsed.format, parsed.output) == ("junit", "reports/plan.xml")
    assert step(build, "plan-check")["waitFor"] == ["terraform-plan"]


def test_gate_step_runs_the_readme_command_after_everything(build: dict[str, Any]) -> None:
    """The gate runs the README's command, without waitFor (after every earlier step)."""
    gate = step(build, "gate")
    assert "waitFor" not in gate
    words = infra_verify_command(build, "gate")
    assert words == shlex.split(README_GATE_COMMAND)
    parsed = build_parser().parse_args(words[3:])
    assert (parsed.environment, parsed.wait, parsed.junit) == (
        "staging",
        1200.0,
        "reports/gate.xml",
    )


def test_gate_step_stands_on_its_own(build: dict[str, Any]) -> None:
    """Pasted elsewhere, the gate step needs only the substitutions its comment names."""
    gate = step(build, "gate")
    used = references(yaml.safe_dump(gate))
    assert used - set(BUILTINS) == GATE_SUBSTITUTIONS
    assert not str(gate["name"]).startswith("$") and "${" not in gate["name"]
    assert "pip install" in gate["args"][1]


def test_gate_step_timeout_covers_the_wait(build: dict[str, Any]) -> None:
    """The step's timeout is longer than --wait 20m, so Cloud Build does not kill a converging gate."""
    timeout = step(build, "gate")["timeout"]
    assert timeout.endswith("s") and int(timeout[:-1]) > 20 * 60
    assert int(build["timeout"][:-1]) > int(timeout[:-1])


def test_substitutions_flow_into_the_policy(build: dict[str, Any]) -> None:
    """$PROJECT_ID reaches the policy's gcp.project through GCP_PROJECT in the step's env."""
    env = step_env(build, "gate")
    assert env["GCP_PROJECT"] == "my-project"
    assert env["GCP_REGION"] == build["substitutions"]["_REGION"]
    assert env["INFRA_VERIFY_POLICIES"] == "policies"
    policy = load_policy(REPO / "policies" / "staging.yaml", env=env)
    assert policy.gcp is not None
    assert (policy.gcp.project, policy.gcp.region) == ("my-project", "us-central1")
    assert build["substitutions"]["_ENV"] == "staging"


def test_no_key_files_anywhere(build: dict[str, Any]) -> None:
    """Credentials are the build's service account (ADC): no key file, no secret env."""
    text = CLOUDBUILD.read_text(encoding="utf-8")
    for line in text.splitlines():
        code = line.split("#", 1)[0]
        assert "GOOGLE_APPLICATION_CREDENTIALS" not in code
        assert "key.json" not in code and "keyfile" not in code.lower()
    assert all("secretEnv" not in s for s in build["steps"])
    assert "availableSecrets" not in build


def test_junit_reports_are_published(build: dict[str, Any]) -> None:
    """The gate's and the plan check's JUnit files match the artifacts uploaded to a bucket."""
    objects = build["artifacts"]["objects"]
    assert substitute(objects["location"], build).startswith("gs://")
    for report in ("reports/gate.xml", "reports/plan.xml"):
        assert any(fnmatch.fnmatch(report, pattern) for pattern in objects["paths"])
    text = CLOUDBUILD.read_text(encoding="utf-8")
    assert "no native JUnit" in text


def stand_ins(tmp_path: Path, *, bucket: bool = True) -> Path:
    """A PATH directory with gcloud, pip and python stand-ins (the network is not local)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gcloud = bin_dir / "gcloud"
    missing = "storage" if not bucket else "nothing"
    gcloud.write_text(f'#!/bin/sh\n[ "$1" = "{missing}" ] && exit 1\nexit 0\n')
    pip = bin_dir / "pip"
    pip.write_text(f'#!/bin/sh\necho "$@" > {tmp_path / "pip-args"}\n')
    python = bin_dir / "python"
    python.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n')
    for tool in (gcloud, pip, python):
        tool.chmod(0o755)
    return bin_dir


def run_script(text: str, cwd: Path, bin_dir: Path, env: dict[str, str] | None = None) -> Any:
    """Run a step's bash script in ``cwd`` (the /workspace of the build)."""
    base = {k: v for k, v in os.environ.items() if k != "INFRA_VERIFY_POLICIES"}
    return subprocess.run(
        ["bash", "-c", text],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, **(env or {}), "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
    )


def test_preflight_names_the_missing_directory(build: dict[str, Any], tmp_path: Path) -> None:
    """Submitted without app/ (as this repository), preflight names _APP_DIR in one line."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    proc = run_script(script(build, "preflight"), workspace, stand_ins(tmp_path))
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "preflight: _APP_DIR=app: no such directory in the submitted source; pass "
        "--substitutions=_APP_DIR=<your application's Dockerfile directory>"
    ]


def workspace_with_everything(tmp_path: Path) -> Path:
    """A submitted source with app/Dockerfile, infra/main.tf and policies/staging.yaml."""
    workspace = tmp_path / "workspace"
    for folder in ("app", "infra", "policies"):
        (workspace / folder).mkdir(parents=True)
    (workspace / "app" / "Dockerfile").write_text("FROM scratch\n")
    (workspace / "infra" / "main.tf").write_text("")
    (workspace / "policies" / "staging.yaml").write_text(
        "environment: staging\n"
        "checks:\n  project: {kind: environment, equals: {GCP_PROJECT: my-project}}\n"
    )
    return workspace


def test_preflight_passes_when_everything_exists(build: dict[str, Any], tmp_path: Path) -> None:
    """With the directories, the policy, the bucket and the repository, preflight says ok."""
    workspace = workspace_with_everything(tmp_path)
    proc = run_script(script(build, "preflight"), workspace, stand_ins(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith(": ok")


def test_preflight_names_a_missing_bucket(build: dict[str, Any], tmp_path: Path) -> None:
    """A bucket that does not exist stops the build before anything is built."""
    workspace = workspace_with_everything(tmp_path)
    proc = run_script(script(build, "preflight"), workspace, stand_ins(tmp_path, bucket=False))
    assert proc.returncode == 1
    assert proc.stderr.startswith("preflight: _REPORTS_BUCKET=my-build-reports: no such bucket")


def test_gate_step_script_runs_and_writes_its_report(build: dict[str, Any], tmp_path: Path) -> None:
    """The gate step's script runs in a workspace, passes and writes reports/gate.xml."""
    workspace = workspace_with_everything(tmp_path)
    proc = run_script(
        script(build, "gate"), workspace, stand_ins(tmp_path), step_env(build, "gate")
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PASSED: deployment complete" in proc.stdout
    assert (workspace / "reports" / "gate.xml").read_text().startswith("<?xml")
    pip_args = (tmp_path / "pip-args").read_text().split()
    assert pip_args[-1] == build["substitutions"]["_INFRA_VERIFY"] and "==" in pip_args[-1]
