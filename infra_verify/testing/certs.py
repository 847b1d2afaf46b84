"""A certificate factory for tests: one trusted CA and leaves with chosen defects.

Built directly on ``cryptography`` (trustme cannot name its CA or self-sign a leaf):
a root "infra_verify test CA" and an intermediate "infra_verify test intermediate CA".
Good leaves are signed by the intermediate and served as ``leaf + intermediate``, as
public CAs do. PEM values are ``bytes``.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["CA_NAME", "CertFactory", "IssuedCert"]

CA_NAME = "infra_verify test CA"
INTERMEDIATE_NAME = "infra_verify test intermediate CA"
_DEFAULT_HOSTS = ("localhost", "127.0.0.1")
_DAY = datetime.timedelta(days=1)


def _pem(cert: x509.Certificate) -> bytes:
    """PEM bytes of ``cert``."""
    return cert.public_bytes(serialization.Encoding.PEM)


def _now() -> datetime.datetime:
    """The current UTC time."""
    return datetime.datetime.now(datetime.UTC)


def _san(hosts: Sequence[str]) -> x509.SubjectAlternativeName:
    """A SAN extension listing ``hosts`` (IP addresses as iPAddress entries)."""
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


@dataclass(frozen=True)
class _Authority:
    """A CA certificate with its key."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class IssuedCert:
    """A leaf certificate, its key, and the chain a server presents (leaf first)."""

    cert: x509.Certificate
    key_pem: bytes
    chain_pem: bytes

    @property
    def cert_pem(self) -> bytes:
        """PEM of the leaf certificate alone."""
        return _pem(self.cert)

    @property
    def chain(self) -> list[x509.Certificate]:
        """The served certificates, in served order."""
        return x509.load_pem_x509_certificates(self.chain_pem)

    def write(self, directory: Path, name: str = "server") -> tuple[Path, Path]:
        """Write ``<name>.crt`` (the served chain) and ``<name>.key`` (mode 0600)."""
        cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
        cert_path.write_bytes(self.chain_pem)
        key_path.touch(mode=0o600)
        key_path.write_bytes(self.key_pem)
        return cert_path, key_path

    def server_context(self) -> ssl.SSLContext:
        """An ``ssl.SSLContext`` for a TLS server presenting this chain."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with tempfile.TemporaryDirectory(prefix="certs-") as tmp:
            cert_path, key_path = self.write(Path(tmp))
            context.load_cert_chain(cert_path, key_path)
        return context


def _authority(
    name: str, parent: _Authority | None = None, *, path_length: int | None = None
) -> _Authority:
    """Create a CA; self-signed when ``parent`` is None."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "infra_verify"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    issuer = parent.cert.subject if parent else subject
    signer = parent.key if parent else key
    now = _now()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _DAY)
        .not_valid_after(now + 3650 * _DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if parent:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(parent.key.public_key()),
            critical=False,
        )
    return _Authority(builder.sign(signer, hashes.SHA256()), key)


def _leaf(
    hosts: Sequence[str],
    issuer: _Authority | None,
    *,
    not_before: datetime.datetime,
    not_after: datetime.datetime,
) -> tuple[x509.Certificate, bytes]:
    """Create a leaf for ``hosts`` signed by ``issuer`` (self-signed when None)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_san(hosts), critical=False)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    cert = builder.sign(issuer.key if issuer else key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert, key_pem


class CertFactory:
    """A trusted test CA (root + intermediate) issuing good and deliberately broken leaves."""

    def __init__(self) -> None:
        """Create the root and intermediate CAs (EC P-256, valid ten years)."""
        self._root = _authority(CA_NAME)
        self._intermediate = _authority(INTERMEDIATE_NAME, self._root, path_length=1)
        self._issuing: _Authority | None = None
        self._untrusted: _Authority | None = None

    @property
    def ca_cert(self) -> x509.Certificate:
        """The root certificate to trust."""
        return self._root.cert

    @property
    def ca_pem(self) -> bytes:
        """PEM of the root certificate to trust."""
        return _pem(self._root.cert)

    @property
    def intermediate_pem(self) -> bytes:
        """PEM of the intermediate CA that signs good leaves."""
        return _pem(self._intermediate.cert)

    def write_ca_bundle(self, path: Path) -> Path:
        """Write the root certificate to ``path`` (for SSL_CERT_FILE, sslrootcert, ...)."""
        path.write_bytes(self.ca_pem)
        return path

    def client_context(self) -> ssl.SSLContext:
        """A client ``ssl.SSLContext`` trusting only this factory's root."""
        context = ssl.create_default_context(cadata=self.ca_pem.decode())
        return context

    def _issue(
        self,
        hosts: Sequence[str],
        *,
        issuer: _Authority | None = None,
        served: Sequence[_Authority] | None = None,
        not_before: datetime.datetime | None = None,
        not_after: datetime.datetime | None = None,
        self_signed: bool = False,
    ) -> IssuedCert:
        """Issue a leaf for ``hosts`` and serve it followed by ``served`` CAs."""
        hosts = tuple(hosts) or _DEFAULT_HOSTS
        now = _now()
        signer = None if self_signed else (issuer or self._intermediate)
        cert, key_pem = _leaf(
            hosts,
            signer,
            not_before=not_before or now - _DAY,
            not_after=not_after or now + 90 * _DAY,
        )
        extra = [self._intermediate] if served is None else served
        chain_pem = _pem(cert) + b"".join(_pem(authority.cert) for authority in extra)
        return IssuedCert(cert=cert, key_pem=key_pem, chain_pem=chain_pem)

    def valid(self, *hosts: str) -> IssuedCert:
        """A good leaf for ``hosts`` (default localhost, 127.0.0.1), valid 90 days."""
        return self._issue(hosts)

    def issued_at(self, not_before: datetime.datetime, *hosts: str) -> IssuedCert:
        """A good leaf for ``hosts`` valid from ``not_before`` for 90 days (a fresh issue)."""
        return self._issue(hosts, not_before=not_before, not_after=not_before + 90 * _DAY)

    def expiring_in(self, days: float, *hosts: str) -> IssuedCert:
        """A good leaf whose notAfter is ``days`` from now (negative: already expired)."""
        now = _now()
        not_after = now + datetime.timedelta(days=days)
        return self._issue(hosts, not_before=min(now, not_after) - 30 * _DAY, not_after=not_after)

    def expired(self, *hosts: str) -> IssuedCert:
        """A leaf that expired a day ago."""
        return self.expiring_in(-1, *hosts)

    def wrong_san(self, *hosts: str) -> IssuedCert:
        """A good leaf covering only ``wrong-san.invalid``, none of ``hosts``."""
        return self._issue(["wrong-san.invalid"])

    def self_signed(self, *hosts: str) -> IssuedCert:
        """A self-signed leaf (issuer == subject, not a CA) for ``hosts``."""
        return self._issue(hosts, served=(), self_signed=True)

    def untrusted_issuer(self, *hosts: str) -> IssuedCert:
        """A leaf signed by a different root, "infra_verify untrusted CA", not trusted."""
        if self._untrusted is None:
            self._untrusted = _authority("infra_verify untrusted CA")
        return self._issue(hosts, issuer=self._untrusted, served=())

    def incomplete_chain(self, *hosts: str) -> IssuedCert:
        """A leaf signed by the intermediate but served without it."""
        return self._issue(hosts, served=())

    def wrong_order_chain(self, *hosts: str) -> IssuedCert:
        """A leaf under two intermediates, served as leaf, upper, lower (should be lower, upper)."""
        if self._issuing is None:
            self._issuing = _authority(
                "infra_verify test issuing CA", self._intermediate, path_length=0
            )
        return self._issue(hosts, issuer=self._issuing, served=(self._intermediate, self._issuing))
