"""A verified leaf read from ``getpeercert()`` says what cryptography's DER parse says.

Each certificate is served in a real TLS handshake (memory BIOs, verified against its CA);
the tls check reads the ssl module's decoded leaf without cryptography, and must report the
same subject, issuer, SANs and validity as :func:`parse_cert` on the DER, or decline (None)
when it cannot, so that the DER is parsed instead.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from infra_verify.checks.tls import CertInfo, parse_cert, peer_cert_info

N = NameOID
UTC = dt.UTC


def _name(*attrs: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attrs])


def _handshake(
    tmp_path: Path,
    subject: x509.Name,
    issuer: x509.Name,
    sans: list[x509.GeneralName] | None,
    not_after: dt.datetime = dt.datetime(2099, 12, 31, 23, 59, 58, tzinfo=UTC),
) -> tuple[dict[str, object], bytes]:
    """Serve a leaf (``subject``, ``sans``) issued by a CA named ``issuer``; the client's view."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(UTC).replace(microsecond=0)
    ca = (
        x509.CertificateBuilder()
        .subject_name(issuer)
        .issuer_name(issuer)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=2))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1, seconds=17))
        .not_valid_after(not_after)
    )
    if sans is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    leaf = builder.sign(ca_key, hashes.SHA256())
    pem = serialization.Encoding.PEM
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(pem))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "key.pem")
    client_ctx = ssl.create_default_context(cadata=ca.public_bytes(pem).decode())
    client_ctx.check_hostname = False
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname="leaf.test.example")
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    done = [False, False]
    for _ in range(20):
        for i, side in enumerate((client, server)):
            if not done[i]:
                try:
                    side.do_handshake()
                    done[i] = True
                except ssl.SSLWantReadError:
                    pass
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if all(done):
            break
    assert all(done)
    der = client.getpeercert(binary_form=True)
    assert der is not None
    return dict(client.getpeercert() or {}), der


ISSUER = _name((N.ORGANIZATION_NAME, "Google Trust Services"), (N.COMMON_NAME, "WR3"))
SANS: list[x509.GeneralName] = [
    x509.DNSName("api.test.example"),
    x509.DNSName("*.test.example"),
    x509.IPAddress(ipaddress.ip_address("192.0.2.7")),
    x509.IPAddress(ipaddress.ip_address("2001:db8::1")),
]


@pytest.mark.parametrize(
    ("subject", "issuer", "sans"),
    [
        (_name((N.COMMON_NAME, "api.test.example")), ISSUER, SANS),
        (
            _name(
                (N.COUNTRY_NAME, "US"),
                (N.STATE_OR_PROVINCE_NAME, "California"),
                (N.LOCALITY_NAME, "Mountain View"),
                (N.STREET_ADDRESS, "1600 Amphitheatre Pkwy"),
                (N.ORGANIZATION_NAME, 'Acme, Inc. +<x>;"\\'),
                (N.ORGANIZATIONAL_UNIT_NAME, "#ops "),
                (N.DOMAIN_COMPONENT, "example"),
                (N.USER_ID, "u1"),
                (N.COMMON_NAME, " spaced"),
            ),
            _name((N.ORGANIZATIONAL_UNIT_NAME, "only an OU")),
            [x509.DNSName("api.test.example")],
        ),
        (_name((N.COMMON_NAME, "no-sans.test.example")), ISSUER, None),
        (_name((N.COMMON_NAME, "Zürich ✓")), _name((N.COMMON_NAME, "Ünïcode CA")), SANS[:1]),
        (
            _name((N.COMMON_NAME, "many")),
            _name((N.ORGANIZATION_NAME, "A"), (N.ORGANIZATION_NAME, "B"), (N.COMMON_NAME, "C")),
            [x509.UniformResourceIdentifier("https://x.example/"), *SANS],
        ),
    ],
)
def test_verified_leaf_reads_as_the_der_parse(
    tmp_path: Path,
    subject: x509.Name,
    issuer: x509.Name,
    sans: list[x509.GeneralName] | None,
) -> None:
    """Subject, issuer, SANs (IPv6 compressed) and validity equal cryptography's reading."""
    decoded, der = _handshake(tmp_path, subject, issuer, sans)
    info = peer_cert_info(decoded)
    assert isinstance(info, CertInfo)
    assert info == parse_cert(der)


def test_validity_far_ahead_reads_as_the_der_parse(tmp_path: Path) -> None:
    """A notAfter past 2050 (GeneralizedTime) keeps its second."""
    decoded, der = _handshake(
        tmp_path,
        _name((N.COMMON_NAME, "late")),
        ISSUER,
        SANS[:1],
        dt.datetime(2071, 3, 4, 5, 6, 7, tzinfo=UTC),
    )
    assert peer_cert_info(decoded) == parse_cert(der)


@pytest.mark.parametrize(
    "subject",
    [
        _name((N.COMMON_NAME, "mail"), (N.EMAIL_ADDRESS, "ops@test.example")),
        x509.Name(
            [
                x509.RelativeDistinguishedName(
                    [
                        x509.NameAttribute(N.COMMON_NAME, "multi"),
                        x509.NameAttribute(N.ORGANIZATION_NAME, "valued"),
                    ]
                )
            ]
        ),
    ],
)
def test_names_outside_the_table_are_left_to_the_der_parse(
    tmp_path: Path, subject: x509.Name
) -> None:
    """An attribute without a short name, or a multi-valued RDN: None (the DER is parsed)."""
    decoded, _ = _handshake(tmp_path, subject, ISSUER, SANS[:1])
    assert peer_cert_info(decoded) is None


def test_an_unverified_connection_decodes_nothing() -> None:
    """Without verification the ssl module decodes no leaf: None, never a guess."""
    assert peer_cert_info({}) is None
