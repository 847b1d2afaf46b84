"""Faults per probe that tests/checks does not already pin down, and invariants over all of them.

Already covered one by one (not repeated here):

- DNS: silent server, SERVFAIL, REFUSED, truncation -> TCP, wrong-name answers, authoritative
  servers that disagree (tests/checks/test_dns.py).
- TLS: silent, reset and close mid-handshake, plain HTTP on the TLS port, incomplete chain,
  chain in the wrong order, SNI name without a certificate (tests/checks/test_tls.py).
- HTTP: trickle, endless body, redirect loop, garbage, reset, close (tests/checks/test_http.py).
- WebSocket: bad 101, close right after the upgrade, silent (tests/checks/test_websocket.py).
- PostgreSQL: silent port, not PostgreSQL, wrong password (tests/checks/test_postgres.py).
- GCP: 401, 403, 429 then recovery, persistent 500, slow API, malformed JSON, zone pages
  (tests/checks/gcp/test_errors.py, tests/checks/gcp/test_dns_record.py, tests/gcp/).

Here: CNAME loops, every fault at once through one gate run (FAIL or ERROR, one-line summary,
within its timeout, never an internal error), 429 storms that never end, 500/503 bursts that
recover, and Cloud DNS record-set paging.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from infra_verify.check import Check
from infra_verify.checks.dns import Dns
from infra_verify.checks.gcp.dns_record import GcpDnsRecord
from infra_verify.checks.http import Http
from infra_verify.checks.postgres import Postgres
from infra_verify.checks.tls import Tls
from infra_verify.checks.websocket import WebSocket
from infra_verify.context import CheckContext
from infra_verify.gate import Gate
from infra_verify.model import Status
from infra_verify.testing.certs import CertFactory
from infra_verify.testing.fake_gcp import FOREVER, FakeGcp, Reply
from infra_verify.testing.fake_gcp_routes import Collection
from tests.checks.gcp.test_errors import FAMILIES
from tests.checks.gcp.world import API, HEALTHY, LB_IP, RRSETS, GcpWorld
from tests.servers.dns_server import DnsServer
from tests.servers.faulty import FaultyServer

from .conftest import run_one

BAD = (Status.FAIL, Status.ERROR)


# -- DNS: CNAME loops ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("records", "chain"),
    [
        (
            {"a.loop.test": "b.loop.test.", "b.loop.test": "a.loop.test."},
            "a.loop.test. → b.loop.test. → a.loop.test.",
        ),
        ({"a.loop.test": "a.loop.test."}, "a.loop.test. → a.loop.test."),
    ],
)
def test_cname_loop_fails_naming_the_chain(
    dns: DnsServer, records: Mapping[str, str], chain: str
) -> None:
    """A CNAME chain that loops back FAILs as a CNAME loop naming the chain, not as NODATA."""
    dns.add_zone("loop.test")
    for name, target in records.items():
        dns.set(name, "CNAME", [target])
    check = Dns(name="a.loop.test", expect=("192.0.2.1",), resolvers=(dns.resolver,))
    result = run_one(check, timeout=1.0)
    assert result.status is Status.FAIL, result.summary
    assert "CNAME loop" in result.summary and chain in result.summary
    assert result.hint is not None and "record-sets create" not in result.hint


def test_cname_chain_that_ends_in_a_record_still_passes(dns: DnsServer) -> None:
    """A plain CNAME chain (no loop) to an A record passes: loop detection is not too eager."""
    dns.add_zone("loop.test")
    dns.set("a.loop.test", "CNAME", ["b.loop.test."])
    dns.set("b.loop.test", "CNAME", ["c.loop.test."])
    dns.set("c.loop.test", "A", ["192.0.2.1"])
    check = Dns(name="a.loop.test", expect=("192.0.2.1",), resolvers=(dns.resolver,))
    assert run_one(check).status is Status.PASS


# -- every fault at once --------------------------------------------------------------------

TLS_FAULTS = ("silent", "reset", "close", "http_plain", "garbage")
HTTP_FAULTS = ("silent", "reset", "close", "garbage", "trickle", "redirect_loop")
WS_FAULTS = (
    "silent",
    "reset",
    "close",
    "garbage",
    "trickle",
    "endless",
    "redirect_loop",
    "ws_101_bad",
    "ws_close_after_upgrade",
)
PG_FAULTS = ("silent", "reset", "close", "garbage", "http_plain", "pg_not_postgres", "trickle")


@pytest.fixture(scope="module")
def faulty() -> Iterator[dict[str, FaultyServer]]:
    """One started FaultyServer per behaviour (plain TCP), shared by the module."""
    names = set(TLS_FAULTS + HTTP_FAULTS + WS_FAULTS + PG_FAULTS + ("endless",))
    servers = {name: FaultyServer(name, interval=0.2) for name in sorted(names)}  # type: ignore[arg-type]
    for server in servers.values():
        server.start()
    yield servers
    for server in servers.values():
        server.stop()


def _fault_matrix(servers: Mapping[str, FaultyServer], dns: DnsServer) -> list[Check]:
    checks: list[Check] = []
    for name in TLS_FAULTS:
        port = servers[name].port
        checks.append(Tls(id=f"tls-{name}", host="api.test.example", ip="127.0.0.1", port=port))
    for name in HTTP_FAULTS:
        url = servers[name].url("/health")
        checks.append(Http(id=f"http-{name}", url=url, follow_redirects=True))
    checks.append(
        Http(id="http-endless-body", url=servers["endless"].url("/"), body_contains="never there")
    )
    for name in WS_FAULTS:
        url = servers[name].url("/ws", scheme="ws")
        checks.append(WebSocket(id=f"ws-{name}", url=url, send="ping", expect_reply="ping"))
    for name in PG_FAULTS:
        port = servers[name].port
        checks.append(Postgres(id=f"pg-{name}", host="127.0.0.1", port=port))
    dns.add_zone("faults.test")
    for mode in ("servfail", "refused", "drop", "wrong_name", "truncate"):
        name = f"{mode}.faults.test"
        dns.set(name, "A", ["192.0.2.1"])
        dns.mode(name, mode)
        checks.append(Dns(id=f"dns-{mode}", name=name, expect=("192.0.2.2",)))
    return checks


def test_every_fault_at_once_is_fail_or_error_within_its_timeout(
    faulty: dict[str, FaultyServer], dns: DnsServer
) -> None:
    """Every probe against every misbehaving server, in one run: FAIL/ERROR, one line, and the
    run ends before its generous 60 s deadline (the gate's own clock: no check hung)."""
    timeout = 1.0
    checks = _fault_matrix(faulty, dns)
    ctx = CheckContext(environment="test", timeout=timeout, resolvers=(dns.resolver,))
    run = Gate(checks, context=ctx, deadline=60).run()
    problems = []
    for r in run.results:
        if r.status not in BAD:
            problems.append(f"{r.id}: {r.status} {r.summary}")
        if "\n" in r.summary or not r.summary.strip():
            problems.append(f"{r.id}: summary is not one line: {r.summary!r}")
        if "internal error" in r.summary:
            problems.append(f"{r.id}: crashed: {r.summary}")
    assert not problems, "\n".join(problems)
    assert len(run.results) == len(checks) and not run.deadline_reached


def test_tls_faults_with_a_certificate_then_misbehaving_are_fail_or_error(
    certs: CertFactory, tmp_path: Path
) -> None:
    """A server completing the TLS handshake, then going silent or resetting: no hang, no PASS."""
    cert = certs.valid("api.test.example")
    bundle = tmp_path / "ca.pem"
    certs.write_ca_bundle(bundle)
    servers = [
        FaultyServer(b, ssl_context=cert.server_context()) for b in ("silent", "reset", "trickle")
    ]
    for s in servers:
        s.start()
    try:
        checks: list[Check] = [
            Http(
                id=f"https-{s.behaviour}",
                url=f"https://api.test.example:{s.port}/",
                resolve="127.0.0.1",
                body_contains="never there",
            )
            for s in servers
        ]
        ctx = CheckContext(environment="test", timeout=1.0, ca_bundle=str(bundle))
        run = Gate(checks, context=ctx).run()
    finally:
        for s in servers:
            s.stop()
    for r in run.results:
        assert r.status in BAD, (r.id, r.summary)


# -- GCP on the fake -----------------------------------------------------------------------

family = pytest.mark.parametrize("api", sorted(FAMILIES))


@family
def test_429_storm_that_never_ends_is_an_error_within_the_timeout(gcp: GcpWorld, api: str) -> None:
    """Rate limiting that never lets up is ERROR naming HTTP 429 once the timeout is spent (a
    client retrying forever would trip pytest-timeout's guard)."""
    check, prefix, _ = FAMILIES[api]
    gcp.fake.inject(prefix, statuses=[429], times=FOREVER)
    result = gcp.run(check, timeout=1.0)
    assert result.status is Status.ERROR, result.summary
    assert "429" in result.summary
    assert gcp.requests_to(prefix) >= 2


@family
def test_500_503_burst_then_recovery_passes(gcp: GcpWorld, api: str) -> None:
    """A burst of 500 and 503 answers that then recovers is ridden out: PASS within the timeout."""
    check, prefix, _ = FAMILIES[api]
    gcp.fake.inject(prefix, statuses=[500, 503, 503])
    result = gcp.run(check, timeout=4.0)
    assert result.status is Status.PASS, result.summary
    assert gcp.requests_to(prefix) >= 4


class _PagingFake(FakeGcp):
    """A FakeGcp whose record-set lists come one empty page first, then the items (legal API)."""

    def __init__(self, *args: Any, endless: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.endless = endless

    def _list_locked(
        self, collection: Collection, path: str, query: Mapping[str, list[str]]
    ) -> Reply:
        if not path.endswith("/rrsets"):
            return super()._list_locked(collection, path, query)
        token = query.get("pageToken", [""])[0]
        if self.endless:
            return Reply(200, json.dumps({"rrsets": [], "nextPageToken": f"x{token}"}).encode())
        if not token:
            body = {"kind": "dns#resourceRecordSetsListResponse", "nextPageToken": "o0"}
            return Reply(200, json.dumps(body).encode())
        return super()._list_locked(collection, path, query)


def test_dns_record_follows_next_page_token(google_libraries: None) -> None:
    """gcp.dns_record follows nextPageToken past an empty first page and finds the record."""
    with _PagingFake(HEALTHY) as fake:
        world = GcpWorld(fake)
        check = GcpDnsRecord(
            zone="staging-zone", name=API, rrdatas=(LB_IP,), check_delegation=False
        )
        result = world.run(check)
        tokens = [r.query.get("pageToken") for r in fake.requests if r.path == RRSETS]
    assert result.status is Status.PASS, result.summary
    assert tokens == [None, ["o0"]]


def test_api_that_pages_forever_is_an_error_not_a_hang(google_libraries: None) -> None:
    """A list whose every page has another nextPageToken ends as ERROR within the timeout."""
    with _PagingFake(HEALTHY, endless=True) as fake:
        check = GcpDnsRecord(
            zone="staging-zone", name=API, rrdatas=(LB_IP,), check_delegation=False
        )
        result = GcpWorld(fake).run(check, timeout=1.0)
    assert result.status is Status.ERROR, result.summary
