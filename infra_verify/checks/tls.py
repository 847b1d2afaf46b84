"""The ``tls`` check: a handshake to host:port (optionally dialing a given IP with SNI = host),
then the chain verifies, a SAN covers the host, the certificate is valid with enough days left,
and optionally the issuer matches. A verified leaf is read from what the ``ssl`` module decoded
(``SSLObject.getpeercert()``); ``cryptography`` parses the DER only when that cannot say the
same (an unverified chain, a name attribute outside :data:`NAME_ATTRIBUTES`).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import Field

from infra_verify.budget import Budget
from infra_verify.check import Check
from infra_verify.checks.addresses import (
    AddressMode,
    addresses_field,
    combine,
    each,
    not_probed_warnings,
    to_dial,
)
from infra_verify.checks.resolve import RESOLVE_PART, Resolution, resolve_address
from infra_verify.checks.tls_stream import TlsStream, connection_pool, pool_key
from infra_verify.context import CheckContext
from infra_verify.durations import DurationLike
from infra_verify.edges import address_records_on_host, norm_host
from infra_verify.errors import ProbeError
from infra_verify.lazy import lazy_module
from infra_verify.model import Observation, Outcome

if TYPE_CHECKING:
    import ssl

    from cryptography import x509
else:
    x509 = lazy_module("cryptography.x509")  # imported by the first certificate parsed
    ssl = lazy_module("ssl", rebind=True)  # imported by a run, not by --list


@dataclass(frozen=True)
class CertInfo:
    """The facts of a leaf certificate that the check judges."""

    subject: str
    issuer: str
    sans: tuple[str, ...]
    not_before: dt.datetime
    not_after: dt.datetime

    def days_left(self, now: dt.datetime) -> float:
        """Days until the certificate expires (negative once expired)."""
        return (self.not_after - now).total_seconds() / 86400


@dataclass(frozen=True)
class Handshake:
    """What a TLS handshake showed: the leaf certificate and the verification verdict."""

    cert: CertInfo | None
    verified: bool
    verify_error: str | None
    version: str | None
    address: str


@dataclass(frozen=True)
class TlsObserved:
    """What the tls probe saw: the handshake, when it happened, and how the host resolved."""

    handshake: Handshake | None
    """The leaf certificate and the chain's verdict; None when the host did not resolve."""
    now: dt.datetime
    """When the certificate was seen: days left count from here (judge reads no clock)."""
    resolution: Resolution | None = None
    """How the host resolved (the policy's resolvers, else the OS), and the guards' verdict
    on that address (None: dialed ``ip``)."""
    handshakes: tuple[Handshake, ...] = ()
    """One handshake per dialled address (``handshake`` is the first); empty: just ``handshake``."""
    not_probed: tuple[str, ...] = ()
    """IPv6 addresses this machine has no route to: reported, neither passed nor failed."""


def parse_cert(der: bytes) -> CertInfo:
    """Extract subject, issuer, SANs and validity from a DER certificate."""
    cert = x509.load_der_x509_certificate(der)
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        sans = tuple(ext.get_values_for_type(x509.DNSName)) + tuple(
            str(ip) for ip in ext.get_values_for_type(x509.IPAddress)
        )
    except x509.ExtensionNotFound:
        sans = ()
    return CertInfo(
        subject=cert.subject.rfc4514_string(),
        issuer=_issuer_name(cert),
        sans=sans,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )


NAME_ATTRIBUTES = {
    "commonName": "CN",
    "localityName": "L",
    "stateOrProvinceName": "ST",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "countryName": "C",
    "streetAddress": "STREET",
    "domainComponent": "DC",
    "userId": "UID",
}
"""The name attributes read without cryptography: the ssl module's long names and the short
names RFC 4514 (and cryptography's ``rfc4514_string``) give them."""


def peer_cert_info(decoded: dict[str, Any]) -> CertInfo | None:
    """The facts of a verified leaf as ``SSLObject.getpeercert()`` decoded it, written exactly as
    :func:`parse_cert` writes them; None when it cannot say the same (then parse the DER)."""
    try:
        subject = _names(decoded["subject"])
        issuer = _names(decoded["issuer"])
        not_before = _cert_time(decoded["notBefore"])
        not_after = _cert_time(decoded["notAfter"])
    except (KeyError, ValueError, TypeError):
        return None
    if subject is None or issuer is None:
        return None
    entries = decoded.get("subjectAltName", ())
    dns_names = tuple(str(v) for kind, v in entries if kind == "DNS")
    try:
        ips = tuple(str(ipaddress.ip_address(v.strip())) for k, v in entries if k == "IP Address")
    except ValueError:
        return None
    org = [v for k, v in issuer if k == "O"]
    cn = [v for k, v in issuer if k == "CN"]
    return CertInfo(
        subject=_rfc4514(subject),
        issuer=", ".join([*org, *cn]) or _rfc4514(issuer),
        sans=dns_names + ips,
        not_before=not_before,
        not_after=not_after,
    )


def _names(rdns: Any) -> list[tuple[str, str]] | None:
    """(short name, value) per RDN, in the certificate's order; None for an attribute without a
    short name or a multi-valued RDN (cryptography writes those its own way)."""
    out = []
    for rdn in rdns:
        if len(rdn) != 1:
            return None
        ((name, value),) = rdn
        short = NAME_ATTRIBUTES.get(name)
        if short is None or not isinstance(value, str):
            return None
        out.append((short, value))
    return out


def _rfc4514(names: list[tuple[str, str]]) -> str:
    """RFC 4514's string of a name: the last RDN first, values escaped as cryptography does."""
    return ",".join(f"{k}={_escape_dn_value(v)}" for k, v in reversed(names))


def _escape_dn_value(value: str) -> str:
    if not value:
        return ""
    for char, escaped in (
        ("\\", "\\\\"),
        ('"', '\\"'),
        ("+", "\\+"),
        (",", "\\,"),
        (";", "\\;"),
        ("<", "\\<"),
        (">", "\\>"),
        ("\0", "\\00"),
    ):
        value = value.replace(char, escaped)
    if value[0] == "#" or (value[0] == " " and len(value) > 1):
        value = "\\" + value
    if value[-1] == " ":
        value = value[:-1] + "\\ "
    return value


_MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}


def _cert_time(text: str) -> dt.datetime:
    """``Jun  1 12:00:00 2026 GMT`` (the ssl module's form) as an aware UTC datetime."""
    try:  # what ssl.cert_time_to_seconds reads, without time.strptime's cost
        month, day, clock, year, zone = text.split()
        hour, minute, second = clock.split(":")
        if zone != "GMT":
            raise ValueError(text)
        return dt.datetime(
            int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=dt.UTC
        )
    except (KeyError, ValueError):
        return dt.datetime.fromtimestamp(ssl.cert_time_to_seconds(text), dt.UTC)


def _issuer_name(cert: x509.Certificate) -> str:
    from cryptography.x509.oid import NameOID

    cn = cert.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
    org = cert.issuer.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    parts = [str(a.value) for a in (*org, *cn)]
    return ", ".join(parts) or cert.issuer.rfc4514_string()


def san_covers(sans: Iterable[str], host: str) -> bool:
    """True when a SAN matches ``host`` (one-label wildcards as RFC 6125 allows)."""
    host = host.lower().rstrip(".")
    try:
        ip = ipaddress.ip_address(host)
        return any(_same_ip(s, ip) for s in sans)
    except ValueError:
        pass
    for san in sans:
        san = san.lower().rstrip(".")
        if san == host:
            return True
        if san.startswith("*.") and "." in host and host.split(".", 1)[1] == san[2:]:
            return True
    return False


def _same_ip(san: str, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    try:
        return ipaddress.ip_address(san) == ip
    except ValueError:
        return False


class HostPortHandshake:
    """What a check that shakes hands with ``host:port`` (or the pinned ``ip``) is about: its
    subject, host and target, and the DNS checks it needs (shared by tls and
    gcp.certificate_served; put it before the ``Check`` base)."""

    if TYPE_CHECKING:
        host_: str
        port: int
        ip: str | None

    def subject(self) -> str:
        """host:port."""
        return f"{self.host_}:{self.port}"

    def host(self) -> str | None:
        """The hostname (sent as SNI)."""
        return norm_host(self.host_)

    def targets(self) -> tuple[str, ...]:
        """The dialed address."""
        return (self.ip or self.host_,)

    def infer_edges(self, others: Sequence[Check]) -> Iterable[tuple[str, str]]:
        """Without an IP pin, the handshake needs DNS for the host."""
        if self.ip is None:
            for cid in address_records_on_host(others, self.host_):
                yield cid, "hard"


class Tls(HostPortHandshake, Check):
    """The certificate at host:port verifies, covers the host and has enough days left."""

    kind = "tls"

    host_: str = Field(
        alias="host", description="the hostname the certificate must cover (sent as SNI)"
    )
    port: int = Field(default=443, description="TCP port")
    ip: str | None = Field(
        default=None,
        description="dial this IP instead of resolving host (test the LB before DNS points there)",
    )
    ca_bundle: str | None = Field(
        default=None,
        description="PEM CA bundle; default: defaults.ca_bundle, else the system store",
    )
    min_days_valid: int = Field(default=14, description="fail when fewer days are left")
    issuer: str | None = Field(
        default=None, description="substring the issuer must contain, e.g. 'Google Trust Services'"
    )
    addresses: AddressMode = addresses_field()

    @classmethod
    def warm_up(cls, checks: Sequence[Check] = (), ctx: CheckContext | None = None) -> None:
        """Import what a probe needs (the lean DNS exchange) before any timer starts; not
        cryptography: a verified certificate is read without it (an unverified one imports it)."""
        from infra_verify.checks.dns import warm_up_resolving

        warm_up_resolving()

    if TYPE_CHECKING:

        def __init__(
            self,
            host: str,
            *,
            port: int = 443,
            ip: str | None = None,
            ca_bundle: str | None = None,
            min_days_valid: int = 14,
            issuer: str | None = None,
            addresses: AddressMode = "all",
            id: str = "",
            after: Sequence[str | Check] | str | Check = (),
            timeout: DurationLike | None = None,
            poll: DurationLike | None = None,
            poll_max: DurationLike | None = None,
            description: str | None = None,
        ) -> None:
            """Build the check (the subject may be positional)."""

    async def probe(self, ctx: CheckContext) -> TlsObserved:
        """Resolve (unless pinned by ``ip``), handshake, and note when the certificate was seen."""
        budget = self.budget(ctx)
        resolution = None
        if self.ip is None:
            resolution = await resolve_address(self.host_, ctx, budget.part(RESOLVE_PART))
            if resolution.failure() is not None:
                return TlsObserved(None, dt.datetime.now(dt.UTC), resolution)
        dial, skipped = to_dial(resolution, self.ip or self.host_, self.addresses)
        timeout = self.effective_timeout(ctx)  # named in messages: the check's own timeout

        async def at(address: str) -> Handshake:
            try:
                return await handshake(address, self.port, self.host_, ctx, self.ca_bundle, budget)
            except TimeoutError as exc:
                raise ProbeError(
                    f"TLS handshake with {address}:{self.port} got no answer within {timeout:.1f}s"
                ) from exc

        shakes = tuple(await each(dial, at))
        return TlsObserved(shakes[0], dt.datetime.now(dt.UTC), resolution, shakes, skipped)

    def judge(self, observed: TlsObserved) -> Outcome:
        """Chain, SAN, validity, days left and issuer, each as an observation, at each address."""
        unresolved = observed.resolution.failure() if observed.resolution else None
        if unresolved is not None or observed.handshake is None:
            return unresolved or Outcome.error(f"{self.subject()}: no TLS handshake was observed")
        shakes = observed.handshakes or (observed.handshake,)
        notes = observed.resolution.notes if observed.resolution else ()
        return combine(
            [(hs.address, self._judge_one(hs, observed.now)) for hs in shakes],
            not_probed_warnings(observed.not_probed, notes),
        )

    def _judge_one(self, hs: Handshake, now: dt.datetime) -> Outcome:
        where = f"{hs.address} (SNI {self.host_})"
        if hs.cert is None:
            return Outcome.failed(
                f"{where}: no certificate presented", hint="configure a certificate on the listener"
            )
        c = hs.cert
        days = c.days_left(now)
        obs = [
            Observation(
                "chain",
                "verifies",
                "verifies" if hs.verified else f"does not verify: {hs.verify_error}",
                hs.verified,
                where,
            ),
            Observation(
                "SAN covers host",
                self.host_,
                ", ".join(c.sans) or "(no SANs)",
                san_covers(c.sans, self.host_),
                where,
            ),
            Observation(
                "not expired",
                f"not_after > {now:%Y-%m-%d}",
                f"{c.not_after:%Y-%m-%d %H:%M} UTC",
                c.not_after > now,
                where,
            ),
            Observation(
                "days left",
                f">= {self.min_days_valid}",
                f"{days:.1f}",
                days >= self.min_days_valid,
                where,
            ),
        ]
        if self.issuer:
            obs.append(
                Observation(
                    "issuer",
                    f"contains '{self.issuer}'",
                    c.issuer,
                    self.issuer.lower() in c.issuer.lower(),
                    where,
                )
            )
        obs.append(Observation("subject", None, c.subject, True, where))
        ok = f"{self.host_}:{self.port} certificate by {c.issuer}, {days:.0f} days left ({hs.version})"
        return Outcome.judge(obs, ok=ok, hint=self._hint(hs, c, days, now))

    def _hint(self, hs: Handshake, c: CertInfo, days: float, now: dt.datetime) -> str:
        if not san_covers(c.sans, self.host_):
            return f"the certificate does not list {self.host_}; add it to the (managed) certificate's domains"
        if c.not_after <= now or days < self.min_days_valid:
            return "renew the certificate (managed certificates renew themselves once DNS points at the load balancer)"
        if not hs.verified:
            return "serve the full chain from a trusted CA, or give the private CA in 'ca_bundle:'"
        return "check the certificate's issuer"


async def handshake(
    address: str, port: int, sni: str, ctx: CheckContext, ca_bundle: str | None, budget: Budget
) -> Handshake:
    """TLS handshake verifying the chain; on a verification failure, look again without it.

    The hostname is judged by us, not by ssl, so that a wrong SAN is reported with the SANs.
    Both handshakes share ``budget``; TimeoutError when it runs out (the caller names it).
    A verified connection is parked for the http check of the same host (``tls_stream.py``).
    """
    verifying = ctx.ssl_context(ca_bundle, check_hostname=False)
    try:
        stream = await _connect(address, port, sni, verifying, budget)
    except ssl.SSLCertVerificationError as exc:
        reason = exc.verify_message or str(exc)
    else:
        version = stream.version()
        cert = peer_cert_info(stream.peer_decoded())
        if cert is None:
            der = stream.peer_certificate()
            cert = parse_cert(der) if der else None
        pool = connection_pool(ctx)
        key = pool_key(address, port, sni, ca_bundle or ctx.ca_bundle)
        pool.park(key, stream, hostname_ok=cert is not None and san_covers(cert.sans, sni))
        return Handshake(cert, True, None, version, f"{address}:{port}")
    stream = await _connect(address, port, sni, ctx.ssl_context(verify=False), budget)
    try:
        der, version = stream.peer_certificate(), stream.version()
    finally:
        stream.close()
    return Handshake(parse_cert(der) if der else None, False, reason, version, f"{address}:{port}")


async def _connect(
    address: str, port: int, sni: str, context: ssl.SSLContext, budget: Budget
) -> TlsStream:
    try:
        async with budget.bound():
            return await TlsStream.open(address, port, context, sni)
    except (ssl.SSLCertVerificationError, TimeoutError):
        raise
    except ConnectionRefusedError as exc:
        raise ProbeError(
            f"connection to {address}:{port} refused", hint="is anything listening on that port?"
        ) from exc
    except ssl.SSLError as exc:
        if isinstance(exc, ssl.SSLEOFError):
            why = "the server closed the connection during the TLS handshake"
            raise ProbeError(f"could not connect to {address}:{port}: {why}") from exc
        raise ProbeError(
            f"TLS handshake with {address}:{port} failed: {exc.reason or exc}",
            hint="is this port speaking TLS?",
        ) from exc
    except OSError as exc:
        why = (
            exc.strerror or str(exc) or "the server closed the connection during the TLS handshake"
        )
        raise ProbeError(f"could not connect to {address}:{port}: {why}") from exc
