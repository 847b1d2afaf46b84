"""gcp.dns_record's judge on plain data: DnsRecordObserved built by hand, no server, no DNS."""

from __future__ import annotations

from typing import Any

from infra_verify.checks.dns import ServerAnswer
from infra_verify.checks.gcp.dns_record import DnsRecordObserved, GcpDnsRecord
from infra_verify.model import Status

API = "api.staging.netrasystems.ai"
APP = "app.staging.netrasystems.ai"
LB_IP = "34.54.41.44"
NAME_SERVERS = [f"ns-cloud-a{i}.googledomains.com." for i in range(1, 5)]
ZONE: dict[str, Any] = {
    "kind": "dns#managedZone",
    "name": "staging-zone",
    "dnsName": "staging.netrasystems.ai.",
    "visibility": "public",
    "nameServers": NAME_SERVERS,
}
CHECK = GcpDnsRecord(zone="staging-zone", name=API, rrdatas=(LB_IP,))


def rrset(name: str, *rrdatas: str, type: str = "A") -> dict[str, Any]:
    """One Cloud DNS resourceRecordSet, as the REST API returns it."""
    return {
        "kind": "dns#resourceRecordSet",
        "name": f"{name}.",
        "type": type,
        "ttl": 300,
        "rrdatas": list(rrdatas),
    }


def ns(*servers: str, rcode: str = "NOERROR") -> tuple[ServerAnswer, ...]:
    """One resolver's answer to the zone's NS question."""
    return (ServerAnswer("10.0.0.53:53", "resolver", rcode, frozenset(servers), 3600),)


def observed(
    rrsets: dict[str, list[dict[str, Any]]],
    delegation: tuple[ServerAnswer, ...] | None = None,
    zone: dict[str, Any] | None = ZONE,
) -> DnsRecordObserved:
    """The observation of ``rrsets`` in the staging zone of project netra-staging."""
    return DnsRecordObserved("netra-staging", zone, rrsets, delegation)


def test_exact_rrdatas_and_delegation_pass() -> None:
    """Exactly the expected rrdatas, in a zone delegated to its name servers, PASS."""
    outcome = CHECK.judge(observed({API: [rrset(API, LB_IP)]}, ns(*NAME_SERVERS)))
    assert outcome.status is Status.PASS
    assert outcome.summary == (
        f"Cloud DNS zone staging-zone holds {API}/A → {LB_IP}, and the zone is delegated"
    )
    assert [(o.property, o.ok) for o in outcome.observations] == [
        (f"{API}. A", True),
        ("delegation (NS)", True),
    ]


def test_missing_record_fails_with_create_command() -> None:
    """A name with no record set FAILs as missing, with a record-sets create command."""
    outcome = CHECK.judge(observed({API: []}))
    assert outcome.status is Status.FAIL
    assert outcome.summary == (
        f"Cloud DNS zone staging-zone: A record missing for {API}. (expected {LB_IP})"
    )
    assert outcome.hint == (
        f"gcloud dns record-sets create {API}. --zone=staging-zone --type=A --ttl=300 "
        f"--rrdatas={LB_IP}"
    )
    assert outcome.observations[0].actual == "(no record set)"


def test_wrong_and_missing_records_fail_together() -> None:
    """One wrong and one missing name FAIL as "missing or wrong", with one command each."""
    check = GcpDnsRecord(zone="staging-zone", names=(API, APP), rrdatas=(LB_IP,))
    outcome = check.judge(observed({API: [rrset(API, "34.54.41.99")], APP: []}))
    assert outcome.status is Status.FAIL
    assert "A record missing or wrong for " in outcome.summary
    assert outcome.hint is not None
    assert f"record-sets create {APP}." in outcome.hint
    assert f"record-sets update {API}." in outcome.hint


def test_extra_rrdata_is_wrong() -> None:
    """A record set holding the expected value plus another is not exact: FAIL as wrong."""
    outcome = CHECK.judge(observed({API: [rrset(API, LB_IP, "10.0.0.1")]}))
    assert outcome.status is Status.FAIL
    assert "A record wrong for" in outcome.summary


def test_zone_delegated_elsewhere_fails_with_ns_hint() -> None:
    """A zone whose parent delegates to other name servers FAILs with the NS records to set."""
    outcome = CHECK.judge(observed({API: [rrset(API, LB_IP)]}, ns("ns1.other-dns.com.")))
    assert outcome.status is Status.FAIL
    assert outcome.summary == (
        "zone staging-zone (staging.netrasystems.ai.) is not delegated to its Cloud DNS name servers"
    )
    assert outcome.hint is not None and outcome.hint.endswith(" ".join(NAME_SERVERS))
    assert outcome.observations[-1].actual == "ns1.other-dns.com."


def test_undelegated_zone_answer_fails_with_the_answer() -> None:
    """An NXDOMAIN for the zone's NS FAILs showing the answer as the delegation seen."""
    outcome = CHECK.judge(observed({API: [rrset(API, LB_IP)]}, ns(rcode="NXDOMAIN")))
    assert outcome.status is Status.FAIL
    assert outcome.observations[-1].actual == "(NXDOMAIN)"


def test_no_resolver_answering_the_delegation_is_an_error() -> None:
    """When no resolver answered the NS question, the delegation is undecided: ERROR."""
    silent = ServerAnswer("10.0.0.53:53", "resolver", "TIMEOUT", detail="no answer within 1.0s")
    outcome = CHECK.judge(observed({API: []}, (silent,)))
    assert outcome.status is Status.ERROR
    assert outcome.summary == (
        "could not check the delegation of staging.netrasystems.ai.: no resolver answered "
        "(TIMEOUT: no answer within 1.0s)"
    )
    assert outcome.hint is not None and "check_delegation: false" in outcome.hint


def test_missing_zone_fails() -> None:
    """A zone that does not exist (404), or no zone for the DNS name, FAILs naming the project."""
    outcome = CHECK.judge(observed({}, zone=None))
    assert outcome.status is Status.FAIL
    assert outcome.summary == "managed zone staging-zone does not exist in project netra-staging"
    assert (
        outcome.hint is not None and "gcloud dns managed-zones create staging-zone" in outcome.hint
    )
    by_name = GcpDnsRecord(zone_dns_name="staging.netrasystems.ai", name=API, rrdatas=(LB_IP,))
    outcome = by_name.judge(observed({}, zone=None))
    assert outcome.status is Status.FAIL
    assert outcome.summary == (
        "no managed zone for staging.netrasystems.ai. in project netra-staging"
    )
    assert outcome.hint == "create the zone, or name it with 'zone:'"


def test_cname_chain_inside_the_zone_is_followed() -> None:
    """A CNAME to a zone name holding the expected A passes through the chain."""
    chain = DnsRecordObserved(
        "netra-staging",
        ZONE,
        {API: [rrset(API, f"{APP}.", type="CNAME")]},
        cnames={f"{APP}.": [rrset(APP, LB_IP)]},
    )
    outcome = GcpDnsRecord(
        zone="staging-zone", name=API, rrdatas=(LB_IP,), check_delegation=False
    ).judge(chain)
    assert outcome.status is Status.PASS


def test_weighted_routing_policy_items_hold_the_addresses() -> None:
    """A wrr record set passes when its items hold exactly the expected addresses."""
    wrr = {
        "name": f"{API}.",
        "type": "A",
        "routingPolicy": {"wrr": {"items": [{"weight": 1, "rrdatas": [LB_IP]}]}},
    }
    check = GcpDnsRecord(zone="staging-zone", name=API, rrdatas=(LB_IP,), routing="wrr")
    assert check.judge(observed({API: [wrr]})).status is Status.PASS
    outcome = check.judge(observed({API: [rrset(API, LB_IP)]}))
    assert outcome.status is Status.FAIL


def test_private_zone_is_a_terminal_fail_for_a_public_name() -> None:
    """A private zone is refused (terminal: waiting will not make it public)."""
    outcome = CHECK.judge(
        observed({API: [rrset(API, LB_IP)]}, zone={**ZONE, "visibility": "private"})
    )
    assert outcome.status is Status.FAIL and outcome.terminal
