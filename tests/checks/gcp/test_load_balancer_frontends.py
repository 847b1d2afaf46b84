"""gcp.load_balancer's frontends and what they serve, against the fake API through the real
client libraries (issue 13): classic certificates covering the hosts, several forwarding rules
(IPv4 and IPv6) on one load balancer, the redirect rule on the load balancer's IP, the check's
``project:``, internet NEGs, regional backend buckets and URL rewrites. Each false pass found is
a FAIL naming the link; each healthy variant PASSes."""

from __future__ import annotations

import json
from typing import Any

from infra_verify.model import Result, Status
from infra_verify.testing.fake_gcp import FOREVER
from tests.checks.gcp.lb_policy import API, APP, AUTH, HOSTS, lb_check
from tests.checks.gcp.world import (
    BACKEND,
    CERT,
    COMPUTE,
    HEALTHY,
    HTTP_RULE,
    HTTPS_PROXY,
    NEG,
    PROJECT,
    REGION,
    REGIONAL,
    RUN_SERVICE,
    URL_MAP,
    GcpWorld,
    link,
)

IPV6 = "2600:1901:0:1234::"
IPV6_LONG = "2600:1901:0000:1234:0000:0000:0000:0000"
V6_RULE = f"{COMPUTE}/global/forwardingRules/netra-staging-https-v6"
MATCHER = "netra-staging"


def failed_at(result: Result, prop: str) -> Any:
    """Assert a FAIL whose last observation is ``prop`` (not ok); return that observation."""
    assert result.status is Status.FAIL, result.summary
    last = result.observations[-1]
    assert last.property == prop and not last.ok, (last, result.summary)
    return last


def observed(result: Result, prop: str) -> Any:
    """The observation ``prop`` of a result."""
    return next(o for o in result.observations if o.property == prop)


def set_names(gcp: GcpWorld, names: list[str], **managed: Any) -> None:
    """The story's managed certificate for ``names`` (issued: SANs too), ``managed`` merged."""
    gcp.patch(
        CERT,
        {
            "subjectAlternativeNames": names,
            "managed": {
                "domains": names,
                "domainStatus": dict.fromkeys(names, "ACTIVE"),
                **managed,
            },
        },
    )


def add_v6_rule(gcp: GcpWorld, address: str = IPV6_LONG, target: str = HTTPS_PROXY) -> None:
    """A global IPv6 HTTPS forwarding rule, as the API writes it, on ``target``."""
    gcp.put(
        V6_RULE,
        {
            "kind": "compute#forwardingRule",
            "name": "netra-staging-https-v6",
            "IPAddress": address,
            "IPProtocol": "TCP",
            "ipVersion": "IPV6",
            "portRange": "443-443",
            "loadBalancingScheme": "EXTERNAL_MANAGED",
            "target": link(target),
            "selfLink": link(V6_RULE),
        },
    )


def set_matcher(gcp: GcpWorld, **matcher: Any) -> None:
    """Replace the URL map's one path matcher."""
    url_map = gcp.fake.get(URL_MAP)
    url_map["pathMatchers"] = [{"name": MATCHER, **matcher}]
    gcp.put(URL_MAP, url_map)


# --- classic certificates cover the hosts ------------------------------------------------------


def test_classic_certificate_covering_every_host_passes(gcp: GcpWorld) -> None:
    """The story's managed certificate names every host: one ``certificate serves`` link each."""
    result = gcp.run(lb_check())
    assert result.status is Status.PASS, result.summary
    for host in HOSTS:
        assert observed(result, f"certificate serves {host}").actual == "netra-staging-cert"


def test_classic_certificate_missing_a_host_fails(gcp: GcpWorld) -> None:
    """A certificate without app.… was a PASS (only its name was compared): now a FAIL there."""
    set_names(gcp, [API, AUTH])
    last = failed_at(gcp.run(lb_check()), f"certificate serves {APP}")
    assert "none covers it" in last.actual and "netra-staging-cert" in last.actual


def test_wildcard_certificate_covers_exactly_one_label(gcp: GcpWorld) -> None:
    """``*.staging.netrasystems.ai`` covers api.staging…; ``*.netrasystems.ai`` does not."""
    set_names(gcp, ["*.staging.netrasystems.ai"])
    assert gcp.run(lb_check()).status is Status.PASS
    set_names(gcp, ["*.netrasystems.ai"])
    failed_at(gcp.run(lb_check()), f"certificate serves {API}")


def test_failing_managed_domain_on_an_active_certificate_only_warns(gcp: GcpWorld) -> None:
    """An ACTIVE certificate serves today even when one domain's status is FAILED: a warning."""
    set_names(gcp, list(HOSTS), domainStatus={API: "FAILED_NOT_VISIBLE"})
    result = gcp.run(lb_check())
    assert result.status is Status.PASS, result.summary
    assert any("FAILED_NOT_VISIBLE" in w and API in w for w in result.warnings), result.warnings


def test_certificate_failed_permanently_fails(gcp: GcpWorld) -> None:
    """PROVISIONING_FAILED_PERMANENTLY is never retried: the host has no certificate, a FAIL."""
    set_names(gcp, list(HOSTS), status="PROVISIONING_FAILED_PERMANENTLY")
    failed_at(gcp.run(lb_check()), f"certificate serves {API}")


def test_provisioning_certificate_warns_for_the_certificate_check(gcp: GcpWorld) -> None:
    """A PROVISIONING certificate that covers the hosts is a warning here (waiting can fix it;
    gcp.managed_certificate judges it), so the story's verdicts stay as they were."""
    set_names(gcp, list(HOSTS), status="PROVISIONING")
    result = gcp.run(lb_check())
    assert result.status is Status.PASS, result.summary
    assert any("PROVISIONING" in w for w in result.warnings)


def test_missing_certificate_resource_fails(gcp: GcpWorld) -> None:
    """A proxy naming a certificate that does not exist leaves the hosts uncovered: FAIL."""
    gcp.fake.delete(CERT)
    last = failed_at(gcp.run(lb_check()), f"certificate serves {API}")
    assert "netra-staging-cert (does not exist)" in last.actual


def test_certificate_that_cannot_be_read_is_an_error(gcp: GcpWorld) -> None:
    """A 500 reading the proxy's certificate is ERROR, never a verdict on coverage."""
    gcp.fake.inject(CERT, statuses=[500], times=FOREVER)
    result = gcp.run(lb_check())
    assert result.status is Status.ERROR, result.summary


# --- several forwarding rules, IPv6 -------------------------------------------------------------


def test_ipv6_frontend_on_the_same_proxy_passes(gcp: GcpWorld) -> None:
    """An IPv6 rule written out in full matches ``ipv6`` written compressed."""
    add_v6_rule(gcp)
    result = gcp.run(lb_check(forwarding_rules=["netra-staging-https-v6"], ipv6=IPV6))
    assert result.status is Status.PASS, result.summary
    assert observed(result, "forwarding rule netra-staging-https-v6").ok
    assert observed(result, "IPv6 frontend").ok


def test_ipv6_frontend_on_another_proxy_fails(gcp: GcpWorld) -> None:
    """A second rule on another proxy serving another URL map is not this load balancer's
    frontend: FAIL naming the URL map. A proxy with the same URL map and certificates is."""
    other = f"{COMPUTE}/global/targetHttpsProxies/v6-proxy"
    gcp.put(other, {**HEALTHY[HTTPS_PROXY], "name": "v6-proxy", "selfLink": link(other)})
    add_v6_rule(gcp, target=other)
    check = lb_check(forwarding_rules=["netra-staging-https-v6"])
    assert gcp.run(check).status is Status.PASS
    gcp.patch(other, {"urlMap": link(f"{COMPUTE}/global/urlMaps/netra-staging-redirect")})
    last = failed_at(gcp.run(check), "forwarding rule netra-staging-https-v6")
    assert "targets v6-proxy, whose URL map is netra-staging-redirect" in last.actual


def test_missing_ipv6_frontend_fails(gcp: GcpWorld) -> None:
    """A listed rule that does not exist FAILs naming it; ``ipv6`` on no rule FAILs too."""
    result = gcp.run(lb_check(forwarding_rules=["netra-staging-https-v6"]))
    assert result.status is Status.FAIL
    assert result.summary == (
        "forwarding rule netra-staging-https-v6 does not exist in project netra-staging"
    )
    last = failed_at(gcp.run(lb_check(ipv6=IPV6)), "IPv6 frontend")
    assert last.actual == "34.54.41.44"


def test_redirect_rule_may_sit_on_the_ipv6_frontend(gcp: GcpWorld) -> None:
    """The port-80 rule on the IPv6 HTTPS rule's address is on the load balancer: PASS."""
    add_v6_rule(gcp)
    gcp.patch(HTTP_RULE, {"IPAddress": IPV6})
    result = gcp.run(lb_check(forwarding_rules=["netra-staging-https-v6"]))
    assert result.status is Status.PASS, result.summary
    gcp.patch(HTTP_RULE, {"IPAddress": "2600:1901:0:9999::"})
    failed_at(
        gcp.run(lb_check(forwarding_rules=["netra-staging-https-v6"])), "HTTP redirect rule IP"
    )


# --- the check's project -----------------------------------------------------------------------


def _copy_to_project(gcp: GcpWorld, project: str) -> None:
    """Every compute and Cloud Run resource of the story, also in ``project``."""
    for path, resource in HEALTHY.items():
        if path.startswith((f"compute/v1/projects/{PROJECT}/", f"v2/projects/{PROJECT}/")):
            text = json.dumps(resource).replace(f"projects/{PROJECT}/", f"projects/{project}/")
            new_path = path.replace(f"projects/{PROJECT}/", f"projects/{project}/")
            gcp.fake.put(new_path, json.loads(text))


def test_policy_project_is_read_for_every_link(gcp: GcpWorld) -> None:
    """``project: netra-edge`` reads the whole chain there, not in the gate's project."""
    _copy_to_project(gcp, "netra-edge")
    before = gcp.requests_to(f"compute/v1/projects/{PROJECT}/")
    result = gcp.run(lb_check(project="netra-edge"))
    assert result.status is Status.PASS, result.summary
    assert gcp.requests_to(f"compute/v1/projects/{PROJECT}/") == before
    assert gcp.requests_to("v2/projects/netra-edge/") >= 2  # the service and its IAM policy


def test_policy_project_without_the_load_balancer_fails(gcp: GcpWorld) -> None:
    """The story's load balancer is not in ``project: netra-edge``: a FAIL naming that project."""
    result = gcp.run(lb_check(project="netra-edge"))
    assert result.status is Status.FAIL
    assert "does not exist in project netra-edge" in result.summary


# --- internet NEGs, regional backend buckets, URL rewrites ------------------------------------


def _internet_backend(gcp: GcpWorld) -> str:
    neg = f"{COMPUTE}/global/networkEndpointGroups/legacy-origin"
    gcp.put(
        neg,
        {
            "kind": "compute#networkEndpointGroup",
            "name": "legacy-origin",
            "networkEndpointType": "INTERNET_FQDN_PORT",
            "defaultPort": 443,
            "selfLink": link(neg),
        },
    )
    service = f"{COMPUTE}/global/backendServices/legacy-backend"
    gcp.put(
        service,
        {
            "kind": "compute#backendService",
            "name": "legacy-backend",
            "loadBalancingScheme": "EXTERNAL_MANAGED",
            "protocol": "HTTPS",
            "securityPolicy": link(f"{COMPUTE}/global/securityPolicies/edge"),
            "backends": [{"group": link(neg)}],
            "selfLink": link(service),
        },
    )
    return link(service)


def test_internet_neg_where_cloud_run_is_expected_fails(gcp: GcpWorld) -> None:
    """A route reaching an internet NEG (a global NEG) is read and named, never a Cloud Run match."""
    legacy = _internet_backend(gcp)
    set_matcher(
        gcp, defaultService=link(BACKEND), pathRules=[{"paths": ["/old/*"], "service": legacy}]
    )
    routes = [{"host": API, "path": "/old/x", "cloud_run_service": "netra-backend-staging"}]
    last = failed_at(gcp.run(lb_check(routes=routes)), "serverless NEG")
    assert "legacy-origin -> INTERNET_FQDN_PORT (global)" in last.actual


def test_internet_neg_behind_a_checked_security_policy_is_reported(gcp: GcpWorld) -> None:
    """With no Cloud Run expected there, the internet NEG is a warning and Cloud Armor is checked."""
    legacy = _internet_backend(gcp)
    set_matcher(gcp, defaultService=legacy)
    check = lb_check(cloud_run_service=None, backend_service=None, security_policy="edge")
    result = gcp.run(check)
    assert result.status is Status.PASS, result.summary
    assert any("internet NEG legacy-origin" in w for w in result.warnings), result.warnings


def _regional_bucket(gcp: GcpWorld) -> str:
    path = f"{REGIONAL}/backendBuckets/netra-assets"
    gcp.put(
        path,
        {
            "kind": "compute#backendBucket",
            "name": "netra-assets",
            "bucketName": "netra-assets-staging",
            "region": link(f"{COMPUTE}/regions/{REGION}"),
            "selfLink": link(path),
        },
    )
    return link(path)


def test_regional_backend_bucket_route_passes(gcp: GcpWorld) -> None:
    """A regional load balancer's path to a regional backend bucket is read where it lives."""
    gcp.regional_lb()
    bucket = _regional_bucket(gcp)
    map_path = f"{REGIONAL}/urlMaps/netra-regional-map"
    url_map = gcp.fake.get(map_path)
    url_map["hostRules"] = [{"hosts": ["*"], "pathMatcher": "web"}]
    url_map["pathMatchers"] = [
        {
            "name": "web",
            "defaultService": url_map["defaultService"],
            "pathRules": [{"paths": ["/static/*"], "service": bucket}],
        }
    ]
    gcp.put(map_path, url_map)
    routes = [{"host": API, "path": "/static/app.js", "service": "netra-assets"}]
    check = lb_check(
        forwarding_rule=f"regions/{REGION}/forwardingRules/netra-regional-https",
        address="netra-regional-ip",
        ip="34.54.41.45",
        certificate="netra-regional-cert",
        backend_service="netra-regional-backend",
        http_redirect_rule="netra-regional-http",
        routes=routes,
        security_policy=None,
    )
    result = gcp.run(check)
    assert result.status is Status.PASS, result.summary
    assert observed(result, "backend bucket netra-assets").where == (
        f"regions/{REGION}/backendBuckets/netra-assets"
    )
    gcp.fake.delete(f"{REGIONAL}/backendBuckets/netra-assets")
    result = gcp.run(check)
    assert result.status is Status.FAIL
    assert result.summary.startswith(f"backend bucket netra-assets in {REGION} does not exist")
    assert result.hint is not None and f"--region={REGION}" in result.hint


def test_url_rewrite_is_reported(gcp: GcpWorld) -> None:
    """A route whose action rewrites the path PASSes with a warning naming the rewrite."""
    set_matcher(
        gcp,
        defaultService=link(BACKEND),
        pathRules=[
            {
                "paths": ["/v1/*"],
                "service": link(BACKEND),
                "routeAction": {"urlRewrite": {"pathPrefixRewrite": "/"}},
            }
        ],
    )
    routes = [{"host": API, "path": "/v1/users"}]
    result = gcp.run(lb_check(routes=routes))
    assert result.status is Status.PASS, result.summary
    assert any("pathPrefixRewrite=/" in w for w in result.warnings), result.warnings


def test_url_mask_neg_behind_a_rewrite_is_an_error(gcp: GcpWorld) -> None:
    """Which service a urlMask NEG picks after a rewrite is undocumented: ERROR, not a guess."""
    gcp.patch(NEG, {"cloudRun": {"service": None, "urlMask": "/<service>"}})
    set_matcher(
        gcp,
        defaultService=link(BACKEND),
        routeRules=[
            {
                "priority": 1,
                "matchRules": [{"prefixMatch": "/"}],
                "service": link(BACKEND),
                "routeAction": {"urlRewrite": {"pathPrefixRewrite": "/netra-backend-staging/"}},
            }
        ],
    )
    result = gcp.run(lb_check())
    assert result.status is Status.ERROR, result.summary
    assert "urlMask /<service>" in result.summary


# --- Cloud Run revision tags ---------------------------------------------------------------------


def test_neg_tag_the_service_lacks_fails(gcp: GcpWorld) -> None:
    """A NEG sending requests to tag ``blue`` of a service with no such tag was a PASS; every
    request through it fails, so it is a FAIL naming the tag."""
    gcp.patch(NEG, {"cloudRun": {"tag": "blue"}})
    last = failed_at(gcp.run(lb_check()), "Cloud Run netra-backend-staging tag blue")
    assert last.actual == "(no tagged traffic targets)"
    tagged = [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100, "tag": "blue"}]
    gcp.patch(RUN_SERVICE, {"trafficStatuses": tagged})
    assert gcp.run(lb_check()).status is Status.PASS


def test_url_mask_tag_is_checked_per_request(gcp: GcpWorld) -> None:
    """``<tag>.staging.netrasystems.ai`` parses tag ``api`` from api.…: the service needs it."""
    gcp.patch(
        NEG,
        {
            "cloudRun": {
                "service": "netra-backend-staging",
                "urlMask": "<tag>.staging.netrasystems.ai",
            }
        },
    )
    check = lb_check(hosts=[API])
    failed_at(gcp.run(check), "Cloud Run netra-backend-staging tag api")
    tagged = [{"revision": "netra-backend-staging-00042-abc", "percent": 0, "tag": "api"}]
    gcp.patch(RUN_SERVICE, {"trafficStatuses": tagged})
    assert gcp.run(check).status is Status.PASS


def test_regional_proxy_with_certificate_manager_certificates_passes(gcp: GcpWorld) -> None:
    """A regional proxy lists Certificate Manager certificates in ``sslCertificates`` (the API
    allows it there, not a map): they are read from Certificate Manager, not as compute ones."""
    gcp.regional_lb()
    cm_path = f"v1/projects/{PROJECT}/locations/{REGION}/certificates/netra-regional-cm"
    gcp.put(
        cm_path,
        {
            "name": f"projects/{PROJECT}/locations/{REGION}/certificates/netra-regional-cm",
            "sanDnsnames": list(HOSTS),
            "managed": {"domains": list(HOSTS), "state": "ACTIVE"},
        },
    )
    proxy = f"{REGIONAL}/targetHttpsProxies/netra-regional-proxy"
    cm_url = f"//certificatemanager.googleapis.com/{cm_path.removeprefix('v1/')}"
    gcp.patch(proxy, {"sslCertificates": [cm_url]})
    check = lb_check(
        forwarding_rule=f"regions/{REGION}/forwardingRules/netra-regional-https",
        address="netra-regional-ip",
        ip="34.54.41.45",
        certificate=None,
        backend_service="netra-regional-backend",
        http_redirect_rule="netra-regional-http",
    )
    result = gcp.run(check)
    assert result.status is Status.PASS, result.summary
    assert observed(result, f"certificate serves {API}").actual == "netra-regional-cm"
    gcp.patch(cm_path, {"managed": {"state": "FAILED"}})
    last = failed_at(gcp.run(check), f"certificate serves {API}")
    assert "Certificate Manager FAILED" in last.actual
