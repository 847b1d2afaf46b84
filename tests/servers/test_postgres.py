"""PostgresServer runs a real PostgreSQL with password auth and SSL on loopback."""

from __future__ import annotations

import socket
import struct

import psycopg
import pytest

from tests.servers.postgres import PostgresServer

SSL_REQUEST = struct.pack("!ii", 8, 80877103)


def ssl_answer(port: int) -> bytes:
    """The one-byte answer the server gives to an SSLRequest ('S' or 'N')."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(SSL_REQUEST)
        return conn.recv(1)


def test_select_one_with_the_known_password(postgres: PostgresServer) -> None:
    """The superuser logs in over TCP with the known password and runs SELECT 1."""
    with psycopg.connect(postgres.dsn(), connect_timeout=5) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_wrong_password_is_refused(postgres: PostgresServer) -> None:
    """A wrong password fails with a password authentication error."""
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(postgres.dsn(password="wrong"), connect_timeout=5)


def test_dsn_names_loopback_port_and_credentials(postgres: PostgresServer) -> None:
    """dsn() is a postgresql:// URL with user, password, 127.0.0.1, the port and database."""
    assert postgres.dsn(password="p@ss", database="app", sslmode="require") == (
        f"postgresql://postgres:p%40ss@127.0.0.1:{postgres.port}/app?sslmode=require"
    )


def test_ssl_request_is_accepted_and_verifies(postgres: PostgresServer) -> None:
    """The server answers an SSLRequest with 'S', and verify-full against the CA succeeds."""
    assert ssl_answer(postgres.port) == b"S"
    dsn = postgres.dsn(sslmode="verify-full", sslrootcert=str(postgres.ca_file))
    with psycopg.connect(dsn, connect_timeout=5) as conn:
        row = conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
    assert row == (True,)


def test_server_without_ssl_answers_n_and_stops_cleanly() -> None:
    """With ssl=False the server answers 'N'; stop() frees the port and removes its files."""
    with PostgresServer(ssl=False, password="other") as server:
        assert ssl_answer(server.port) == b"N"
        with psycopg.connect(server.dsn(), connect_timeout=5) as conn:
            assert conn.execute("SELECT current_user").fetchone() == ("postgres",)
        workdir, port = server.workdir, server.port
    assert not workdir.exists()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_startup_is_time_bounded_with_a_clear_error() -> None:
    """A startup that cannot finish in time raises RuntimeError instead of hanging."""
    with pytest.raises(RuntimeError, match="timed out"):
        PostgresServer(startup_timeout=0.01).start()
