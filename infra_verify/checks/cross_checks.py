"""Checks the gate adds by itself: where a policy checks a host both through Google's API and on
the wire, the cross-check that the two agree.

A ``gcp.managed_certificate`` whose domains cover a ``tls`` check's host gets a
``gcp.certificate_served`` for that host (id ``<tls id>-served``): the load balancer serves the
certificate the API says is attached and ACTIVE (or, when a ``gcp.load_balancer`` check names
that certificate and its forwarding rule, another ACTIVE certificate the same HTTPS proxy
lists: several attached certificates may cover one host). It runs after both (hard edges), so a
certificate that is not ACTIVE, or a host that does not answer, blocks it instead of failing it
twice. A policy that already has a ``gcp.certificate_served`` for the host keeps its own.
"""

from __future__ import annotations

from collections.abc import Sequence

from infra_verify.check import Check
from infra_verify.checks.registry import get_kind
from infra_verify.edges import norm_host

__all__ = ["with_cross_checks"]


def with_cross_checks(checks: Sequence[Check]) -> list[Check]:
    """``checks`` with a ``gcp.certificate_served`` after each tls check a certificate covers."""
    certificates = [c for c in checks if c.kind == "gcp.managed_certificate"]
    kind = get_kind("gcp.certificate_served") if certificates else None
    if kind is None:
        return list(checks)
    ids = {c.id for c in checks}
    covered = {c.host() for c in checks if c.kind == "gcp.certificate_served"}
    out: list[Check] = []
    for check in checks:
        out.append(check)
        host = check.host()
        if check.kind != "tls" or not host or host in covered:
            continue
        cert = next(
            (c for c in certificates if host in {norm_host(d) for d in getattr(c, "domains", ())}),
            None,
        )
        balancer = next(
            (
                c
                for c in checks
                if c.kind == "gcp.load_balancer"
                and getattr(c, "certificate", None) == getattr(cert, "name", None)
                and "/" not in str(getattr(c, "forwarding_rule", "/"))
                and getattr(c, "region", None) is None
                and getattr(c, "project", None) is None
            ),
            None,
        )
        cid = f"{check.id}-served"
        if cert is None or cid in ids:
            continue
        spec = {
            "id": cid,
            "after": [cert.id, check.id],
            "host": getattr(check, "host_", host),
            "port": getattr(check, "port", 443),
            "ip": getattr(check, "ip", None),
            "certificate": getattr(cert, "name", ""),
            "certificate_manager": getattr(cert, "certificate_manager", False),
            "location": getattr(cert, "location", "global"),
            "regional": getattr(cert, "regional", False),
            "project": getattr(cert, "project", None),
            "region": getattr(cert, "region", None),
            "timeout": check.timeout,
            "forwarding_rule": getattr(balancer, "forwarding_rule", None),
        }
        out.append(kind.model_validate(spec))
        covered.add(host)
        ids.add(cid)
    return out
