"""The environment check: required settings present and pointing at the real environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra_verify.checks.environment import Environment, hosts_in
from infra_verify.context import CheckContext
from infra_verify.gate import Gate, GateRun
from infra_verify.model import Result, Status
from infra_verify.reporters import ReportOptions, render

SECRET = "s3cr3t-pw"
STORY_DSN = f"postgresql+asyncpg://user:{SECRET}@localhost:5432/netra_dev"
REAL_DSN = f"postgresql+asyncpg://netra:{SECRET}@10.20.0.3:5432/netra"


def gate_run(
    check: Environment,
    env: dict[str, str],
    *,
    environment: str = "staging",
    allow_loopback: bool = False,
) -> tuple[GateRun, CheckContext]:
    """Run one check through a Gate with ``env`` as the variables; return run and context."""
    context = CheckContext(
        environment=environment, timeout=1.0, env=env, allow_loopback=allow_loopback
    )
    return Gate([check], context=context).run(), context


def run_one(
    check: Environment,
    env: dict[str, str],
    *,
    environment: str = "staging",
    allow_loopback: bool = False,
) -> Result:
    """Run one check through a Gate and return its result."""
    run, _ = gate_run(check, env, environment=environment, allow_loopback=allow_loopback)
    return run.results[0]


def everything_said(result: Result) -> str:
    """Summary, hint and every observation field of a result, as one string."""
    parts = [result.summary, result.hint or ""]
    for o in result.observations:
        parts += [o.property, o.expected or "", o.actual or "", o.where or ""]
    return "\n".join(parts)


def test_real_settings_pass() -> None:
    """Required variables set, a non-loopback DSN and the right ENVIRONMENT: PASS."""
    check = Environment(
        require=("DATABASE_URL", "SECRET_KEY"),
        no_loopback=("DATABASE_URL",),
        equals={"ENVIRONMENT": "staging"},
    )
    env = {"DATABASE_URL": REAL_DSN, "SECRET_KEY": "k-very-secret", "ENVIRONMENT": "staging"}
    result = run_one(check, env)
    assert result.status is Status.PASS, result.summary
    assert result.summary == "4 setting(s) fit the 'staging' environment"
    assert all(o.ok for o in result.observations)
    said = everything_said(result)
    assert SECRET not in said and "k-very-secret" not in said


def test_missing_required_variable_fails_without_printing_values() -> None:
    """A missing required variable FAILs by name; present values are never printed."""
    check = Environment(require=("SECRET_KEY", "JWT_SECRET"))
    result = run_one(check, {"SECRET_KEY": "k-very-secret"})
    assert result.status is Status.FAIL
    assert result.summary == (
        "JWT_SECRET set: expected set, got missing or empty (at the env mapping given to CheckContext)"
    )
    assert [o.actual for o in result.observations] == ["set", "missing or empty"]
    assert "k-very-secret" not in everything_said(result)


def test_empty_required_variable_fails() -> None:
    """An empty value counts as missing."""
    result = run_one(Environment(require=("SECRET_KEY",)), {"SECRET_KEY": ""})
    assert result.status is Status.FAIL
    assert "SECRET_KEY set" in result.summary


def test_story_dsn_on_localhost_fails_in_staging() -> None:
    """The story's localhost DSN in staging FAILs naming localhost; the password never shows."""
    check = Environment(require=("DATABASE_URL",), no_loopback=("DATABASE_URL",))
    run, ctx = gate_run(check, {"DATABASE_URL": STORY_DSN})
    result = run.results[0]
    assert result.status is Status.FAIL
    assert result.summary == (
        "DATABASE_URL host: expected not localhost/loopback, got localhost (at the env mapping given to CheckContext)"
    )
    assert result.hint is not None and "staging" in result.hint
    assert SECRET not in everything_said(result)
    for fmt in ("json", "text"):
        report = render(fmt, run, ReportOptions(redactor=ctx.redactor, verbose=2))
        assert "localhost" in report
        assert SECRET not in report, fmt


@pytest.mark.parametrize(
    ("value", "host"),
    [
        (f"postgresql://app:{SECRET}@127.0.0.1:5432/app", "127.0.0.1"),
        (f"postgresql://app:{SECRET}@[::1]:5432/app", "::1"),
        (f"host=localhost port=5432 dbname=app user=app password={SECRET}", "localhost"),
        ("http://127.0.0.2:8080/api", "127.0.0.2"),
        ("::1", "::1"),
        ("localhost:6379", "localhost"),
        (f"postgresql://app:{SECRET}@/app?host=127.0.0.1", "127.0.0.1"),
    ],
)
def test_loopback_forms_fail_in_staging(value: str, host: str) -> None:
    """127.0.0.1, ::1, libpq host=localhost, host:port and ?host= all count as loopback."""
    result = run_one(Environment(no_loopback=("DATABASE_URL",)), {"DATABASE_URL": value})
    assert result.status is Status.FAIL
    assert f"got {host} " in result.summary
    assert SECRET not in everything_said(result)


def test_missing_no_loopback_variable_fails() -> None:
    """A no_loopback variable that is unset FAILs (there is no real host to check)."""
    result = run_one(Environment(no_loopback=("DATABASE_URL",)), {})
    assert result.status is Status.FAIL
    assert "missing or empty" in result.summary


def test_allowed_domains_reject_other_hosts() -> None:
    """With allowed_domains, a host matching none of the patterns FAILs, naming the patterns."""
    check = Environment(
        no_loopback=("DATABASE_URL", "API_URL"), allowed_domains=("*.internal", "10.20.*")
    )
    env = {"DATABASE_URL": REAL_DSN, "API_URL": "https://api.example.com/v1"}
    result = run_one(check, env)
    assert result.status is Status.FAIL
    assert result.summary == (
        "API_URL host: expected *.internal or 10.20.*, got api.example.com (at the env mapping given to CheckContext)"
    )
    assert [o.ok for o in result.observations] == [True, False]


def test_allowed_domains_accept_matching_hosts() -> None:
    """Hosts matching an allowed pattern (case-insensitively) PASS."""
    check = Environment(no_loopback=("API_URL",), allowed_domains=("*.internal",))
    result = run_one(check, {"API_URL": "https://API.staging.INTERNAL/v1"})
    assert result.status is Status.PASS, result.summary


def test_equals_mismatch_fails() -> None:
    """ENVIRONMENT=development where staging is required FAILs, showing both values."""
    check = Environment(equals={"ENVIRONMENT": "staging"})
    result = run_one(check, {"ENVIRONMENT": "development"})
    assert result.status is Status.FAIL
    assert result.summary == (
        "ENVIRONMENT: expected staging, got development (at the env mapping given to CheckContext)"
    )


def test_equals_unset_fails() -> None:
    """An unset equals variable FAILs as '(unset)'."""
    result = run_one(Environment(equals={"ENVIRONMENT": "staging"}), {})
    assert result.status is Status.FAIL
    assert "got (unset)" in result.summary


def test_dotenv_file_is_the_source(tmp_path: Path) -> None:
    """With dotenv, the file's variables are judged (not the context's), quotes and all."""
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# the developer's file\n"
        f'export DATABASE_URL="{STORY_DSN}"\n'
        "ENVIRONMENT=development  # local\n"
        "SECRET_KEY='k-very-secret'\n",
        encoding="utf-8",
    )
    check = Environment(
        require=("SECRET_KEY",),
        no_loopback=("DATABASE_URL",),
        equals={"ENVIRONMENT": "development"},
        dotenv=str(dotenv),
    )
    run, ctx = gate_run(check, {"DATABASE_URL": REAL_DSN})
    result = run.results[0]
    assert result.status is Status.FAIL
    assert result.summary == (
        f"DATABASE_URL host: expected not localhost/loopback, got localhost (at {dotenv})"
    )
    assert [o.ok for o in result.observations] == [True, False, True]
    assert SECRET not in everything_said(result)
    assert SECRET not in render("json", run, ReportOptions(redactor=ctx.redactor))


def test_unreadable_dotenv_is_an_error(tmp_path: Path) -> None:
    """A dotenv file that cannot be read is ERROR (no verdict), with a hint."""
    missing = tmp_path / "nope.env"
    result = run_one(Environment(require=("X",), dotenv=str(missing)), {"X": "1"})
    assert result.status is Status.ERROR
    assert result.summary.startswith(f"cannot read the dotenv file {missing}")
    assert result.hint is not None and "dotenv" in result.hint


def test_allow_loopback_settings_turns_the_finding_into_a_pass() -> None:
    """allow_loopback_settings=True in staging accepts localhost and says it was allowed
    (allow_loopback, for probe targets, no longer does: issue 15, item 7)."""
    check = Environment(no_loopback=("DATABASE_URL",))
    env = {"DATABASE_URL": STORY_DSN}
    ctx = CheckContext(environment="staging", timeout=1.0, env=env, allow_loopback_settings=True)
    result = Gate([check], context=ctx).run().results[0]
    assert result.status is Status.PASS, result.summary
    assert result.observations[0].actual == "localhost (allowed for this run)"


@pytest.mark.parametrize("environment", ["test", "local", "dev"])
def test_local_environments_do_not_fail_loopback(environment: str) -> None:
    """In test/local/dev environments a localhost DSN is fine."""
    check = Environment(no_loopback=("DATABASE_URL",))
    result = run_one(check, {"DATABASE_URL": STORY_DSN}, environment=environment)
    assert result.status is Status.PASS, result.summary


@pytest.mark.parametrize(
    ("value", "hosts"),
    [
        ("postgresql://u:p@db1:5432,db2:5433/app", ["db1", "db2"]),
        ("postgresql://u:p@[2001:db8::1]:5432/app", ["2001:db8::1"]),
        ("host=db1,db2 dbname=app", ["db1", "db2"]),
        ("host='localhost' dbname=app", ["localhost"]),
        ("redis.internal:6379", ["redis.internal"]),
        ("just some words", []),
    ],
)
def test_hosts_in(value: str, hosts: list[str]) -> None:
    """hosts_in finds every host of URLs, multi-host DSNs, libpq strings and host:port."""
    assert hosts_in(value) == hosts


def test_environment_hosts_include_libpq_hostaddr() -> None:
    """hostaddr (URL parameter or key/value) is a host libpq dials, so no_loopback sees it."""
    from infra_verify.checks.environment import hosts_in

    assert hosts_in("postgresql://u@10.20.0.3/app?hostaddr=127.0.0.1") == ["10.20.0.3", "127.0.0.1"]
    assert hosts_in("hostaddr=127.0.0.1 dbname=app") == ["127.0.0.1"]
