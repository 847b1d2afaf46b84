"""Run plan checks: the policy's counterparts plus the built-in rules, as one GateRun."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

from infra_verify.check import Check
from infra_verify.checks.gcp.base import GcpCheck
from infra_verify.edges import norm_host
from infra_verify.explain import explain
from infra_verify.gate import GateRun
from infra_verify.graph import build_graph
from infra_verify.iac.counterparts.registry import counterpart
from infra_verify.iac.findings import PlanContext
from infra_verify.iac.locate import Locator, locate_result
from infra_verify.iac.plan import Plan
from infra_verify.iac.rules.registry import run_rules
from infra_verify.model import Result, Source, Status
from infra_verify.policy.load import Policy


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
    if policy is not None:
        results = explain_policy_results(policy, results)
    results += explain_rules(policy, results, run_rules(ctx, disabled))
    sources = policy.sources if policy is not None else {}
    results = [locate_result(r, sources, Source(plan.path) if plan.path else None) for r in results]
    warnings: tuple[str, ...] = ()
    if live_only:
        warnings = (f"checked only after apply (no plan counterpart): {', '.join(live_only)}",)
    return GateRun(
        results=tuple(results),
        environment=environment or (policy.environment if policy is not None else "plan"),
        duration=time.monotonic() - start,
        warnings=warnings,
        mode="plan",
    )


def explain_policy_results(policy: Policy, results: list[Result]) -> list[Result]:
    """Apply the live gate's explanation edges to plan results (e.g. dns-api explained by dns-records)."""
    have = {r.id for r in results}
    checks = [
        c.model_copy(update={"after": tuple(a for a in c.after if a in have)})
        for c in policy.checks
        if c.id in have
    ]
    graph = build_graph(checks)
    final = {r.id: r for r in results}
    return explain(graph, final, [r.id for r in results])


def explain_rules(
    policy: Policy | None, results: list[Result], rules: list[Result]
) -> list[Result]:
    """A failing built-in rule about domains whose policy DNS checks already failed is explained by them."""
    if policy is None:
        return rules
    failing = {
        r.id for r in results if r.status in (Status.FAIL, Status.ERROR) and not r.explained_by
    }
    by_id = {c.id: c for c in policy.checks}
    out = []
    for rule in rules:
        if rule.status is Status.FAIL:
            domains = {norm_host(o.property.split()[0]) for o in rule.observations if not o.ok}
            explained = tuple(
                cid
                for cid in failing
                if by_id[cid].kind in ("gcp.dns_record", "dns")
                and any(_covers(by_id[cid], d) for d in domains)
            )
            if explained:
                rule = rule.evolve(explained_by=tuple(sorted(explained)))
        out.append(rule)
    return out


def _covers(check: Check, domain: str | None) -> bool:
    if isinstance(check, GcpCheck) and check.covers_host(domain):
        return True
    return norm_host(check.host()) == domain
