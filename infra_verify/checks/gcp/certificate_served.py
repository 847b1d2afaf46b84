"""``gcp.certificate_served``: the API and the wire agree. The certificate the load balancer
serves at a host (SNI) is the one the API says is attached and ACTIVE.

The served leaf's SHA-256 fingerprint is compared with the API's PEM (compute
``sslCertificates.certificate``, Certificate Manager ``pemCertificate``); where the API gives no
PEM, with its expiry (``expireTime``) and SANs. A mismatch while the API says ACTIVE is
propagation: Google documents up to about 30 minutes for a certificate change to reach every
Google Front End. Counted from the latest change the gate can see (the certificate's notBefore,
the resource's creation or update time), the mismatch is converging within that window and a
FAIL after it; never terminal, because the API does not say when the certificate was attached.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from infra_verify.budget import Budget
from infra_verify.check import Check
from infra_verify.checks.gcp.base import GcpCheck, Reader, not_found, valid_name
from infra_verify.checks.gcp.certificate import read_certificate
from infra_verify.checks.resolve import RESOLVE_PART, resolve_address
from infra_verify.checks.tls import HostPortHandshake, parse_cert
from infra_verify.context import CheckContext
from infra_verify.durations import DurationLike
from infra_verify.edges import norm_host
from infra_verify.errors import ProbeError
from infra_verify.gcp import reads
from infra_verify.lazy import lazy_module
from infra_verify.model import Eta, Observation, Outcome

if TYPE_CHECKING:
    import asyncio
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
else:  # imported by the first certificate compared, not by listing
    asyncio = lazy_module("asyncio", rebind=True)  # imported by a run, not by --list
    ssl = lazy_module("ssl", rebind=True)  # imported by a run, not by --list
    x509 = lazy_module("cryptography.x509")
    serialization = lazy_module("cryptography.hazmat.primitives.serialization")

CHANGE_TIMES = ("creationTimestamp", "createTime", "updateTime")
"""When the API's certificate resource last changed (compute / Certificate Manager)."""
PROPAGATION_WINDOW = dt.timedelta(minutes=30)
"""Google: a certificate attached to a load balancer can take up to about 30 minutes to be
served by every Google Front End."""


@dataclass(frozen=True)
class ServedObserved:
    """The API's certificate and the leaf the load balancer served, and when."""

    api: Mapping[str, Any] | None
    """The certificate as the REST API returns it; None: it does not exist (404)."""
    served: bytes | None
    """The served leaf (DER); None when the host did not resolve or the guards refused it."""
    address: str
    now: dt.datetime
    project: str = ""
    unresolved: Outcome | None = None
    missing: tuple[str, ...] = ()
    attached: tuple[Mapping[str, Any], ...] | None = None
    """With ``forwarding_rule``: every SSL certificate its HTTPS proxy lists (None: not read, or
    the proxy uses a certificate map)."""


def fingerprint(der: bytes) -> str:
    """SHA-256 fingerprint, colon-separated upper-case hex (as openssl prints it)."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def api_leaf(cert: Mapping[str, Any]) -> x509.Certificate | None:
    """The first certificate of the API's PEM (compute ``certificate``, CM ``pemCertificate``)."""
    pem = cert.get("certificate") or cert.get("pemCertificate")
    if not pem:
        return None
    try:
        return x509.load_pem_x509_certificates(str(pem).encode())[0]
    except ValueError:
        return None


def api_state(cert: Mapping[str, Any]) -> str:
    """ACTIVE, PROVISIONING, ...; a self-managed certificate is ACTIVE once it exists."""
    managed = cert.get("managed") or {}
    if cert.get("type") == "SELF_MANAGED" or cert.get("selfManaged") is not None:
        return "ACTIVE"
    return str(managed.get("status") or managed.get("state") or "ACTIVE")


def api_sans(cert: Mapping[str, Any]) -> tuple[str, ...]:
    """The SANs the API lists (compute ``subjectAlternativeNames``, CM ``sanDnsnames``)."""
    names = cert.get("subjectAlternativeNames") or cert.get("sanDnsnames") or []
    return tuple(sorted(norm_host(str(n)) or str(n) for n in names))


class GcpCertificateServed(HostPortHandshake, GcpCheck):
    """The load balancer serves, at a host, the certificate the API says is attached and ACTIVE."""

    kind = "gcp.certificate_served"

    host_: str = Field(alias="host", description="the hostname (sent as SNI)")
    port: int = Field(default=443, ge=1, le=65535, description="TCP port")
    ip: str | None = Field(default=None, description="dial this IP instead of resolving host")
    certificate: str = Field(
        description="the certificate the API says is attached: compute SSL certificate name "
        "(or path), or with certificate_manager a Certificate Manager certificate"
    )
    certificate_manager: bool = Field(
        default=False, description="read a Certificate Manager certificate"
    )
    location: str = Field(default="global", description="Certificate Manager location")
    regional: bool = Field(default=False, description="a regional compute SSL certificate")
    forwarding_rule: str | None = Field(
        default=None,
        description="the load balancer's HTTPS forwarding rule (in the gate's project): a served "
        "certificate that is another ACTIVE certificate its proxy lists is fine too",
    )

    if TYPE_CHECKING:

        def __init__(
            self,
            host: str,
            *,
            region: str | None = None,
            project: str | None = None,
            port: int = 443,
            ip: str | None = None,
            certificate: str,
            certificate_manager: bool = False,
            location: str = "global",
            regional: bool = False,
            forwarding_rule: str | None = None,
            id: str = "",
            after: Sequence[str | Check] | str | Check = (),
            timeout: DurationLike | None = None,
            poll: DurationLike | None = None,
            poll_max: DurationLike | None = None,
            description: str | None = None,
        ) -> None:
            """Build the check (the subject may be positional)."""

    @model_validator(mode="after")
    def _valid_name(self) -> GcpCertificateServed:
        kind = "certificates" if self.certificate_manager else "sslCertificates"
        valid_name(self.certificate, kind)
        return self

    async def probe(self, ctx: CheckContext) -> ServedObserved:
        """Read the API's certificate, then take the leaf the load balancer serves."""
        reader = self.reader(ctx)
        await reader.ensure_project()
        api, project, _region = await read_certificate(
            self,
            reader,
            ctx,
            self.certificate,
            self.certificate_manager,
            self.location,
            self.regional,
        )
        now = dt.datetime.now(dt.UTC)
        if api is None:
            return ServedObserved(None, None, "", now, project, missing=tuple(reader.missing))
        budget = self.budget(ctx)
        address = self.ip or self.host_
        if self.ip is None:
            resolution = await resolve_address(self.host_, ctx, budget.part(RESOLVE_PART))
            if resolution.failure() is not None:
                return ServedObserved(api, None, self.host_, now, project, resolution.failure())
            address = resolution.dial(self.host_)
        der = await served_leaf(address, self.port, self.host_, ctx, budget)
        leaf = api_leaf(api)
        matches = (
            der is not None
            and leaf is not None
            and fingerprint(der) == fingerprint(leaf.public_bytes(serialization.Encoding.DER))
        )
        # the proxy's other certificates matter only when the named one is not what is served
        attached = (
            await self._attached(reader, ctx) if self.forwarding_rule and not matches else None
        )
        return ServedObserved(
            api, der, f"{address}:{self.port}", dt.datetime.now(dt.UTC), project,
            attached=attached,
        )  # fmt: skip

    async def _attached(
        self, reader: Reader, ctx: CheckContext
    ) -> tuple[Mapping[str, Any], ...] | None:
        """The SSL certificates the forwarding rule's HTTPS proxy lists (None: a certificate map,
        or no HTTPS proxy)."""
        rule_name = str(self.forwarding_rule)
        region = self.region_for(ctx) if self.regional else None
        if region is None:
            rule = await reader.get_or_none(reads.get_forwarding_rule, rule_name)
        else:
            rule = await reader.get_or_none(reads.get_region_forwarding_rule, region, rule_name)
        target = str((rule or {}).get("target") or "")
        if "/targetHttpsProxies/" not in target:
            return None
        proxy_name = target.rstrip("/").rsplit("/", 1)[-1]
        if "/regions/" in target:
            proxy_region = target.split("/regions/", 1)[1].split("/", 1)[0]
            proxy = await reader.get(reads.get_region_target_https_proxy, proxy_region, proxy_name)
        else:
            proxy = await reader.get(reads.get_target_https_proxy, proxy_name)
        if proxy.get("certificateMap"):
            return None
        found: list[Mapping[str, Any]] = []
        for url in proxy.get("sslCertificates") or []:
            name = str(url).rstrip("/").rsplit("/", 1)[-1]
            cert_region = (
                str(url).split("/regions/", 1)[1].split("/", 1)[0]
                if "/regions/" in str(url)
                else None
            )
            cert = await reader.get_or_none(reads.get_ssl_certificate, name, cert_region)
            if cert is not None:
                found.append(cert)
        return tuple(found)

    def judge(self, observed: ServedObserved) -> Outcome:
        """Fingerprint (or expiry and SANs) of the served leaf against the API's certificate."""
        if observed.api is None:
            return not_found(
                f"certificate {self.certificate}",
                observed.project,
                "create it and attach it to the load balancer's HTTPS proxy",
                observed.missing,
            )
        if observed.unresolved is not None:
            return observed.unresolved
        if observed.served is None:
            return Outcome.error(f"{self.subject()}: no certificate was served")
        api, now, where = observed.api, observed.now, f"{observed.address} (SNI {self.host_})"
        state = api_state(api)
        if state != "ACTIVE":
            return Outcome.failed(
                f"certificate {self.certificate} is {state} in the API: nothing ACTIVE to "
                f"compare {self.host_}'s served certificate with",
                (Observation("API state", "ACTIVE", state, False, self.certificate),),
                hint="see the gcp.managed_certificate check",
            )
        served = parse_cert(observed.served)
        served_fp = fingerprint(observed.served)
        leaf = api_leaf(api)
        if leaf is not None:
            want = fingerprint(leaf.public_bytes(serialization.Encoding.DER))
            same = want == served_fp
            obs = [Observation("leaf SHA-256", want, served_fp, same, where)]
            start = leaf.not_valid_before_utc
            how = "fingerprint"
        else:
            expire = _parse_time(api.get("expireTime"))
            want_sans = api_sans(api)
            got_sans = tuple(sorted(norm_host(s) or s for s in served.sans))
            same_expiry = (
                expire is not None and abs((expire - served.not_after).total_seconds()) < 60
            )
            obs = [
                Observation(
                    "expiry",
                    f"{expire:%Y-%m-%d %H:%M} UTC" if expire else "(none in the API)",
                    f"{served.not_after:%Y-%m-%d %H:%M} UTC",
                    same_expiry,
                    where,
                ),
                Observation(
                    "SANs", ", ".join(want_sans), ", ".join(got_sans), want_sans == got_sans, where
                ),
            ]
            same = same_expiry and want_sans == got_sans
            start = None
            how = "expiry and SANs (the API gives no PEM)"
        if same:
            return Outcome.passed(
                f"{self.host_} serves {self.certificate} as the API says ({how}: {served_fp[:23]}…)",
                tuple(obs),
            )
        other = next(
            (c for c in observed.attached or () if _same_certificate(c, served_fp, served.sans)),
            None,
        )
        if other is not None:
            obs.append(
                Observation(
                    "served certificate attached and ACTIVE",
                    None,
                    str(other.get("name")),
                    True,
                    f"forwarding rule {self.forwarding_rule}",
                )
            )
            return Outcome.passed(
                f"{self.host_} serves {other.get('name')}, which the HTTPS proxy also lists and the "
                f"API says is ACTIVE (not {self.certificate}: both cover the host)",
                tuple(obs),
            )
        served_words = (
            f"served: {served.subject}, SANs {', '.join(served.sans) or '(none)'}, "
            f"expires {served.not_after:%Y-%m-%d}"
        )
        hint = (
            "check which certificates (or certificate map) the target HTTPS proxy lists for "
            f"{self.host_}: an older certificate may still be attached before {self.certificate}"
        )
        changed = [
            t for t in (start, *(_parse_time(api.get(k)) for k in CHANGE_TIMES)) if t is not None
        ]
        since = max(changed) if changed else None
        deadline = (since or now) + PROPAGATION_WINDOW
        if since is not None and now >= deadline:
            # Not terminal: the API does not say when the certificate was attached, so the
            # window may have started later than anything the gate can see.
            return Outcome.failed(
                f"{self.host_} does not serve {self.certificate}, ACTIVE in the API and changed "
                f"last at {since:%Y-%m-%d %H:%M} UTC, more than Google's ~30 minutes of "
                f"propagation ago ({served_words})",
                tuple(obs),
                hint=hint,
            )
        eta = Eta(
            now.timestamp(),
            deadline.timestamp(),
            f"{self.certificate} is ACTIVE in the API but not yet served at {self.host_} "
            "(Google: up to about 30 minutes to propagate"
            + (f", counted from {since:%H:%M} UTC)" if since else ")"),
        )
        return Outcome.failed(
            f"{self.host_} does not serve {self.certificate} yet: propagating ({served_words})",
            tuple(obs),
            hint=hint,
            eta=eta,
        )


async def served_leaf(
    address: str, port: int, sni: str, ctx: CheckContext, budget: Budget
) -> bytes | None:
    """The leaf certificate (DER) a TLS server presents for ``sni``, chain not verified."""
    context = ctx.ssl_context(verify=False)
    try:
        async with budget.bound():
            _reader, writer = await asyncio.open_connection(
                address, port, ssl=context, server_hostname=sni,
                ssl_handshake_timeout=budget.remaining(),
            )  # fmt: skip
    except TimeoutError as exc:
        raise ProbeError(f"TLS handshake with {address}:{port} got no answer in time") from exc
    except (OSError, ssl.SSLError) as exc:
        raise ProbeError(f"TLS handshake with {address}:{port} failed: {exc}") from exc
    try:
        sslobj = writer.get_extra_info("ssl_object")
        return sslobj.getpeercert(binary_form=True) if sslobj else None
    finally:
        writer.close()


def _same_certificate(cert: Mapping[str, Any], served_fp: str, served_sans: Sequence[str]) -> bool:
    """An attached certificate that is ACTIVE, covers what was served and is what was served."""
    leaf = api_leaf(cert)
    if api_state(cert) != "ACTIVE" or leaf is None:
        return False
    return fingerprint(leaf.public_bytes(serialization.Encoding.DER)) == served_fp and bool(
        served_sans
    )


def _parse_time(raw: object) -> dt.datetime | None:
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
