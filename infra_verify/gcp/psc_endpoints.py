"""Private Service Connect endpoints: the forwarding rules that reach a service attachment.

A Cloud SQL instance with PSC publishes a service attachment (``pscServiceAttachmentLink``,
in a Google-owned tenant project). A consumer VPC reaches it through an endpoint: a regional
forwarding rule in the consumer project whose ``target`` is that attachment, on the consumer's
``network``, with an internal ``IPAddress``. The producer accepts or refuses the connection;
compute reports it as ``pscConnectionStatus`` (``ACCEPTED``: "The connection has been accepted
by the producer"; ``PENDING``, ``REJECTED``, ``CLOSED``, ``NEEDS_ATTENTION`` serve no traffic).

:func:`list_psc_endpoints` reads (compute ``forwardingRules.list``, ``roles/compute.viewer``);
:func:`targets_attachment` and :func:`accepted_endpoint` judge plain REST dicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from infra_verify.gcp.clients import GcpClients
from infra_verify.gcp.names import ResourceName
from infra_verify.gcp.reads import ROLES
from infra_verify.gcp.rest import rest_pages

__all__ = [
    "ACCEPTED",
    "accepted_endpoint",
    "endpoint_network",
    "list_psc_endpoints",
    "targets_attachment",
]

ACCEPTED = "ACCEPTED"


def _parse(text: Any, kind: str) -> ResourceName | None:
    try:
        return ResourceName.parse(str(text or ""), kind)
    except ValueError:
        return None


def targets_attachment(rule: dict[str, Any], attachment: str) -> bool:
    """True when the forwarding rule's ``target`` is the service attachment (fully qualified)."""
    want = _parse(attachment, "serviceAttachments")
    got = _parse(rule.get("target"), "serviceAttachments")
    return bool(want and got and want.is_qualified and want.same(got))


def endpoint_network(rule: dict[str, Any], project: str) -> ResourceName | None:
    """The VPC network an endpoint is on (a short name is in ``project``, the rule's own)."""
    found = _parse(rule.get("network"), "networks")
    return found.qualified(project) if found else None


def _rule_project(rule: dict[str, Any], default: str) -> str:
    link = _parse(rule.get("selfLink"), "forwardingRules")
    return (link.project if link else None) or default


def accepted_endpoint(
    rules: Iterable[dict[str, Any]], networks: Sequence[ResourceName], default_project: str
) -> dict[str, Any] | None:
    """The first ACCEPTED endpoint on one of ``networks`` (qualified), if any."""
    for rule in rules:
        net = endpoint_network(rule, _rule_project(rule, default_project))
        if rule.get("pscConnectionStatus") != ACCEPTED or net is None:
            continue
        if any(net.same(n) for n in networks):
            return rule
    return None


def list_psc_endpoints(
    clients: GcpClients, project: str, region: str, attachment: str, *, timeout: float
) -> list[dict[str, Any]]:
    """The forwarding rules of ``project`` in ``region`` whose target is ``attachment``."""
    path = "compute/v1/projects/{}/regions/{}/forwardingRules".format(
        quote(project, safe=""), quote(region, safe="")
    )
    what = f"forwarding rules in {region} (project {project})"
    rules = rest_pages(
        clients, "compute", path, "items", what=what, role=ROLES["compute"], timeout=timeout,
        project=project,
    )  # fmt: skip
    return [rule for rule in rules if targets_attachment(rule, attachment)]
