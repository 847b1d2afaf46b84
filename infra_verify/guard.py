"""Run-level guards: loopback targets in real environments and the cloud metadata server.

A policy file alone can never lift these; only the run can (``--allow-loopback``,
``--allow-metadata``), because a policy for staging that quietly points at localhost is
exactly how a broken deploy once looked green.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from infra_verify.check import Check
from infra_verify.context import CheckContext
from infra_verify.lazy import lazy_module
from infra_verify.model import Observation, Outcome

if TYPE_CHECKING:
    import socket
else:
    socket = lazy_module("socket", rebind=True)  # imported by a run, not by --list

LOCAL_ENVIRONMENTS = frozenset({"demo", "local", "dev", "development", "test", "testing"})
METADATA_HOSTS = frozenset(
    {"metadata.google.internal", "metadata", "169.254.169.254", "fd00:ec2::254"}
)


def host_of(target: str) -> str:
    """Extract the host from a URL, ``host:port``, ``[v6]:port`` or a bare host."""
    target = target.strip()
    if "://" in target:
        return (urlsplit(target).hostname or "").lower()
    if target.startswith("["):
        return target[1:].split("]", 1)[0].lower()
    if target.count(":") == 1:
        return target.split(":", 1)[0].lower()
    return target.lower()


def is_loopback(host: str) -> bool:
    """True for localhost names and loopback or unspecified IP addresses."""
    host = host_of(host).rstrip(".")
    if host in {"localhost", "ip6-localhost", "ip6-loopback"} or host.endswith(".localhost"):
        return True
    ip = ip_of(host)
    return ip is not None and (ip.is_loopback or ip.is_unspecified)


def is_metadata(host: str) -> bool:
    """True for the cloud metadata server's names and addresses."""
    host = host_of(host).rstrip(".")
    if host in METADATA_HOSTS:
        return True
    return ip_of(host) in _METADATA_IPS


_METADATA_IPS = frozenset(ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254"))


def ip_of(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host literal dials, in every spelling the OS accepts, else None.

    ``[::ffff:169.254.169.254]``, ``fd00:ec2:0::254``, ``fe80::1%eth0`` and the legacy IPv4
    forms ``getaddrinfo`` still accepts (``0xa9fea9fe``, ``2852039166``, ``0251.0376.0251.0376``,
    ``169.254.43518``) all count as the address they reach.
    """
    host = host.split("%", 1)[0]
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(host)
    except ValueError:
        if not host or not all(c in "0123456789abcdefxABCDEFX." for c in host):
            return None
        try:
            ip = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def is_real_environment(environment: str) -> bool:
    """Environments other than demo/local/dev/test are real: loopback there is a failure."""
    return environment.lower() not in LOCAL_ENVIRONMENTS


def is_local_run(ctx: CheckContext) -> bool:
    """The run named a local environment (demo/local/dev/test), where loopback is expected.

    Only the run can: a policy file's ``environment: dev`` alone (``--policy FILE`` without an
    environment name, ``ctx.environment_named`` False) keeps the guards of a real environment.
    """
    return ctx.environment_named and not is_real_environment(ctx.environment)


def check_guards(check: Check, ctx: CheckContext) -> Outcome | None:
    """Return a FAIL outcome when a check targets what this run does not allow, else None."""
    return check_targets(check.targets(), ctx)


def check_guards_for_host(host: str, ctx: CheckContext) -> Outcome | None:
    """The same guard for a host learned at run time (e.g. from a DSN in the environment)."""
    return check_targets((host,), ctx)


def check_targets(targets: tuple[str, ...], ctx: CheckContext) -> Outcome | None:
    """Return a FAIL outcome when a target is not allowed in this run, else None."""
    if not ctx.allow_metadata:
        bad = [t for t in targets if is_metadata(t)]
        if bad:
            return Outcome.failed(
                f"refusing to contact the cloud metadata server ({bad[0]})",
                (Observation("target", "not the metadata server", bad[0], False),),
                hint="run with --allow-metadata if this is really intended",
                terminal=True,
            )
    if ctx.allow_loopback or is_local_run(ctx):
        return None
    loop = [t for t in targets if is_loopback(t)]
    if loop:
        where = (
            f"the real environment '{ctx.environment}'"
            if ctx.environment_named
            else f"environment '{ctx.environment}', which only the policy file names (a "
            "local environment lifts the guard only when the run names it: "
            f"'python -m infra_verify {ctx.environment} ...' or environment='{ctx.environment}')"
        )
        return Outcome.failed(
            f"points at loopback ({loop[0]}) in {where}",
            tuple(Observation("target", "a non-loopback address", t, False) for t in loop),
            hint=(
                "point the policy at the real hosts; for tests against local fakes run with "
                "--allow-loopback"
            ),
            terminal=True,
        )
    return None
