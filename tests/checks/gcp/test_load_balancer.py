"""gcp.load_balancer: the address -> rule -> proxy -> URL map -> backend -> NEG -> Cloud Run chain."""

from __future__ import annotations

from typing import Any

from infra_verify.checks.gcp.load_balancer import GcpLoadBalancer
from infra_verify.model import Result, Status
from tests.checks.gcp.lb_policy import lb_check
from tests.checks.gcp.world import (
    ADDRESS,
    API,
    APP,
    AUTH,
    BACKEND,
    CERT,
    COMPUTE,
    GOOGLE,
    HOSTS,
    HTTP_RULE,
    HTTPS_PROXY,
    HTTPS_RULE,
    NEG,
    PROJECT,
    REDIRECT_MAP,
    URL_MAP,
    GcpWorld,
)

CHAIN = [
    "reserved address",
    "forwarding rule IP",
    "forwarding rule target",
    "forwarding rule port",
    "proxy certificate",
    *(f"certificate serves {h}" for h in HOSTS),
    *(f"URL map routes {h}" for h in HOSTS),
    "routed backend service",
    "backend netra-staging-backend",
    "serverless NEG",
    "HTTP->HTTPS redirect",
    "HTTP redirect rule IP",
    "Cloud Run netra-backend-staging ingress",
    "Cloud Run netra-backend-staging invoker",
]
"""Every link of the healthy chain, in the order the check walks it."""


def lb(**changes: Any) -> GcpLoadBalancer:
    """The story's load balancer check (every optional link on), with changes."""
    return lb_check(**changes)


def broken_at(result: Result, link: str) -> None:
    """Assert a FAIL whose summary and last observation name ``link``, every earlier link ok."""
    assert result.status is Status.FAIL, result.summary
    assert result.summary.startswith(f"{link}: expected "), result.summary
    *before, last = result.observations
    assert last.property == link and not last.ok
    assert [o.property for o in before] == CHAIN[: len(before)]
    assert all(o.ok for o in before)


def test_healthy_chain_passes_with_every_link_observed(gcp: GcpWorld) -> None:
    """The healthy chain passes and shows every link, from the address to the redirect."""
    result = gcp.run(lb())
    assert result.status is Status.PASS, result.summary
    assert [o.property for o in result.observations] == CHAIN
    assert all(o.ok for o in result.observations)
    assert "3 host(s) reach Cloud Run netra-backend-staging" in result.summary
    neg = result.observations[CHAIN.index("serverless NEG")]
    assert neg.actual == "netra-staging-neg -> netra-backend-staging (us-central1)"


def test_reserved_address_with_another_ip_is_the_first_broken_link(gcp: GcpWorld) -> None:
    """A reserved address holding another IP is the finding, before the forwarding rule."""
    gcp.patch(ADDRESS, {"address": "34.54.41.99"})
    result = gcp.run(lb())
    broken_at(result, "reserved address")
    assert result.observations[-1].actual == "34.54.41.99"
    assert len(result.observations) == 1


def test_forwarding_rule_on_another_ip_fails(gcp: GcpWorld) -> None:
    """A forwarding rule listening on another IP than DNS uses FAILs at that link."""
    gcp.patch(HTTPS_RULE, {"IPAddress": "34.54.41.99"})
    result = gcp.run(lb())
    broken_at(result, "forwarding rule IP")
    assert result.hint is not None and "34.54.41.99" in result.hint


def test_target_that_is_not_an_https_proxy_fails(gcp: GcpWorld) -> None:
    """A forwarding rule pointing at an HTTP proxy is not an HTTPS load balancer: FAIL."""
    target = f"{GOOGLE}/projects/{PROJECT}/global/targetHttpProxies/netra-staging-http-proxy"
    gcp.patch(HTTPS_RULE, {"target": target})
    result = gcp.run(lb())
    broken_at(result, "forwarding rule target")
    assert result.observations[-1].actual == "netra-staging-http-proxy"


def test_rule_on_port_80_only_fails(gcp: GcpWorld) -> None:
    """The HTTPS forwarding rule must include port 443."""
    gcp.patch(HTTPS_RULE, {"portRange": "80-80"})
    broken_at(gcp.run(lb()), "forwarding rule port")


def test_proxy_without_the_certificate_fails(gcp: GcpWorld) -> None:
    """An HTTPS proxy carrying another certificate FAILs with an update command."""
    other = f"{GOOGLE}/projects/{PROJECT}/global/sslCertificates/old-cert"
    gcp.patch(HTTPS_PROXY, {"sslCertificates": [other]})
    result = gcp.run(lb())
    broken_at(result, "proxy certificate")
    assert result.observations[-1].actual == "old-cert"
    assert result.hint == (
        "gcloud compute target-https-proxies update netra-staging-https-proxy "
        "--ssl-certificates=netra-staging-cert"
    )


def test_proxy_with_the_expected_certificate_map_passes(gcp: GcpWorld) -> None:
    """A proxy using the expected Certificate Manager map passes that link; another map fails."""
    cmap = f"//certificatemanager.googleapis.com/projects/{PROJECT}/locations/global/certificateMaps/netra-map"
    gcp.patch(HTTPS_PROXY, {"sslCertificates": None, "certificateMap": cmap})
    passed = gcp.run(lb(certificate=None, certificate_map="netra-map"))
    assert passed.status is Status.PASS, passed.summary
    assert any(o.property == "proxy certificate map" and o.ok for o in passed.observations)
    failed = gcp.run(lb(certificate=None, certificate_map="other-map"))
    assert failed.status is Status.FAIL
    assert failed.summary.startswith("proxy certificate map: expected other-map, got netra-map")


def test_url_map_without_one_host_fails_at_that_host(gcp: GcpWorld) -> None:
    """A URL map without a host rule for app FAILs there, after api and auth were routed."""
    url_map = gcp.fake.get(URL_MAP)
    url_map["hostRules"][0]["hosts"] = [API, AUTH]
    gcp.put(URL_MAP, url_map)
    result = gcp.run(lb())
    broken_at(result, f"URL map routes {APP}")
    assert result.observations[-1].actual == "no host rule"
    assert result.hint is not None
    assert "url-maps add-path-matcher netra-staging-url-map" in result.hint
    assert f"--new-hosts={APP}" in result.hint


def test_hosts_routed_to_another_backend_fail(gcp: GcpWorld) -> None:
    """Hosts routed to a backend service other than the expected one FAIL at the routing link."""
    other = f"{GOOGLE}/projects/{PROJECT}/global/backendServices/legacy-backend"
    gcp.patch(URL_MAP, {"pathMatchers": [{"name": "netra-staging", "defaultService": other}]})
    result = gcp.run(lb())
    broken_at(result, "routed backend service")
    assert result.observations[-1].actual == "legacy-backend"


def test_backend_without_a_neg_fails(gcp: GcpWorld) -> None:
    """A backend service whose backends are instance groups, not a serverless NEG, FAILs."""
    group = f"{GOOGLE}/projects/{PROJECT}/zones/us-central1-a/instanceGroups/legacy-ig"
    gcp.patch(BACKEND, {"backends": [{"group": group, "balancingMode": "UTILIZATION"}]})
    result = gcp.run(lb())
    broken_at(result, "backend netra-staging-backend")
    assert result.observations[-1].actual == "legacy-ig"


def test_neg_for_another_cloud_run_service_fails(gcp: GcpWorld) -> None:
    """A serverless NEG pointing at another Cloud Run service FAILs at the NEG link."""
    gcp.patch(NEG, {"cloudRun": {"service": "netra-frontend-staging"}})
    result = gcp.run(lb())
    broken_at(result, "serverless NEG")
    assert result.observations[-1].actual == (
        "netra-staging-neg -> netra-frontend-staging (us-central1)"
    )
    assert result.hint is not None and "--cloud-run-service=netra-backend-staging" in result.hint


def test_neg_in_another_region_fails(gcp: GcpWorld) -> None:
    """A NEG for the right service but in another region than expected FAILs at the NEG link."""
    eu_neg = f"{COMPUTE}/regions/europe-west1/networkEndpointGroups/netra-eu-neg"
    neg = gcp.fake.get(NEG)
    neg.update(
        name="netra-eu-neg",
        region=f"{GOOGLE}/projects/{PROJECT}/regions/europe-west1",
        selfLink=f"https://www.googleapis.com/{eu_neg}",
    )
    gcp.put(eu_neg, neg)
    group = f"https://www.googleapis.com/{eu_neg}"
    gcp.patch(BACKEND, {"backends": [{"group": group, "balancingMode": "UTILIZATION"}]})
    result = gcp.run(lb())
    broken_at(result, "serverless NEG")
    assert result.observations[-1].expected == "Cloud Run netra-backend-staging in us-central1"
    assert result.observations[-1].actual == "netra-eu-neg -> netra-backend-staging (europe-west1)"


def test_missing_forwarding_rule_is_a_fail(gcp: GcpWorld) -> None:
    """A forwarding rule that does not exist (404) is a FAIL with a create command, not ERROR."""
    gcp.fake.delete(HTTPS_RULE)
    result = gcp.run(lb())
    assert result.status is Status.FAIL
    assert "forwarding rule netra-staging-https does not exist" in result.summary
    assert result.hint is not None and "gcloud compute forwarding-rules create" in result.hint
    assert [o.property for o in result.observations] == ["reserved address"]


def test_redirect_url_map_without_https_redirect_fails(gcp: GcpWorld) -> None:
    """An HTTP rule whose URL map does not redirect to HTTPS FAILs at the redirect link."""
    gcp.patch(REDIRECT_MAP, {"defaultUrlRedirect": {"httpsRedirect": False}})
    result = gcp.run(lb())
    broken_at(result, "HTTP->HTTPS redirect")
    assert result.observations[-1].actual == "no"


def test_only_the_forwarding_rule_is_required(gcp: GcpWorld) -> None:
    """With only a forwarding rule named, the target and port links are still verified."""
    result = gcp.run(GcpLoadBalancer(forwarding_rule="netra-staging-https"))
    assert result.status is Status.PASS, result.summary
    assert [o.property for o in result.observations][:2] == [
        "forwarding rule target",
        "forwarding rule port",
    ]


def test_loopback_ip_fails_in_a_real_environment(gcp: GcpWorld) -> None:
    """An expected IP of 127.0.0.1 in environment "staging" FAILs unless loopback is allowed."""
    gcp.patch(ADDRESS, {"address": "127.0.0.1"})
    gcp.patch(HTTPS_RULE, {"IPAddress": "127.0.0.1"})
    gcp.patch(HTTP_RULE, {"IPAddress": "127.0.0.1"})  # the redirect shares the HTTPS rule's IP
    check = lb(ip="127.0.0.1")
    guarded = gcp.run(check, environment="staging")
    assert guarded.status is Status.FAIL
    assert "loopback" in guarded.summary and guarded.terminal
    assert gcp.requests_to(COMPUTE) == 0
    allowed = gcp.run(check, environment="staging", allow_loopback=True)
    assert allowed.status is Status.PASS, allowed.summary


def test_wildcard_host_rule_routes_subdomains(gcp: GcpWorld) -> None:
    """A host rule for ``*.staging.netrasystems.ai`` routes api/auth/app, but not another domain."""
    url_map = gcp.fake.get(URL_MAP)
    url_map["hostRules"][0]["hosts"] = ["*.staging.netrasystems.ai"]
    gcp.put(URL_MAP, url_map)
    assert gcp.run(lb()).status is Status.PASS
    names = [*HOSTS, "api.netrasystems.ai"]
    gcp.patch(CERT, {"managed": {"domains": names}, "subjectAlternativeNames": names})
    other = gcp.run(lb(hosts=["api.netrasystems.ai"]))
    broken_at_host = other.observations[-1]
    assert other.status is Status.FAIL
    assert (broken_at_host.property, broken_at_host.actual) == (
        "URL map routes api.netrasystems.ai",
        "no host rule",
    )
