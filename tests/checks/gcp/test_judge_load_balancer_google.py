"""gcp.load_balancer's judge on plain data for the URL-map, certificate-map, regional and Cloud
Run acceptance cases of issue 13 (the probe's LoadBalancerObserved built by hand)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from infra_verify.checks.gcp.load_balancer import (
    BackendObserved,
    CertificateMapObserved,
    GcpLoadBalancer,
    LoadBalancerObserved,
    NegObserved,
    RunObserved,
    same_ip,
    url_mask_match,
)
from infra_verify.model import Outcome, Status
from tests.checks.gcp.test_judge_load_balancer import (
    API,
    APP,
    AUTH,
    BACKEND,
    CHECK,
    HEALTHY,
    LB_IP,
    NEG,
    G,
    changed,
)

CM = "//certificatemanager.googleapis.com/projects/netra-staging/locations/global/certificateMaps/netra-map"
CM_CERT = "projects/netra-staging/locations/global/certificates/cm-cert"
RUN = HEALTHY.runs[0]
R = f"{G}/regions/europe-west1"


def with_matcher(**matcher: Any) -> LoadBalancerObserved:
    """HEALTHY whose one path matcher is replaced."""
    return changed("url_map", pathMatchers=[{"name": "netra-staging", **matcher}])


def failed_at(outcome: Outcome, prop: str) -> Any:
    """Assert FAIL at ``prop`` (the last observation, not ok); return that observation."""
    assert outcome.status is Status.FAIL, outcome.summary
    last = outcome.observations[-1]
    assert last.property == prop and not last.ok, (last, outcome.summary)
    return last


def check(**changes: Any) -> GcpLoadBalancer:
    """CHECK with changed fields (validated, as a policy would be)."""
    return GcpLoadBalancer.model_validate({**CHECK.model_dump(exclude={"id"}), **changes})


def backend(name: str, service: str, region: str = "us-central1", **extra: Any) -> BackendObserved:
    """A read backend service with one serverless NEG to Cloud Run ``service``."""
    group = f"{G}/regions/{region}/networkEndpointGroups/{name}-neg"
    neg = {"networkEndpointType": "SERVERLESS", "cloudRun": {"service": service}}
    return BackendObserved(
        name,
        {"name": name, "backends": [{"group": group}], **extra},
        (NegObserved(group, neg),),
        url=f"{G}/global/backendServices/{name}",
    )


def run(name: str, **service: Any) -> RunObserved:
    """A read Cloud Run service open to allUsers (``service`` overrides its fields)."""
    return RunObserved(
        "us-central1", name, {"ingress": "INGRESS_TRAFFIC_ALL", **service}, RUN.iam_policy
    )


def test_path_matcher_redirect_is_a_fail_naming_it() -> None:
    """A path matcher whose default redirects FAILs the host's route with the redirect."""
    obs = with_matcher(
        defaultUrlRedirect={"hostRedirect": "www.example.com", "redirectResponseCode": "FOUND"}
    )
    last = failed_at(CHECK.judge(obs), f"URL map routes {API}")
    assert last.actual == "redirect to www.example.com (302)"


def test_weighted_backend_not_read_is_missing() -> None:
    """A weighted split to a backend the probe found missing FAILs at that backend."""
    canary = f"{G}/global/backendServices/canary"
    obs = with_matcher(
        defaultRouteAction={
            "weightedBackendServices": [
                {"backendService": BACKEND, "weight": 80},
                {"backendService": canary, "weight": 20},
            ]
        }
    )
    obs = dataclasses.replace(obs, backends=(BackendObserved("canary", None, url=canary),))
    outcome = check(backend_service=None).judge(obs)
    assert outcome.summary == "backend service canary does not exist in project netra-staging"


def test_weighted_backends_all_reaching_the_service_pass() -> None:
    """Both weighted backends are walked; both reach the Cloud Run service: PASS."""
    blue = backend("blue", "netra-backend-staging")
    obs = with_matcher(
        defaultRouteAction={
            "weightedBackendServices": [
                {"backendService": BACKEND, "weight": 1},
                {"backendService": blue.url, "weight": 1},
            ]
        }
    )
    obs = dataclasses.replace(obs, backends=(blue, *HEALTHY.backends))
    outcome = check(backend_service=None).judge(obs)
    assert outcome.status is Status.PASS, outcome.summary
    props = [o.property for o in outcome.observations]
    assert props.count("serverless NEG") == 2 and "backend blue" in props


def test_most_specific_host_rule_wins() -> None:
    """``*`` first and the exact hosts after: the exact rule's backend is what is judged."""
    obs = changed(
        "url_map",
        hostRules=[
            {"hosts": ["*"], "pathMatcher": "star"},
            {"hosts": [API, AUTH, APP], "pathMatcher": "exact"},
        ],
        pathMatchers=[
            {"name": "star", "defaultService": BACKEND},
            {"name": "exact", "defaultService": f"{G}/global/backendServices/legacy"},
        ],
    )
    assert failed_at(CHECK.judge(obs), "routed backend service").actual == "legacy"


def test_default_service_only_url_map_passes() -> None:
    """No host rules: hosts reach the URL map's default; the link expects a backend."""
    obs = changed("url_map", hostRules=[], pathMatchers=[])
    outcome = CHECK.judge(obs)
    assert outcome.status is Status.PASS, outcome.summary
    route = next(o for o in outcome.observations if o.property == f"URL map routes {API}")
    assert (route.expected, route.actual) == ("a backend", "netra-staging-backend")


def test_certificate_map_makes_ssl_certificates_ignored() -> None:
    """sslCertificates beside a certificateMap are ignored: FAIL the certificate link, warn."""
    obs = changed("proxy", certificateMap=CM)
    outcome = CHECK.judge(obs)
    last = failed_at(outcome, "proxy certificate")
    assert last.actual == "netra-staging-cert (ignored: the proxy serves certificate map netra-map)"
    assert outcome.warnings == (
        "target HTTPS proxy netra-staging-https-proxy has certificate map netra-map: its "
        "sslCertificates (netra-staging-cert) are ignored",
    )


def cert_map(*entries: dict[str, Any], cert: dict[str, Any] | None = None) -> LoadBalancerObserved:
    """HEALTHY served by certificate map netra-map with ``entries`` and one certificate."""
    certificate = (
        cert if cert is not None else {"managed": {"state": "ACTIVE", "domains": [API, AUTH, APP]}}
    )
    seen = CertificateMapObserved(CM, {"name": "netra-map"}, entries, {CM_CERT: certificate})
    obs = changed("proxy", certificateMap=CM, sslCertificates=[])
    return dataclasses.replace(obs, certificate_map=seen)


@pytest.mark.parametrize(
    ("entries", "cert", "broken", "actual"),
    [
        (
            [
                {"hostname": h, "certificates": [CM_CERT], "state": "ACTIVE"}
                for h in (API, AUTH, APP)
            ],
            None,
            None,
            None,
        ),
        (
            [{"hostname": "*.staging.netrasystems.ai", "certificates": [CM_CERT]}],
            {"sanDnsnames": ["*.staging.netrasystems.ai"]},
            None,
            None,
        ),
        (
            [{"hostname": h, "certificates": [CM_CERT]} for h in (API, AUTH)],
            None,
            APP,
            "no entry",
        ),
        (
            [{"matcher": "PRIMARY", "certificates": [CM_CERT], "name": "x/primary"}],
            {"sanDnsnames": [API]},
            AUTH,
            "entry primary (PRIMARY) -> cm-cert ACTIVE: cm-cert does not cover auth.staging.netrasystems.ai",
        ),
        (
            [{"hostname": API, "certificates": [CM_CERT], "state": "PENDING", "name": "x/api"}],
            None,
            API,
            "entry api (api.staging.netrasystems.ai) -> cm-cert ACTIVE: entry PENDING",
        ),
        (
            [{"matcher": "PRIMARY", "certificates": [CM_CERT], "name": "x/p"}],
            {"managed": {"state": "FAILED", "domains": [API, AUTH, APP]}},
            API,
            "entry p (PRIMARY) -> cm-cert FAILED: cm-cert FAILED",
        ),
    ],
    ids=[
        "exact-entries",
        "wildcard-entry",
        "no-entry",
        "primary-not-covering",
        "pending",
        "failed",
    ],
)
def test_certificate_map_entries_serve_every_host(
    entries: list[dict[str, Any]],
    cert: dict[str, Any] | None,
    broken: str | None,
    actual: str | None,
) -> None:
    """Every checked host needs an ACTIVE entry (exact, wildcard, else PRIMARY) whose
    certificates are ACTIVE and cover it."""
    outcome = check(certificate=None, certificate_map="netra-map").judge(
        cert_map(*entries, cert=cert)
    )
    if broken is None:
        assert outcome.status is Status.PASS, outcome.summary
        return
    assert failed_at(outcome, f"certificate map serves {broken}").actual == actual


def test_missing_certificate_map_is_a_fail() -> None:
    """The proxy's certificate map read as missing FAILs, naming it."""
    obs = dataclasses.replace(
        changed("proxy", certificateMap=CM, sslCertificates=[]),
        certificate_map=CertificateMapObserved(CM, None),
    )
    outcome = check(certificate=None).judge(obs)
    assert outcome.summary == "certificate map netra-map does not exist in project netra-staging"


def test_redirect_rule_must_share_the_https_ip() -> None:
    """The port-80 rule on another IP FAILs at ``HTTP redirect rule IP``."""
    assert HEALTHY.redirect is not None
    redirect = dataclasses.replace(
        HEALTHY.redirect, rule={**(HEALTHY.redirect.rule or {}), "IPAddress": "1.2.3.4"}
    )
    last = failed_at(
        CHECK.judge(dataclasses.replace(HEALTHY, redirect=redirect)), "HTTP redirect rule IP"
    )
    assert (last.expected, last.actual) == (LB_IP, "1.2.3.4")


@pytest.mark.parametrize(
    ("service", "policy", "public", "broken"),
    [
        ({"ingress": "INGRESS_TRAFFIC_INTERNAL_ONLY"}, RUN.iam_policy, True, "ingress"),
        ({"ingress": "INGRESS_TRAFFIC_NONE"}, RUN.iam_policy, True, "ingress"),
        ({"ingress": "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"}, RUN.iam_policy, True, None),
        ({"ingress": "INGRESS_TRAFFIC_ALL"}, {"etag": "ACAB"}, True, "invoker"),
        (
            {"ingress": "INGRESS_TRAFFIC_ALL"},
            {"bindings": [{"role": "roles/run.invoker", "members": ["allAuthenticatedUsers"]}]},
            True,
            "invoker",
        ),
        (
            {"ingress": "INGRESS_TRAFFIC_ALL", "invokerIamDisabled": True},
            {"etag": "ACAB"},
            True,
            None,
        ),
        ({"ingress": "INGRESS_TRAFFIC_ALL"}, None, False, None),
    ],
    ids=[
        "internal-only",
        "none",
        "internal-lb",
        "no-binding",
        "authenticated-only",
        "iam-disabled",
        "public-false",
    ],
)
def test_cloud_run_accepts_the_load_balancer(
    service: dict[str, Any], policy: dict[str, Any] | None, public: bool, broken: str | None
) -> None:
    """Ingress must admit the load balancer, and allUsers may invoke unless ``public: false``."""
    obs = dataclasses.replace(
        HEALTHY, runs=(RunObserved("us-central1", RUN.name, service, policy),)
    )
    outcome = check(public=public).judge(obs)
    if broken is None:
        assert outcome.status is Status.PASS, outcome.summary
        props = [o.property for o in outcome.observations]
        assert ("Cloud Run netra-backend-staging invoker" in props) is public
        return
    failed_at(outcome, f"Cloud Run netra-backend-staging {broken}")


def test_missing_cloud_run_service_is_a_fail() -> None:
    """The Cloud Run service a NEG names, read as missing, FAILs with a deploy hint."""
    obs = dataclasses.replace(HEALTHY, runs=(RunObserved("us-central1", RUN.name, None),))
    outcome = CHECK.judge(obs)
    assert (
        outcome.summary
        == "Cloud Run service netra-backend-staging in us-central1 does not exist in project netra-staging"
    )
    assert outcome.hint == "gcloud run deploy netra-backend-staging --region=us-central1"


def test_url_mask_neg_resolves_per_host() -> None:
    """A urlMask NEG reaches the service each host parses to; a mismatch FAILs at the NEG."""
    mask = {
        "networkEndpointType": "SERVERLESS",
        "cloudRun": {"urlMask": "<service>.staging.netrasystems.ai"},
    }
    obs = dataclasses.replace(
        HEALTHY,
        backends=(
            BackendObserved(
                "netra-staging-backend", {"backends": [{"group": NEG}]}, (NegObserved(NEG, mask),)
            ),
        ),
        runs=(run("api"),),
    )
    passed = check(hosts=(API,), cloud_run_service="api").judge(obs)
    assert passed.status is Status.PASS, passed.summary
    failed = CHECK.judge(obs)
    assert failed_at(failed, "serverless NEG").actual == (
        f"netra-staging-neg -> urlMask <service>.staging.netrasystems.ai [{API}: api; {AUTH}: auth; {APP}: app] (us-central1)"
    )


@pytest.mark.parametrize(
    ("mask", "host", "path", "parsed"),
    [
        ("<service>.example.com", "api.example.com", "/", {"service": "api"}),
        ("example.com/<service>", "example.com", "/api/users", {"service": "api"}),
        (
            "<tag>.example.com/<service>",
            "blue.example.com",
            "/api",
            {"tag": "blue", "service": "api"},
        ),
        ("/<service>", "anything.org", "/web/x", {"service": "web"}),
        ("<service>.example.com", "example.com", "/", None),
        ("example.com/<service>", "example.com", "/", None),
        ("example.com/<service>", "other.com", "/api", None),
    ],
    ids=["subdomain", "path", "tag-and-path", "path-only", "no-label", "no-segment", "other-host"],
)
def test_url_mask_match(mask: str, host: str, path: str, parsed: dict[str, str] | None) -> None:
    """``cloudRun.urlMask`` parses ``<service>``/``<tag>`` from the host and leading segments."""
    assert url_mask_match(mask, host, path) == parsed


@pytest.mark.parametrize(
    ("expected", "actual", "same"),
    [
        ("2600:1901:0:1234::", "2600:1901:0000:1234:0000:0000:0000:0000", True),
        ("2600:1901::1", "2600:1901::2", False),
        ("2600:1901::7", "2600:1901::/96", True),
        ("34.54.41.44", "34.54.41.44", True),
        ("34.54.41.44", "34.54.41.45", False),
        ("34.54.41.44", None, False),
    ],
    ids=["v6-forms", "v6-differs", "v6-range", "v4", "v4-differs", "missing"],
)
def test_ip_addresses_compare_by_value(expected: str, actual: str | None, same: bool) -> None:
    """IPv6 written compressed or expanded is the same address; a range holds its addresses."""
    assert same_ip(expected, actual) is same


def test_regional_chain_reads_and_hints_regionally() -> None:
    """A regional load balancer's links name regional paths, and its hints say --region."""
    regional = dataclasses.replace(
        HEALTHY,
        lb_region="europe-west1",
        region="europe-west1",
        address=None,
        rule={**(HEALTHY.rule or {}), "target": f"{R}/targetHttpsProxies/p"},
        proxy={**(HEALTHY.proxy or {}), "urlMap": f"{R}/urlMaps/m"},
    )
    outcome = check(http_redirect_rule=None).judge(regional)
    assert (
        outcome.summary
        == "address netra-staging-lb-ip in europe-west1 does not exist in project netra-staging"
    )
    assert (
        outcome.hint == "gcloud compute addresses create netra-staging-lb-ip --region=europe-west1"
    )
    no_map = dataclasses.replace(regional, address=HEALTHY.address, url_map=None)
    outcome = check(http_redirect_rule=None).judge(no_map)
    assert outcome.summary == "URL map m does not exist in project netra-staging"
    assert (
        outcome.observations[1].where == "regions/europe-west1/forwardingRules/netra-staging-https"
    )


def test_backend_bucket_route_is_reported() -> None:
    """A route to a backend bucket names the bucket; Cloud Run expected there is a FAIL."""
    bucket_url = f"{G}/global/backendBuckets/assets"
    obs = with_matcher(
        defaultService=BACKEND, pathRules=[{"paths": ["/static/*"], "service": bucket_url}]
    )
    bucket = BackendObserved(
        "assets", {"name": "assets", "bucketName": "assets-gcs"}, url=bucket_url, bucket=True
    )
    obs = dataclasses.replace(obs, backends=(bucket, *HEALTHY.backends))
    ok = check(routes=({"host": API, "path": "/static/a.js", "service": "assets"},)).judge(obs)
    assert ok.status is Status.PASS, ok.summary
    seen = {o.property: o.actual for o in ok.observations}
    assert seen[f"URL map routes {API}/static/a.js"] == "bucket assets"
    assert seen["backend bucket assets"] == "backend bucket assets (gs://assets-gcs)"
    wrong = check(
        routes=(
            {"host": API, "path": "/static/a.js", "cloud_run_service": "netra-backend-staging"},
        )
    )
    assert (
        failed_at(wrong.judge(obs), "backend bucket assets").expected
        == "Cloud Run netra-backend-staging"
    )


def test_security_policy_name_is_checked() -> None:
    """``security_policy`` compares the backend's Cloud Armor policy by name."""
    armored = backend(
        "netra-staging-backend",
        "netra-backend-staging",
        securityPolicy=f"{G}/global/securityPolicies/armor",
    )
    obs = dataclasses.replace(HEALTHY, backends=(armored,))
    obs = dataclasses.replace(obs, url_map={**(obs.url_map or {})})
    neg_group = armored.negs[0].group
    assert neg_group.endswith("netra-staging-backend-neg")
    assert check(security_policy="armor").judge(obs).status is Status.PASS
    failed = check(security_policy="other").judge(obs)
    assert failed_at(failed, "security policy of netra-staging-backend").actual == "armor"
