"""Run plan checks: the policy's counterparts plus the built-in rules, as one GateRun."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

from infra_verify.gate import GateRun
from infra_verify.iac.common import PlanContext
from infra_verify.iac.expect import counterpart
from infra_verify.iac.locate import Locator
from infra_verify.iac.plan import Plan
from infra_verify.iac.rules import run_rules
from infra_verify.model import Result
from infra_verify.policy import Policy


def verify_plan(
    plan: Plan,
    policy: Policy | None = None,
    *,
    disabled: Mapping[str, str] | None = None,
    tf_dir: str | Path | None = None,
    environment: str | None = None,
) -> GateRun:
    """Check ``plan`` against the policy's checks and the built-in rules.

    ``disabled`` maps rule ids to the reason they do not apply (a policy's ``plan.disable``).
    Checks without a plan counterpart (TLS, HTTP, ...) are listed in the run's warnings.
    """
    start = time.monotonic()
    ctx = PlanContext(plan, Locator(tf_dir))
    results: list[Result] = []
    live_only: list[str] = []
    for check in policy.checks if policy is not None else ():
        result = counterpart(check, ctx)
        if result is None:
            live_only.append(check.id)
        else:
            results.append(result)
    results += run_rules(ctx, disabled)
    warnings: tuple[str, ...] = ()
    if live_only:
        warnings = (f"checked only after apply (no plan counterpart): {', '.join(live_only)}",)
    return GateRun(
        results=tuple(results),
        environment=environment or (policy.environment if policy is not None else "plan"),
        duration=time.monotonic() - start,
        warnings=warnings,
    )
