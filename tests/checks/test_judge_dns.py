"""The dns check's judge on plain data: DnsObserved built by hand, no server, no network."""

from __future__ import annotations

import pytest

from infra_verify.checks.dns import Dns, DnsObserved, ServerAnswer
from infra_verify.model import Status

NAME = "api.example.com"
CHECK = Dns(name=NAME, expect=("34.54.41.44",), zone="prod")


def ok(server: str, role: str = "resolver", value: str = "34.54.41.44") -> ServerAnswer:
    """A NOERROR answer with one value and a 300 s TTL."""
    return ServerAnswer(server, role, "NOERROR", frozenset({value}), 300)


def judge(*answers: ServerAnswer, check: Dns = CHECK) -> tuple[Status, str, str | None]:
    """Judge the answers; return status, summary and hint."""
    outcome = check.judge(DnsObserved(answers))
    return outcome.status, outcome.summary, outcome.hint


def test_every_server_with_the_expected_set_passes() -> None:
    """Resolvers and authoritative servers all giving the expected set PASS."""
    status, summary, _ = judge(ok("8.8.8.8"), ok("ns1", "authoritative"))
    assert status is Status.PASS
    assert summary == f"{NAME} A → 34.54.41.44 (ttl 300) at 2 server(s)"


def test_without_expect_any_record_passes() -> None:
    """With no expected values, any non-empty answer passes."""
    status, _, _ = judge(ok("a", value="10.9.8.7"), check=Dns(name=NAME))
    assert status is Status.PASS


@pytest.mark.parametrize(
    ("answer", "summary_part", "hint_part"),
    [
        (ok("a", value="10.0.0.1"), "→ 10.0.0.1 (ttl 300) at a, expected 34.54.41.44", "update"),
        (
            ServerAnswer("a", "resolver", "NXDOMAIN"),
            "NXDOMAIN at a (the name does not exist)",
            "create",
        ),
        (ServerAnswer("a", "resolver", "NOERROR"), "NODATA at a", "create"),
        (ServerAnswer("a", "resolver", "SERVFAIL"), "SERVFAIL at a", "create"),
        (
            ServerAnswer("a", "resolver", "CNAME_LOOP", detail="x. → y. → x."),
            "CNAME loop at a (x. → y. → x.)",
            "point one CNAME",
        ),
    ],
)
def test_a_wrong_or_negative_answer_fails(
    answer: ServerAnswer, summary_part: str, hint_part: str
) -> None:
    """A wrong address, NXDOMAIN, NODATA, SERVFAIL or a CNAME loop FAILs naming it."""
    status, summary, hint = judge(answer)
    assert status is Status.FAIL
    assert summary_part in summary
    assert hint is not None and hint_part in hint


def test_wrong_answer_hint_is_a_runnable_update_command() -> None:
    """A wrong record gets the gcloud command that updates it, with zone, TTL and values."""
    _, _, hint = judge(ok("a", value="10.0.0.1"))
    assert hint == (
        f"gcloud dns record-sets update {NAME}. --zone=prod --type=A --ttl=300 "
        "--rrdatas=34.54.41.44"
    )


def test_resolvers_disagreeing_fail_as_propagation() -> None:
    """Two servers with different answers FAIL as a disagreement, each view shown."""
    status, summary, hint = judge(ok("8.8.8.8", value="10.0.0.1"), ok("ns1", "authoritative"))
    assert status is Status.FAIL
    assert "servers disagree (propagation in progress?)" in summary
    assert "8.8.8.8 says 10.0.0.1 (ttl 300); ns1 says 34.54.41.44 (ttl 300)" in summary
    assert hint is not None and "TTL" in hint


def test_a_negative_answer_next_to_a_silent_server_fails_and_says_so() -> None:
    """NXDOMAIN decides even when another server timed out; the summary counts the silent one."""
    status, summary, _ = judge(
        ServerAnswer("a", "resolver", "NXDOMAIN"), ServerAnswer("b", "resolver", "TIMEOUT")
    )
    assert status is Status.FAIL
    assert summary.endswith("; 1 other server(s) did not answer")


def test_expected_answer_but_a_silent_server_is_an_error() -> None:
    """Every server that answered is right, but one stayed silent: ERROR (not yet decided)."""
    status, summary, _ = judge(ok("a"), ServerAnswer("b", "resolver", "UNREACHABLE", detail="x"))
    assert status is Status.ERROR
    assert "as expected, but 1 server(s) did not answer (b: UNREACHABLE: x)" in summary


def test_no_server_answering_is_an_error() -> None:
    """Only timeouts and refusals: no server answered, ERROR."""
    status, summary, _ = judge(
        ServerAnswer("a", "resolver", "TIMEOUT", detail="no answer within 0.9s"),
        ServerAnswer("b", "resolver", "REFUSED"),
    )
    assert status is Status.ERROR
    assert summary == f"{NAME} A: no DNS server answered (a: TIMEOUT: no answer within 0.9s)"
