"""The ``plan:`` section of a policy, and loading a policy for plan checks.

::

    plan:
      disable:
        IV003: "the connector is shared from us-east1 on purpose until ticket NET-42 lands"

Every disabled rule needs a reason; the reason is shown in every report (as SKIPPED).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from infra_verify.errors import PolicyError
from infra_verify.iac.rules.registry import RULES
from infra_verify.policy.extends import attributed, load_merged
from infra_verify.policy.load import Policy, parse_policy
from infra_verify.policy.yaml_lines import Path_, line_of


class PlanSettings(BaseModel):
    """Plan-check settings: built-in rules disabled, each with the reason why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    disable: dict[str, str] = Field(
        default_factory=dict, description="rule id -> the reason it does not apply here"
    )


def validate_plan_section(
    data: Any, *, file: str = "<policy>", lines: Mapping[Path_, int] | None = None
) -> PlanSettings:
    """Validate a ``plan:`` mapping: known keys, known rule ids, a non-empty reason for each."""
    where = dict(lines or {})
    base: Path_ = ("plan",)
    if data is None:
        return PlanSettings()
    if not isinstance(data, dict):
        raise PolicyError(
            "'plan' must be a mapping",
            file=file,
            line=line_of(where, base),
            key="plan",
            hint='e.g. plan: {disable: {IV003: "why this rule does not apply"}}',
        )
    for key in data:
        if key != "disable":
            raise PolicyError(
                f"unknown key '{key}'",
                file=file,
                line=line_of(where, (*base, key)),
                key=f"plan.{key}",
                hint="valid keys: disable",
            )
    disable = data.get("disable") or {}
    if isinstance(disable, list):
        raise PolicyError(
            "each disabled rule needs a reason",
            file=file,
            line=line_of(where, (*base, "disable")),
            key="plan.disable",
            hint='write a mapping: disable: {IV003: "why this rule does not apply"}',
        )
    if not isinstance(disable, dict):
        raise PolicyError(
            "'disable' must be a mapping of rule id to reason",
            file=file,
            line=line_of(where, (*base, "disable")),
            key="plan.disable",
        )
    reasons: dict[str, str] = {}
    for rule_id, reason in disable.items():
        path = (*base, "disable", rule_id)
        rid = str(rule_id)
        if rid not in RULES:
            close = difflib.get_close_matches(rid, list(RULES), n=1)
            raise PolicyError(
                f"unknown rule '{rid}'",
                file=file,
                line=line_of(where, path),
                key=f"plan.disable.{rid}",
                hint=f"did you mean '{close[0]}'?" if close else f"rules: {', '.join(RULES)}",
            )
        if not isinstance(reason, str) or not reason.strip():
            raise PolicyError(
                "a reason is required to disable a rule",
                file=file,
                line=line_of(where, path),
                key=f"plan.disable.{rid}",
                hint=f'{rid}: "why {RULES[rid].title.lower()} does not apply here"',
            )
        reasons[rid] = reason.strip()
    return PlanSettings(disable=reasons)


def load_plan_policy(
    source: str | Path,
    *,
    env: Mapping[str, str] | None = None,
    extra: Mapping[str, str] | None = None,
    allow_outside_policy_dir: bool = False,
) -> tuple[Policy, PlanSettings]:
    """Load a policy plus its ``plan:`` section (taken out before the live-policy validation).

    Files it names stay inside its directory tree unless ``allow_outside_policy_dir``, as for
    the live gate (``policy/paths.py``).
    """
    path = Path(source)
    file = str(path)
    # follows extends: like the live gate does
    merged = load_merged(path, allow_outside_policy_dir=allow_outside_policy_dir)
    data, lines = merged.data, merged.lines
    settings = PlanSettings()
    if isinstance(data, dict) and "plan" in data:
        data = dict(data)
        settings = validate_plan_section(data.pop("plan"), file=file, lines=lines)
    with attributed(merged):
        policy = parse_policy(
            data,
            lines,
            file=file,
            env=os.environ if env is None else env,
            extra=extra,
            root=path.parent,
            allow_outside_policy_dir=allow_outside_policy_dir,
        )
    return policy, settings
