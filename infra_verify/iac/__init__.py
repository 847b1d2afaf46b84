"""IaC checks: verify that a Terraform plan declares what the policy expects, before apply.

    from infra_verify.iac import load_plan, verify_plan
    run = verify_plan(load_plan("plan.json"), policy, disabled={"IV003": "why"})
    run.exit_code      # 0 ok, 1 findings

The same policy drives the live gate after apply; here each check with a plan counterpart
(``dns``, ``gcp.dns_record``, ``gcp.managed_certificate``, ``gcp.load_balancer``,
``gcp.cloud_run_service``, ``gcp.vpc_connector``, ``gcp.cloud_sql_instance``,
``gcp.cloud_sql_path``) is judged against the plan, and the built-in rules (``RULES``: IV001
DNS records for certificate domains, IV002 private Cloud SQL reachable, IV003 connector region)
run on every plan.
"""

from __future__ import annotations

from infra_verify.cli.plan import plan_main
from infra_verify.iac.locate import Locator, split_where
from infra_verify.iac.outputs import plan_outputs, read_outputs
from infra_verify.iac.plan import Plan, PlanFileError, PlanResource, Value, load_plan, parse_plan
from infra_verify.iac.rules import RULES, Rule, run_rules
from infra_verify.iac.settings import PlanSettings, load_plan_policy, validate_plan_section
from infra_verify.iac.verify import verify_plan

__all__ = [
    "RULES",
    "Locator",
    "Plan",
    "PlanFileError",
    "PlanResource",
    "PlanSettings",
    "Rule",
    "Value",
    "load_plan",
    "load_plan_policy",
    "parse_plan",
    "plan_main",
    "plan_outputs",
    "read_outputs",
    "run_rules",
    "split_where",
    "validate_plan_section",
    "verify_plan",
]
