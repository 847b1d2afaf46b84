"""Which certificate a load balancer serves for a host, as Google selects it: pure functions.

Two sources, never both (compute v1 ``TargetHttpsProxy.certificateMap``: "If set,
sslCertificates will be ignored"):

- **Certificate Manager map.** ``CertificateMapEntry.hostname`` is matched against the SNI: the
  exact name, else the ``*.`` wildcard with the longest suffix, else the entry with
  ``matcher: PRIMARY``. A certificate serves when ``managed.state`` is ``ACTIVE`` (a
  self-managed one always does) and its names (``sanDnsnames``, else ``managed.domains``)
  cover the host.
- **Classic ``sslCertificates``.** A ``SELF_MANAGED`` certificate covers the names in
  ``subjectAlternativeNames``; a ``MANAGED`` one those in ``subjectAlternativeNames`` (set once
  issued), else ``managed.domains``. A host no certificate covers is a failure. A managed
  certificate covering the host but not serving yet (``managed.status`` ``PROVISIONING`` or
  ``PROVISIONING_FAILED``, which Google retries) is a warning: waiting can fix it, and the
  ``gcp.managed_certificate`` check (explained by DNS) judges it. ``PROVISIONING_FAILED_PERMANENTLY``
  ("It won't be retried") never serves: a failure. ``RENEWAL_FAILED`` still serves ("The
  existing cert is still serving"). A domain whose ``managed.domainStatus`` is not ``ACTIVE``
  on an ACTIVE certificate is a warning (its renewal will fail), not a failure. A regional
  proxy may list Certificate Manager certificates there instead: judged by ``managed.state``
  (``FAILED``: "Certificate Manager gave up") and ``sanDnsnames`` / ``managed.domains``.

A wildcard name covers exactly one label: ``*.example.com`` covers ``api.example.com``, not
``example.com`` nor ``a.b.example.com`` (RFC 6125 section 6.4.3).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ClassicCoverage",
    "classic_coverage",
    "cm_covers",
    "cm_location",
    "cm_state",
    "map_entry_for",
    "name_covers",
]

SERVING_MANAGED = ("ACTIVE", "RENEWAL_FAILED")
"""``SslCertificateManagedSslCertificate.status`` values under which a certificate is served."""
NEVER_SERVING = ("PROVISIONING_FAILED_PERMANENTLY",)
"""Managed statuses that will not become ACTIVE without recreating the certificate."""


def _norm(name: str) -> str:
    return name.strip().lower().rstrip(".")


def name_covers(pattern: str, host: str) -> bool:
    """A certificate name covers ``host``: equal, or ``*.rest`` with exactly one label before."""
    pattern, host = _norm(pattern), _norm(host)
    if pattern == host:
        return True
    if pattern.startswith("*.") and "." in host:
        label, rest = host.split(".", 1)
        return bool(label) and rest == pattern[2:]
    return False


def cm_location(name: str) -> str:
    """The location in a Certificate Manager resource name (``…/locations/L/…``), else global."""
    if "/locations/" not in name:
        return "global"
    return name.split("/locations/", 1)[1].split("/", 1)[0] or "global"


def map_entry_for(entries: Iterable[Mapping[str, Any]], host: str) -> Mapping[str, Any] | None:
    """The certificate map entry serving ``host`` (``CertificateMapEntry.hostname`` as SNI):
    the exact hostname, else the wildcard with the longest suffix, else the ``PRIMARY`` entry."""
    host = _norm(host)
    best: tuple[int, Mapping[str, Any]] | None = None
    primary = None
    for entry in entries:
        name = _norm(str(entry.get("hostname", "")))
        if not name:
            if entry.get("matcher") == "PRIMARY":
                primary = entry
            continue
        if name == host:
            rank = 10_000
        elif name.startswith("*.") and host.endswith(name[1:]) and len(host) > len(name) - 1:
            rank = len(name)
        else:
            continue
        if best is None or rank > best[0]:
            best = (rank, entry)
    return best[1] if best else primary


def cm_state(cert: Mapping[str, Any] | None) -> str:
    """A Certificate Manager certificate's serving state: ``managed.state``; a self-managed
    certificate is ACTIVE; a missing one is ``missing``."""
    if cert is None:
        return "missing"
    if "managed" in cert:
        return str((cert.get("managed") or {}).get("state", "STATE_UNSPECIFIED"))
    return "ACTIVE"


def cm_covers(cert: Mapping[str, Any], host: str) -> bool:
    """The certificate's names (``sanDnsnames``, else ``managed.domains``) cover ``host``; a
    certificate listing no names is not judged."""
    names = cert.get("sanDnsnames") or (cert.get("managed") or {}).get("domains") or []
    if not names:
        return True
    return any(name_covers(str(n), host) for n in names)


@dataclass(frozen=True)
class ClassicCoverage:
    """How a proxy's classic certificates serve one host."""

    serving: str | None
    """The certificate that serves (or, pending, will serve) the host; None: none will."""
    seen: tuple[str, ...]
    """Each certificate, readable: ``cert (MANAGED ACTIVE: a.example.com, b.example.com)``."""
    warnings: tuple[str, ...] = ()
    """A covering managed certificate not ACTIVE yet, or ACTIVE with this domain not ACTIVE."""


def _is_certificate_manager(cert: Mapping[str, Any]) -> bool:
    """A Certificate Manager certificate (a regional proxy's ``sslCertificates`` may name them:
    ``//certificatemanager.googleapis.com/projects/P/locations/L/certificates/C``)."""
    return str(cert.get("name", "")).startswith("projects/") or "sanDnsnames" in cert


def _classic_names(cert: Mapping[str, Any]) -> list[str]:
    if _is_certificate_manager(cert):
        names = cert.get("sanDnsnames") or (cert.get("managed") or {}).get("domains") or []
        return [str(n) for n in names]
    sans = cert.get("subjectAlternativeNames") or []
    if sans:
        return [str(n) for n in sans]
    return [str(n) for n in (cert.get("managed") or {}).get("domains") or []]


def _classic_state(cert: Mapping[str, Any]) -> tuple[str, str]:
    """(readable state, ``serving`` / ``pending`` (may still become ACTIVE) / ``never``)."""
    if _is_certificate_manager(cert):
        if "managed" not in cert:
            return "Certificate Manager self-managed", "serving"
        state = cm_state(cert)  # Certificate Manager: FAILED means it gave up
        if state == "ACTIVE":
            return f"Certificate Manager {state}", "serving"
        return f"Certificate Manager {state}", "never" if state == "FAILED" else "pending"
    if cert.get("type") == "MANAGED" or ("managed" in cert and cert.get("type") != "SELF_MANAGED"):
        status = str((cert.get("managed") or {}).get("status", "STATUS_UNSPECIFIED"))
        if status in SERVING_MANAGED:
            return f"MANAGED {status}", "serving"
        return f"MANAGED {status}", "never" if status in NEVER_SERVING else "pending"
    return "SELF_MANAGED", "serving"


def classic_coverage(
    certificates: Mapping[str, Mapping[str, Any] | None], host: str
) -> ClassicCoverage:
    """Which of the proxy's ``sslCertificates`` (read, by name; None: 404) serves ``host``."""
    covering: dict[str, list[str]] = {"serving": [], "pending": [], "never": []}
    seen: list[str] = []
    by_name: dict[str, tuple[Mapping[str, Any], str, list[str]]] = {}
    for name, cert in certificates.items():
        if cert is None:
            seen.append(f"{name} (does not exist)")
            continue
        state, serves = _classic_state(cert)
        names = _classic_names(cert)
        seen.append(f"{name} ({state}: {', '.join(names) or 'no names'})")
        matching = [n for n in names if name_covers(n, host)]
        if matching:
            covering[serves].append(name)
            by_name[name] = (cert, state, matching)
    warnings: list[str] = []
    if covering["serving"]:
        name = covering["serving"][0]
        cert, _, matching = by_name[name]
        domains = (cert.get("managed") or {}).get("domainStatus") or {}
        for domain in matching:
            status = domains.get(domain) or domains.get(_norm(domain))
            if status and status != "ACTIVE":
                warnings.append(
                    f"certificate {name} serves {host}, but managed domain {domain} is "
                    f"{status}: its renewal will fail"
                )
        return ClassicCoverage(name, tuple(seen), tuple(warnings))
    if covering["pending"]:
        name = covering["pending"][0]
        _, state, _ = by_name[name]
        warnings.append(
            f"certificate {name} covers {host} but is not serving yet ({state}); "
            "the gcp.managed_certificate check judges its provisioning"
        )
        return ClassicCoverage(name, tuple(seen), tuple(warnings))
    return ClassicCoverage(None, tuple(seen), ())
