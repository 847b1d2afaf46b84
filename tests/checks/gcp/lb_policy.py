"""One builder for gcp.load_balancer checks in tests: the story's load balancer, as a policy
writes it (every optional link on), with changes; fields are validated like a policy entry."""

from __future__ import annotations

from typing import Any

from infra_verify.checks.gcp.load_balancer import GcpLoadBalancer

API, AUTH, APP = (f"{h}.staging.netrasystems.ai" for h in ("api", "auth", "app"))
HOSTS = (API, AUTH, APP)
LB_IP = "34.54.41.44"

STORY: dict[str, Any] = {
    "forwarding_rule": "netra-staging-https",
    "address": "netra-staging-lb-ip",
    "ip": LB_IP,
    "certificate": "netra-staging-cert",
    "hosts": list(HOSTS),
    "backend_service": "netra-staging-backend",
    "cloud_run_service": "netra-backend-staging",
    "http_redirect_rule": "netra-staging-http",
}
"""The story's ``gcp.load_balancer`` policy entry (tests/servers/story_world.py's stack)."""


def lb_policy(**changes: Any) -> dict[str, Any]:
    """The story's policy entry with changes (a value of None drops the key)."""
    entry = {**STORY, **changes}
    return {key: value for key, value in entry.items() if value is not None}


def lb_check(**changes: Any) -> GcpLoadBalancer:
    """The story's load balancer check with changes, validated as a policy entry is."""
    return GcpLoadBalancer.model_validate(lb_policy(**changes))
