"""A plan's URL map in the Compute REST shape, so the live check's resolver can route on it.

``google_compute_url_map`` / ``google_compute_region_url_map`` declare the same fields as the
REST ``UrlMap``, in snake case and with block names in the singular where the API uses a plural
(``host_rule`` -> ``hostRules``, ``path_matcher`` -> ``pathMatchers``, ``path_rule`` ->
``pathRules``; ``route_rules`` and ``match_rules`` keep their plural), and write a nested
object (``default_url_redirect``, ``route_action``, ``url_rewrite``) as a one-item list. A service field known
only after apply is declared by reference (``google_compute_backend_service.api.id``): it
becomes ``backendServices/NAME`` (or ``backendBuckets/NAME``) after the referenced resource's
``name``, so :func:`infra_verify.checks.gcp.routing.resolve` names the same backends the live
check would. A service whose reference cannot be followed becomes :data:`UNKNOWN`.
"""

from __future__ import annotations

from typing import Any

from infra_verify.iac.plan import Plan, PlanResource

__all__ = ["UNKNOWN", "rest_url_map"]

UNKNOWN = "backendServices/(known after apply)"
"""The service of a field whose value and reference the plan does not say."""

_PLURAL = {"host_rule": "hostRules", "path_matcher": "pathMatchers", "path_rule": "pathRules"}
_SERVICE_FIELDS = {"default_service", "service", "backend_service"}
_SINGLE_BLOCKS = {
    "default_url_redirect",
    "url_redirect",
    "default_route_action",
    "route_action",
    "url_rewrite",
    "range_match",
    "header_action",
    "retry_policy",
    "timeout",
    "cors_policy",
    "fault_injection_policy",
    "request_mirror_policy",
}
"""Blocks Terraform writes as a one-item list where the REST API has an object."""
_COLLECTIONS = {
    "google_compute_backend_service": "backendServices",
    "google_compute_region_backend_service": "backendServices",
    "google_compute_backend_bucket": "backendBuckets",
}


def _camel(key: str, value: Any) -> str:
    if key in _PLURAL and isinstance(value, list):
        return _PLURAL[key]
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _service(plan: Plan, res: PlanResource, value: Any, expr: Any) -> str:
    """A service field as a URL the resolver reads: literal, or the referenced resource's name."""
    if isinstance(value, str) and value:
        return value
    refs = expr.get("references", []) if isinstance(expr, dict) else []
    for ref in refs:
        for target in plan.lookup(res.module, ref):
            collection = _COLLECTIONS.get(target.type)
            if collection:
                return f"{collection}/{target.gcp_name or target.name}"
    return UNKNOWN


def _convert(plan: Plan, res: PlanResource, value: Any, expr: Any) -> Any:
    if isinstance(value, list):
        items = expr if isinstance(expr, list) else []
        return [
            _convert(plan, res, item, items[i] if i < len(items) else {})
            for i, item in enumerate(value)
        ]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    exprs: dict[str, Any] = expr if isinstance(expr, dict) else {}
    for key in sorted(set(value) | {k for k in exprs if k in _SERVICE_FIELDS}):
        item = value.get(key)
        sub = exprs.get(key)
        if key in _SERVICE_FIELDS:
            if item or sub:
                out[_camel(key, item)] = _service(plan, res, item, sub)
            continue
        if item is None or item == [] or item == {}:
            continue
        if key in _SINGLE_BLOCKS and isinstance(item, list):
            item = item[0]
            sub = sub[0] if isinstance(sub, list) and sub else {}
        out[_camel(key, item)] = _convert(plan, res, item, sub)
    return out


def rest_url_map(plan: Plan, url_map: PlanResource) -> dict[str, Any]:
    """The URL map as the Compute REST API would return it (services named, see the module)."""
    converted = _convert(plan, url_map, url_map.values, url_map.expressions)
    return converted if isinstance(converted, dict) else {}
