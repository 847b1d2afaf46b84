"""The certificate factory issues certificates with exactly the claimed property.

Each certificate is served by a real TLS server on loopback and checked by a real client.
"""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from infra_verify.testing.certs import CA_NAME, CertFactory, IssuedCert

HOST = "api.example.test"

# OpenSSL X509_V_ERR_* codes reported in SSLCertVerificationError.verify_code
EXPIRED = 10
SELF_SIGNED_LEAF = 18
UNABLE_TO_GET_ISSUER_LOCALLY = 20
HOSTNAME_MISMATCH = 62


@contextmanager
def tls_server(issued: IssuedCert) -> Iterator[int]:
    """Serve ``issued`` on a loopback port for handshakes until the block ends."""
    context = issued.server_context()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        """Accept connections and complete (or fail) their handshakes."""
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(5)
            try:
                with context.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def handshake(factory: CertFactory, issued: IssuedCert, server_hostname: str = HOST) -> None:
    """Complete a verifying TLS handshake against ``issued`` trusting only the factory's CA."""
    with (
        tls_server(issued) as port,
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        factory.client_context().wrap_socket(raw, server_hostname=server_hostname),
    ):
        pass


def verify_code(factory: CertFactory, issued: IssuedCert) -> int:
    """The OpenSSL verify code a client reports for ``issued``."""
    with pytest.raises(ssl.SSLCertVerificationError) as failure:
        handshake(factory, issued)
    return int(failure.value.verify_code)


def dns_names(cert: x509.Certificate) -> list[str]:
    """The DNS names in the certificate's SAN."""
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return list(san.get_values_for_type(x509.DNSName))


def test_valid_cert_verifies_and_is_served_with_intermediate(certs: CertFactory) -> None:
    """A valid leaf passes full verification and is served as leaf + intermediate."""
    issued = certs.valid(HOST)
    handshake(certs, issued)
    leaf, intermediate = issued.chain
    assert dns_names(leaf) == [HOST]
    assert leaf.issuer == intermediate.subject
    assert intermediate.issuer == certs.ca_cert.subject


def test_ca_has_recognisable_common_name(certs: CertFactory) -> None:
    """The root's CN is 'infra_verify test CA' so reports can name it."""
    names = certs.ca_cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert [name.value for name in names] == [CA_NAME]


def test_default_hosts_cover_localhost_and_loopback_ip(certs: CertFactory) -> None:
    """With no hosts, the leaf covers localhost and 127.0.0.1 and verifies for both."""
    issued = certs.valid()
    handshake(certs, issued, server_hostname="localhost")
    handshake(certs, issued, server_hostname="127.0.0.1")


def test_expired_cert_fails_with_expired_code(certs: CertFactory) -> None:
    """An expired leaf has notAfter in the past and clients report 'certificate has expired'."""
    issued = certs.expired(HOST)
    assert issued.cert.not_valid_after_utc < datetime.datetime.now(datetime.UTC)
    assert verify_code(certs, issued) == EXPIRED


def test_expiring_in_sets_not_after(certs: CertFactory) -> None:
    """expiring_in(5) yields a still-valid leaf whose notAfter is five days away."""
    issued = certs.expiring_in(5, HOST)
    remaining = issued.cert.not_valid_after_utc - datetime.datetime.now(datetime.UTC)
    assert datetime.timedelta(days=4, hours=23) < remaining <= datetime.timedelta(days=5)
    handshake(certs, issued)


def test_wrong_san_fails_hostname_check(certs: CertFactory) -> None:
    """A wrong-SAN leaf does not name the host and fails the hostname check."""
    issued = certs.wrong_san(HOST)
    assert HOST not in dns_names(issued.cert)
    assert verify_code(certs, issued) == HOSTNAME_MISMATCH


def test_self_signed_cert_is_its_own_issuer(certs: CertFactory) -> None:
    """A self-signed leaf has issuer == subject and is rejected as self-signed."""
    issued = certs.self_signed(HOST)
    assert issued.cert.issuer == issued.cert.subject
    assert len(issued.chain) == 1
    assert verify_code(certs, issued) == SELF_SIGNED_LEAF


def test_untrusted_issuer_is_another_ca(certs: CertFactory) -> None:
    """An untrusted-issuer leaf is signed by a CA other than the factory's and is rejected."""
    issued = certs.untrusted_issuer(HOST)
    assert issued.cert.issuer not in (certs.ca_cert.subject, issued.cert.subject)
    assert verify_code(certs, issued) == UNABLE_TO_GET_ISSUER_LOCALLY


def test_incomplete_chain_lacks_the_intermediate(certs: CertFactory) -> None:
    """An incomplete chain serves only the leaf, whose issuer is the intermediate, and fails."""
    issued = certs.incomplete_chain(HOST)
    assert len(issued.chain) == 1
    assert issued.cert.issuer != certs.ca_cert.subject
    assert verify_code(certs, issued) == UNABLE_TO_GET_ISSUER_LOCALLY


def test_wrong_order_chain_is_out_of_order_but_complete(certs: CertFactory) -> None:
    """A wrong-order chain has every CA but not each cert followed by its issuer."""
    chain = certs.wrong_order_chain(HOST).chain
    assert len(chain) == 3
    assert chain[0].issuer != chain[1].subject
    assert chain[0].issuer == chain[2].subject
    assert chain[2].issuer == chain[1].subject
    assert chain[1].issuer == certs.ca_cert.subject
    handshake(certs, certs.wrong_order_chain(HOST))  # OpenSSL clients reorder it


def test_write_ca_bundle_and_cert_files(certs: CertFactory, tmp_path: Path) -> None:
    """The CA bundle and the key/chain files written to disk load into ssl contexts."""
    bundle = certs.write_ca_bundle(tmp_path / "ca.pem")
    client = ssl.create_default_context(cafile=str(bundle))
    assert client.get_ca_certs()[0]["subject"][-1] == (("commonName", CA_NAME),)
    cert_path, key_path = certs.valid(HOST).write(tmp_path)
    assert key_path.stat().st_mode & 0o077 == 0
    ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(cert_path, key_path)
