"""Where a Google Cloud URL map sends one request: a pure resolver over the REST ``UrlMap`` JSON.

``resolve(url_map, host, path)`` follows the Compute API's documented semantics (compute v1
discovery document; the same shape for global ``urlMaps`` and regional ``regionUrlMaps``):

1. **Host.** ``UrlMap.hostRules[].hosts`` are host patterns, optionally ``host:port``; ``*`` may
   only be the first character and, when followed by anything, the next character is ``-`` or
   ``.`` (``*.example.com``, ``*-foo.example.com``); it stands for one or more labels or atoms.
   Several patterns can match one host; the most specific wins, whatever the list order: an
   exact name, then the wildcard with the longest literal suffix, then ``*``.
2. **No host rule matches.** The URL map's own default: ``UrlMap.defaultUrlRedirect``,
   ``UrlMap.defaultRouteAction.weightedBackendServices`` or ``UrlMap.defaultService`` ("only
   one of ... can be set").
3. **Path matcher.** The host rule's ``pathMatcher`` names one of ``UrlMap.pathMatchers[]``.
   Inside it, ``pathRules`` or ``routeRules`` (only one of the two is set):

   - ``PathRule.paths``: exact paths, or ``/prefix/*`` (``*`` only at the end, after ``/``);
     "matches are always done on the longest-path-first basis", list order does not matter;
     an exact path beats a ``/*`` pattern of the same length. The path excludes ``?query``.
   - ``HttpRouteRule``: evaluated by ``priority``, lowest number first; the first rule one of
     whose ``matchRules`` (OR) matches wins. A ``HttpRouteRuleMatch`` ANDs its predicates:
     exactly one of ``prefixMatch`` / ``fullPathMatch`` / ``regexMatch`` /
     ``pathTemplateMatch`` (``ignoreCase`` for the first two), every ``headerMatches`` entry
     (``exactMatch``, ``prefixMatch``, ``suffixMatch``, ``regexMatch``, ``presentMatch``,
     ``rangeMatch``, ``invertMatch``; ``:authority``, ``:path``, ``:method`` and ``:scheme``
     are the request's own) and every ``queryParameterMatches`` entry.
   - Nothing matched: ``PathMatcher.defaultUrlRedirect``,
     ``PathMatcher.defaultRouteAction.weightedBackendServices`` or
     ``PathMatcher.defaultService``.

A ``routeAction.urlRewrite`` beside the backend (``hostRewrite``, ``pathPrefixRewrite``,
``pathTemplateRewrite``) is returned with the destination, so the caller can report that the
backend sees another URL than the client sent.

A matching rule acts through ``urlRedirect`` (a redirect, see ``HttpRedirectAction``),
``routeAction.weightedBackendServices`` (``backendService`` + ``weight``: traffic is split by
weight; a weight of 0 receives none) or ``service``. A service URL naming ``/backendBuckets/``
is a backend bucket. ``metadataFilters`` (Traffic Director only) are not evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs

__all__ = ["Destination", "Target", "host_rule_for", "resolve"]

_HOST_ATOMS = re.compile(r"[a-z0-9.-]+")


@dataclass(frozen=True)
class Target:
    """One backend a request can reach: a backend service or a backend bucket, with its weight."""

    url: str
    """The full or partial URL, as the URL map writes it."""
    weight: int | None = None
    """Its ``weight`` in ``weightedBackendServices``; None: not split, it takes every request."""

    @property
    def name(self) -> str:
        """The resource name (last segment of the URL)."""
        return self.url.rstrip("/").rsplit("/", 1)[-1]

    @property
    def is_bucket(self) -> bool:
        """True for a backend bucket (``…/backendBuckets/NAME``)."""
        return "/backendBuckets/" in self.url or self.url.startswith("backendBuckets/")

    @property
    def region(self) -> str | None:
        """The region of a regional backend service's URL, else None (global)."""
        return _region_of(self.url)

    def describe(self) -> str:
        """``backend service api``, ``backend bucket static`` (``, weight 90`` when split)."""
        what = "backend bucket" if self.is_bucket else "backend service"
        return f"{what} {self.name}" + (
            f" (weight {self.weight})" if self.weight is not None else ""
        )


@dataclass(frozen=True)
class Destination:
    """Where one request goes, and which part of the URL map decided it."""

    kind: Literal["backend", "redirect", "none"]
    """``backend``: backend service(s) or a bucket; ``redirect``: an HTTP redirect; ``none``:
    the URL map sends this request nowhere (the load balancer answers 404)."""
    targets: tuple[Target, ...] = ()
    """The backends (every ``weightedBackendServices`` entry, weights included)."""
    redirect: Mapping[str, Any] | None = None
    """The ``HttpRedirectAction`` when ``kind`` is ``redirect``."""
    host_rule: int | None = None
    """Index of the matching ``hostRules`` entry; None: no host rule matched (URL map default)."""
    host_pattern: str | None = None
    """The host pattern that matched (``api.example.com``, ``*.example.com``, ``*``)."""
    path_matcher: str | None = None
    """The ``pathMatchers[].name`` consulted; None when no host rule matched."""
    decided_by: str = ""
    """The field that decided: ``pathRules[1] /api/*``, ``routeRules priority 10``,
    ``defaultService``, ``defaultRouteAction.weightedBackendServices``, ``defaultUrlRedirect``."""
    reason: str = ""
    """Why ``kind`` is ``none``."""
    rewrite: Mapping[str, Any] | None = None
    """The deciding ``routeAction.urlRewrite`` (``hostRewrite``, ``pathPrefixRewrite``,
    ``pathTemplateRewrite``): the backend sees a rewritten URL; None: no rewrite."""

    @property
    def serving(self) -> tuple[Target, ...]:
        """The targets that receive traffic (unweighted, or a weight above 0)."""
        return tuple(t for t in self.targets if t.weight is None or t.weight > 0)

    @property
    def idle(self) -> tuple[Target, ...]:
        """Weighted targets with weight 0: named by the URL map but sent no traffic."""
        return tuple(t for t in self.targets if t.weight is not None and t.weight <= 0)

    def via(self) -> str:
        """The chain of URL map fields that decided: ``host rule *.x -> path matcher pm -> …``."""
        parts = []
        if self.host_rule is None:
            parts.append("no host rule (URL map default)")
        else:
            parts.append(f"hostRules[{self.host_rule}] {self.host_pattern}")
            parts.append(f"pathMatcher {self.path_matcher}")
        if self.decided_by:
            parts.append(self.decided_by)
        return " -> ".join(parts)

    def describe(self) -> str:
        """What was reached, readable: targets, ``redirect to https://…``, or ``nothing (…)``."""
        if self.kind == "backend":
            return ", ".join(t.describe() for t in self.targets)
        if self.kind == "redirect":
            return f"redirect {describe_redirect(self.redirect or {})}"
        return f"nothing ({self.reason})" if self.reason else "nothing"


def describe_redirect(action: Mapping[str, Any]) -> str:
    """An ``HttpRedirectAction`` in a few words: ``to https://HOST/PATH (301)``."""
    scheme = "https://" if action.get("httpsRedirect") else ""
    host = action.get("hostRedirect") or ("(same host)" if not scheme else "")
    path = action.get("pathRedirect") or action.get("prefixRedirect") or ""
    code = {
        "FOUND": "302",
        "SEE_OTHER": "303",
        "TEMPORARY_REDIRECT": "307",
        "PERMANENT_REDIRECT": "308",
    }.get(str(action.get("redirectResponseCode", "")), "301")
    return f"to {scheme}{host}{path} ({code})".replace("  ", " ")


def resolve(
    url_map: Mapping[str, Any],
    host: str,
    path: str = "/",
    headers: Mapping[str, str] | None = None,
) -> Destination:
    """Where a GET of ``https://host/path`` (with optional request ``headers``) is sent."""
    request = _Request.of(host, path, headers or {})
    found = host_rule_for(url_map, request.authority)
    if found is None:
        return _act(
            url_map, "defaultService", "defaultUrlRedirect", "defaultRouteAction", label="default"
        )
    index, pattern, rule = found
    name = str(rule.get("pathMatcher", ""))
    matcher = next((m for m in url_map.get("pathMatchers", []) if m.get("name") == name), None)
    if matcher is None:
        reason = f"hostRules[{index}] names path matcher {name!r}, which the URL map lacks"
        return Destination("none", (), None, index, pattern, name, "", reason)
    dest = _in_matcher(matcher, request)
    return Destination(
        dest.kind,
        dest.targets,
        dest.redirect,
        index,
        pattern,
        name,
        dest.decided_by,
        dest.reason,
        dest.rewrite,
    )


def host_rule_for(
    url_map: Mapping[str, Any], host: str
) -> tuple[int, str, Mapping[str, Any]] | None:
    """The most specific host rule matching ``host``: (index, matching pattern, rule), or None."""
    best: tuple[tuple[int, int], int, str, Mapping[str, Any]] | None = None
    for index, rule in enumerate(url_map.get("hostRules", []) or []):
        for pattern in rule.get("hosts", []) or []:
            rank = _host_rank(str(pattern), host)
            if rank is not None and (best is None or rank > best[0]):
                best = (rank, index, str(pattern), rule)
    return None if best is None else (best[1], best[2], best[3])


@dataclass(frozen=True)
class _Request:
    host: str
    port: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]

    @property
    def authority(self) -> str:
        """``host`` or ``host:port``."""
        return f"{self.host}:{self.port}" if self.port else self.host

    @classmethod
    def of(cls, host: str, path: str, headers: Mapping[str, str]) -> _Request:
        name, port = _split_port(host.strip().lower().rstrip("."))
        raw = path or "/"
        raw = raw.split("#", 1)[0]
        path_only, _, query = raw.partition("?")
        lowered = {k.lower(): v for k, v in headers.items()}
        pseudo = {":authority": host, ":path": raw, ":method": "GET", ":scheme": "https"}
        return cls(
            name,
            port,
            path_only if path_only.startswith("/") else "/" + path_only,
            parse_qs(query, keep_blank_values=True),
            {**pseudo, **lowered},
        )


def _split_port(host: str) -> tuple[str, str]:
    if host.startswith("["):  # an IPv6 literal, [::1]:443
        end = host.find("]")
        rest = host[end + 1 :]
        return host[: end + 1], rest[1:] if rest.startswith(":") else ""
    if host.count(":") == 1:
        name, _, port = host.partition(":")
        return name, port
    return host, ""


def _host_rank(pattern: str, request_host: str) -> tuple[int, int] | None:
    """How specifically ``pattern`` matches: (2, len) exact, (1, suffix len) wildcard, else None."""
    name, port = _split_port(pattern.strip().lower().rstrip("."))
    host, request_port = _split_port(request_host.strip().lower().rstrip("."))
    if port and port != request_port:
        return None
    if name == host:
        return (2, len(name))
    if name == "*":
        return (1, 0)
    if name.startswith("*"):
        suffix = name[1:]
        if suffix[:1] not in ("-", "."):
            return None
        prefix = host[: len(host) - len(suffix)]
        if host.endswith(suffix) and prefix and _HOST_ATOMS.fullmatch(prefix):
            return (1, len(suffix))
    return None


def _in_matcher(matcher: Mapping[str, Any], request: _Request) -> Destination:
    route_rules = matcher.get("routeRules") or []
    if route_rules:
        ordered = sorted(
            enumerate(route_rules), key=lambda item: (int(item[1].get("priority", 0)), item[0])
        )
        for _, rule in ordered:
            if _route_rule_matches(rule, request):
                label = f"routeRules priority {int(rule.get('priority', 0))}"
                return _act(rule, "service", "urlRedirect", "routeAction", label=label)
    path_rules = matcher.get("pathRules") or []
    best: tuple[tuple[int, int], int, str, Mapping[str, Any]] | None = None
    for index, rule in enumerate(path_rules):
        for pattern in rule.get("paths", []) or []:
            rank = _path_rank(str(pattern), request.path)
            if rank is not None and (best is None or rank > best[0]):
                best = (rank, index, str(pattern), rule)
    if best is not None:
        _, index, pattern, rule = best
        label = f"pathRules[{index}] {pattern}"
        return _act(rule, "service", "urlRedirect", "routeAction", label=label)
    return _act(
        matcher, "defaultService", "defaultUrlRedirect", "defaultRouteAction", label="default"
    )


def _path_rank(pattern: str, path: str) -> tuple[int, int] | None:
    """(literal length, 1 exact / 0 prefix) when ``pattern`` matches ``path``, else None."""
    if pattern.endswith("/*"):
        prefix = pattern[:-1]
        return (len(prefix), 0) if path.startswith(prefix) else None
    return (len(pattern), 1) if path == pattern else None


def _route_rule_matches(rule: Mapping[str, Any], request: _Request) -> bool:
    match_rules = rule.get("matchRules") or []
    if not match_rules:
        return True
    return any(_match_rule(m, request) for m in match_rules)


def _match_rule(match: Mapping[str, Any], request: _Request) -> bool:
    path = request.path
    ignore_case = bool(match.get("ignoreCase"))
    folded = path.lower() if ignore_case else path
    if "prefixMatch" in match:
        prefix = str(match["prefixMatch"])
        ok = folded.startswith(prefix.lower() if ignore_case else prefix)
    elif "fullPathMatch" in match:
        full = str(match["fullPathMatch"])
        ok = folded == (full.lower() if ignore_case else full)
    elif "regexMatch" in match:
        ok = _regex_full(str(match["regexMatch"]), path)
    elif "pathTemplateMatch" in match:
        ok = _template_regex(str(match["pathTemplateMatch"])).fullmatch(path) is not None
    else:
        ok = True
    if not ok:
        return False
    if not all(_header_matches(h, request.headers) for h in match.get("headerMatches") or []):
        return False
    return all(_query_matches(q, request.query) for q in match.get("queryParameterMatches") or [])


def _regex_full(pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return False


def _template_regex(template: str) -> re.Pattern[str]:
    """A ``pathTemplateMatch``: ``*`` one segment, ``**`` any segments, ``{var}``/``{var=…}``."""
    out = []
    for part in re.split(r"(\{[^}]*\}|\*\*|\*)", template):
        if part in ("**",) or part.endswith("=**}"):
            out.append(r".*")
        elif part == "*" or (part.startswith("{") and part.endswith("}")):
            out.append(r"[^/]+")
        else:
            out.append(re.escape(part))
    return re.compile("".join(out))


def _header_matches(spec: Mapping[str, Any], headers: Mapping[str, str]) -> bool:
    name = str(spec.get("headerName", "")).lower()
    value = headers.get(name)
    if "presentMatch" in spec:
        ok = (value is not None) == bool(spec["presentMatch"])
    elif value is None:
        ok = False
    elif "exactMatch" in spec:
        ok = value == spec["exactMatch"]
    elif "prefixMatch" in spec:
        ok = value.startswith(str(spec["prefixMatch"]))
    elif "suffixMatch" in spec:
        ok = value.endswith(str(spec["suffixMatch"]))
    elif "regexMatch" in spec:
        ok = _regex_full(str(spec["regexMatch"]), value)
    elif "rangeMatch" in spec:
        ok = _in_range(spec["rangeMatch"], value)
    else:
        ok = True
    return ok != bool(spec.get("invertMatch"))


def _in_range(spec: Mapping[str, Any], value: str) -> bool:
    try:
        number = int(value)
        return int(spec.get("rangeStart", 0)) <= number < int(spec.get("rangeEnd", 0))
    except ValueError:
        return False


def _query_matches(spec: Mapping[str, Any], query: Mapping[str, list[str]]) -> bool:
    values = query.get(str(spec.get("name", "")))
    if values is None:
        return False
    if spec.get("presentMatch"):
        return True
    if "exactMatch" in spec:
        return any(v == spec["exactMatch"] for v in values)
    if "regexMatch" in spec:
        return any(_regex_full(str(spec["regexMatch"]), v) for v in values)
    return True


def _act(
    source: Mapping[str, Any], service_key: str, redirect_key: str, action_key: str, *, label: str
) -> Destination:
    """The destination of a rule, path matcher or URL map: its redirect, split or service."""
    prefix = "" if label == "default" else f"{label}: "
    redirect = source.get(redirect_key)
    if redirect:
        return Destination("redirect", redirect=redirect, decided_by=f"{prefix}{redirect_key}")
    action: Mapping[str, Any] = source.get(action_key) or {}
    rewrite = action.get("urlRewrite") or None
    weighted: Sequence[Mapping[str, Any]] = action.get("weightedBackendServices") or []
    if weighted:
        targets = tuple(
            Target(str(w.get("backendService", "")), int(w.get("weight", 0))) for w in weighted
        )
        decided = f"{prefix}{action_key}.weightedBackendServices"
        if not any(t.weight for t in targets):
            return Destination(
                "none", targets, decided_by=decided, reason="every weighted backend has weight 0"
            )
        return Destination("backend", targets, decided_by=decided, rewrite=rewrite)
    service = source.get(service_key)
    if service:
        decided = f"{prefix}{service_key}"
        return Destination("backend", (Target(str(service)),), decided_by=decided, rewrite=rewrite)
    where = label if label != "default" else "the default"
    return Destination(
        "none",
        decided_by=f"{prefix}{service_key}",
        reason=f"{where} sets no {service_key}, {redirect_key} or {action_key}.weightedBackendServices",
    )


def _region_of(url: str) -> str | None:
    if "regions/" not in url:
        return None
    return url.split("regions/", 1)[1].split("/", 1)[0] or None
