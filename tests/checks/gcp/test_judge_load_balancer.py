"""gcp.load_balancer's judge on plain data: the chain's LoadBalancerObserved built by hand."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from infra_verify.checks.gcp.load_balancer import (
    BackendObserved,
    GcpLoadBalancer,
    LoadBalancerObserved,
    NegObserved,
    RedirectObserved,
    RunObserved,
)
from infra_verify.model import Outcome, Status

G = "https://www.googleapis.com/compute/v1/projects/netra-staging"
API, AUTH, APP = (f"{h}.staging.netrasystems.ai" for h in ("api", "auth", "app"))
LB_IP = "34.54.41.44"
BACKEND = f"{G}/global/backendServices/netra-staging-backend"
NEG = f"{G}/regions/us-central1/networkEndpointGroups/netra-staging-neg"
RUN_NAME = "projects/netra-staging/locations/us-central1/services/netra-backend-staging"
CHECK = GcpLoadBalancer(
    forwarding_rule="netra-staging-https",
    address="netra-staging-lb-ip",
    ip=LB_IP,
    certificate="netra-staging-cert",
    hosts=(API, AUTH, APP),
    backend_service="netra-staging-backend",
    cloud_run_service="netra-backend-staging",
    http_redirect_rule="netra-staging-http",
)
CHAIN = [
    "reserved address",
    "forwarding rule IP",
    "forwarding rule target",
    "forwarding rule port",
    "proxy certificate",
    *(f"URL map routes {h}" for h in (API, AUTH, APP)),
    "routed backend service",
    "backend netra-staging-backend",
    "serverless NEG",
    "HTTP->HTTPS redirect",
    "HTTP redirect rule IP",
    "Cloud Run netra-backend-staging ingress",
    "Cloud Run netra-backend-staging invoker",
]
"""Every link of the healthy chain, in the order the judge walks it."""

HEALTHY = LoadBalancerObserved(
    project="netra-staging",
    region="us-central1",
    address={"name": "netra-staging-lb-ip", "address": LB_IP, "status": "IN_USE"},
    rule={
        "name": "netra-staging-https",
        "IPAddress": LB_IP,
        "portRange": "443-443",
        "target": f"{G}/global/targetHttpsProxies/netra-staging-https-proxy",
    },
    proxy={
        "name": "netra-staging-https-proxy",
        "sslCertificates": [f"{G}/global/sslCertificates/netra-staging-cert"],
        "urlMap": f"{G}/global/urlMaps/netra-staging-url-map",
    },
    url_map={
        "name": "netra-staging-url-map",
        "defaultService": BACKEND,
        "hostRules": [{"hosts": [API, AUTH, APP], "pathMatcher": "netra-staging"}],
        "pathMatchers": [{"name": "netra-staging", "defaultService": BACKEND}],
    },
    backends=(
        BackendObserved(
            "netra-staging-backend",
            {"name": "netra-staging-backend", "backends": [{"group": NEG}]},
            (
                NegObserved(
                    NEG,
                    {
                        "name": "netra-staging-neg",
                        "networkEndpointType": "SERVERLESS",
                        "cloudRun": {"service": "netra-backend-staging"},
                    },
                ),
            ),
        ),
    ),
    redirect=RedirectObserved(
        rule={
            "name": "netra-staging-http",
            "IPAddress": LB_IP,
            "portRange": "80-80",
            "target": f"{G}/global/targetHttpProxies/netra-staging-http-proxy",
        },
        proxy={
            "name": "netra-staging-http-proxy",
            "urlMap": f"{G}/global/urlMaps/netra-staging-redirect",
        },
        url_map={"name": "netra-staging-redirect", "defaultUrlRedirect": {"httpsRedirect": True}},
    ),
    runs=(
        RunObserved(
            "us-central1",
            "netra-backend-staging",
            {"name": RUN_NAME, "ingress": "INGRESS_TRAFFIC_ALL"},
            {"bindings": [{"role": "roles/run.invoker", "members": ["allUsers"]}]},
        ),
    ),
)
"""The healthy staging chain, as the probe reads it from the REST API."""


def changed(link: str, **changes: Any) -> LoadBalancerObserved:
    """HEALTHY with top-level ``changes`` to one resource dict of the chain."""
    update: dict[str, Any] = {link: {**getattr(HEALTHY, link), **changes}}
    return dataclasses.replace(HEALTHY, **update)


def with_backend(service: dict[str, Any] | None, *negs: NegObserved) -> LoadBalancerObserved:
    """HEALTHY whose one backend service (and NEGs) are replaced."""
    return dataclasses.replace(
        HEALTHY, backends=(BackendObserved("netra-staging-backend", service, negs),)
    )


def with_neg(neg: dict[str, Any] | None, group: str = NEG) -> LoadBalancerObserved:
    """HEALTHY whose backend service names one NEG at ``group``, read as ``neg``."""
    return with_backend(
        {"name": "netra-staging-backend", "backends": [{"group": group}]}, NegObserved(group, neg)
    )


def broken_at(outcome: Outcome, link: str) -> None:
    """Assert a FAIL at ``link``: the summary and last observation name it, earlier links ok."""
    assert outcome.status is Status.FAIL, outcome.summary
    assert outcome.summary.startswith(f"{link}: expected "), outcome.summary
    *before, last = outcome.observations
    assert last.property == link and not last.ok
    assert [o.property for o in before] == CHAIN[: len(before)]
    assert all(o.ok for o in before)


def test_healthy_chain_passes_with_every_link_observed() -> None:
    """The healthy chain PASSes and shows every link, from the address to the redirect."""
    outcome = CHECK.judge(HEALTHY)
    assert outcome.status is Status.PASS, outcome.summary
    assert outcome.summary == (
        "netra-staging-https: 15 link(s) verified, 3 host(s) reach Cloud Run netra-backend-staging"
    )
    assert [o.property for o in outcome.observations] == CHAIN
    assert outcome.observations[CHAIN.index("serverless NEG")].actual == (
        "netra-staging-neg -> netra-backend-staging (us-central1)"
    )


@pytest.mark.parametrize(
    ("obs", "link", "actual"),
    [
        (changed("address", address="34.54.41.99"), "reserved address", "34.54.41.99"),
        (changed("rule", IPAddress="34.54.41.99"), "forwarding rule IP", "34.54.41.99"),
        (
            changed("rule", target=f"{G}/global/targetHttpProxies/netra-staging-http-proxy"),
            "forwarding rule target",
            "netra-staging-http-proxy",
        ),
        (changed("rule", portRange="80-80"), "forwarding rule port", "80-80"),
        (
            changed("proxy", sslCertificates=[f"{G}/global/sslCertificates/old-cert"]),
            "proxy certificate",
            "old-cert",
        ),
        (
            changed("url_map", hostRules=[{"hosts": [API, AUTH], "pathMatcher": "netra-staging"}]),
            f"URL map routes {APP}",
            "no host rule",
        ),
        (
            changed(
                "url_map",
                pathMatchers=[
                    {
                        "name": "netra-staging",
                        "defaultService": f"{G}/global/backendServices/legacy",
                    }
                ],
            ),
            "routed backend service",
            "legacy",
        ),
        (
            with_backend(
                {"backends": [{"group": f"{G}/zones/us-central1-a/instanceGroups/legacy-ig"}]}
            ),
            "backend netra-staging-backend",
            "legacy-ig",
        ),
        (
            with_neg(
                {
                    "networkEndpointType": "SERVERLESS",
                    "cloudRun": {"service": "netra-frontend-staging"},
                }
            ),
            "serverless NEG",
            "netra-staging-neg -> netra-frontend-staging (us-central1)",
        ),
        (
            with_neg(
                {
                    "networkEndpointType": "SERVERLESS",
                    "cloudRun": {"service": "netra-backend-staging"},
                },
                group=NEG.replace("us-central1", "europe-west1"),
            ),
            "serverless NEG",
            "netra-staging-neg -> netra-backend-staging (europe-west1)",
        ),
        (
            dataclasses.replace(
                HEALTHY,
                redirect=dataclasses.replace(
                    HEALTHY.redirect or RedirectObserved(None),
                    url_map={
                        "name": "netra-staging-redirect",
                        "defaultUrlRedirect": {"httpsRedirect": False},
                    },
                ),
            ),
            "HTTP->HTTPS redirect",
            "no",
        ),
    ],
    ids=[
        "ip",
        "rule-ip",
        "target",
        "port",
        "certificate",
        "host",
        "backend",
        "neg",
        "run",
        "region",
        "redirect",
    ],
)
def test_each_broken_link_is_the_finding(obs: LoadBalancerObserved, link: str, actual: str) -> None:
    """Each broken link FAILs there, showing what was seen, after every earlier link passed."""
    outcome = CHECK.judge(obs)
    broken_at(outcome, link)
    assert outcome.observations[-1].actual == actual


def test_broken_link_hints_name_the_fix() -> None:
    """The finding's hint is the command that fixes that link."""
    cert = changed("proxy", sslCertificates=[f"{G}/global/sslCertificates/old-cert"])
    assert CHECK.judge(cert).hint == (
        "gcloud compute target-https-proxies update netra-staging-https-proxy "
        "--ssl-certificates=netra-staging-cert"
    )
    neg = with_neg({"networkEndpointType": "SERVERLESS", "cloudRun": {"service": "other"}})
    hint = CHECK.judge(neg).hint
    assert hint is not None and "--cloud-run-service=netra-backend-staging" in hint


def test_certificate_map_link() -> None:
    """A proxy using the expected Certificate Manager map passes that link; another map FAILs."""
    cmap = "//certificatemanager.googleapis.com/projects/netra-staging/locations/global/certificateMaps/netra-map"
    obs = changed("proxy", sslCertificates=[], certificateMap=cmap)
    passed = GcpLoadBalancer(
        forwarding_rule="netra-staging-https", certificate_map="netra-map"
    ).judge(obs)
    assert passed.status is Status.PASS
    assert any(o.property == "proxy certificate map" and o.ok for o in passed.observations)
    failed = GcpLoadBalancer(
        forwarding_rule="netra-staging-https", certificate_map="other-map"
    ).judge(obs)
    assert failed.status is Status.FAIL
    assert failed.summary.startswith("proxy certificate map: expected other-map, got netra-map")


def test_wildcard_host_rule_routes_subdomains() -> None:
    """A ``*.staging.netrasystems.ai`` host rule routes api/auth/app, but not another domain."""
    rules = [{"hosts": ["*.staging.netrasystems.ai"], "pathMatcher": "netra-staging"}]
    obs = changed("url_map", hostRules=rules)
    assert CHECK.judge(obs).status is Status.PASS
    other = GcpLoadBalancer(forwarding_rule="netra-staging-https", hosts=("api.netrasystems.ai",))
    outcome = other.judge(obs)
    assert outcome.status is Status.FAIL
    assert outcome.observations[-1].property == "URL map routes api.netrasystems.ai"


MISSING = [
    (
        dataclasses.replace(HEALTHY, address=None),
        "global address netra-staging-lb-ip",
        "gcloud compute addresses create netra-staging-lb-ip --global",
        0,
    ),
    (
        dataclasses.replace(HEALTHY, rule=None),
        "forwarding rule netra-staging-https",
        "gcloud compute forwarding-rules create netra-staging-https",
        1,
    ),
    (
        dataclasses.replace(HEALTHY, proxy=None),
        "target HTTPS proxy netra-staging-https-proxy",
        "gcloud compute target-https-proxies create netra-staging-https-proxy",
        4,
    ),
    (
        dataclasses.replace(HEALTHY, url_map=None),
        "URL map netra-staging-url-map",
        "create the URL map",
        5,
    ),
    (
        with_backend(None),
        "backend service netra-staging-backend",
        "gcloud compute backend-services create",
        9,
    ),
    (with_neg(None), "network endpoint group netra-staging-neg", "create the serverless NEG", 10),
    (
        dataclasses.replace(HEALTHY, redirect=RedirectObserved(None)),
        "forwarding rule netra-staging-http",
        "create an HTTP forwarding rule on port 80",
        11,
    ),
    (
        dataclasses.replace(
            HEALTHY, redirect=RedirectObserved(HEALTHY.redirect.rule if HEALTHY.redirect else None)
        ),
        "target HTTP proxy netra-staging-http-proxy",
        "create the target HTTP proxy",
        11,
    ),
]


@pytest.mark.parametrize(
    ("obs", "what", "hint_part", "links_before"),
    MISSING,
    ids=["address", "rule", "proxy", "url-map", "backend", "neg", "http-rule", "http-proxy"],
)
def test_missing_resource_fails_at_its_link(
    obs: LoadBalancerObserved, what: str, hint_part: str, links_before: int
) -> None:
    """A resource of the chain that does not exist (None) FAILs there, naming the project."""
    outcome = CHECK.judge(obs)
    assert outcome.status is Status.FAIL
    assert outcome.summary == f"{what} does not exist in project netra-staging"
    assert outcome.hint is not None and hint_part in outcome.hint
    assert [o.property for o in outcome.observations] == CHAIN[:links_before]


def test_only_the_forwarding_rule_is_required() -> None:
    """With only a forwarding rule named, the target and port links are still verified."""
    rule_only = LoadBalancerObserved(
        "netra-staging",
        "us-central1",
        rule=HEALTHY.rule,
        proxy=HEALTHY.proxy,
        url_map=HEALTHY.url_map,
    )
    outcome = GcpLoadBalancer(forwarding_rule="netra-staging-https").judge(rule_only)
    assert outcome.status is Status.PASS
    assert outcome.summary == "netra-staging-https: 2 link(s) verified"
