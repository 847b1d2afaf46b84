"""Every check kind as a public class, for gates built in code::

    from infra_verify.checks import Dns, Http
    dns_api = Dns("api.staging.example.com", expect=["203.0.113.10"])
    health = Http("https://api.staging.example.com/health", status=200, after=[dns_api])

Classes are imported on first use, so ``import infra_verify.checks`` never imports the google
libraries; only touching a ``Gcp*`` class does.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "Dns",
    "Environment",
    "GcpCertificateServed",
    "GcpCloudRunService",
    "GcpCloudSqlInstance",
    "GcpCloudSqlPath",
    "GcpConnectivityTest",
    "GcpDnsPropagation",
    "GcpDnsRecord",
    "GcpLoadBalancer",
    "GcpManagedCertificate",
    "GcpVpcConnector",
    "Http",
    "Postgres",
    "Tcp",
    "Tls",
    "WebSocket",
]

_LAZY: dict[str, str] = {
    "Dns": "infra_verify.checks.dns",
    "Tls": "infra_verify.checks.tls",
    "Http": "infra_verify.checks.http",
    "WebSocket": "infra_verify.checks.websocket",
    "Tcp": "infra_verify.checks.tcp",
    "Postgres": "infra_verify.checks.postgres",
    "Environment": "infra_verify.checks.environment",
    "GcpDnsRecord": "infra_verify.checks.gcp.dns_record",
    "GcpManagedCertificate": "infra_verify.checks.gcp.certificate",
    "GcpLoadBalancer": "infra_verify.checks.gcp.load_balancer",
    "GcpCloudRunService": "infra_verify.checks.gcp.cloud_run",
    "GcpVpcConnector": "infra_verify.checks.gcp.vpc_connector",
    "GcpCloudSqlInstance": "infra_verify.checks.gcp.cloud_sql",
    "GcpCloudSqlPath": "infra_verify.checks.gcp.sql_path",
    "GcpCertificateServed": "infra_verify.checks.gcp.certificate_served",
    "GcpDnsPropagation": "infra_verify.checks.gcp.dns_propagation",
    "GcpConnectivityTest": "infra_verify.checks.gcp.connectivity_test",
}

_SUBMODULES = frozenset({"bundles", "registry", "plugins"})

if TYPE_CHECKING:
    from infra_verify.checks.dns import Dns
    from infra_verify.checks.environment import Environment
    from infra_verify.checks.gcp.certificate import GcpManagedCertificate
    from infra_verify.checks.gcp.certificate_served import GcpCertificateServed
    from infra_verify.checks.gcp.cloud_run import GcpCloudRunService
    from infra_verify.checks.gcp.cloud_sql import GcpCloudSqlInstance
    from infra_verify.checks.gcp.connectivity_test import GcpConnectivityTest
    from infra_verify.checks.gcp.dns_propagation import GcpDnsPropagation
    from infra_verify.checks.gcp.dns_record import GcpDnsRecord
    from infra_verify.checks.gcp.load_balancer import GcpLoadBalancer
    from infra_verify.checks.gcp.sql_path import GcpCloudSqlPath
    from infra_verify.checks.gcp.vpc_connector import GcpVpcConnector
    from infra_verify.checks.http import Http
    from infra_verify.checks.postgres import Postgres
    from infra_verify.checks.tcp import Tcp
    from infra_verify.checks.tls import Tls
    from infra_verify.checks.websocket import WebSocket


def __getattr__(name: str) -> Any:
    """Import a check class on first use."""
    if name in _SUBMODULES:  # ``infra_verify.checks.bundles`` before anything imported it
        value = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = value
        return value
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'infra_verify.checks' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names, for completion."""
    return sorted(__all__)
