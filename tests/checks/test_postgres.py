"""The postgres check against a real PostgreSQL server and faulty servers, through the Gate."""

from __future__ import annotations

from collections.abc import Callable

from infra_verify.checks.postgres import Postgres, PostgresObserved, SslAnswer
from infra_verify.context import CheckContext
from infra_verify.gate import Gate, GateRun
from infra_verify.model import Result, Status
from infra_verify.reporters import ReportOptions, render
from tests.servers.faulty import FaultyServer
from tests.servers.postgres import PostgresServer
from tests.servers.web_server import WebServer

WRONG_PASSWORD = "Wr0ng-Pa55word-zz9"


def gate_run(
    check: Postgres,
    *,
    environment: str = "test",
    timeout: float = 2.0,
    env: dict[str, str] | None = None,
) -> tuple[GateRun, CheckContext]:
    """Run one check through a Gate (real error mapping); return the run and its context."""
    context = CheckContext(environment=environment, timeout=timeout, env=env or {})
    return Gate([check], context=context).run(), context


def run_one(
    check: Postgres,
    *,
    environment: str = "test",
    timeout: float = 2.0,
    env: dict[str, str] | None = None,
) -> Result:
    """Run one check through a Gate and return its result."""
    return gate_run(check, environment=environment, timeout=timeout, env=env)[0].results[0]


def everything_said(result: Result) -> str:
    """Summary, hint and every observation field of a result, as one string."""
    parts = [result.summary, result.hint or ""]
    for o in result.observations:
        parts += [o.property, o.expected or "", o.actual or "", o.where or ""]
    return "\n".join(parts)


# -- handshake only -----------------------------------------------------------------------


def test_handshake_passes_with_ssl(postgres: PostgresServer) -> None:
    """The SSLRequest handshake against a real server (ssl on) PASSes with 'S'."""
    result = run_one(Postgres(host="127.0.0.1", port=postgres.port))
    assert result.status is Status.PASS, result.summary
    assert result.summary == f"PostgreSQL answers at 127.0.0.1:{postgres.port} (S (SSL supported))"
    (obs,) = result.observations
    assert obs.ok and obs.actual == "S (SSL supported)"


def test_require_ssl_passes_against_ssl_server(postgres: PostgresServer) -> None:
    """require_ssl adds an SSL observation, which holds for a server answering 'S'."""
    result = run_one(Postgres(host="127.0.0.1", port=postgres.port, require_ssl=True))
    assert result.status is Status.PASS, result.summary
    assert [o.property for o in result.observations] == ["SSLRequest answer", "SSL"]
    assert all(o.ok for o in result.observations)


def test_judge_require_ssl_fails_on_n() -> None:
    """A server answering 'N' is PostgreSQL, but FAILs require_ssl with an ssl hint."""
    outcome = Postgres(host="db", require_ssl=True).judge(
        PostgresObserved("db:5432", ssl=SslAnswer("db:5432", b"N"))
    )
    assert outcome.status is Status.FAIL
    assert outcome.summary == "SSL: expected supported (S), got N (no SSL) (at db:5432)"
    assert outcome.hint is not None and "ssl" in outcome.hint


def test_judge_n_without_require_ssl_passes() -> None:
    """'N' passes when SSL is not required."""
    outcome = Postgres(host="db").judge(PostgresObserved("db:5432", ssl=SslAnswer("db:5432", b"N")))
    assert outcome.status is Status.PASS


def test_judge_other_bytes_fail() -> None:
    """Anything but S/N/E is not PostgreSQL: FAIL showing what came back."""
    outcome = Postgres(host="db").judge(
        PostgresObserved("db:5432", ssl=SslAnswer("db:5432", b"HTTP/1.1 400 Ba"))
    )
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith("db:5432 is not a PostgreSQL server (answered b'HTTP/1.1")


def test_non_postgres_server_fails() -> None:
    """A server answering the SSLRequest with HTTP FAILs as 'not a PostgreSQL server'."""
    with FaultyServer("pg_not_postgres") as server:
        result = run_one(Postgres(host="127.0.0.1", port=server.port))
    assert result.status is Status.FAIL
    assert "is not a PostgreSQL server" in result.summary
    assert "HTTP/1.1 400" in result.summary
    assert result.hint is not None and "something else listens" in result.hint


def test_eager_http_server_fails() -> None:
    """A server that answers anything with an HTTP 200 FAILs as 'not a PostgreSQL server'."""
    with FaultyServer("http_plain") as server:
        result = run_one(Postgres(host="127.0.0.1", port=server.port))
    assert result.status is Status.FAIL, result.summary
    assert f"127.0.0.1:{server.port} is not a PostgreSQL server" in result.summary
    assert "HTTP/1.1 200" in result.summary


def test_http_server_waiting_for_a_request_is_an_error() -> None:
    """An HTTP server that waits for a full request never answers the 8-byte SSLRequest.

    It cannot be told apart from a hung PostgreSQL, so the check says ERROR with a message
    suggesting that something other than PostgreSQL may listen there.
    """
    with WebServer() as web:
        result = run_one(Postgres(host="127.0.0.1", port=web.port), timeout=1.0)
    assert result.status is Status.ERROR, result.summary
    assert "never answered the SSLRequest" in result.summary
    assert result.hint is not None and "other than PostgreSQL" in result.hint


def test_silent_server_is_an_error_within_timeout() -> None:
    """A server that accepts but never answers gives ERROR at the timeout, not a hang (the
    server would stay silent past pytest-timeout's guard)."""
    with FaultyServer("silent") as server:
        result = run_one(Postgres(host="127.0.0.1", port=server.port), timeout=1.0)
    assert result.status is Status.ERROR
    assert "never answered the SSLRequest" in result.summary


def test_refused_port_is_an_error(free_port: Callable[..., int]) -> None:
    """Nothing listening: ERROR (could not reach a server), with a hint."""
    port = free_port(udp=False)
    result = run_one(Postgres(host="127.0.0.1", port=port))
    assert result.status is Status.ERROR
    assert result.summary == f"127.0.0.1:{port}: connection refused"
    assert result.hint == "is PostgreSQL listening there?"


def test_loopback_host_fails_in_staging(postgres: PostgresServer) -> None:
    """A loopback host in a real environment FAILs on the guard."""
    result = run_one(Postgres(host="127.0.0.1", port=postgres.port), environment="staging")
    assert result.status is Status.FAIL
    assert "loopback" in result.summary


# -- authenticated SELECT 1 ---------------------------------------------------------------


def test_select_one_passes(postgres: PostgresServer) -> None:
    """With dsn_env holding a good DSN, SELECT 1 PASSes."""
    env = {"DATABASE_URL": postgres.dsn(sslmode="require")}
    result = run_one(Postgres(dsn_env="DATABASE_URL"), env=env)
    assert result.status is Status.PASS, result.summary
    (obs,) = result.observations
    assert (obs.property, obs.expected, obs.actual, obs.ok) == ("SELECT 1", "1", "1", True)
    assert obs.where == f"127.0.0.1:{postgres.port}/postgres as postgres"
    assert postgres.password not in everything_said(result)


def test_sqlalchemy_style_dsn_works(postgres: PostgresServer) -> None:
    """A ``postgresql+asyncpg://`` URL (the app's SQLAlchemy DSN) is understood."""
    dsn = f"postgresql+asyncpg://postgres:{postgres.password}@127.0.0.1:{postgres.port}/postgres"
    result = run_one(Postgres(dsn_env="DATABASE_URL"), env={"DATABASE_URL": dsn})
    assert result.status is Status.PASS, result.summary


def test_wrong_password_fails_and_never_leaks(postgres: PostgresServer) -> None:
    """A wrong password FAILs; the password appears nowhere in the result or the reports."""
    env = {"DATABASE_URL": postgres.dsn(password=WRONG_PASSWORD)}
    run, ctx = gate_run(Postgres(dsn_env="DATABASE_URL"), env=env)
    result = run.results[0]
    assert result.status is Status.FAIL
    assert "authentication failed" in result.summary
    assert result.hint is not None and "DATABASE_URL" in result.hint
    assert WRONG_PASSWORD not in everything_said(result)
    options = ReportOptions(redactor=ctx.redactor, verbose=2)
    for fmt in ("json", "text"):
        report = render(fmt, run, options)
        assert "authentication failed" in report
        assert WRONG_PASSWORD not in report, fmt


def test_unknown_database_fails(postgres: PostgresServer) -> None:
    """A database that does not exist FAILs (the DSN is wrong), naming it."""
    env = {"DATABASE_URL": postgres.dsn(database="netra_missing")}
    result = run_one(Postgres(dsn_env="DATABASE_URL"), env=env)
    assert result.status is Status.FAIL
    assert "netra_missing" in result.summary


def test_unset_dsn_env_is_an_error_with_hint() -> None:
    """An unset DSN variable is ERROR (nothing to test) with an export hint."""
    result = run_one(Postgres(dsn_env="DATABASE_URL"), env={})
    assert result.status is Status.ERROR
    assert result.summary == (
        "the environment variable DATABASE_URL is not set in the env mapping given to CheckContext"
    )
    assert result.hint is not None and result.hint.startswith("export DATABASE_URL=")


def test_dsn_to_refused_port_is_an_error(free_port: Callable[..., int]) -> None:
    """A DSN pointing at a closed port is ERROR (unreachable), and its password is hidden."""
    port = free_port(udp=False)
    dsn = f"postgresql://app:{WRONG_PASSWORD}@127.0.0.1:{port}/app"
    result = run_one(Postgres(dsn_env="DATABASE_URL"), env={"DATABASE_URL": dsn})
    assert result.status is Status.ERROR
    assert WRONG_PASSWORD not in everything_said(result)


def test_dsn_to_loopback_fails_in_staging(postgres: PostgresServer) -> None:
    """A DSN whose host is loopback FAILs the guard in staging, before connecting."""
    env = {"DATABASE_URL": postgres.dsn()}
    result = run_one(Postgres(dsn_env="DATABASE_URL"), env=env, environment="staging")
    assert result.status is Status.FAIL
    assert "loopback" in result.summary
    assert postgres.password not in everything_said(result)


def test_dsn_to_silent_server_is_an_error() -> None:
    """A DSN pointing at a server that never answers is ERROR naming the timeout (not a hang)."""
    with FaultyServer("silent") as server:
        dsn = f"postgresql://app:{WRONG_PASSWORD}@127.0.0.1:{server.port}/app"
        result = run_one(
            Postgres(dsn_env="DATABASE_URL"),
            env={"DATABASE_URL": dsn},
            timeout=1.0,
        )
    assert result.status is Status.ERROR
    assert "no answer within 0.8s" in result.summary
    assert WRONG_PASSWORD not in everything_said(result)


def test_the_libpq_url_dials_only_the_checked_address() -> None:
    """The DSN's own host/hostaddr/port parameters are dropped; hostaddr is the checked IP."""
    from infra_verify.checks.dsn import parse_dsn

    dsn = parse_dsn("postgresql://u:p@db.internal/app?hostaddr=127.0.0.1&host=vm&sslmode=require")
    assert (dsn.host, dsn.hostaddr) == ("vm", "127.0.0.1")
    url = dsn.libpq(host="db.internal", port=5432, hostaddr="10.20.0.3")
    assert url == "postgresql://u:p@db.internal:5432/app?sslmode=require&hostaddr=10.20.0.3"
