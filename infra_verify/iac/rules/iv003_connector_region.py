"""VPC connector in the service's region

Cloud Run can only use a Serverless VPC Access connector in the service's own region.

The rule compares each Cloud Run service's ``location`` with the ``region`` of every connector
it uses (a connector in the plan, or one named by its full ``projects/.../locations/REGION/...``
id). Regions known only after apply are not findings.

To fix, create the connector in the service's region (one connector per region), or run the
service in the connector's region.
"""

from __future__ import annotations

from infra_verify.iac.findings import PlanContext, make_result
from infra_verify.iac.plan import short
from infra_verify.iac.resources import (
    RunService,
    connector_region,
    region_of_link,
    run_services,
    text_values,
)
from infra_verify.iac.rules.base import Rule
from infra_verify.model import Observation, Result


def connector_region_rule(ctx: PlanContext) -> list[Result]:
    """Every VPC connector a Cloud Run service uses is in the service's region."""
    results = []
    for svc in run_services(ctx.plan):
        region = svc.location
        obs = _region_observations(ctx, svc, region)
        if not obs:
            continue
        results.append(
            make_result(
                RULE.result_id(svc.res),
                RULE.kind,
                obs,
                ok=f"{svc.res.address} uses a VPC connector in its own region ({region})",
                fail=f"{svc.res.address} runs in {region} but its VPC connector is in "
                f"{next((o.actual for o in obs if not o.ok), '?')}",
                hint=f"create the connector in {region} (one connector per region), "
                "or run the service in the connector's region",
            )
        )
    return results or RULE.nothing_to_check(
        "no Cloud Run service in this plan uses a VPC connector"
    )


def _region_observations(
    ctx: PlanContext, svc: RunService, region: str | None
) -> list[Observation]:
    """The region of each connector in the plan the service uses, else of each connector link."""
    expected = region or "(the service's region)"
    obs: list[Observation] = []
    for conn in svc.connectors():
        conn_region = connector_region(ctx.plan, conn)
        obs.append(
            Observation(
                f"region of connector {conn.gcp_name or conn.address}",
                expected,
                conn_region or "(known after apply)",
                region is None or conn_region is None or conn_region == region,
                ctx.where(conn.address),
            )
        )
    if obs:
        return obs
    for text in text_values(svc.connector_values()):
        link_region = region_of_link(text)
        if link_region:
            obs.append(
                Observation(
                    f"region of connector {short(text)}",
                    expected,
                    link_region,
                    region is None or link_region == region,
                    ctx.where(svc.res.address),
                )
            )
    return obs


RULE = Rule.from_module(__name__, __doc__, connector_region_rule)
