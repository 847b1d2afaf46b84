"""A hand-built CheckContext reads the process environment unless given ``env``, and says where."""

from __future__ import annotations

import os

import pytest

from infra_verify import CheckContext, Gate, Status
from infra_verify.checks import Http, Postgres
from tests.servers.postgres import PostgresServer

VAR = "INFRA_VERIFY_TEST_CONTEXT_DSN"


def test_default_env_is_the_process_environment() -> None:
    """Without ``env``, the context's env is os.environ itself (live, not a copy)."""
    ctx = CheckContext()
    assert ctx.env is os.environ
    assert ctx.env_source == "the process environment"
    assert CheckContext(env={}).env_source == "the env mapping given to CheckContext"


def test_exported_variable_is_seen_by_a_hand_built_gate(
    postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Postgres(dsn_env=X)`` with X exported passes SELECT 1 through Gate(context=...)."""
    monkeypatch.setenv(VAR, postgres.dsn(sslmode="require"))
    ctx = CheckContext(environment="test", timeout=5.0)
    result = Gate([Postgres(dsn_env=VAR)], context=ctx).run().results[0]
    assert result.status is Status.PASS, result.summary


def test_unset_variable_says_it_looked_in_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A variable set nowhere is an ERROR naming the variable and the process environment."""
    monkeypatch.delenv(VAR, raising=False)
    result = Gate([Postgres(dsn_env=VAR)], context=CheckContext(environment="test")).run()
    assert result.results[0].status is Status.ERROR
    assert f"{VAR} is not set in the process environment" in result.results[0].summary


def test_given_env_wins_and_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """An explicit ``env`` is the only place looked in, even when the process has the variable."""
    monkeypatch.setenv("INFRA_VERIFY_TEST_TOKEN", "Bearer from-process")
    check = Http(
        "https://api.example.test/health",
        headers_from_env={"Authorization": "INFRA_VERIFY_TEST_TOKEN"},
    )
    ctx = CheckContext(environment="test", env={})
    result = Gate([check], context=ctx).run().results[0]
    assert result.status is Status.ERROR
    assert "not set in the env mapping given to CheckContext" in result.summary


def test_environment_check_names_the_source_it_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment check's evidence says which environment it read: process or given."""
    from infra_verify.checks import Environment

    monkeypatch.setenv("INFRA_VERIFY_TEST_PRESENT", "yes")
    check = Environment(require=["INFRA_VERIFY_TEST_PRESENT"])
    passed = Gate([check], context=CheckContext(environment="test")).run().results[0]
    assert passed.status is Status.PASS, passed.summary
    assert passed.observations[0].where == "the process environment"
    failed = Gate([check], context=CheckContext(environment="test", env={})).run().results[0]
    assert failed.status is Status.FAIL
    assert failed.observations[0].where == "the env mapping given to CheckContext"
