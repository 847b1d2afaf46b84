"""The dns check against a real knotd and a fault-injecting DnsServer, through the Gate."""

from __future__ import annotations

import gc
import warnings

import pytest

from infra_verify.checks.dns import Dns, DnsObserved, RecordType, ServerAnswer
from infra_verify.context import CheckContext
from infra_verify.gate import Gate
from infra_verify.model import Result, Status
from tests.servers.dns_server import DnsServer
from tests.servers.knot import KnotServer, zone

ORIGIN = "example.test"
RECORDS = [
    "www A 127.0.0.1",
    "www AAAA ::1",
    "api CNAME www",
    '@ TXT "v=spf1 -all"',
    '@ CAA 0 issue "pki.goog"',
]


def run_one(
    check: Dns, *resolvers: str, environment: str = "test", allow_loopback: bool = False
) -> Result:
    """Run one check through a Gate (real error mapping) and return its result."""
    context = CheckContext(
        environment=environment, timeout=1.0, resolvers=resolvers, allow_loopback=allow_loopback
    )
    return Gate([check], context=context).run().results[0]


@pytest.fixture
def served(knot: KnotServer) -> KnotServer:
    """The knot fixture serving example.test with RECORDS."""
    knot.set_zone(ORIGIN, zone(ORIGIN, RECORDS))
    return knot


# -- pass ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "rdtype", "expect", "shown"),
    [
        ("www.example.test", "A", ("127.0.0.1",), "127.0.0.1 (ttl 60)"),
        ("www.example.test", "AAAA", ("0:0::1",), "::1 (ttl 60)"),
        ("api.example.test", "CNAME", ("WWW.example.test",), "www.example.test. (ttl 60)"),
        ("api.example.test", "A", ("127.0.0.1",), "127.0.0.1 (ttl 60)"),
        ("example.test", "TXT", ("v=spf1 -all",), '"v=spf1 -all" (ttl 60)'),
        ("example.test", "CAA", ('0 issue "pki.goog"',), '0 issue "pki.goog" (ttl 60)'),
        ("example.test", "CAA", ("0 issue pki.goog",), '0 issue "pki.goog" (ttl 60)'),
    ],
)
def test_expected_records_pass_and_show_ttl(
    served: KnotServer, name: str, rdtype: RecordType, expect: tuple[str, ...], shown: str
) -> None:
    """A, AAAA, CNAME (and A through a CNAME), TXT and CAA pass; the observation shows the TTL."""
    result = run_one(Dns(name=name, type=rdtype, expect=expect), served.resolver)
    assert result.status is Status.PASS, result.summary
    (obs,) = result.observations
    assert obs.ok
    assert obs.actual == shown
    assert obs.where == served.resolver
    assert "(ttl 60)" in result.summary


def test_empty_expect_accepts_any_answer(served: KnotServer) -> None:
    """With no expect, any non-empty answer passes."""
    result = run_one(Dns(name="www.example.test"), served.resolver)
    assert result.status is Status.PASS
    assert result.observations[0].expected == "any record"


def test_check_resolvers_override_context_resolvers(served: KnotServer, silent_udp: str) -> None:
    """The check's own resolvers win over the context's (which here would time out)."""
    check = Dns(name="www.example.test", expect=("127.0.0.1",), resolvers=(served.resolver,))
    result = run_one(check, silent_udp)
    assert result.status is Status.PASS
    assert [o.where for o in result.observations] == [served.resolver]


# -- fail ---------------------------------------------------------------------------------


def test_wrong_answer_names_got_and_expected(served: KnotServer) -> None:
    """A wrong A record FAILs and the summary names both the answer and the expectation."""
    result = run_one(Dns(name="www.example.test", expect=("127.0.0.2",)), served.resolver)
    assert result.status is Status.FAIL
    assert "127.0.0.1 (ttl 60)" in result.summary
    assert "expected 127.0.0.2" in result.summary
    (obs,) = result.observations
    assert (obs.expected, obs.actual, obs.ok) == ("127.0.0.2", "127.0.0.1 (ttl 60)", False)


def test_partial_answer_set_is_a_wrong_answer(served: KnotServer) -> None:
    """The expected values are compared as a set: a missing extra value FAILs."""
    result = run_one(
        Dns(name="www.example.test", expect=("127.0.0.1", "127.0.0.3")), served.resolver
    )
    assert result.status is Status.FAIL
    assert "expected 127.0.0.1, 127.0.0.3" in result.summary


def test_nxdomain_is_named_in_the_summary(served: KnotServer) -> None:
    """A name that does not exist FAILs as NXDOMAIN, not as NODATA."""
    result = run_one(Dns(name="nope.example.test", expect=("127.0.0.1",)), served.resolver)
    assert result.status is Status.FAIL
    assert "NXDOMAIN" in result.summary
    assert "NODATA" not in result.summary
    assert result.observations[0].actual == "NXDOMAIN"


def test_nodata_is_distinguished_from_nxdomain(served: KnotServer) -> None:
    """An existing name without the asked type FAILs as NODATA, not as NXDOMAIN."""
    result = run_one(Dns(name="example.test", type="AAAA"), served.resolver)
    assert result.status is Status.FAIL
    assert "NODATA" in result.summary
    assert "NXDOMAIN" not in result.summary
    assert "no AAAA record" in result.summary


def test_nxdomain_hint_creates_the_record(served: KnotServer) -> None:
    """For a missing record the hint is a runnable ``gcloud dns record-sets create``."""
    check = Dns(name="nope.example.test", expect=("34.54.41.44",), zone="staging-zone", ttl=120)
    result = run_one(check, served.resolver)
    assert result.status is Status.FAIL
    assert result.hint == (
        "gcloud dns record-sets create nope.example.test. --zone=staging-zone --type=A "
        "--ttl=120 --rrdatas=34.54.41.44"
    )


def test_wrong_value_hint_updates_the_record(served: KnotServer) -> None:
    """For a wrong value the hint is ``gcloud dns record-sets update``, not create."""
    result = run_one(Dns(name="www.example.test", expect=("34.54.41.44",)), served.resolver)
    assert result.status is Status.FAIL
    assert result.hint is not None
    assert result.hint.startswith("gcloud dns record-sets update www.example.test. ")
    assert "--rrdatas=34.54.41.44" in result.hint


def test_authoritative_nameserver_pass(served: KnotServer) -> None:
    """authoritative=True with nameservers=[knot] asks knot without RD and passes."""
    check = Dns(
        name="www.example.test",
        expect=("127.0.0.1",),
        authoritative=True,
        nameservers=(served.resolver,),
    )
    result = run_one(check, served.resolver)
    assert result.status is Status.PASS, result.summary
    assert [o.property for o in result.observations] == ["resolver answer", "authoritative answer"]
    assert "at 2 server(s)" in result.summary


def test_authoritative_servers_discovered_through_ns(served: KnotServer) -> None:
    """authoritative=True without nameservers follows the zone's NS + glue back to knot."""
    check = Dns(
        name="www.example.test",
        expect=("127.0.0.1",),
        authoritative=True,
        nameserver_port=served.port,
    )
    result = run_one(check, served.resolver)
    assert result.status is Status.PASS, result.summary
    assert [(o.property, o.where) for o in result.observations] == [
        ("resolver answer", served.resolver),
        ("authoritative answer", served.resolver),
    ]


def test_authoritative_discovery_without_ns_is_an_error(served: KnotServer) -> None:
    """When no NS records can be found above the name: ERROR, and no coroutine left unawaited."""
    check = Dns(name="www.elsewhere.test", authoritative=True, nameserver_port=served.port)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_one(check, served.resolver)
        gc.collect()
    assert result.status is Status.ERROR
    # Walking up to the root takes several queries; on a loaded machine one may time out first.
    assert (
        result.summary == "no NS records found above www.elsewhere.test"
        or result.summary.startswith(
            "could not discover the authoritative servers of www.elsewhere.test"
        )
    )
    assert result.hint is not None and "nameservers:" in result.hint
    assert not [w for w in caught if "never awaited" in str(w.message)]


def test_two_authoritative_servers_disagree(served: KnotServer, second_knot: KnotServer) -> None:
    """Two servers with different answers FAIL with 'disagree', naming both views."""
    second_knot.set_zone(ORIGIN, zone(ORIGIN, ["www A 127.0.0.9"]))
    check = Dns(
        name="www.example.test",
        expect=("127.0.0.1",),
        nameservers=(served.resolver, second_knot.resolver),
    )
    result = run_one(check, served.resolver)
    assert result.status is Status.FAIL
    assert "disagree" in result.summary
    assert f"{second_knot.resolver} says 127.0.0.9" in result.summary
    assert [o.ok for o in result.observations] == [True, True, False]


def test_nxdomain_at_one_server_is_disagreement(served: KnotServer, fake_dns: DnsServer) -> None:
    """One server answering and another saying NXDOMAIN is a disagreement too."""
    fake_dns.add_zone(ORIGIN)
    check = Dns(name="www.example.test", expect=("127.0.0.1",), nameservers=(fake_dns.resolver,))
    result = run_one(check, served.resolver)
    assert result.status is Status.FAIL
    assert "disagree" in result.summary
    assert "NXDOMAIN" in result.summary


def test_wrong_name_answer_is_not_accepted(fake_dns: DnsServer) -> None:
    """An answer owned by another name than the one asked is not taken as the answer."""
    fake_dns.set("www.example.test", "A", ("127.0.0.1",))
    fake_dns.mode("www.example.test", "wrong_name")
    result = run_one(Dns(name="www.example.test", expect=("127.0.0.1",)), fake_dns.resolver)
    assert result.status is Status.FAIL
    assert "WRONG_NAME" in result.summary
    assert "wrong-name.www.example.test" in str(result.observations[0].actual)


def test_servfail_is_a_fail(fake_dns: DnsServer) -> None:
    """SERVFAIL is FAIL: the server answered, and its answer is that the name cannot be served.

    A resolver's SERVFAIL means the zone is broken from the world's point of view (lame
    delegation, broken DNSSEC, unreachable authoritative servers): the deployment is wrong,
    so the check decided; it is not an ERROR of the check itself.
    """
    fake_dns.set("www.example.test", "A", ("127.0.0.1",))
    fake_dns.mode("www.example.test", "servfail")
    result = run_one(Dns(name="www.example.test", expect=("127.0.0.1",)), fake_dns.resolver)
    assert result.status is Status.FAIL
    assert "SERVFAIL" in result.summary
    assert result.observations[0].actual == "SERVFAIL"


def test_refused_is_an_error(fake_dns: DnsServer) -> None:
    """REFUSED is ERROR: the server declined to answer us, so nothing was learned about the name.

    REFUSED says something about the server's policy towards this client (an ACL, a server
    that is not authoritative and does not recurse), not about the record, so the check
    could not decide and reports that the resolver must be fixed.
    """
    fake_dns.set("www.example.test", "A", ("127.0.0.1",))
    fake_dns.mode("www.example.test", "refused")
    result = run_one(Dns(name="www.example.test", expect=("127.0.0.1",)), fake_dns.resolver)
    assert result.status is Status.ERROR
    assert "no DNS server answered" in result.summary
    assert "REFUSED" in result.summary
    assert result.hint is not None and "resolvers" in result.hint


def test_truncated_udp_answer_falls_back_to_tcp(fake_dns: DnsServer) -> None:
    """A UDP answer with TC set is retried over TCP and the full answer passes."""
    fake_dns.set(
        "big.example.test",
        "A",
        (
            "127.0.0.1",
            "127.0.0.2",
        ),
    )
    fake_dns.mode("big.example.test", "truncate")
    check = Dns(name="big.example.test", expect=("127.0.0.2", "127.0.0.1"))
    result = run_one(check, fake_dns.resolver)
    assert result.status is Status.PASS, result.summary
    assert result.observations[0].actual == "127.0.0.1, 127.0.0.2 (ttl 300)"


def test_zone_change_is_seen_by_the_next_run(served: KnotServer) -> None:
    """No cache: after the zone changes, the second gate run sees the new record."""
    check = Dns(name="new.example.test", expect=("127.0.0.5",))
    first = run_one(check, served.resolver)
    assert first.status is Status.FAIL
    assert "NXDOMAIN" in first.summary
    served.set_zone(ORIGIN, zone(ORIGIN, [*RECORDS, "new A 127.0.0.5"]))
    second = run_one(check, served.resolver)
    assert second.status is Status.PASS, second.summary


# -- error --------------------------------------------------------------------------------


def test_silent_resolver_is_an_error_within_the_timeout(silent_udp: str) -> None:
    """A resolver that never answers gives ERROR (TIMEOUT) at the 1 s timeout, not a hang."""
    result = run_one(Dns(name="www.example.test", expect=("127.0.0.1",)), silent_udp)
    assert result.status is Status.ERROR
    assert "TIMEOUT" in result.summary
    assert result.observations[0].actual is not None
    assert result.observations[0].actual.startswith("TIMEOUT")


def test_dropping_server_is_an_error(fake_dns: DnsServer) -> None:
    """DnsServer in 'drop' mode (no reply at all) gives ERROR, not FAIL."""
    fake_dns.set("www.example.test", "A", ("127.0.0.1",))
    fake_dns.mode("www.example.test", "drop")
    result = run_one(Dns(name="www.example.test", expect=("127.0.0.1",)), fake_dns.resolver)
    assert result.status is Status.ERROR
    assert "TIMEOUT" in result.summary


def test_one_silent_server_with_a_right_answer_is_an_error(
    served: KnotServer, silent_udp: str
) -> None:
    """One right answer plus one silent server: ERROR (undecided), not a bogus wrong answer."""
    check = Dns(name="www.example.test", expect=("127.0.0.1",), nameservers=(silent_udp,))
    result = run_one(check, served.resolver)
    assert result.status is Status.ERROR
    assert silent_udp in result.summary
    assert "127.0.0.1 (ttl 60) as expected" in result.summary
    assert "1 server(s) did not answer" in result.summary
    assert [o.ok for o in result.observations] == [True, False]


def test_one_silent_server_with_a_wrong_answer_is_a_fail(
    served: KnotServer, silent_udp: str
) -> None:
    """One wrong answer plus one silent server: the wrong answer decides (FAIL)."""
    check = Dns(name="www.example.test", expect=("127.0.0.2",), nameservers=(silent_udp,))
    result = run_one(check, served.resolver)
    assert result.status is Status.FAIL
    assert "expected 127.0.0.2" in result.summary
    assert "1 other server(s) did not answer" in result.summary


# -- loopback guard -----------------------------------------------------------------------


def test_loopback_expectation_fails_in_staging(served: KnotServer) -> None:
    """In a real environment, expecting 127.0.0.1 FAILs on the loopback guard."""
    result = run_one(
        Dns(name="www.example.test", expect=("127.0.0.1",)), served.resolver, environment="staging"
    )
    assert result.status is Status.FAIL
    assert "loopback" in result.summary
    assert "staging" in result.summary


def test_loopback_allowed_in_staging_with_allow_loopback(served: KnotServer) -> None:
    """allow_loopback=True lifts the guard and the real answer passes."""
    result = run_one(
        Dns(name="www.example.test", expect=("127.0.0.1",)),
        served.resolver,
        environment="staging",
        allow_loopback=True,
    )
    assert result.status is Status.PASS, result.summary


# -- judge on plain data ------------------------------------------------------------------


def test_judge_all_agree_passes() -> None:
    """Two servers with the expected set PASS and the summary shows the first answer."""
    check = Dns(name="api.example.com", expect=("34.54.41.44",))
    answers = [
        ServerAnswer("8.8.8.8", "resolver", "NOERROR", frozenset({"34.54.41.44"}), 300),
        ServerAnswer("ns1", "authoritative", "NOERROR", frozenset({"34.54.41.44"}), 300),
    ]
    outcome = check.judge(DnsObserved(tuple(answers)))
    assert outcome.status is Status.PASS
    assert outcome.summary == "api.example.com A → 34.54.41.44 (ttl 300) at 2 server(s)"


def test_judge_disagreement() -> None:
    """Different answers from two servers FAIL as a disagreement with a propagation hint."""
    check = Dns(name="api.example.com", expect=("34.54.41.44",))
    answers = [
        ServerAnswer("8.8.8.8", "resolver", "NOERROR", frozenset({"10.0.0.1"}), 300),
        ServerAnswer("ns1", "authoritative", "NOERROR", frozenset({"34.54.41.44"}), 300),
    ]
    outcome = check.judge(DnsObserved(tuple(answers)))
    assert outcome.status is Status.FAIL
    assert "servers disagree" in outcome.summary
    assert outcome.hint is not None and "TTL" in outcome.hint


def test_judge_same_wrong_answer_everywhere_is_not_disagreement() -> None:
    """The same wrong answer at every server is a wrong answer, not a disagreement."""
    check = Dns(name="api.example.com", expect=("34.54.41.44",), zone="z")
    answers = [
        ServerAnswer("a", "resolver", "NOERROR", frozenset({"10.0.0.1"}), 60),
        ServerAnswer("b", "resolver", "NOERROR", frozenset({"10.0.0.1"}), 60),
    ]
    outcome = check.judge(DnsObserved(tuple(answers)))
    assert outcome.status is Status.FAIL
    assert "disagree" not in outcome.summary
    assert "expected 34.54.41.44" in outcome.summary
    assert outcome.hint is not None and "record-sets update" in outcome.hint


def test_judge_nxdomain_and_nodata_summaries() -> None:
    """NXDOMAIN and NODATA (NOERROR without values) give distinct summaries."""
    check = Dns(name="api.example.com", expect=("34.54.41.44",))
    nx = check.judge(DnsObserved((ServerAnswer("a", "resolver", "NXDOMAIN"),)))
    nodata = check.judge(DnsObserved((ServerAnswer("a", "resolver", "NOERROR"),)))
    assert nx.status is nodata.status is Status.FAIL
    assert "NXDOMAIN" in nx.summary and "NODATA" not in nx.summary
    assert "NODATA" in nodata.summary and "NXDOMAIN" not in nodata.summary
    assert nx.hint is not None and "record-sets create" in nx.hint


def test_judge_only_timeouts_is_an_error() -> None:
    """Only TIMEOUT/UNREACHABLE/REFUSED answers mean no server answered: ERROR."""
    check = Dns(name="api.example.com")
    outcome = check.judge(
        DnsObserved(
            (
                ServerAnswer("a", "resolver", "TIMEOUT", detail="no answer within 0.8s"),
                ServerAnswer("b", "resolver", "UNREACHABLE", detail="OSError"),
                ServerAnswer("c", "resolver", "REFUSED"),
            )
        )
    )
    assert outcome.status is Status.ERROR
    assert outcome.summary == (
        "api.example.com A: no DNS server answered (a: TIMEOUT: no answer within 0.8s)"
    )
    assert [o.ok for o in outcome.observations] == [False, False, False]


def test_judge_servfail_decides() -> None:
    """SERVFAIL counts as an answer (FAIL), even next to a timeout."""
    check = Dns(name="api.example.com")
    outcome = check.judge(
        DnsObserved(
            (ServerAnswer("a", "resolver", "SERVFAIL"), ServerAnswer("b", "resolver", "TIMEOUT"))
        )
    )
    assert outcome.status is Status.FAIL
    assert outcome.summary.startswith("api.example.com A: SERVFAIL at a")
    assert "1 other server(s) did not answer" in outcome.summary


def test_judge_normalizes_expected_values() -> None:
    """Expected CNAME/TXT/AAAA values are normalized before the set comparison."""
    cname = Dns(name="www.example.com", type="CNAME", expect=("LB.Example.com",))
    txt = Dns(name="example.com", type="TXT", expect=("v=spf1 -all",))
    aaaa = Dns(name="example.com", type="AAAA", expect=("2001:DB8:0::1",))
    for check, value in (
        (cname, "lb.example.com."),
        (txt, '"v=spf1 -all"'),
        (aaaa, "2001:db8::1"),
    ):
        answer = ServerAnswer("a", "resolver", "NOERROR", frozenset({value}), 60)
        outcome = check.judge(DnsObserved((answer,)))
        assert outcome.status is Status.PASS, outcome.summary
