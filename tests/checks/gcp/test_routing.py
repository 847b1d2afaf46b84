"""The URL map resolver on plain data: host specificity, path rules, route rules and defaults."""

from __future__ import annotations

from typing import Any

import pytest

from infra_verify.checks.gcp.routing import Destination, Target, host_rule_for, resolve

G = "https://www.googleapis.com/compute/v1/projects/p/global"
R = "https://www.googleapis.com/compute/v1/projects/p/regions/europe-west1"


def bs(name: str) -> str:
    """A global backend service URL."""
    return f"{G}/backendServices/{name}"


def bucket(name: str) -> str:
    """A global backend bucket URL."""
    return f"{G}/backendBuckets/{name}"


def one_matcher(
    matcher: dict[str, Any], hosts: tuple[str, ...] = ("example.com",)
) -> dict[str, Any]:
    """A URL map whose one host rule sends ``hosts`` to ``matcher`` (named pm)."""
    return {
        "defaultService": bs("fallback"),
        "hostRules": [{"hosts": list(hosts), "pathMatcher": "pm"}],
        "pathMatchers": [{"name": "pm", **matcher}],
    }


def names(dest: Destination) -> list[str]:
    """The reached targets' names."""
    return [t.name for t in dest.targets]


def test_default_service_only_routes_every_host_and_path() -> None:
    """A URL map with only defaultService (url-maps create --default-service) routes everything."""
    dest = resolve({"defaultService": bs("web")}, "any.example.org", "/deep/path")
    assert (dest.kind, names(dest), dest.host_rule) == ("backend", ["web"], None)
    assert dest.via() == "no host rule (URL map default) -> defaultService"


HOSTS = {
    "defaultService": bs("fallback"),
    "hostRules": [
        {"hosts": ["*"], "pathMatcher": "star"},
        {"hosts": ["*.example.com"], "pathMatcher": "wild"},
        {"hosts": ["*.api.example.com"], "pathMatcher": "wild-api"},
        {"hosts": ["*-foo.example.com"], "pathMatcher": "dash"},
        {"hosts": ["api.example.com"], "pathMatcher": "exact"},
        {"hosts": ["ported.example.com:8443"], "pathMatcher": "ported"},
    ],
    "pathMatchers": [
        {"name": n, "defaultService": bs(n)}
        for n in ("star", "wild", "wild-api", "dash", "exact", "ported")
    ],
}


@pytest.mark.parametrize(
    ("host", "service"),
    [
        ("api.example.com", "exact"),
        ("API.Example.com.", "exact"),
        ("v1.api.example.com", "wild-api"),
        ("www.example.com", "wild"),
        ("a.b.example.com", "wild"),
        ("bar-foo.example.com", "dash"),
        ("example.com", "star"),
        ("other.org", "star"),
        ("ported.example.com:8443", "ported"),
        ("ported.example.com", "wild"),
    ],
    ids=[
        "exact-beats-wildcards-listed-first",
        "case-and-trailing-dot",
        "longest-suffix-wildcard",
        "wildcard-over-star",
        "wildcard-spans-labels",
        "dash-wildcard",
        "wildcard-needs-a-label",
        "star-catches-the-rest",
        "port-pattern",
        "port-pattern-needs-the-port",
    ],
)
def test_the_most_specific_host_rule_wins(host: str, service: str) -> None:
    """Exact over the longest wildcard over ``*``, whatever the order of hostRules."""
    assert names(resolve(HOSTS, host)) == [service]


def test_unmatched_host_falls_to_the_url_map_default() -> None:
    """Without ``*``, a host no rule matches gets the URL map's defaultService."""
    url_map = one_matcher({"defaultService": bs("web")}, hosts=("example.com",))
    dest = resolve(url_map, "other.example.com")
    assert (names(dest), dest.host_rule, dest.path_matcher) == (["fallback"], None, None)
    assert host_rule_for(url_map, "other.example.com") is None
    assert host_rule_for(url_map, "example.com") == (0, "example.com", url_map["hostRules"][0])


def test_host_rule_naming_a_missing_path_matcher_goes_nowhere() -> None:
    """A host rule whose pathMatcher is not defined routes nothing, and says why."""
    url_map = {"hostRules": [{"hosts": ["example.com"], "pathMatcher": "gone"}]}
    dest = resolve(url_map, "example.com")
    assert dest.kind == "none" and "gone" in dest.reason


PATHS = one_matcher(
    {
        "defaultService": bs("web"),
        "pathRules": [
            {"paths": ["/api/*"], "service": bs("api")},
            {"paths": ["/api/v2/*"], "service": bs("api-v2")},
            {"paths": ["/api/v2/health"], "service": bs("health")},
            {"paths": ["/static/*"], "service": bucket("assets")},
            {"paths": ["/old/*"], "urlRedirect": {"hostRedirect": "new.example.com"}},
            {
                "paths": ["/split/*"],
                "routeAction": {
                    "weightedBackendServices": [
                        {"backendService": bs("blue"), "weight": 90},
                        {"backendService": bs("green"), "weight": 10},
                        {"backendService": bs("dark"), "weight": 0},
                    ]
                },
            },
        ],
    }
)


@pytest.mark.parametrize(
    ("path", "kind", "reached", "decided_by"),
    [
        ("/", "backend", ["web"], "default"),
        ("/api", "backend", ["web"], "default"),
        ("/api/users", "backend", ["api"], "pathRules[0] /api/*"),
        ("/api/v2/users?x=1", "backend", ["api-v2"], "pathRules[1] /api/v2/*"),
        ("/api/v2/health", "backend", ["health"], "pathRules[2] /api/v2/health"),
        ("/static/app.js", "backend", ["assets"], "pathRules[3] /static/*"),
        ("/old/page", "redirect", [], "pathRules[4] /old/*"),
        ("/split/x", "backend", ["blue", "green", "dark"], "pathRules[5] /split/*"),
    ],
    ids=["root", "prefix-needs-slash", "prefix", "longest", "exact", "bucket", "redirect", "split"],
)
def test_path_rules_match_longest_first(
    path: str, kind: str, reached: list[str], decided_by: str
) -> None:
    """pathRules: the longest match wins regardless of list order; exact beats ``/*``."""
    dest = resolve(PATHS, "example.com", path)
    assert (dest.kind, names(dest)) == (kind, reached)
    assert dest.decided_by.startswith(decided_by)


def test_weighted_split_reports_weights_and_idle_backends() -> None:
    """Every weighted backend is a target; weight 0 ones are idle, not serving."""
    dest = resolve(PATHS, "example.com", "/split/a")
    assert [t.name for t in dest.serving] == ["blue", "green"]
    assert [t.name for t in dest.idle] == ["dark"]
    assert dest.describe() == (
        "backend service blue (weight 90), backend service green (weight 10), "
        "backend service dark (weight 0)"
    )


def test_backend_bucket_is_recognised() -> None:
    """A service URL naming backendBuckets is a bucket, not a backend service."""
    (target,) = resolve(PATHS, "example.com", "/static/x").targets
    assert target.is_bucket and target.describe() == "backend bucket assets"
    assert not Target(bs("web")).is_bucket


def test_redirect_is_described() -> None:
    """A redirect names where it sends the request."""
    dest = resolve(PATHS, "example.com", "/old/x")
    assert dest.redirect == {"hostRedirect": "new.example.com"}
    assert dest.describe() == "redirect to new.example.com (301)"
    assert (
        dest.via()
        == "hostRules[0] example.com -> pathMatcher pm -> pathRules[4] /old/*: urlRedirect"
    )


ROUTES = one_matcher(
    {
        "defaultService": bs("web"),
        "routeRules": [
            {"priority": 20, "matchRules": [{"prefixMatch": "/"}], "service": bs("catch-all")},
            {"priority": 5, "matchRules": [{"prefixMatch": "/api/"}], "service": bs("api")},
            {
                "priority": 1,
                "matchRules": [
                    {
                        "prefixMatch": "/api/",
                        "headerMatches": [{"headerName": "x-canary", "exactMatch": "1"}],
                    }
                ],
                "service": bs("canary"),
            },
            {
                "priority": 2,
                "matchRules": [{"fullPathMatch": "/LOGIN", "ignoreCase": True}],
                "service": bs("auth"),
            },
            {
                "priority": 3,
                "matchRules": [{"regexMatch": "/v[0-9]+/.*"}],
                "service": bs("versioned"),
            },
            {
                "priority": 4,
                "matchRules": [{"pathTemplateMatch": "/users/{id}/photos/**"}],
                "service": bs("photos"),
            },
            {
                "priority": 0,
                "matchRules": [
                    {
                        "prefixMatch": "/",
                        "queryParameterMatches": [{"name": "debug", "presentMatch": True}],
                    }
                ],
                "urlRedirect": {"pathRedirect": "/no-debug"},
            },
        ],
    }
)


@pytest.mark.parametrize(
    ("path", "headers", "reached"),
    [
        ("/api/x", {}, "api"),
        ("/api/x", {"X-Canary": "1"}, "canary"),
        ("/api/x", {"x-canary": "2"}, "api"),
        ("/login", {}, "auth"),
        ("/v12/things", {}, "versioned"),
        ("/users/7/photos/a/b", {}, "photos"),
        ("/users/7/other", {}, "catch-all"),
        ("/", {}, "catch-all"),
    ],
    ids=[
        "prefix",
        "header",
        "header-mismatch",
        "full-ignore-case",
        "regex",
        "template",
        "lower-priority",
        "root",
    ],
)
def test_route_rules_by_priority(path: str, headers: dict[str, str], reached: str) -> None:
    """routeRules: lowest priority number first, whatever the list order; headers where given."""
    assert names(resolve(ROUTES, "example.com", path, headers)) == [reached]


def test_route_rule_query_match_redirects() -> None:
    """A queryParameterMatches rule matches only when the parameter is present."""
    assert resolve(ROUTES, "example.com", "/a?debug").kind == "redirect"
    assert resolve(ROUTES, "example.com", "/a?other=1").kind == "backend"


@pytest.mark.parametrize(
    ("spec", "headers", "matches"),
    [
        ({"headerName": ":authority", "exactMatch": "example.com"}, {}, True),
        ({"headerName": "x-a", "presentMatch": True}, {}, False),
        ({"headerName": "x-a", "presentMatch": False}, {}, True),
        ({"headerName": "x-a", "prefixMatch": "ab", "invertMatch": True}, {"x-a": "abc"}, False),
        ({"headerName": "x-a", "suffixMatch": "bc"}, {"x-a": "abc"}, True),
        (
            {"headerName": "x-a", "rangeMatch": {"rangeStart": "1", "rangeEnd": "5"}},
            {"x-a": "5"},
            False,
        ),
        (
            {"headerName": "x-a", "rangeMatch": {"rangeStart": "1", "rangeEnd": "5"}},
            {"x-a": "4"},
            True,
        ),
    ],
    ids=["authority", "present", "absent", "invert", "suffix", "range-end-exclusive", "range"],
)
def test_header_matches(spec: dict[str, Any], headers: dict[str, str], matches: bool) -> None:
    """Each HttpHeaderMatch form, on a plain GET unless headers are given."""
    url_map = one_matcher(
        {
            "defaultService": bs("web"),
            "routeRules": [
                {
                    "priority": 1,
                    "matchRules": [{"prefixMatch": "/", "headerMatches": [spec]}],
                    "service": bs("hit"),
                }
            ],
        }
    )
    assert (names(resolve(url_map, "example.com", "/", headers)) == ["hit"]) is matches


@pytest.mark.parametrize(
    ("source", "expected_kind", "expected"),
    [
        ({"defaultUrlRedirect": {"httpsRedirect": True}}, "redirect", "defaultUrlRedirect"),
        (
            {
                "defaultRouteAction": {
                    "weightedBackendServices": [{"backendService": bs("a"), "weight": 1}]
                }
            },
            "backend",
            "defaultRouteAction.weightedBackendServices",
        ),
        (
            {
                "defaultRouteAction": {
                    "weightedBackendServices": [{"backendService": bs("a"), "weight": 0}]
                }
            },
            "none",
            "defaultRouteAction.weightedBackendServices",
        ),
        ({}, "none", "defaultService"),
    ],
    ids=["redirect", "weighted", "all-weights-zero", "nothing"],
)
def test_defaults_of_path_matcher_and_url_map(
    source: dict[str, Any], expected_kind: str, expected: str
) -> None:
    """The path matcher's and the URL map's default: redirect, weighted split, or nothing."""
    in_matcher = resolve(one_matcher(source), "example.com")
    at_top = resolve(source, "example.com")
    for dest in (in_matcher, at_top):
        assert dest.kind == expected_kind and dest.decided_by == expected


def test_regional_url_map_targets_know_their_region() -> None:
    """A regional URL map's backend services carry their region in the URL."""
    dest = resolve({"defaultService": f"{R}/backendServices/web"}, "example.com")
    assert dest.targets[0].region == "europe-west1"
    assert Target(bs("web")).region is None
