"""A check built in code with a wrong key or value raises CheckDefinitionError, not pydantic's."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra_verify import CheckDefinitionError, InfraVerifyError, UsageError, load_policy
from infra_verify.checks import Dns, GcpCloudSqlPath, Http, Tcp
from infra_verify.errors import PolicyError


def raised(build: object) -> CheckDefinitionError:
    """Call ``build`` and return the CheckDefinitionError it raised."""
    assert callable(build)
    with pytest.raises(CheckDefinitionError) as info:
        build()
    return info.value


def test_unknown_key_names_the_class_and_the_closest_key() -> None:
    """``Dns(nmae=...)`` says: unknown key 'nmae', did you mean 'name'?"""
    error = raised(lambda: Dns("api.example.test", expekt=["203.0.113.10"]))
    assert str(error) == "Dns(): unknown key 'expekt' (did you mean 'expect'?)"
    assert error.key == "expekt"
    assert error.hint == "did you mean 'expect'?"


def test_unknown_key_without_a_close_match_lists_the_valid_keys() -> None:
    """A key like no other lists the kind's keys instead of guessing."""
    error = raised(lambda: Tcp("db.example.test", port=5432, zzzzzz=1))
    assert "unknown key 'zzzzzz'" in str(error)
    assert error.hint is not None and error.hint.startswith("valid keys: ")
    assert {"host", "port", "after", "timeout"} <= set(error.hint[12:].split(", "))


def test_missing_and_wrong_values_name_the_key() -> None:
    """A missing required key and a value of the wrong shape both name the key."""
    missing = raised(lambda: Tcp("db.example.test"))
    assert str(missing).startswith("Tcp(): port: required key is missing")
    wrong = raised(lambda: Http("https://api.example.test/", max_latency="soon"))
    assert str(wrong).startswith("Http(): max_latency: 'soon' is not a duration")
    nested = raised(lambda: GcpCloudSqlPath("api", instance="db", via="carrier-pigeon"))
    assert "via" in str(nested)


def test_the_error_belongs_to_the_projects_tree_and_hides_pydantic() -> None:
    """CheckDefinitionError is a UsageError (exit 2), a ValueError, and says nothing of pydantic."""
    error = raised(lambda: Dns("api.example.test", typ="A"))
    assert isinstance(error, UsageError)
    assert isinstance(error, InfraVerifyError)
    assert isinstance(error, ValueError)
    assert "pydantic" not in str(error)
    assert error.__cause__ is None and error.__suppress_context__


def test_a_good_check_still_builds() -> None:
    """The same keys, spelled right, build the check (no error on the pass path)."""
    assert Dns("api.example.test", expect=["203.0.113.10"]).expect == ("203.0.113.10",)


def test_policy_and_code_give_the_same_hint(tmp_path: Path) -> None:
    """The policy loader and the code API share the did-you-mean (infra_verify/validation.py)."""
    policy = tmp_path / "local.yaml"
    policy.write_text(
        "environment: local\nchecks:\n"
        "  api: {kind: dns, name: api.example.test, expekt: [203.0.113.10]}\n"
    )
    with pytest.raises(PolicyError) as info:
        load_policy(policy)
    assert info.value.hint == raised(lambda: Dns("api.example.test", expekt=[])).hint
    assert info.value.key == "checks.api.expekt"
    assert info.value.line == 3


def test_bundle_with_a_wrong_key_raises_the_same_error() -> None:
    """bundles.cloud_run_behind_load_balancer(helth_path=...) says which key was meant."""
    from infra_verify import bundles

    error = raised(
        lambda: bundles.cloud_run_behind_load_balancer(
            hosts=["api.example.test"],
            ip="203.0.113.10",
            certificate="cert",
            forwarding_rule="fr",
            service="api",
            helth_path="/health",
        )
    )
    assert str(error).startswith("CloudRunHttps(): unknown key 'helth_path' (did you mean")
