"""The cloud_run_https bundle: same checks and edges as written by hand, and the same verdicts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from infra_verify import Gate, GateRun, PolicyError, Status, load_policy
from infra_verify.check import Check
from infra_verify.checks import (
    Dns,
    GcpCloudRunService,
    GcpCloudSqlInstance,
    GcpCloudSqlPath,
    GcpDnsRecord,
    GcpLoadBalancer,
    GcpManagedCertificate,
    GcpVpcConnector,
    Http,
    Tls,
    WebSocket,
)
from infra_verify.checks.bundles import CloudRunHttps, cloud_run_behind_load_balancer
from infra_verify.cli.main import main
from infra_verify.graph import build_graph
from tests.servers.story_world import StoryWorld

ROOT = Path(__file__).resolve().parents[2]
HOSTS = ("api.staging.netrasystems.ai", "auth.staging.netrasystems.ai")

BUNDLE_POLICY = """
extends: {staging}
checks:
  # drop staging's hand-written stack (keep app-settings), and write it as one bundle entry
{removals}
  stack:
    kind: bundle.cloud_run_https
    hosts: [api.staging.netrasystems.ai, auth.staging.netrasystems.ai, app.staging.netrasystems.ai]
    ip: ${{LB_IP:-34.54.41.44}}
    zone: staging-zone
    certificate: netra-staging-cert
    forwarding_rule: netra-staging-https
    address: netra-staging-lb-ip
    backend_service: netra-staging-backend
    service: netra-backend-staging
    project: netra-staging
    region: us-central1
    connector: netra-staging-connector
    network: netra-staging-vpc
    sql_instance: netra-staging-db
    database_version: POSTGRES_15
    ssl_mode: ENCRYPTED_ONLY
    port: ${{HTTPS_PORT:-443}}
    nameserver_port: ${{DNS_NS_PORT:-53}}
    max_latency: 5s
    websocket_path: /ws
"""
STAGING_STACK = [
    "dns-records",
    "certificate",
    "load-balancer",
    "run-service",
    "vpc-connector",
    "cloud-sql",
    "sql-path",
    "dns-api",
    "dns-auth",
    "dns-app",
    "tls-api",
    "tls-auth",
    "tls-app",
    "health",
    "ws",
]
# staging writes one health and one ws check (api); the bundle has them for every host
TO_BUNDLE = {**{i: f"stack.{i}" for i in STAGING_STACK}, "health": "stack.health-api"}
TO_BUNDLE["ws"] = "stack.ws-api"


def hand_written(port: int = 443, prefix: str = "") -> list[Check]:
    """The bundle's checks for HOSTS, written out by hand with explicit ids."""

    def p(name: str) -> str:
        return f"{prefix}{name}"

    hosts = HOSTS
    return [
        GcpDnsRecord(
            id=p("dns-records"), zone="staging-zone", names=hosts, rrdatas=["34.54.41.44"]
        ),
        GcpManagedCertificate(id=p("certificate"), name="netra-staging-cert", domains=hosts),
        GcpLoadBalancer(
            id=p("load-balancer"),
            forwarding_rule="netra-staging-https",
            ip="34.54.41.44",
            certificate="netra-staging-cert",
            hosts=hosts,
            cloud_run_service="netra-backend-staging",
        ),
        GcpCloudRunService(
            id=p("run-service"),
            service="netra-backend-staging",
            region="us-central1",
            connector="netra-staging-connector",
            egress="private-ranges-only",
            cloud_sql_instances=["netra-staging:us-central1:netra-staging-db"],
        ),
        GcpVpcConnector(
            id=p("vpc-connector"), connector="netra-staging-connector", region="us-central1"
        ),
        GcpCloudSqlInstance(
            id=p("cloud-sql"), instance="netra-staging-db", private_ip=True, region="us-central1"
        ),
        GcpCloudSqlPath(
            id=p("sql-path"),
            service="netra-backend-staging",
            instance="netra-staging-db",
            region="us-central1",
        ),
        *(
            Dns(
                host,
                id=p(f"dns-{host.split('.')[0]}"),
                expect=["34.54.41.44"],
                authoritative=True,
                zone="staging-zone",
            )
            for host in hosts
        ),
        *(Tls(host, id=p(f"tls-{host.split('.')[0]}"), port=port) for host in hosts),
        *(
            check
            for host in hosts
            for check in (
                Http(f"https://{host}:{port}/health", id=p(f"health-{host.split('.')[0]}")),
                WebSocket(f"wss://{host}:{port}/ws", id=p(f"ws-{host.split('.')[0]}")),
            )
        ),
    ]


def bundle(port: int = 443, prefix: str = "") -> list[Check]:
    """The same stack from the bundle function."""
    return cloud_run_behind_load_balancer(
        hosts=HOSTS,
        ip="34.54.41.44",
        certificate="netra-staging-cert",
        forwarding_rule="netra-staging-https",
        service="netra-backend-staging",
        region="us-central1",
        connector="netra-staging-connector",
        sql_instance="netra-staging-db",
        zone="staging-zone",
        project="netra-staging",
        port=port,
        websocket_path="/ws",
        id_prefix=prefix.rstrip("."),
    )


def _edges(checks: list[Check]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    graph = build_graph(checks)
    return (
        {k: set(v) for k, v in graph.hard.items()},
        {k: set(v) for k, v in graph.soft.items()},
    )


def test_bundle_gives_the_hand_written_checks() -> None:
    """Every bundle check equals its hand-written twin in kind and keys (after aside)."""
    made, written = bundle(8443), hand_written(8443)
    assert [c.id for c in made] == [c.id for c in written]
    for a, b in zip(made, written, strict=True):
        assert type(a) is type(b)
        assert a.model_dump(exclude={"after"}) == b.model_dump(exclude={"after"}), a.id


def test_bundle_gives_the_hand_written_edges() -> None:
    """The bundle's graph (hard and soft edges) equals the hand-written checks' inferred graph."""
    assert _edges(bundle()) == _edges(hand_written())
    hard, soft = _edges(bundle())
    assert hard["health-api"] == {"dns-api", "tls-api"}
    assert hard["sql-path"] == {"run-service", "vpc-connector", "cloud-sql"}
    assert soft["dns-auth"] == {"dns-records"}


def test_bundle_writes_its_hard_edges_so_it_stands_without_inference() -> None:
    """With inference off the bundle still orders TLS after DNS and health after both."""
    graph = build_graph(bundle(prefix="s."), infer=False)
    assert graph.hard["s.tls-api"] == ["s.dns-api"]
    assert graph.hard["s.health-auth"] == ["s.dns-auth", "s.tls-auth"]


def test_bundle_ids_are_prefixed_and_optional_parts_dropped() -> None:
    """id_prefix gives `prefix.id`; no zone/connector/sql means no such checks."""
    checks = cloud_run_behind_load_balancer(
        hosts=["api.example.test", "api.example.org"],
        ip="203.0.113.10",
        certificate="cert",
        forwarding_rule="https",
        service="svc",
        id_prefix="web",
    )
    assert [c.id for c in checks] == [
        "web.certificate",
        "web.load-balancer",
        "web.run-service",
        "web.dns-api-example-test",
        "web.dns-api-example-org",
        "web.tls-api-example-test",
        "web.tls-api-example-org",
        "web.health-api-example-test",
        "web.health-api-example-org",
    ]


def _bundle_policy(tmp_path: Path) -> Path:
    removals = "\n".join(f"  {i}: {{remove: true}}" for i in STAGING_STACK)
    path = tmp_path / "bundled.yaml"
    path.write_text(
        BUNDLE_POLICY.format(staging=ROOT / "policies" / "staging.yaml", removals=removals)
    )
    return path


def test_policy_bundle_entry_expands_with_prefixed_ids(tmp_path: Path) -> None:
    """kind: bundle.cloud_run_https expands at load time into `stack.*` checks."""
    policy = load_policy(_bundle_policy(tmp_path), env={}, allow_outside_policy_dir=True)
    ids = [c.id for c in policy.checks]
    assert ids[:3] == ["stack.dns-records", "stack.certificate", "stack.load-balancer"]
    assert "stack.ws-app" in ids and ids[-1] == "app-settings"
    assert all(i.startswith("stack.") for i in ids[:-1])


def test_policy_bundle_keys_are_strict(tmp_path: Path) -> None:
    """An unknown key in a bundle entry is a PolicyError naming file, line, key and the fix."""
    path = tmp_path / "bad.yaml"
    path.write_text(
        "environment: test\nchecks:\n  stack:\n    kind: bundle.cloud_run_https\n"
        "    hosts: [a.example.test]\n    ip: 203.0.113.1\n    certificate: c\n"
        "    forwarding_rule: f\n    service: s\n    conector: x\n"
    )
    with pytest.raises(PolicyError) as err:
        load_policy(path, env={})
    assert str(err.value) == (
        f"{path}:10: checks.stack.conector: unknown key 'conector' (did you mean 'connector'?)"
    )
    assert main(["--policy", str(path), "--list"]) == 2


def test_policy_bundle_missing_key(tmp_path: Path) -> None:
    """A bundle entry without a required key names it, with its description."""
    path = tmp_path / "bad.yaml"
    path.write_text(
        "environment: test\nchecks:\n  stack: {kind: bundle.cloud_run_https, hosts: [a.test]}\n"
    )
    with pytest.raises(PolicyError, match=r"checks.stack.ip: required key is missing"):
        load_policy(path, env={})


def test_bundle_model_is_the_policy_schema() -> None:
    """The code function and the policy kind share one model with the same keys."""
    keys = set(CloudRunHttps.model_fields)
    assert {"hosts", "ip", "certificate", "service", "region", "connector", "sql_instance"} <= keys
    assert {"zone", "forwarding_rule"} <= keys


@pytest.fixture(scope="module", params=["broken", "healthy"])
def story(request: pytest.FixtureRequest) -> Iterator[StoryWorld]:
    """The story's staging stack, broken or healthy, offline on loopback."""
    with StoryWorld(broken=request.param == "broken") as world:
        yield world


def _run(path: Path, world: StoryWorld) -> GateRun:
    policy = load_policy(path, env=world.env, allow_outside_policy_dir=True)
    gate: Gate = Gate.from_policy(policy, allow_loopback=True, env=world.env, deadline=60)
    return gate.run()


def test_bundle_gives_staging_verdicts_on_the_story(story: StoryWorld, tmp_path: Path) -> None:
    """On the fake API's broken and healthy stacks the bundle's verdicts equal staging's."""
    staging = _run(ROOT / "policies" / "staging.yaml", story)
    bundled = _run(_bundle_policy(tmp_path), story)
    for sid, bid in TO_BUNDLE.items():
        assert bundled.by_id(bid).status is staging.by_id(sid).status, sid
    mapped = {TO_BUNDLE.get(r.id, r.id) for r in staging.root_causes}
    assert {r.id for r in bundled.root_causes} == mapped
    if story.broken:
        assert mapped == {"stack.dns-records", "stack.run-service"}
        assert bundled.by_id("stack.health-app").status is Status.BLOCKED
    else:
        assert bundled.ok and staging.ok
