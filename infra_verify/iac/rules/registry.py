"""The built-in rules, in order, and running them with the policy's ``plan.disable``.

Adding a rule: write ``iac/rules/<id>_<name>.py`` (docstring: title line, then why and how to
fix; ``RULE = Rule.from_module(__name__, __doc__, <function>)``), then add one line to
:data:`RULES`.
"""

from __future__ import annotations

from collections.abc import Mapping

from infra_verify.errors import PolicyError
from infra_verify.iac.findings import PlanContext
from infra_verify.iac.rules import (
    iv001_certificate_dns,
    iv002_private_sql_path,
    iv003_connector_region,
)
from infra_verify.iac.rules.base import Rule
from infra_verify.model import Result, Status


def by_id(*rules: Rule) -> dict[str, Rule]:
    """Rules keyed by their id, in the given order."""
    return {r.id: r for r in rules}


RULES: dict[str, Rule] = by_id(
    iv001_certificate_dns.RULE,
    iv002_private_sql_path.RULE,
    iv003_connector_region.RULE,
)


def run_rules(ctx: PlanContext, disabled: Mapping[str, str] | None = None) -> list[Result]:
    """Run every built-in rule; a disabled one becomes one SKIPPED result carrying its reason."""
    reasons = dict(disabled or {})
    unknown = sorted(set(reasons) - set(RULES))
    if unknown:
        raise PolicyError(
            f"unknown rule '{unknown[0]}'", key="plan.disable", hint=f"rules: {', '.join(RULES)}"
        )
    out: list[Result] = []
    for rule in RULES.values():
        reason = reasons.get(rule.id)
        if reason is None:
            out.extend(rule.run(ctx))
            continue
        if not reason.strip():
            raise PolicyError(
                "a reason is required to disable a rule",
                key=f"plan.disable.{rule.id}",
                hint=f'{rule.id}: "why this rule does not apply here"',
            )
        out.append(
            Result(
                rule.result_id(),
                rule.kind,
                Status.SKIPPED,
                f"disabled by the policy: {reason.strip()}",
            )
        )
    return out
