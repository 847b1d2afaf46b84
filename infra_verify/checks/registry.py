"""The registry of check kinds: an explicit dict, built on first use, plus ``register_kind``.

Built-in kinds are listed here by import path so that ``--help`` and policies without GCP
checks never import the google libraries. Plugins add kinds with ``register_kind()`` or
through the ``infra_verify.kinds`` entry point group (discovered on first use, plugins.py).
``bundle.*`` kinds are not checks: a policy entry of such a kind expands into several checks.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from infra_verify.check import Check

if TYPE_CHECKING:
    from infra_verify.checks.bundles import Bundle
    from infra_verify.checks.plugins import Discovered

BUILTIN_KINDS: dict[str, str] = {
    "dns": "infra_verify.checks.dns:Dns",
    "tls": "infra_verify.checks.tls:Tls",
    "http": "infra_verify.checks.http:Http",
    "websocket": "infra_verify.checks.websocket:WebSocket",
    "tcp": "infra_verify.checks.tcp:Tcp",
    "postgres": "infra_verify.checks.postgres:Postgres",
    "environment": "infra_verify.checks.environment:Environment",
    "gcp.dns_record": "infra_verify.checks.gcp.dns_record:GcpDnsRecord",
    "gcp.managed_certificate": "infra_verify.checks.gcp.certificate:GcpManagedCertificate",
    "gcp.load_balancer": "infra_verify.checks.gcp.load_balancer:GcpLoadBalancer",
    "gcp.cloud_run_service": "infra_verify.checks.gcp.cloud_run:GcpCloudRunService",
    "gcp.vpc_connector": "infra_verify.checks.gcp.vpc_connector:GcpVpcConnector",
    "gcp.cloud_sql_instance": "infra_verify.checks.gcp.cloud_sql:GcpCloudSqlInstance",
    "gcp.cloud_sql_path": "infra_verify.checks.gcp.sql_path:GcpCloudSqlPath",
    "gcp.certificate_served": "infra_verify.checks.gcp.certificate_served:GcpCertificateServed",
    "gcp.dns_propagation": "infra_verify.checks.gcp.dns_propagation:GcpDnsPropagation",
    "gcp.connectivity_test": "infra_verify.checks.gcp.connectivity_test:GcpConnectivityTest",
}

# Bundles expand into several checks at load time (infra_verify.checks.bundles); not Check classes.
BUNDLE_KINDS: dict[str, str] = {
    "bundle.cloud_run_https": "infra_verify.checks.bundles:CloudRunHttps",
}

_REGISTERED: dict[str, type[Check]] = {}
_PLUGINS: Discovered | None = None


def plugins() -> Discovered:
    """Kinds from the ``infra_verify.kinds`` entry points, discovered once (see plugins.py)."""
    global _PLUGINS
    if _PLUGINS is None:
        from infra_verify.checks.plugins import discover

        _PLUGINS = discover(reserved=set(BUILTIN_KINDS) | set(BUNDLE_KINDS))
    return _PLUGINS


def reload_plugins() -> Discovered:
    """Forget discovered plugins and discover again (after installing one at run time)."""
    global _PLUGINS
    for name in _PLUGINS.kinds if _PLUGINS else ():
        _REGISTERED.pop(name, None)
    _PLUGINS = None
    return plugins()


def get_bundle(name: str) -> type[Bundle] | None:
    """The bundle model for a ``bundle.*`` kind name; None when unknown."""
    target = BUNDLE_KINDS.get(name)
    if target is None:
        return None
    module, _, attr = target.partition(":")
    cls: type[Bundle] = getattr(importlib.import_module(module), attr)
    return cls


def register_kind(cls: type[Check], *, name: str | None = None) -> type[Check]:
    """Register a check class under its ``kind`` (the plugin door); usable as a decorator."""
    kind = name or cls.kind
    if not kind:
        raise ValueError(f"{cls.__name__} has no 'kind'")
    _REGISTERED[kind] = cls
    return cls


def kind_names() -> list[str]:
    """Every known kind name, sorted."""
    return sorted(set(BUILTIN_KINDS) | set(_REGISTERED) | set(BUNDLE_KINDS) | set(plugins().kinds))


def get_kind(name: str) -> type[Check] | None:
    """The class for a kind name, importing it on first use; None when unknown."""
    if name in _REGISTERED:
        return _REGISTERED[name]
    target = BUILTIN_KINDS.get(name)
    if target is None:
        return plugins().kinds.get(name)
    module, _, attr = target.partition(":")
    cls: type[Check] = getattr(importlib.import_module(module), attr)
    _REGISTERED[name] = cls
    return cls
