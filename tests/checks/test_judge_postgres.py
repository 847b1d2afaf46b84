"""The postgres check's judge on plain data: PostgresObserved built by hand, no server."""

from __future__ import annotations

import pytest

from infra_verify.checks.postgres import Postgres, PostgresObserved, SslAnswer
from infra_verify.model import Outcome, Status

WHERE = "db.internal:5432"
SESSION = "10.20.0.3:5432/app as app"


def answered(answer: bytes, broke: str | None = None) -> PostgresObserved:
    """The SSLRequest answer of db.internal:5432 (dialed at 10.20.0.3)."""
    return PostgresObserved(WHERE, ssl=SslAnswer("10.20.0.3:5432", answer, broke))


@pytest.mark.parametrize(
    ("answer", "shown"),
    [(b"S", "S (SSL supported)"), (b"N", "N (no SSL)")],
)
def test_a_postgresql_answer_passes(answer: bytes, shown: str) -> None:
    """'S' or 'N' to the SSLRequest means PostgreSQL answers: PASS naming the answer."""
    outcome = Postgres(host="db.internal").judge(answered(answer))
    assert outcome.status is Status.PASS
    assert outcome.summary == f"PostgreSQL answers at {WHERE} ({shown})"


def test_require_ssl_fails_on_n() -> None:
    """With require_ssl, a server answering 'N' FAILs the SSL observation with an ssl hint."""
    outcome = Postgres(host="db.internal", require_ssl=True).judge(answered(b"N"))
    assert outcome.status is Status.FAIL
    assert outcome.summary == f"SSL: expected supported (S), got N (no SSL) (at {WHERE})"
    assert outcome.hint is not None and "require SSL" in outcome.hint


@pytest.mark.parametrize(
    ("observed", "summary"),
    [
        (
            answered(b"HTTP/1.1 400 Bad"),
            f"{WHERE} is not a PostgreSQL server (answered b'HTTP/1.1 400 Bad')",
        ),
        (
            answered(b"E"),
            f"{WHERE} is not a PostgreSQL server (answered the SSLRequest with an ErrorResponse "
            "(E): not PostgreSQL, or a server older than 7.0)",
        ),
        (
            answered(b"SSH-2.0-OpenSSH_9.6"),
            f"{WHERE} is not a PostgreSQL server (answered b'SSH-2.0-OpenSSH_')",
        ),
        (
            PostgresObserved(
                WHERE, ssl=SslAnswer("10.20.0.3:5432", b"S", tls_error="WRONG_VERSION_NUMBER")
            ),
            f"{WHERE} is not a PostgreSQL server (said S (SSL) but no TLS handshake followed: "
            "WRONG_VERSION_NUMBER)",
        ),
        (answered(b""), "10.20.0.3:5432 closed the connection without answering the SSLRequest"),
        (
            answered(b"", broke="Connection reset by peer"),
            "10.20.0.3:5432: the connection broke during the handshake (Connection reset by peer)",
        ),
    ],
    ids=["not-postgres", "error-response", "ssh-banner", "s-without-tls", "closed", "reset"],
)
def test_something_other_than_postgresql_fails(observed: PostgresObserved, summary: str) -> None:
    """Other bytes, a close without an answer or a reset mid-handshake: FAIL."""
    outcome = Postgres(host="db.internal").judge(observed)
    assert outcome.status is Status.FAIL
    assert outcome.summary == summary


@pytest.mark.parametrize(
    ("row", "status", "summary_start"),
    [
        ((1,), Status.PASS, f"SELECT 1 on {SESSION} in 42 ms"),
        ((2,), Status.FAIL, f"SELECT 1: expected 1, got 2 (at {SESSION})"),
        (None, Status.FAIL, f"SELECT 1: expected 1, got (no row) (at {SESSION})"),
    ],
)
def test_select_one_is_judged_on_its_row(
    row: tuple[int, ...] | None, status: Status, summary_start: str
) -> None:
    """With a DSN, SELECT 1 returning 1 passes; another row or none fails."""
    observed = PostgresObserved(SESSION, row=row, took=0.042)
    outcome = Postgres(dsn_env="DATABASE_URL").judge(observed)
    assert outcome.status is status
    assert outcome.summary.startswith(summary_start)


def test_a_refused_login_fails_pointing_at_the_secret() -> None:
    """Credentials the server refuses FAIL, with a hint naming the DSN's variable."""
    observed = PostgresObserved(
        SESSION, login_error='password authentication failed for user "app"'
    )
    outcome = Postgres(dsn_env="DATABASE_URL").judge(observed)
    assert outcome.status is Status.FAIL
    assert (
        outcome.summary == f'PostgreSQL at {SESSION}: password authentication failed for user "app"'
    )
    assert outcome.hint is not None and "DATABASE_URL" in outcome.hint


def test_a_guarded_dsn_host_gives_the_guards_verdict() -> None:
    """A DSN host the guards refuse is judged by the guards' own verdict."""
    guard = Outcome.failed("localhost is a loopback address", hint="use the real host")
    outcome = Postgres(dsn_env="DATABASE_URL").judge(PostgresObserved(SESSION, refused_by=guard))
    assert outcome == guard


def test_nothing_observed_is_an_error() -> None:
    """Without a DSN and without an SSLRequest answer there is nothing to judge: ERROR."""
    outcome = Postgres(host="db.internal").judge(PostgresObserved(WHERE))
    assert outcome.status is Status.ERROR
    assert "no SSLRequest answer was observed" in outcome.summary
