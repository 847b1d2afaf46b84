"""scripts/cloudbuild.yaml: the steps, their order, and the gate command the README documents."""

from __future__ import annotations

import fnmatch
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra_verify.cli.plan import build_parser as build_plan_parser
from infra_verify.cli.run import build_parser
from infra_verify.policy.load import load_policy
from tests.pipelines.test_container import dockerfile_entrypoint

REPO = Path(__file__).resolve().parents[2]
CLOUDBUILD = REPO / "scripts" / "cloudbuild.yaml"

README_GATE_COMMAND = "python -m infra_verify staging --wait 20m --junit reports/gate.xml"
"""The gate command as the README shows it; the Cloud Build gate step must be exactly this."""

BUILTINS = {"PROJECT_ID": "my-project", "BUILD_ID": "b-123"}


@pytest.fixture(scope="module")
def build() -> dict[str, Any]:
    """The parsed cloudbuild.yaml."""
    data: dict[str, Any] = yaml.safe_load(CLOUDBUILD.read_text(encoding="utf-8"))
    return data


def substitute(value: str, build: dict[str, Any]) -> str:
    """Apply Cloud Build substitutions ($VAR and ${VAR}) with the file's defaults."""
    values = {**BUILTINS, **build["substitutions"]}

    def one(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        assert name in values, f"unknown substitution {name}"
        return str(values[name])

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", one, value)


def step(build: dict[str, Any], step_id: str) -> dict[str, Any]:
    """The step with this id."""
    found: dict[str, Any] = next(s for s in build["steps"] if s.get("id") == step_id)
    return found


def ids(build: dict[str, Any]) -> list[str]:
    """The step ids in file order."""
    return [s["id"] for s in build["steps"]]


def test_steps_build_plan_check_apply_deploy_gate_in_order(build: dict[str, Any]) -> None:
    """The pipeline builds, plans, checks the plan, applies, deploys, and gates last."""
    order = ids(build)
    for name in ("build", "terraform-plan", "plan-check", "terraform-apply", "deploy", "gate"):
        assert name in order
    assert order.index("build") < order.index("deploy")
    assert (
        order.index("terraform-plan") < order.index("plan-check") < order.index("terraform-apply")
    )
    assert order.index("terraform-apply") < order.index("deploy") < order.index("gate")
    assert order[-1] == "gate"


def test_apply_waits_for_the_plan_check(build: dict[str, Any]) -> None:
    """terraform apply has no waitFor, so it starts only after every earlier step (the plan check) passed."""
    apply = step(build, "terraform-apply")
    assert "waitFor" not in apply
    assert apply["args"][:1] == ["apply"] and "tfplan" in apply["args"]
    plan = step(build, "terraform-plan")
    assert "-out=tfplan" in plan["args"][-1]
    assert "terraform show -json tfplan > /workspace/plan.json" in plan["args"][-1]


def test_plan_check_reads_the_plan_with_the_policy(build: dict[str, Any]) -> None:
    """The plan check runs `infra_verify plan <env> --plan plan.json` and its args parse."""
    args = [substitute(a, build) for a in step(build, "plan-check")["args"]]
    assert args[0] == "plan"
    parsed = build_plan_parser().parse_args(args[1:])
    assert (parsed.environment, parsed.plan) == ("staging", "plan.json")
    assert (parsed.format, parsed.output) == ("junit", "reports/plan.xml")


def test_gate_step_runs_after_deploy_with_the_readme_command(build: dict[str, Any]) -> None:
    """The gate step is the infra_verify image whose entrypoint + args are the README's command."""
    gate = step(build, "gate")
    assert gate["waitFor"] == ["deploy"]
    assert "entrypoint" not in gate  # the image's ENTRYPOINT: python -m infra_verify
    assert substitute(gate["name"], build).endswith("/infra-verify")
    assert substitute(gate["name"], build) == substitute(step(build, "plan-check")["name"], build)
    command = dockerfile_entrypoint() + [substitute(a, build) for a in gate["args"]]
    assert command == shlex.split(README_GATE_COMMAND)
    parsed = build_parser().parse_args(command[3:])
    assert (parsed.environment, parsed.wait, parsed.junit) == (
        "staging",
        1200.0,
        "reports/gate.xml",
    )


def test_gate_step_timeout_covers_the_wait(build: dict[str, Any]) -> None:
    """The step's timeout is longer than --wait 20m, so Cloud Build does not kill a converging gate."""
    timeout = step(build, "gate")["timeout"]
    assert timeout.endswith("s") and int(timeout[:-1]) > 20 * 60
    assert int(build["timeout"][:-1]) > int(timeout[:-1])


def test_substitutions_flow_into_the_policy(build: dict[str, Any]) -> None:
    """$PROJECT_ID reaches the policy's gcp.project through GCP_PROJECT in the step's env."""
    env = dict(substitute(item, build).split("=", 1) for item in step(build, "gate")["env"])
    assert env["GCP_PROJECT"] == "my-project"
    assert env["GCP_REGION"] == build["substitutions"]["_REGION"]
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
