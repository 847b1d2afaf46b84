"""gcp.load_balancer against the fake API: URL maps, certificate maps, regional load balancers
and Cloud Run acceptance as Google documents them (issue 13). Each false pass becomes a FAIL
naming the broken link; each false fail of a healthy stack becomes a PASS."""

from __future__ import annotations

from typing import Any

from infra_verify.checks.gcp.load_balancer import GcpLoadBalancer
from infra_verify.model import Result, Status
from infra_verify.testing.fake_gcp import FOREVER
from tests.checks.gcp.lb_policy import lb_check
from tests.checks.gcp.world import (
    API,
    APP,
    AUTH,
    BACKEND,
    CM_MAP,
    CM_MAP_URL,
    COMPUTE,
    HOSTS,
    HTTP_RULE,
    HTTPS_PROXY,
    HTTPS_RULE,
    LB_IP,
    NEG,
    REGION,
    REGIONAL,
    RUN_IAM,
    RUN_SERVICE,
    URL_MAP,
    GcpWorld,
    link,
)

MATCHER = "netra-staging"


def lb(**changes: Any) -> GcpLoadBalancer:
    """The story's load balancer check (every optional link on), with changes."""
    return lb_check(**changes)


def failed_at(result: Result, prop: str) -> Any:
    """Assert a FAIL whose last observation is ``prop`` (not ok); return that observation."""
    assert result.status is Status.FAIL, result.summary
    last = result.observations[-1]
    assert last.property == prop and not last.ok, (last, result.summary)
    assert result.summary.startswith(f"{prop}: expected ")
    return last


def set_matcher(gcp: GcpWorld, **matcher: Any) -> None:
    """Replace the URL map's one path matcher (its defaultService dropped unless given)."""
    url_map = gcp.fake.get(URL_MAP)
    url_map["pathMatchers"] = [{"name": MATCHER, **matcher}]
    gcp.put(URL_MAP, url_map)


# --- false passes: each must FAIL, naming the broken link --------------------------------------


def test_path_matcher_default_redirect_fails_naming_the_redirect(gcp: GcpWorld) -> None:
    """A host's path matcher that redirects (defaultUrlRedirect) FAILs at that host's route."""
    set_matcher(gcp, defaultUrlRedirect={"hostRedirect": "www.netrasystems.ai"})
    last = failed_at(gcp.run(lb()), f"URL map routes {API}")
    assert last.actual == "redirect to www.netrasystems.ai (301)"
    result = gcp.run(lb())
    assert (
        result.hint is not None and "pathMatcher netra-staging -> defaultUrlRedirect" in result.hint
    )


def test_path_rule_catching_every_path_is_followed(gcp: GcpWorld) -> None:
    """A ``/*`` path rule to another backend wins over the matcher's default: FAIL at routing."""
    legacy = gcp.add_backend("legacy-backend", {"service": "netra-legacy"})
    set_matcher(gcp, defaultService=link(BACKEND), pathRules=[{"paths": ["/*"], "service": legacy}])
    last = failed_at(gcp.run(lb()), "routed backend service")
    assert last.actual == "legacy-backend"


def test_route_rule_redirect_is_followed(gcp: GcpWorld) -> None:
    """A routeRules entry matching ``/`` that redirects FAILs, naming the route rule."""
    set_matcher(
        gcp,
        defaultService=link(BACKEND),
        routeRules=[
            {
                "priority": 1,
                "matchRules": [{"prefixMatch": "/"}],
                "urlRedirect": {"hostRedirect": "old.netrasystems.ai"},
            }
        ],
    )
    result = gcp.run(lb())
    failed_at(result, f"URL map routes {API}")
    assert result.hint is not None and "routeRules priority 1: urlRedirect" in result.hint


def test_every_weighted_backend_is_checked(gcp: GcpWorld) -> None:
    """A 90/10 split checks both backends: the canary's NEG to another service FAILs."""
    canary = gcp.add_backend("canary-backend", {"service": "netra-canary"})
    set_matcher(
        gcp,
        defaultRouteAction={
            "weightedBackendServices": [
                {"backendService": link(BACKEND), "weight": 90},
                {"backendService": canary, "weight": 10},
            ]
        },
    )
    result = gcp.run(lb(backend_service=None))
    last = failed_at(result, "serverless NEG")
    assert last.actual == "canary-backend-neg -> netra-canary (us-central1)"
    assert "backend canary-backend" in [o.property for o in result.observations]


def test_weighted_backends_to_the_same_service_pass(gcp: GcpWorld) -> None:
    """A split whose backends all reach the Cloud Run service passes; idle ones are warned."""
    blue = gcp.add_backend("blue-backend", {"service": "netra-backend-staging"})
    dark = gcp.add_backend("dark-backend", {"service": "nothing-here"})
    weighted = [
        {"backendService": link(BACKEND), "weight": 50},
        {"backendService": blue, "weight": 50},
        {"backendService": dark, "weight": 0},
    ]
    set_matcher(gcp, defaultRouteAction={"weightedBackendServices": weighted})
    result = gcp.run(lb(backend_service=None))
    assert result.status is Status.PASS, result.summary
    props = [o.property for o in result.observations]
    assert "backend blue-backend" in props and "backend netra-staging-backend" in props
    assert "backend dark-backend" not in props
    assert any("dark-backend (weight 0) receives no traffic" in w for w in result.warnings)


def test_exact_host_rule_wins_over_a_wildcard_listed_first(gcp: GcpWorld) -> None:
    """``*`` listed before the exact hosts does not win: the exact rule's backend is checked."""
    legacy = gcp.add_backend("legacy-backend", {"service": "netra-legacy"})
    url_map = gcp.fake.get(URL_MAP)
    url_map["hostRules"] = [
        {"hosts": ["*"], "pathMatcher": "catch-all"},
        {"hosts": list(HOSTS), "pathMatcher": "exact"},
    ]
    url_map["pathMatchers"] = [
        {"name": "catch-all", "defaultService": link(BACKEND)},
        {"name": "exact", "defaultService": legacy},
    ]
    gcp.put(URL_MAP, url_map)
    last = failed_at(gcp.run(lb()), "routed backend service")
    assert last.actual == "legacy-backend"


def test_ssl_certificates_beside_a_certificate_map_are_ignored(gcp: GcpWorld) -> None:
    """A proxy with a certificate map serves the map: its sslCertificates do not pass the check."""
    gcp.patch(HTTPS_PROXY, {"certificateMap": CM_MAP_URL})
    result = gcp.run(lb())
    last = failed_at(result, "proxy certificate")
    assert last.actual == "netra-staging-cert (ignored: the proxy serves certificate map netra-map)"
    assert any("sslCertificates (netra-staging-cert) are ignored" in w for w in result.warnings)
    assert result.hint is not None and "--clear-certificate-map" in result.hint


def test_certificate_map_without_an_entry_for_a_host_fails(gcp: GcpWorld) -> None:
    """A certificate map lacking an entry for app FAILs at that host, after api and auth."""
    gcp.patch(HTTPS_PROXY, {"sslCertificates": None, "certificateMap": CM_MAP_URL})
    gcp.fake.delete(f"{CM_MAP}/certificateMapEntries/app")
    result = gcp.run(lb(certificate=None, certificate_map="netra-map"))
    last = failed_at(result, f"certificate map serves {APP}")
    assert last.actual == "no entry"
    passed = [o.property for o in result.observations if o.ok]
    assert f"certificate map serves {API}" in passed and f"certificate map serves {AUTH}" in passed
    assert result.hint is not None and f"--map=netra-map --hostname={APP}" in result.hint


def test_certificate_map_entry_with_a_provisioning_certificate_fails(gcp: GcpWorld) -> None:
    """An entry whose certificate is not ACTIVE yet FAILs for the hosts it serves."""
    gcp.patch(HTTPS_PROXY, {"sslCertificates": None, "certificateMap": CM_MAP_URL})
    cert = "v1/projects/netra-staging/locations/global/certificates/netra-staging-cm-cert"
    gcp.patch(cert, {"managed": {"state": "PROVISIONING"}})
    last = failed_at(gcp.run(lb(certificate=None)), f"certificate map serves {API}")
    assert (
        last.actual == "entry api (api.staging.netrasystems.ai) -> netra-staging-cm-cert "
        "PROVISIONING: netra-staging-cm-cert PROVISIONING"
    )


def test_missing_certificate_map_fails(gcp: GcpWorld) -> None:
    """A proxy naming a certificate map that does not exist FAILs, not passes on its name."""
    gcp.patch(HTTPS_PROXY, {"sslCertificates": None, "certificateMap": CM_MAP_URL})
    gcp.fake.delete(CM_MAP)
    result = gcp.run(lb(certificate=None, certificate_map="netra-map"))
    assert result.status is Status.FAIL
    assert result.summary == "certificate map netra-map does not exist in project netra-staging"


def test_redirect_rule_on_another_ip_fails(gcp: GcpWorld) -> None:
    """The port-80 rule redirecting on another IP than the HTTPS rule FAILs at its IP."""
    gcp.patch(HTTP_RULE, {"IPAddress": "34.54.41.99"})
    result = gcp.run(lb())
    last = failed_at(result, "HTTP redirect rule IP")
    assert (last.expected, last.actual) == (LB_IP, "34.54.41.99")


def test_cloud_run_ingress_refusing_the_load_balancer_fails(gcp: GcpWorld) -> None:
    """A Cloud Run service with internal-only ingress refuses the load balancer: FAIL."""
    gcp.patch(RUN_SERVICE, {"ingress": "INGRESS_TRAFFIC_INTERNAL_ONLY"})
    result = gcp.run(lb())
    last = failed_at(result, "Cloud Run netra-backend-staging ingress")
    assert last.actual == "INGRESS_TRAFFIC_INTERNAL_ONLY"
    assert result.hint is not None and "--ingress=internal-and-cloud-load-balancing" in result.hint


def test_cloud_run_without_public_invoker_fails(gcp: GcpWorld) -> None:
    """No allUsers run.invoker binding (and IAM checks on): every request gets 403, FAIL."""
    gcp.fake.delete(RUN_IAM)
    result = gcp.run(lb())
    last = failed_at(result, "Cloud Run netra-backend-staging invoker")
    assert "403" in (last.actual or "")
    assert result.hint is not None and "--member=allUsers --role=roles/run.invoker" in result.hint


def test_invoker_iam_disabled_or_public_false_passes(gcp: GcpWorld) -> None:
    """invokerIamDisabled opens the service; ``public: false`` skips the invoker check."""
    gcp.fake.delete(RUN_IAM)
    assert gcp.run(lb(public=False)).status is Status.PASS
    gcp.patch(RUN_SERVICE, {"invokerIamDisabled": True})
    result = gcp.run(lb())
    assert result.status is Status.PASS, result.summary
    assert result.observations[-1].actual == "invokerIamDisabled"


def test_internal_load_balancer_ingress_passes(gcp: GcpWorld) -> None:
    """Ingress ``internal-and-cloud-load-balancing`` admits the load balancer."""
    gcp.patch(RUN_SERVICE, {"ingress": "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"})
    assert gcp.run(lb()).status is Status.PASS


def test_security_policy_is_checked(gcp: GcpWorld) -> None:
    """``security_policy`` must be the backend's Cloud Armor policy; it shows in the evidence."""
    armor = link(f"{COMPUTE}/global/securityPolicies/netra-armor")
    missing = gcp.run(lb(security_policy="netra-armor"))
    assert failed_at(missing, "security policy of netra-staging-backend").actual == "(none)"
    gcp.patch(BACKEND, {"securityPolicy": armor})
    result = gcp.run(lb(security_policy="netra-armor"))
    assert result.status is Status.PASS, result.summary
    backend = next(o for o in result.observations if o.property == "backend netra-staging-backend")
    assert backend.actual == "netra-staging-neg (Cloud Armor: netra-armor)"


# --- false fails: healthy stacks that must PASS ------------------------------------------------


def test_url_map_with_only_a_default_service_passes(gcp: GcpWorld) -> None:
    """``url-maps create --default-service``: no host rules, every host reaches the default."""
    url_map = gcp.fake.get(URL_MAP)
    del url_map["hostRules"], url_map["pathMatchers"]
    gcp.put(URL_MAP, url_map)
    result = gcp.run(lb())
    assert result.status is Status.PASS, result.summary
    route = next(o for o in result.observations if o.property == f"URL map routes {API}")
    assert (route.expected, route.actual) == ("a backend", "netra-staging-backend")


def test_serverless_neg_with_a_url_mask_passes(gcp: GcpWorld) -> None:
    """A NEG with ``cloudRun.urlMask`` ``<service>.staging…`` resolves each host's service."""
    for name in ("api", "auth", "app"):
        gcp.add_run_service(name)
    gcp.patch(NEG, {"cloudRun": {"service": None, "urlMask": "<service>.staging.netrasystems.ai"}})
    routes = [{"host": h, "cloud_run_service": h.split(".")[0]} for h in HOSTS]
    result = gcp.run(lb(hosts=[], routes=routes, cloud_run_service=None, backend_service=None))
    assert result.status is Status.PASS, result.summary
    neg = next(o for o in result.observations if o.property == "serverless NEG")
    assert neg.actual == (
        "netra-staging-neg -> urlMask <service>.staging.netrasystems.ai "
        f"[{API}/: api; {AUTH}/: auth; {APP}/: app] (us-central1)"
    )
    ingress = [o.property for o in result.observations if o.property.endswith("ingress")]
    assert ingress == ["Cloud Run api ingress", "Cloud Run app ingress", "Cloud Run auth ingress"]


def test_url_mask_resolving_another_service_fails(gcp: GcpWorld) -> None:
    """A URL mask sending the host to another service than expected FAILs at the NEG."""
    gcp.patch(NEG, {"cloudRun": {"service": None, "urlMask": "<service>.staging.netrasystems.ai"}})
    last = failed_at(gcp.run(lb(hosts=[API])), "serverless NEG")
    assert (
        last.actual
        == f"netra-staging-neg -> urlMask <service>.staging.netrasystems.ai [{API}: api] (us-central1)"
    )


def test_serverless_neg_with_a_tag_passes(gcp: GcpWorld) -> None:
    """A NEG naming the service and a revision ``tag`` reaches that service, tag reported."""
    gcp.patch(NEG, {"cloudRun": {"tag": "blue"}})
    tagged = [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100, "tag": "blue"}]
    gcp.patch(RUN_SERVICE, {"trafficStatuses": tagged})
    result = gcp.run(lb())
    assert result.status is Status.PASS, result.summary
    neg = next(o for o in result.observations if o.property == "serverless NEG")
    assert neg.actual == "netra-staging-neg -> netra-backend-staging (tag blue) (us-central1)"


def test_regional_external_load_balancer_passes(gcp: GcpWorld) -> None:
    """A regional external Application Load Balancer passes, read from regional resources."""
    gcp.regional_lb()
    check = lb(
        forwarding_rule="netra-regional-https",
        address="netra-regional-ip",
        ip="34.54.41.45",
        certificate="netra-regional-cert",
        backend_service="netra-regional-backend",
        http_redirect_rule="netra-regional-http",
    )
    result = gcp.run(check)
    assert result.status is Status.PASS, result.summary
    where = {o.property: o.where for o in result.observations}
    assert where["forwarding rule IP"] == f"regions/{REGION}/forwardingRules/netra-regional-https"
    assert where["HTTP redirect rule IP"] == f"regions/{REGION}/forwardingRules/netra-regional-http"
    assert gcp.requests_to(f"{REGIONAL}/urlMaps/netra-regional-map") == 1
    explicit = gcp.run(
        lb(forwarding_rule=f"regions/{REGION}/forwardingRules/netra-regional-https", address=None,
           ip="34.54.41.45", certificate=None, backend_service=None, http_redirect_rule=None)
    )  # fmt: skip
    assert explicit.status is Status.PASS, explicit.summary


def test_regional_load_balancer_hints_are_regional(gcp: GcpWorld) -> None:
    """A broken regional chain gets regional commands (``--region``, not ``--global``)."""
    gcp.regional_lb()
    gcp.fake.delete(f"{REGIONAL}/backendServices/netra-regional-backend")
    result = gcp.run(
        lb(forwarding_rule=f"regions/{REGION}/forwardingRules/netra-regional-https", address=None,
           ip=None, certificate=None, backend_service=None, http_redirect_rule=None)
    )  # fmt: skip
    assert result.status is Status.FAIL
    assert (
        result.summary
        == "backend service netra-regional-backend does not exist in project netra-staging"
    )
    assert result.hint is not None and f"--region={REGION}" in result.hint
    assert "--global" not in result.hint


def test_ipv6_address_in_another_form_passes(gcp: GcpWorld) -> None:
    """An IPv6 rule address written compressed matches the policy's expanded form."""
    v6 = "2600:1901:0:1234::"
    gcp.patch(HTTPS_RULE, {"IPAddress": v6, "ipVersion": "IPV6"})
    gcp.patch(HTTP_RULE, {"IPAddress": "2600:1901:0000:1234:0000:0000:0000:0000"})
    result = gcp.run(lb(address=None, ip="2600:1901:0:1234:0:0:0:0"))
    assert result.status is Status.PASS, result.summary


def test_routes_check_which_path_reaches_which_service(gcp: GcpWorld) -> None:
    """``/api/`` to one backend, ``/`` to another, and a bucket for ``/static/``: each route passes;
    a route expecting the wrong backend FAILs naming the rule that decides."""
    gcp.add_run_service("netra-api")
    api = gcp.add_backend("api-backend", {"service": "netra-api"})
    gcp.put(
        f"{COMPUTE}/global/backendBuckets/netra-static",
        {
            "kind": "compute#backendBucket",
            "name": "netra-static",
            "bucketName": "netra-static-assets",
        },
    )
    static = link(f"{COMPUTE}/global/backendBuckets/netra-static")
    set_matcher(
        gcp,
        defaultService=link(BACKEND),
        pathRules=[
            {"paths": ["/api/*"], "service": api},
            {"paths": ["/static/*"], "service": static},
        ],
    )
    routes = [
        {
            "host": API,
            "path": "/api/users",
            "service": "api-backend",
            "cloud_run_service": "netra-api",
        },
        {"host": API, "path": "/"},
        {"host": APP, "path": "/static/app.js", "service": "netra-static"},
    ]
    result = gcp.run(lb(hosts=[], routes=routes, backend_service=None))
    assert result.status is Status.PASS, result.summary
    seen = {o.property: o.actual for o in result.observations}
    assert seen[f"URL map routes {APP}/static/app.js"] == "bucket netra-static"
    assert (
        seen["backend bucket netra-static"]
        == "backend bucket netra-static (gs://netra-static-assets)"
    )
    assert "3 route(s) verified" in result.summary
    wrong = [{"host": API, "path": "/api/users", "service": "netra-staging-backend"}]
    last = failed_at(gcp.run(lb(hosts=[], routes=wrong)), f"URL map routes {API}/api/users")
    assert last.actual == "api-backend"


def test_bucket_where_cloud_run_is_expected_fails(gcp: GcpWorld) -> None:
    """A route reaching a backend bucket where a Cloud Run service is expected FAILs there."""
    gcp.put(
        f"{COMPUTE}/global/backendBuckets/netra-static",
        {
            "kind": "compute#backendBucket",
            "name": "netra-static",
            "bucketName": "netra-static-assets",
        },
    )
    set_matcher(gcp, defaultService=link(f"{COMPUTE}/global/backendBuckets/netra-static"))
    last = failed_at(gcp.run(lb(backend_service=None)), "backend bucket netra-static")
    assert last.expected == "Cloud Run netra-backend-staging"


def test_iam_policy_that_cannot_be_read_is_an_error(gcp: GcpWorld) -> None:
    """A 403 reading the Cloud Run IAM policy is ERROR naming roles/run.viewer, not a FAIL."""
    gcp.fake.inject(RUN_IAM, statuses=[403], times=FOREVER)
    result = gcp.run(lb())
    assert result.status is Status.ERROR, result.summary
    assert "IAM policy of Cloud Run service netra-backend-staging" in result.summary
    assert "roles/run.viewer" in result.summary
