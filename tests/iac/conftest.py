"""Fixtures for the plan-check tests: plan files, the small staging policy, loaded runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from infra_verify.gate import GateRun
from infra_verify.iac.outputs import plan_outputs
from infra_verify.iac.plan import load_plan
from infra_verify.iac.settings import load_plan_policy
from infra_verify.iac.verify import verify_plan

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
POLICY = HERE / "staging_policy.yaml"


def fixture(name: str) -> Path:
    """Path of a plan fixture by short name, e.g. ``good`` -> staging_good.json."""
    return FIXTURES / f"staging_{name}.json"


@pytest.fixture
def run_plan() -> Callable[..., GateRun]:
    """Run the staging policy and the rules against a named fixture."""

    def run(
        name: str, *, disabled: dict[str, str] | None = None, tf_dir: Path | None = None
    ) -> GateRun:
        plan = load_plan(fixture(name))
        policy, settings = load_plan_policy(POLICY, env={}, extra=plan_outputs(plan))
        return verify_plan(plan, policy, disabled=disabled or settings.disable, tf_dir=tf_dir)

    return run
