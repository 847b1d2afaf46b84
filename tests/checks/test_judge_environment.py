"""The environment check's judge on plain data: EnvironmentObserved built by hand, no context."""

from __future__ import annotations

import pytest

from infra_verify.checks.environment import Environment, EnvironmentObserved
from infra_verify.model import Status

DSN = "postgresql+asyncpg://app:pw@10.20.0.3:5432/app"
CHECK = Environment(
    require=("DATABASE_URL", "SECRET_KEY"),
    no_loopback=("DATABASE_URL",),
    equals={"ENVIRONMENT": "staging"},
)
GOOD = {"DATABASE_URL": DSN, "SECRET_KEY": "k", "ENVIRONMENT": "staging"}


def seen(
    changes: dict[str, str | None], *, environment: str = "staging", allow_loopback: bool = False
) -> EnvironmentObserved:
    """GOOD with ``changes`` applied (None removes a variable)."""
    values = {**GOOD, **changes}
    return EnvironmentObserved(
        {k: v for k, v in values.items() if v is not None}, environment, allow_loopback
    )


def test_real_settings_pass() -> None:
    """Every variable set, a real DSN host and the right ENVIRONMENT: PASS."""
    outcome = CHECK.judge(seen({}))
    assert outcome.status is Status.PASS
    assert outcome.summary == "4 setting(s) fit the 'staging' environment"


@pytest.mark.parametrize(
    ("changes", "summary_start"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY set: expected set, got missing or empty"),
        ({"SECRET_KEY": ""}, "SECRET_KEY set: expected set, got missing or empty"),
        (
            {"DATABASE_URL": "postgresql://app:pw@localhost:5432/app"},
            "DATABASE_URL host: expected not localhost/loopback, got localhost",
        ),
        ({"ENVIRONMENT": "dev"}, "ENVIRONMENT: expected staging, got dev"),
        ({"ENVIRONMENT": None}, "ENVIRONMENT: expected staging, got (unset)"),
    ],
    ids=["missing", "empty", "loopback", "wrong-value", "unset-value"],
)
def test_a_wrong_setting_fails(changes: dict[str, str | None], summary_start: str) -> None:
    """A missing or empty variable, a loopback DSN or a wrong value: FAIL naming it."""
    outcome = CHECK.judge(seen(changes))
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith(summary_start), outcome.summary
    assert outcome.hint is not None and "staging secrets" in outcome.hint


@pytest.mark.parametrize(("environment", "allow_loopback"), [("local", False), ("staging", True)])
def test_loopback_is_only_noted_where_it_is_allowed(environment: str, allow_loopback: bool) -> None:
    """Locally, or with allow_loopback, a loopback DSN passes with a note."""
    observed = seen(
        {"DATABASE_URL": "postgresql://app@127.0.0.1/app", "ENVIRONMENT": "staging"},
        environment=environment,
        allow_loopback=allow_loopback,
    )
    outcome = CHECK.judge(observed)
    assert outcome.status is Status.PASS
    assert outcome.observations[2].actual == "127.0.0.1 (allowed for this run)"


def test_a_host_outside_the_allowed_domains_fails() -> None:
    """With allowed_domains, a host matching none of them FAILs."""
    check = Environment(no_loopback=("API_URL",), allowed_domains=("*.internal",))
    outcome = check.judge(EnvironmentObserved({"API_URL": "https://api.example.com"}, "staging"))
    assert outcome.status is Status.FAIL
    assert outcome.summary == (
        "API_URL host: expected *.internal, got api.example.com (at process environment)"
    )


def test_values_are_not_in_the_repr() -> None:
    """The observed values (maybe secrets) never show in the dataclass's repr."""
    assert "pw@" not in repr(seen({}))
