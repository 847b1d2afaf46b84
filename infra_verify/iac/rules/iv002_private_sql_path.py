"""Private Cloud SQL is reachable from Cloud Run

An instance without public IP is reachable only through its VPC network: the service needs a
VPC connector or Direct VPC egress on that network.

The rule looks at every Cloud Run service in the plan that attaches a Cloud SQL instance whose
``settings.ip_configuration.ipv4_enabled`` is false. A connector the plan destroys is no path.

To fix, give the service a VPC connector on the instance's network (``template { vpc_access {
connector = google_vpc_access_connector.<name>.id } }``) or Direct VPC egress (``vpc_access {
network_interfaces { network = ... } }``).
"""

from __future__ import annotations

from infra_verify.iac.findings import PlanContext, make_result, vpc_path
from infra_verify.iac.resources import run_services, sql_is_private, sql_network_keys
from infra_verify.iac.rules.base import Rule
from infra_verify.model import Result

HINT = (
    "give the service a VPC connector on the instance's network "
    "(template { vpc_access { connector = google_vpc_access_connector.<name>.id } }) "
    "or Direct VPC egress (vpc_access { network_interfaces { network = ... } })"
)


def private_sql_path(ctx: PlanContext) -> list[Result]:
    """A service attached to a private-only Cloud SQL instance can reach its network."""
    plan = ctx.plan
    results = []
    for svc in run_services(plan):
        private = [sql for sql in svc.sql_instances() if sql_is_private(plan, sql)]
        if not private:
            continue
        obs = [vpc_path(ctx, svc, sql, sql_network_keys(plan, sql)) for sql in private]
        results.append(
            make_result(
                RULE.result_id(svc.res),
                RULE.kind,
                obs,
                ok=f"{svc.res.address} reaches its private Cloud SQL instance(s) through the VPC",
                hint=HINT,
            )
        )
    return results or RULE.nothing_to_check(
        "no Cloud Run service in this plan uses a Cloud SQL instance without public IP"
    )


RULE = Rule.from_module(__name__, __doc__, private_sql_path)
