"""gcp.load_balancer counterpart: literal values and values known after apply, by reference."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from infra_verify.checks.gcp.load_balancer import GcpLoadBalancer, Route
from infra_verify.gate import GateRun
from infra_verify.iac.counterparts import gcp_load_balancer
from infra_verify.iac.findings import PlanContext
from infra_verify.iac.plan import load_plan
from infra_verify.iac.url_map import rest_url_map
from infra_verify.model import Status
from tests.iac.conftest import fixture


def test_values_known_after_apply_pass_by_reference(run_plan: Callable[..., GateRun]) -> None:
    """Address allocated at apply: LB ip and records pass, declared by reference, not missing."""
    run = run_plan("by_reference")
    assert run.exit_code == 0, run.summary()
    ip = next(o for o in run.by_id("lb").observations if o.property == "ip_address")
    assert (
        ip.ok
        and ip.actual
        == "declared by reference to google_compute_global_address.lb.address (known after apply)"
    )
    rec = run.by_id("records").observations[0]
    assert rec.ok and "declared by reference to google_compute_global_address.lb.address" in (
        rec.actual or ""
    )


def test_literal_value_through_reference_is_compared(run_plan: Callable[..., GateRun]) -> None:
    """The good plan's IP is known: the LB observation shows the literal and passes."""
    ip = next(o for o in run_plan("good").by_id("lb").observations if o.property == "ip_address")
    assert (ip.expected, ip.actual, ip.ok) == ("34.54.41.44", "34.54.41.44", True)


def test_routes_hosts_and_services_are_declared() -> None:
    """``routes:`` hosts need a host rule and their ``service`` a backend the URL map names."""
    ctx = PlanContext(load_plan(fixture("good")))
    api = "api.staging.netrasystems.ai"
    good = GcpLoadBalancer(
        forwarding_rule="netra-staging-https",
        routes=(Route(host=api, path="/api/", service="netra-staging-backend"),),
    )
    result = gcp_load_balancer.expect(good, ctx)
    assert result.status is Status.PASS, result.summary
    seen = {o.property: o for o in result.observations}
    assert seen["route service"].actual == "netra-staging-backend"
    assert seen[f"host {api}"].ok
    bad = GcpLoadBalancer(
        forwarding_rule="netra-staging-https",
        routes=(
            Route(host="www.netrasystems.ai", service="netra-staging-backend"),
            Route(host=api, path="/static/", service="netra-static"),
        ),
    )
    failed = {o.property: o for o in gcp_load_balancer.expect(bad, ctx).observations if not o.ok}
    assert set(failed) == {
        "host www.netrasystems.ai",
        "route service",
        f"route {api}/static/",
    }
    assert failed["route service"].expected == "netra-static"


REGIONAL_TYPES = {
    "google_compute_global_forwarding_rule": "google_compute_forwarding_rule",
    "google_compute_global_address": "google_compute_address",
    "google_compute_target_https_proxy": "google_compute_region_target_https_proxy",
    "google_compute_url_map": "google_compute_region_url_map",
    "google_compute_backend_service": "google_compute_region_backend_service",
    "google_compute_managed_ssl_certificate": "google_compute_region_ssl_certificate",
}


def _plan_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(text, encoding="utf-8")
    return path


def _regional_plan(tmp_path: Path) -> Path:
    """The good plan with every load balancer resource turned into its regional type."""
    text = fixture("good").read_text(encoding="utf-8")
    for global_type, regional_type in REGIONAL_TYPES.items():
        text = re.sub(rf"\b{global_type}\b", regional_type, text)
    return _plan_file(tmp_path, text)


def test_regional_load_balancer_is_read_from_regional_types(tmp_path: Path) -> None:
    """A regional chain (forwarding rule -> region proxy -> region URL map -> region backend
    service) is the load balancer; the global types were all the counterpart knew."""
    ctx = PlanContext(load_plan(_regional_plan(tmp_path)))
    check = GcpLoadBalancer(
        forwarding_rule="regions/us-central1/forwardingRules/netra-staging-https",
        ip="34.54.41.44",
        address="netra-staging-lb-ip",
        hosts=("api.staging.netrasystems.ai",),
        backend_service="netra-staging-backend",
        cloud_run_service="netra-backend-staging",
    )
    result = gcp_load_balancer.expect(check, ctx)
    assert result.status is Status.PASS, result.summary
    wrong = check.model_copy(update={"backend_service": "other-backend"})
    assert gcp_load_balancer.expect(wrong, ctx).status is Status.FAIL


def _with_certificate_map(tmp_path: Path, entries: dict[str, dict[str, Any]]) -> Path:
    """The good plan whose proxy serves certificate map netra-map with ``entries``."""
    plan = json.loads(fixture("good").read_text(encoding="utf-8"))
    changes = plan["resource_changes"]
    proxy = next(r for r in changes if r["type"] == "google_compute_target_https_proxy")
    proxy["change"]["after"]["certificate_map"] = (
        "//certificatemanager.googleapis.com/projects/netra-staging/locations/global/"
        "certificateMaps/netra-map"
    )

    def resource(rtype: str, name: str, after: dict[str, Any]) -> dict[str, Any]:
        return {
            "address": f"{rtype}.{name}",
            "mode": "managed",
            "type": rtype,
            "name": name,
            "change": {"actions": ["create"], "before": None, "after": after},
        }

    changes.append(
        resource("google_certificate_manager_certificate_map", "map", {"name": "netra-map"})
    )
    for name, after in entries.items():
        entry = {"name": name, "map": "netra-map", **after}
        changes.append(resource("google_certificate_manager_certificate_map_entry", name, entry))
    return _plan_file(tmp_path, json.dumps(plan))


def test_certificate_map_entries_serve_the_hosts(tmp_path: Path) -> None:
    """Each host needs an entry of the proxy's map: exact, wildcard or PRIMARY."""
    api, app = "api.staging.netrasystems.ai", "app.staging.netrasystems.ai"
    check = GcpLoadBalancer(forwarding_rule="netra-staging-https", hosts=(api, app))
    only_api = _with_certificate_map(tmp_path, {"api": {"hostname": api}})
    result = gcp_load_balancer.expect(check, PlanContext(load_plan(only_api)))
    failed = [o for o in result.observations if not o.ok]
    assert [o.property for o in failed] == [f"certificate map entry {app}"]
    wildcard = _with_certificate_map(tmp_path, {"all": {"hostname": "*.staging.netrasystems.ai"}})
    assert gcp_load_balancer.expect(check, PlanContext(load_plan(wildcard))).status is Status.PASS
    primary = _with_certificate_map(tmp_path, {"primary": {"matcher": "PRIMARY"}})
    assert gcp_load_balancer.expect(check, PlanContext(load_plan(primary))).status is Status.PASS


def test_every_forwarding_rule_and_the_ipv6_address_are_declared(tmp_path: Path) -> None:
    """``forwarding_rules:`` are each declared; ``ipv6`` is one of the rules' addresses."""
    plan = json.loads(fixture("good").read_text(encoding="utf-8"))
    changes = plan["resource_changes"]
    rule = next(r for r in changes if r["address"] == "google_compute_global_forwarding_rule.https")
    v6 = json.loads(json.dumps(rule))
    v6["address"], v6["name"] = "google_compute_global_forwarding_rule.https_v6", "https_v6"
    v6["change"]["after"].update(
        name="netra-staging-https-v6", ip_address="2600:1901:0000:1234:0000:0000:0000:0000"
    )
    changes.append(v6)
    ctx = PlanContext(load_plan(_plan_file(tmp_path, json.dumps(plan))))
    check = GcpLoadBalancer(
        forwarding_rule="netra-staging-https",
        forwarding_rules=("netra-staging-https-v6",),
        ipv6="2600:1901:0:1234::",
    )
    result = gcp_load_balancer.expect(check, ctx)
    assert result.status is Status.PASS, result.summary
    missing = check.model_copy(update={"forwarding_rules": ("nope",), "ipv6": "2600:1901::1"})
    failed = {o.property for o in gcp_load_balancer.expect(missing, ctx).observations if not o.ok}
    assert failed == {"forwarding rule nope", "IPv6 address"}


def _with_paths(tmp_path: Path) -> Path:
    """The good plan whose path matcher sends ``/static/*`` to backend bucket netra-static
    (by reference) and redirects ``/old/*``."""
    plan = json.loads(fixture("good").read_text(encoding="utf-8"))
    url_map = next(r for r in plan["resource_changes"] if r["type"] == "google_compute_url_map")
    url_map["change"]["after"]["path_matcher"][0]["path_rule"] = [
        {"paths": ["/static/*"], "service": None},
        {"paths": ["/old/*"], "url_redirect": [{"host_redirect": "www.netrasystems.ai"}]},
    ]
    plan["resource_changes"].append(
        {
            "address": "google_compute_backend_bucket.static",
            "mode": "managed",
            "type": "google_compute_backend_bucket",
            "name": "static",
            "change": {
                "actions": ["create"],
                "before": None,
                "after": {"name": "netra-static", "bucket_name": "netra-static-assets"},
            },
        }
    )
    config = plan["configuration"]["root_module"]["resources"]
    expressions = next(r for r in config if r["type"] == "google_compute_url_map")["expressions"]
    expressions["path_matcher"][0]["path_rule"] = [
        {
            "paths": {"constant_value": ["/static/*"]},
            "service": {
                "references": [
                    "google_compute_backend_bucket.static.id",
                    "google_compute_backend_bucket.static",
                ]
            },
        },
        {"paths": {"constant_value": ["/old/*"]}},
    ]
    return _plan_file(tmp_path, json.dumps(plan))


def test_routes_resolve_on_the_plans_url_map(tmp_path: Path) -> None:
    """Which path reaches which backend is resolved on the plan's URL map, references named."""
    ctx = PlanContext(load_plan(_with_paths(tmp_path)))
    api = "api.staging.netrasystems.ai"
    routes = (
        Route(host=api, path="/static/app.js", service="netra-static"),
        Route(host=api, path="/api/users", service="netra-staging-backend"),
    )
    check = GcpLoadBalancer(forwarding_rule="netra-staging-https", routes=routes)
    result = gcp_load_balancer.expect(check, ctx)
    assert result.status is Status.PASS, result.summary
    seen = {o.property: o for o in result.observations}
    assert seen[f"route {api}/static/app.js"].actual.startswith("netra-static via hostRules[0]")
    wrong = GcpLoadBalancer(
        forwarding_rule="netra-staging-https",
        routes=(
            Route(host=api, path="/static/app.js", service="netra-staging-backend"),
            Route(host=api, path="/old/page"),
        ),
    )
    failed = {o.property: o for o in gcp_load_balancer.expect(wrong, ctx).observations if not o.ok}
    assert set(failed) == {f"route {api}/static/app.js", f"route {api}/old/page"}
    assert failed[f"route {api}/old/page"].actual.startswith("redirect to www.netrasystems.ai")


def test_plan_url_map_in_rest_shape() -> None:
    """Blocks become REST fields; services declared by reference are named after the resource."""
    plan = load_plan(fixture("good"))
    url_map = next(r for r in plan.of_type("google_compute_url_map"))
    assert rest_url_map(plan, url_map) == {
        "defaultService": "backendServices/netra-staging-backend",
        "hostRules": [
            {
                "hosts": [
                    "api.staging.netrasystems.ai",
                    "auth.staging.netrasystems.ai",
                    "app.staging.netrasystems.ai",
                ],
                "pathMatcher": "backend",
            }
        ],
        "name": "netra-staging-url-map",
        "pathMatchers": [
            {"defaultService": "backendServices/netra-staging-backend", "name": "backend"}
        ],
    }
