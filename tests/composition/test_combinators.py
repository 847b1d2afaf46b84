"""all_of / any_of: one result with every member's evidence; pass, fail and error members."""

from __future__ import annotations

import pytest

from infra_verify import CheckContext, CheckDefinitionError, Gate, Result, Status, all_of, any_of
from infra_verify.check import Check
from infra_verify.checks import Dns, Http
from infra_verify.combinators import AllOf, AnyOf
from tests.servers.web_server import WebServer


def _run(check: Check, environment: str = "test", **ctx: object) -> Result:
    """Run one check through a real gate (guards, timeouts, error mapping)."""
    context = CheckContext(environment=environment, timeout=1.0, **ctx)  # type: ignore[arg-type]
    return Gate([check], context=context).run().results[0]


@pytest.fixture
def members(web: WebServer, closed_port: int) -> dict[str, Http]:
    """A passing, a failing (404) and an erroring (connection refused) HTTP member."""
    return {
        "up": Http(web.url("/health"), id="up"),
        "wrong": Http(web.url("/missing"), id="wrong"),
        "down": Http(f"http://127.0.0.1:{closed_port}/health", id="down"),
    }


def test_all_of_passes_when_every_member_passes(members: dict[str, Http]) -> None:
    """all_of(pass, pass) is PASS, with each member's evidence prefixed by its id."""
    twin = members["up"].model_copy(update={"id": "up2"})
    r = _run(all_of(members["up"], twin, id="both"))
    assert (r.id, r.kind, r.status) == ("both", "all_of", Status.PASS)
    assert r.summary == "all 2 passed"
    props = [o.property for o in r.observations]
    assert props == ["up", "up: status", "up2", "up2: status"]
    assert r.observations[0].actual is not None and r.observations[0].actual.startswith("pass:")


def test_all_of_fails_with_the_failing_members_evidence(members: dict[str, Http]) -> None:
    """all_of(pass, fail) is FAIL naming the failing member, and keeps both members' evidence."""
    r = _run(all_of(members["up"], members["wrong"], id="both"))
    assert r.status is Status.FAIL
    assert r.summary.startswith("1 of 2 failed: wrong: GET")
    assert "404" in r.summary
    bad = [o for o in r.observations if not o.ok]
    assert [o.property for o in bad] == ["wrong", "wrong: status"]
    assert bad[1].actual == "404 Not Found"


def test_all_of_failure_wins_over_an_error(members: dict[str, Http]) -> None:
    """all_of(error, fail) is FAIL: one broken link decides even if another member errored."""
    r = _run(all_of(members["down"], members["wrong"], id="both"))
    assert r.status is Status.FAIL
    assert "wrong" in r.summary


def test_all_of_errors_when_a_member_cannot_decide(members: dict[str, Http]) -> None:
    """all_of(pass, error) is ERROR (not FAIL): the erroring member could not decide."""
    r = _run(all_of(members["up"], members["down"], id="both"))
    assert r.status is Status.ERROR
    assert r.summary.startswith("1 of 2 could not decide: down:")
    assert "could not connect" in r.summary


def test_any_of_passes_with_one_passing_member(members: dict[str, Http]) -> None:
    """any_of(fail, pass) is PASS; the failing alternative's evidence is still in the result."""
    r = _run(any_of(members["wrong"], members["up"], id="either"))
    assert (r.kind, r.status) == ("any_of", Status.PASS)
    assert r.summary.startswith("1 of 2 passed: up:")
    assert any(o.property == "wrong: status" and not o.ok for o in r.observations)
    assert r.warnings == ()


def test_any_of_error_member_beside_a_pass_is_a_pass_with_a_warning(
    members: dict[str, Http],
) -> None:
    """any_of(error, pass) is PASS, and the error is carried as a warning naming the member."""
    r = _run(any_of(members["down"], members["up"], id="either"))
    assert r.status is Status.PASS
    assert len(r.warnings) == 1
    assert r.warnings[0].startswith("down could not decide (ignored, up passed):")


def test_any_of_fails_when_every_member_fails(members: dict[str, Http]) -> None:
    """any_of(fail, fail) is FAIL with every member's evidence."""
    other = members["wrong"].model_copy(update={"id": "wrong2"})
    r = _run(any_of(members["wrong"], other, id="either"))
    assert r.status is Status.FAIL
    assert r.summary.startswith("none of 2 passed: wrong: ")
    assert "wrong2: " in r.summary
    assert {o.property for o in r.observations if not o.ok} >= {"wrong", "wrong2"}


def test_any_of_with_no_pass_and_an_error_is_an_error(members: dict[str, Http]) -> None:
    """any_of(fail, error) is ERROR, not FAIL: the erroring alternative might have passed."""
    r = _run(any_of(members["wrong"], members["down"], id="either"))
    assert r.status is Status.ERROR
    assert r.summary.startswith("none of 2 passed and 1 could not decide")


def test_members_keep_the_loopback_guard(web: WebServer) -> None:
    """In a real environment a loopback member FAILs by the guard, unless allow_loopback."""
    check = any_of(Http(web.url("/health"), id="up"), id="either")
    assert _run(check, "staging").status is Status.FAIL
    assert _run(check, "staging", allow_loopback=True).status is Status.PASS


def test_combinators_nest(members: dict[str, Http]) -> None:
    """all_of(pass, any_of(fail, pass)) is PASS; evidence keeps the nested ids."""
    inner = any_of(members["wrong"], members["up"], id="inner")
    twin = members["up"].model_copy(update={"id": "up2"})
    r = _run(all_of(twin, inner, id="outer"))
    assert r.status is Status.PASS
    assert "inner: wrong: status" in [o.property for o in r.observations]


def test_combinator_depends_on_its_members_dependencies() -> None:
    """A combinator waits for its members' written and inferred dependencies, not for members."""
    dns = Dns("api.example.test", expect=["127.0.0.1"])
    combo = all_of(
        Http("https://api.example.test/health", after=["extra"]),
        Http("https://api.example.test/ready"),
        id="app",
    )
    extra = Dns("extra.example.test", id="extra")
    gate = Gate([dns, extra, combo], context=CheckContext(environment="test"))
    assert combo.after == ("extra",)
    assert set(gate.graph.hard["app"]) == {"extra", dns.id}


def test_combinator_validation() -> None:
    """A combinator needs members with distinct ids; the classes are AllOf and AnyOf."""
    with pytest.raises(CheckDefinitionError, match="at least one"):
        all_of(id="empty")
    same = Dns("a.example.test")
    with pytest.raises(CheckDefinitionError, match="share an id"):
        any_of(same, same, id="dup")
    assert isinstance(all_of(same), AllOf) and isinstance(any_of(same), AnyOf)
