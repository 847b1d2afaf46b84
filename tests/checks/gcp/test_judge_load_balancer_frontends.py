"""gcp.load_balancer's judge on plain data for its frontends and what they serve (issue 13):
classic certificate coverage, several forwarding rules and IPv6, internet NEGs, regional backend
buckets and URL rewrites; plus the pure certificate and routing helpers, table-tested."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from infra_verify.checks.gcp.lb_certificates import classic_coverage, name_covers
from infra_verify.checks.gcp.load_balancer import (
    BackendObserved,
    FrontendObserved,
    LoadBalancerObserved,
    NegObserved,
)
from infra_verify.checks.gcp.routing import resolve
from infra_verify.errors import PolicyError
from infra_verify.model import Outcome, Status
from infra_verify.policy.load import load_policy
from tests.checks.gcp.lb_policy import API, APP, AUTH, HOSTS, lb_check
from tests.checks.gcp.test_judge_load_balancer import BACKEND, HEALTHY, LB_IP, NEG, G, changed

CERT = "netra-staging-cert"
IPV6 = "2600:1901:0:1234::"
V6_RULE = {
    "name": "netra-staging-https-v6",
    "IPAddress": "2600:1901:0000:1234:0000:0000:0000:0000",
    "portRange": "443-443",
    "target": f"{G}/global/targetHttpsProxies/netra-staging-https-proxy",
}


def managed(names: list[str], status: str = "ACTIVE", **domain_status: str) -> dict[str, Any]:
    """A classic managed certificate for ``names`` in ``status``."""
    statuses = {n: "ACTIVE" for n in names}
    statuses.update({k.replace("_", "."): v for k, v in domain_status.items()})
    return {
        "name": CERT,
        "type": "MANAGED",
        "managed": {"status": status, "domains": names, "domainStatus": statuses},
    }


def with_certs(**certs: dict[str, Any] | None) -> LoadBalancerObserved:
    """HEALTHY whose proxy's classic certificates were read as ``certs`` (by name)."""
    return dataclasses.replace(HEALTHY, ssl_certificates=dict(certs))


def failed_at(outcome: Outcome, prop: str) -> Any:
    """Assert FAIL at ``prop`` (the last observation, not ok); return that observation."""
    assert outcome.status is Status.FAIL, outcome.summary
    last = outcome.observations[-1]
    assert last.property == prop and not last.ok, (last, outcome.summary)
    return last


# --- certificate names and coverage -------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "host", "covers"),
    [
        ("api.example.com", "api.example.com", True),
        ("API.example.com.", "api.example.com", True),
        ("*.example.com", "api.example.com", True),
        ("*.example.com", "example.com", False),
        ("*.example.com", "a.b.example.com", False),
        ("*.example.com", "api.example.org", False),
        ("example.com", "api.example.com", False),
    ],
)
def test_name_covers(pattern: str, host: str, covers: bool) -> None:
    """A certificate name covers its host exactly; a wildcard exactly one label."""
    assert name_covers(pattern, host) is covers


@pytest.mark.parametrize(
    ("certs", "serving", "warns"),
    [
        ({"c": managed([API])}, "c", False),
        ({"c": managed([API], "RENEWAL_FAILED")}, "c", False),
        ({"c": managed([API], "PROVISIONING")}, "c", True),
        ({"c": managed([API], "PROVISIONING_FAILED_PERMANENTLY")}, None, False),
        ({"c": managed([AUTH])}, None, False),
        ({"c": None}, None, False),
        (
            {"old": managed([API], "PROVISIONING_FAILED_PERMANENTLY"), "new": managed([API])},
            "new",
            False,
        ),
        (
            {"c": {"name": "c", "type": "SELF_MANAGED", "subjectAlternativeNames": [API]}},
            "c",
            False,
        ),
        ({"c": {"name": "c", "type": "SELF_MANAGED", "subjectAlternativeNames": []}}, None, False),
        (
            {"c": {"name": "projects/p/locations/r/certificates/c", "sanDnsnames": [API]}},
            "c",
            False,
        ),
        (
            {
                "c": {
                    "name": "projects/p/locations/r/certificates/c",
                    "managed": {"domains": [API], "state": "PROVISIONING"},
                }
            },
            "c",
            True,
        ),
        (
            {
                "c": {
                    "name": "projects/p/locations/r/certificates/c",
                    "managed": {"domains": [API], "state": "FAILED"},
                }
            },
            None,
            False,
        ),
    ],
    ids=[
        "active",
        "renewal-failed-still-serves",
        "provisioning-warns",
        "failed-permanently",
        "other-host",
        "missing",
        "second-certificate-serves",
        "self-managed",
        "self-managed-no-names",
        "certificate-manager-self-managed",
        "certificate-manager-provisioning",
        "certificate-manager-failed",
    ],
)
def test_classic_coverage(
    certs: dict[str, dict[str, Any] | None], serving: str | None, warns: bool
) -> None:
    """Which classic certificate serves api.…, with the warnings that go with it."""
    found = classic_coverage(certs, API)
    assert found.serving == serving
    assert bool(found.warnings) is warns


def test_classic_certificates_cover_every_host() -> None:
    """One ``certificate serves HOST`` link per host, after the proxy's certificate link."""
    outcome = lb_check().judge(with_certs(**{CERT: managed(list(HOSTS))}))
    assert outcome.status is Status.PASS, outcome.summary
    props = [o.property for o in outcome.observations]
    assert props[4:8] == ["proxy certificate", *(f"certificate serves {h}" for h in HOSTS)]


def test_host_no_certificate_covers_fails() -> None:
    """The certificate's name matches, but it does not cover app.…: FAIL there."""
    last = failed_at(
        lb_check().judge(with_certs(**{CERT: managed([API, AUTH])})), f"certificate serves {APP}"
    )
    assert last.actual.startswith("none covers it: netra-staging-cert (MANAGED ACTIVE")


def test_failing_domain_on_active_certificate_warns() -> None:
    """domainStatus FAILED_NOT_VISIBLE on an ACTIVE certificate: PASS with a warning."""
    certs = {CERT: managed(list(HOSTS), **{API.replace(".", "_"): "FAILED_NOT_VISIBLE"})}
    outcome = lb_check().judge(with_certs(**certs))
    assert outcome.status is Status.PASS, outcome.summary
    assert any("FAILED_NOT_VISIBLE" in w for w in outcome.warnings)


def test_proxy_without_certificates_fails() -> None:
    """A proxy with no sslCertificates (and no map) serves no host."""
    obs = dataclasses.replace(changed("proxy", sslCertificates=[]), ssl_certificates={})
    last = failed_at(lb_check(certificate=None).judge(obs), f"certificate serves {API}")
    assert last.actual == "(no sslCertificates)"


# --- several forwarding rules, IPv6 -------------------------------------------------------------


def with_frontend(
    rule: dict[str, Any] | None, proxy: dict[str, Any] | None = None
) -> LoadBalancerObserved:
    """HEALTHY plus the IPv6 rule, read as ``rule`` (and its own proxy, when another)."""
    return dataclasses.replace(
        HEALTHY, frontends=(FrontendObserved("netra-staging-https-v6", rule, None, proxy),)
    )


OTHER = {**V6_RULE, "target": f"{G}/global/targetHttpsProxies/other"}


@pytest.mark.parametrize(
    ("rule", "proxy", "ipv6", "broken"),
    [
        (V6_RULE, None, IPV6, None),
        (V6_RULE, None, None, None),
        (None, None, None, "missing"),
        (OTHER, None, None, "frontend"),
        (OTHER, {**(HEALTHY.proxy or {}), "name": "other"}, None, None),
        (OTHER, {**(HEALTHY.proxy or {}), "urlMap": f"{G}/global/urlMaps/x"}, None, "frontend"),
        (OTHER, {**(HEALTHY.proxy or {}), "sslCertificates": []}, None, "frontend"),
        ({**V6_RULE, "target": f"{G}/global/targetHttpProxies/p"}, None, None, "frontend"),
        ({**V6_RULE, "portRange": "80-80"}, None, None, "frontend"),
        (V6_RULE, None, "2600:1901:0:1235::", "ipv6"),
    ],
    ids=[
        "ok",
        "no-ipv6-expected",
        "missing",
        "other-proxy-missing",
        "other-proxy-same-url-map-and-certificates",
        "other-proxy-other-url-map",
        "other-proxy-other-certificates",
        "http-proxy",
        "port-80",
        "other-ipv6",
    ],
)
def test_every_frontend_is_walked(
    rule: dict[str, Any] | None,
    proxy: dict[str, Any] | None,
    ipv6: str | None,
    broken: str | None,
) -> None:
    """Each listed rule exists and listens on 443 in front of the same proxy, or one serving
    the same URL map and certificates; ``ipv6`` is one rule's IP."""
    check = lb_check(forwarding_rules=["netra-staging-https-v6"], ipv6=ipv6)
    outcome = check.judge(with_frontend(rule, proxy))
    if broken is None:
        assert outcome.status is Status.PASS, outcome.summary
    elif broken == "missing":
        assert outcome.summary == (
            "forwarding rule netra-staging-https-v6 does not exist in project netra-staging"
        )
    elif broken == "frontend":
        failed_at(outcome, "forwarding rule netra-staging-https-v6")
    else:
        last = failed_at(outcome, "IPv6 frontend")
        assert last.actual == f"{LB_IP}, {V6_RULE['IPAddress']}"


def test_redirect_rule_on_any_https_frontend_ip_passes() -> None:
    """The port-80 rule may share the IPv6 rule's address (written in another form)."""
    assert HEALTHY.redirect is not None and HEALTHY.redirect.rule is not None
    redirect = dataclasses.replace(
        HEALTHY.redirect, rule={**HEALTHY.redirect.rule, "IPAddress": IPV6}
    )
    obs = dataclasses.replace(with_frontend(V6_RULE), redirect=redirect)
    check = lb_check(forwarding_rules=["netra-staging-https-v6"])
    assert check.judge(obs).status is Status.PASS
    alone = dataclasses.replace(HEALTHY, redirect=redirect)
    failed_at(lb_check().judge(alone), "HTTP redirect rule IP")


# --- internet NEGs, regional buckets, rewrites ---------------------------------------------------


def test_internet_neg_is_named_where_cloud_run_is_expected() -> None:
    """A global internet NEG is read and shown by type: never a Cloud Run match."""
    group = f"{G}/global/networkEndpointGroups/origin"
    obs = dataclasses.replace(
        HEALTHY,
        backends=(
            BackendObserved(
                "netra-staging-backend",
                {
                    "name": "netra-staging-backend",
                    "backends": [{"group": group}],
                    "securityPolicy": f"{G}/global/securityPolicies/edge",
                },
                (NegObserved(group, {"networkEndpointType": "INTERNET_FQDN_PORT"}),),
                url=BACKEND,
            ),
        ),
    )
    last = failed_at(lb_check().judge(obs), "serverless NEG")
    assert last.actual == "origin -> INTERNET_FQDN_PORT (global)"
    warned = lb_check(cloud_run_service=None, security_policy="edge").judge(obs)
    assert warned.status is Status.PASS, warned.summary
    assert any("internet NEG origin (INTERNET_FQDN_PORT)" in w for w in warned.warnings)


def test_regional_bucket_is_judged_where_it_lives() -> None:
    """A route to a regional backend bucket names it regionally; missing, the hint is regional."""
    url = f"{G}/regions/us-central1/backendBuckets/assets"
    url_map = {**(HEALTHY.url_map or {}), "defaultService": url, "hostRules": []}
    found = BackendObserved("assets", {"name": "assets", "bucketName": "b"}, url=url, bucket=True)
    obs = dataclasses.replace(HEALTHY, url_map=url_map, backends=(found,))
    routes = [{"host": API, "path": "/", "service": "assets"}]
    check = lb_check(hosts=[], routes=routes, backend_service=None, security_policy="edge")
    outcome = check.judge(dataclasses.replace(obs, runs=()))
    assert outcome.status is Status.PASS, outcome.summary
    assert outcome.observations[-3].where == "regions/us-central1/backendBuckets/assets"
    missing = dataclasses.replace(obs, backends=(dataclasses.replace(found, service=None),))
    failed = check.judge(missing)
    assert failed.summary.startswith("backend bucket assets in us-central1 does not exist")
    assert failed.hint is not None and "--region=us-central1" in failed.hint


REWRITE_MAP = {
    "defaultService": BACKEND,
    "hostRules": [{"hosts": ["*"], "pathMatcher": "pm"}],
    "pathMatchers": [
        {
            "name": "pm",
            "defaultService": BACKEND,
            "pathRules": [
                {
                    "paths": ["/v1/*"],
                    "service": BACKEND,
                    "routeAction": {"urlRewrite": {"pathPrefixRewrite": "/"}},
                }
            ],
        }
    ],
}


@pytest.mark.parametrize(
    ("path", "rewrite"),
    [("/v1/users", {"pathPrefixRewrite": "/"}), ("/", None), ("/v2/x", None)],
)
def test_resolve_returns_the_deciding_rewrite(path: str, rewrite: dict[str, str] | None) -> None:
    """``routeAction.urlRewrite`` of the deciding rule comes back with the destination."""
    dest = resolve(REWRITE_MAP, API, path)
    assert dest.kind == "backend"
    assert (dict(dest.rewrite) if dest.rewrite else None) == rewrite


def test_rewrite_warns_and_url_mask_behind_it_is_an_error() -> None:
    """A rewrite to a named service is a warning; to a urlMask NEG the check cannot decide."""
    routes = [{"host": API, "path": "/v1/users"}]
    obs = dataclasses.replace(HEALTHY, url_map=REWRITE_MAP)
    outcome = lb_check(hosts=[], routes=routes).judge(obs)
    assert outcome.status is Status.PASS, outcome.summary
    assert any("pathPrefixRewrite=/" in w for w in outcome.warnings)
    masked = NegObserved(
        NEG, {"networkEndpointType": "SERVERLESS", "cloudRun": {"urlMask": "/<service>"}}
    )
    backend = dataclasses.replace(HEALTHY.backends[0], negs=(masked,))
    error = lb_check(hosts=[], routes=routes).judge(dataclasses.replace(obs, backends=(backend,)))
    assert error.status is Status.ERROR, error.summary
    assert "urlMask /<service>" in error.summary


def test_ipv6_that_is_not_an_ipv6_address_is_a_policy_error(tmp_path: Path) -> None:
    """``ipv6: 34.54.41.44`` is bad input: exit 2 naming the file, line and key."""
    policy = tmp_path / "lb.yaml"
    policy.write_text(
        "environment: staging\n"
        "checks:\n"
        "  lb:\n"
        "    kind: gcp.load_balancer\n"
        "    forwarding_rule: netra-staging-https\n"
        "    ipv6: 34.54.41.44\n",
        encoding="utf-8",
    )
    with pytest.raises(PolicyError) as caught:
        load_policy(policy)
    message = str(caught.value)
    assert "lb.yaml:6" in message and "ipv6" in message and "not an IPv6 address" in message


@pytest.mark.parametrize(
    ("statuses", "ok"),
    [
        ([{"percent": 100, "tag": "blue"}], True),
        ([{"percent": 100}], False),
        ([{"percent": 100, "tag": "green"}], False),
    ],
    ids=["tagged", "untagged", "other-tag"],
)
def test_neg_tag_needs_a_tagged_traffic_target(statuses: list[dict[str, Any]], ok: bool) -> None:
    """A NEG's ``cloudRun.tag`` must be one of the service's traffic targets' tags."""
    neg = {
        "networkEndpointType": "SERVERLESS",
        "cloudRun": {"service": "netra-backend-staging", "tag": "blue"},
    }
    backend = dataclasses.replace(HEALTHY.backends[0], negs=(NegObserved(NEG, neg),))
    run = dataclasses.replace(
        HEALTHY.runs[0], service={**(HEALTHY.runs[0].service or {}), "trafficStatuses": statuses}
    )
    outcome = lb_check().judge(dataclasses.replace(HEALTHY, backends=(backend,), runs=(run,)))
    if ok:
        assert outcome.status is Status.PASS, outcome.summary
    else:
        failed_at(outcome, "Cloud Run netra-backend-staging tag blue")


def test_host_with_a_port_is_covered_by_its_name() -> None:
    """A route to ``api.…:443`` needs a certificate for ``api.…``: SNI carries no port."""
    routes = [{"host": f"{API}:443", "path": "/"}]
    obs = with_certs(**{CERT: managed([API])})
    outcome = lb_check(hosts=[], routes=routes).judge(obs)
    assert outcome.status is Status.PASS, outcome.summary
    assert [o.property for o in outcome.observations if "serves" in o.property] == [
        f"certificate serves {API}"
    ]


def test_check_naming_no_host_routes_any_host() -> None:
    """Without ``hosts:``/``routes:``, ``backend_service`` and ``cloud_run_service`` are judged
    for a request to any host (``backend_service`` was compared with nothing: a false FAIL;
    ``cloud_run_service`` was never looked at: a false pass)."""
    check = lb_check(hosts=None)
    outcome = check.judge(HEALTHY)
    assert outcome.status is Status.PASS, outcome.summary
    assert "URL map routes any host" in [o.property for o in outcome.observations]
    other = NegObserved(NEG, {"networkEndpointType": "SERVERLESS", "cloudRun": {"service": "x"}})
    backend = dataclasses.replace(HEALTHY.backends[0], negs=(other,))
    failed_at(check.judge(dataclasses.replace(HEALTHY, backends=(backend,))), "serverless NEG")
    moved = changed("url_map", defaultService=f"{G}/global/backendServices/other", hostRules=[])
    last = failed_at(check.judge(moved), "routed backend service")
    assert last.actual == "other"
