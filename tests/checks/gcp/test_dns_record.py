"""gcp.dns_record: Cloud DNS record sets and the zone's delegation, read through google-cloud-dns."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra_verify.checks.gcp.dns_record import GcpDnsRecord
from infra_verify.model import Status
from infra_verify.testing.fake_gcp import FakeGcp
from tests.checks.gcp.world import (
    API,
    APP,
    AUTH,
    HEALTHY,
    HOSTS,
    LB_IP,
    NAME_SERVERS,
    PROJECT,
    ZONE,
    GcpWorld,
    record_path,
)
from tests.servers.dns_server import DnsServer

DOMAIN = "staging.netrasystems.ai"


def record(**changes: object) -> GcpDnsRecord:
    """The api A record check without the live delegation lookup, with changes."""
    fields: dict[str, object] = {
        "zone": "staging-zone",
        "name": API,
        "rrdatas": [LB_IP],
        "check_delegation": False,
    }
    fields.update(changes)
    return GcpDnsRecord.model_validate(fields)


@pytest.fixture
def parent_dns() -> Iterator[DnsServer]:
    """A DNS server answering the zone's NS query as the parent delegation would."""
    with DnsServer() as server:
        server.add_zone(DOMAIN)
        yield server


def test_record_with_exact_rrdatas_passes(gcp: GcpWorld) -> None:
    """A record set holding exactly the expected rrdatas passes and is shown per name."""
    result = gcp.run(record())
    assert result.status is Status.PASS, result.summary
    assert "staging-zone" in result.summary
    assert [(o.property, o.actual, o.ok) for o in result.observations] == [
        (f"{API}. A", LB_IP, True)
    ]


def test_several_names_pass_together(gcp: GcpWorld) -> None:
    """``names`` checks every listed record with the same type and rrdatas."""
    result = gcp.run(record(name=None, names=list(HOSTS)))
    assert result.status is Status.PASS, result.summary
    assert [o.property for o in result.observations] == [f"{h}. A" for h in HOSTS]


def test_missing_record_fails_with_create_command(gcp: GcpWorld) -> None:
    """A missing record set FAILs naming it, with a ``gcloud dns record-sets create`` hint."""
    gcp.fake.delete(record_path(API))
    result = gcp.run(record())
    assert result.status is Status.FAIL
    assert "missing" in result.summary and f"{API}." in result.summary
    assert result.hint == (
        f"gcloud dns record-sets create {API}. --zone=staging-zone --type=A --ttl=300 "
        f"--rrdatas={LB_IP}"
    )
    assert result.observations[0].actual == "(no record set)"


def test_wrong_rrdatas_fail_with_update_command(gcp: GcpWorld) -> None:
    """A record set with other rrdatas FAILs as wrong, with a ``record-sets update`` hint."""
    gcp.patch(record_path(AUTH), {"rrdatas": ["203.0.113.9"]})
    result = gcp.run(record(name=AUTH))
    assert result.status is Status.FAIL
    assert "wrong" in result.summary
    assert result.hint is not None
    assert result.hint.startswith(f"gcloud dns record-sets update {AUTH}. --zone=staging-zone")
    assert result.observations[0].actual == "203.0.113.9"


def test_extra_rrdata_is_not_exact(gcp: GcpWorld) -> None:
    """An additional address in the record set is a FAIL: rrdatas must match exactly."""
    gcp.patch(record_path(APP), {"rrdatas": [LB_IP, "34.54.41.45"]})
    result = gcp.run(record(name=APP))
    assert result.status is Status.FAIL
    assert result.observations[0].actual == f"{LB_IP}, 34.54.41.45"


def test_missing_and_wrong_names_are_both_fixed_by_the_hint(gcp: GcpWorld) -> None:
    """With one name missing and one wrong, the hint chains a create and an update."""
    gcp.fake.delete(record_path(API))
    gcp.patch(record_path(APP), {"rrdatas": ["203.0.113.9"]})
    result = gcp.run(record(name=None, names=list(HOSTS)))
    assert result.status is Status.FAIL
    assert "missing or wrong" in result.summary
    assert result.hint is not None
    assert f"record-sets create {API}." in result.hint
    assert f"record-sets update {APP}." in result.hint
    assert AUTH not in result.hint


def test_zone_found_by_dns_name(gcp: GcpWorld) -> None:
    """``zone_dns_name`` finds the managed zone by its DNS name."""
    result = gcp.run(record(zone=None, zone_dns_name=DOMAIN))
    assert result.status is Status.PASS, result.summary
    assert result.observations[0].where == "zone staging-zone"


def test_unknown_zone_dns_name_fails(gcp: GcpWorld) -> None:
    """No managed zone for the DNS name is a FAIL that says so (not an ERROR)."""
    result = gcp.run(record(zone=None, zone_dns_name="prod.netrasystems.ai"))
    assert result.status is Status.FAIL
    assert "no managed zone for prod.netrasystems.ai." in result.summary


def test_unknown_zone_name_is_a_fail_from_404(gcp: GcpWorld) -> None:
    """A zone name the API answers 404 for is a FAIL with a create-the-zone hint."""
    result = gcp.run(record(zone="prod-zone"))
    assert result.status is Status.FAIL
    assert "managed zone prod-zone does not exist" in result.summary
    assert result.hint is not None and "gcloud dns managed-zones create prod-zone" in result.hint


def test_zone_lookup_follows_pages_and_prefers_public(gcp: GcpWorld) -> None:
    """Across one-item pages, the public zone wins over a private zone with the same DNS name."""
    with FakeGcp(HEALTHY, page_size=1) as paged:
        world = GcpWorld(paged)
        private = {**HEALTHY[ZONE], "name": "a-private-zone", "visibility": "private"}
        world.put(f"dns/v1/projects/{PROJECT}/managedZones/a-private-zone", private)
        result = world.run(record(zone=None, zone_dns_name=DOMAIN))
        tokens = [r.query.get("pageToken") for r in paged.requests if r.path.endswith("Zones")]
    assert result.status is Status.PASS, result.summary
    assert result.observations[0].where == "zone staging-zone"
    assert tokens == [None, ["o1"]]


def test_delegation_to_the_zone_name_servers_passes(gcp: GcpWorld, parent_dns: DnsServer) -> None:
    """The parent's NS answer equal to the zone's nameServers passes as delegated."""
    parent_dns.set(DOMAIN, "NS", list(NAME_SERVERS))
    check = record(check_delegation=True, delegation_resolvers=[parent_dns.resolver])
    result = gcp.run(check)
    assert result.status is Status.PASS, result.summary
    assert "delegated" in result.summary
    delegation = result.observations[-1]
    assert delegation.property == "delegation (NS)" and delegation.ok
    assert delegation.where == parent_dns.resolver


def test_zone_delegated_elsewhere_fails_with_ns_hint(gcp: GcpWorld, parent_dns: DnsServer) -> None:
    """Other NS at the parent FAIL as "not delegated" with the Cloud DNS name servers to set."""
    parent_dns.set(DOMAIN, "NS", ["ns1.old-registrar.example.", "ns2.old-registrar.example."])
    check = record(check_delegation=True, delegation_resolvers=[parent_dns.resolver])
    result = gcp.run(check)
    assert result.status is Status.FAIL
    assert "not delegated" in result.summary
    assert result.hint is not None
    assert all(ns in result.hint for ns in NAME_SERVERS)
    assert "ns1.old-registrar.example." in (result.observations[-1].actual or "")
    assert result.observations[0].ok  # the record itself is fine


def test_undelegated_zone_answer_fails(gcp: GcpWorld, parent_dns: DnsServer) -> None:
    """A parent that knows nothing of the zone (REFUSED) is not a delegation: FAIL."""
    parent_dns.mode(DOMAIN, "refused")
    check = record(check_delegation=True, delegation_resolvers=[parent_dns.resolver])
    result = gcp.run(check)
    assert result.status is Status.FAIL
    assert "not delegated" in result.summary


def test_loopback_rrdata_fails_in_a_real_environment(gcp: GcpWorld) -> None:
    """Expecting 127.0.0.1 in environment "staging" FAILs (guard) unless loopback is allowed."""
    gcp.patch(record_path(API), {"rrdatas": ["127.0.0.1"]})
    check = record(rrdatas=["127.0.0.1"])
    guarded = gcp.run(check, environment="staging")
    assert guarded.status is Status.FAIL
    assert "loopback" in guarded.summary and guarded.terminal
    allowed = gcp.run(check, environment="staging", allow_loopback=True)
    assert allowed.status is Status.PASS, allowed.summary


# --- Cloud DNS as it stores records: visibility, CNAME chains, routing policies (issue 14) ------


def private_zone(gcp: GcpWorld) -> None:
    """Make the staging zone private (visible only to a VPC network)."""
    network = f"https://www.googleapis.com/compute/v1/projects/{PROJECT}/global/networks/netra-staging-vpc"
    gcp.patch(
        ZONE,
        {
            "visibility": "private",
            "privateVisibilityConfig": {"networks": [{"networkUrl": network}]},
        },
    )


def test_private_zone_is_refused_for_a_public_name(gcp: GcpWorld) -> None:
    """A private zone with the right record, check_delegation false: FAIL, not PASS."""
    private_zone(gcp)
    result = gcp.run(record())
    assert result.status is Status.FAIL
    assert result.summary.startswith("Cloud DNS zone staging-zone is private")
    assert [(o.property, o.expected, o.actual) for o in result.observations] == [
        ("zone visibility", "public", "private")
    ]


def test_private_zone_passes_when_the_policy_says_private(gcp: GcpWorld) -> None:
    """visibility: private accepts the private zone, and asks no resolver for its delegation."""
    private_zone(gcp)
    result = gcp.run(record(visibility="private", check_delegation=True))
    assert result.status is Status.PASS, result.summary


def test_public_zone_fails_when_the_policy_says_private(gcp: GcpWorld) -> None:
    """visibility: private on a public zone FAILs."""
    result = gcp.run(record(visibility="private"))
    assert result.status is Status.FAIL
    assert "is public, but the policy expects a private zone" in result.summary


def cname(gcp: GcpWorld, name: str, target: str) -> None:
    """Replace ``name``'s A record set with a CNAME to ``target``."""
    gcp.fake.delete(record_path(name))
    gcp.put(
        record_path(name, "CNAME"),
        {
            "kind": "dns#resourceRecordSet",
            "name": f"{name}.",
            "type": "CNAME",
            "ttl": 300,
            "rrdatas": [target],
        },
    )


def test_cname_to_the_name_holding_the_a_record_passes(gcp: GcpWorld) -> None:
    """api CNAME -> app (which holds the A record) passes, showing the chain."""
    cname(gcp, API, f"{APP}.")
    result = gcp.run(record())
    assert result.status is Status.PASS, result.summary
    assert result.observations[0].actual == f"{LB_IP} (via CNAME {API}. -> {APP}.)"


def test_cname_chain_to_a_wrong_address_updates_the_final_name(gcp: GcpWorld) -> None:
    """api CNAME -> auth CNAME -> app with a wrong A: FAIL; the hint updates app, not api."""
    cname(gcp, API, f"{AUTH}.")
    cname(gcp, AUTH, f"{APP}.")
    gcp.patch(record_path(APP), {"rrdatas": ["203.0.113.9"]})
    result = gcp.run(record())
    assert result.status is Status.FAIL
    assert result.hint == (
        f"gcloud dns record-sets update {APP}. --zone=staging-zone --type=A --ttl=300 "
        f"--rrdatas={LB_IP}"
    )


def test_cname_out_of_the_zone_fails_with_a_command_that_works(gcp: GcpWorld) -> None:
    """A CNAME leaving the zone is not followed: FAIL; the fix deletes the CNAME before create."""
    cname(gcp, API, "lb.example.net.")
    result = gcp.run(record())
    assert result.status is Status.FAIL
    assert "outside the zone" in (result.observations[0].actual or "")
    assert result.hint is not None and result.hint.startswith(
        f"gcloud dns record-sets delete {API}. --zone=staging-zone --type=CNAME && "
        f"gcloud dns record-sets create {API}."
    )


def geo(*items: tuple[str, list[str]]) -> dict[str, object]:
    """A geo routing-policy A record set for the api name (no rrdatas)."""
    return {
        "kind": "dns#resourceRecordSet",
        "name": f"{API}.",
        "type": "A",
        "ttl": 300,
        "routingPolicy": {
            "geo": {"items": [{"location": where, "rrdatas": ips} for where, ips in items]}
        },
    }


def test_geo_routing_policy_with_the_expected_addresses_passes(gcp: GcpWorld) -> None:
    """A geo record set (routingPolicy, no rrdatas) whose items hold the addresses passes."""
    gcp.put(record_path(API), geo(("us-central1", [LB_IP]), ("europe-west1", ["34.54.41.45"])))
    result = gcp.run(record(rrdatas=[LB_IP, "34.54.41.45"], routing="geo"))
    assert result.status is Status.PASS, result.summary
    assert result.observations[0].actual == f"{LB_IP}, 34.54.41.45 (routing policy geo)"


def test_routing_policy_missing_an_address_fails_with_an_update(gcp: GcpWorld) -> None:
    """A routing policy without an expected address FAILs; the fix updates the existing set."""
    gcp.put(record_path(API), geo(("us-central1", ["203.0.113.9"])))
    result = gcp.run(record())
    assert result.status is Status.FAIL
    assert result.hint is not None and result.hint.startswith(
        f"gcloud dns record-sets update {API}. --zone=staging-zone --type=A"
    )
    assert "--routing-policy-type=GEO" in result.hint


def test_routing_expectation_fails_on_a_plain_record_set(gcp: GcpWorld) -> None:
    """routing: wrr on a plain record set FAILs at the routing policy observation."""
    result = gcp.run(record(routing="wrr"))
    assert result.status is Status.FAIL
    bad = [(o.property, o.actual) for o in result.observations if not o.ok]
    assert bad == [(f"{API}. A", LB_IP), (f"{API}. routing policy", "(none)")]


def test_zone_in_a_dns_hub_project_is_read_there(gcp: GcpWorld) -> None:
    """zone: projects/HUB/managedZones/NAME reads the zone and its records in the hub project."""
    hub = ZONE.replace(PROJECT, "netra-dns-hub")
    gcp.put(hub, HEALTHY[ZONE])
    gcp.put(f"{hub}/rrsets/{API}./A", HEALTHY[record_path(API)])
    result = gcp.run(record(zone="projects/netra-dns-hub/managedZones/staging-zone"))
    assert result.status is Status.PASS, result.summary
    assert gcp.requests_to(hub) == 2
    assert gcp.run(record(project="netra-dns-hub")).status is Status.PASS


def test_malformed_zone_name_is_refused_at_load() -> None:
    """A zone path of another collection is a validation error (a policy error at load)."""
    with pytest.raises(ValueError, match="names networks, not managedZones"):
        record(zone="projects/p/global/networks/x")
