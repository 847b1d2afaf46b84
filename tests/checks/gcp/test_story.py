"""The story end to end: policies/staging.yaml against the broken and the healthy staging worlds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from infra_verify.gate import Gate, GateRun
from infra_verify.model import Status
from tests.servers.story_world import BAD_REVISION, OLD_REVISION, StoryWorld

STAGING = Path(__file__).resolve().parents[3] / "policies" / "staging.yaml"
LIVE_AFTER_DNS = ("tls-api", "tls-auth", "tls-app", "health", "ws")


def world(monkeypatch: pytest.MonkeyPatch, *, broken: bool) -> Iterator[StoryWorld]:
    """Start a StoryWorld and export its environment overrides for the policy."""
    with StoryWorld(broken=broken) as started:
        for key, value in started.env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("IV_TIMEOUT", "3s")
        yield started


@pytest.fixture
def broken_world(monkeypatch: pytest.MonkeyPatch) -> Iterator[StoryWorld]:
    """The story's broken staging: no A records, certificate not visible, connector absent."""
    yield from world(monkeypatch, broken=True)


@pytest.fixture
def healthy_world(monkeypatch: pytest.MonkeyPatch) -> Iterator[StoryWorld]:
    """The healthy staging stack."""
    yield from world(monkeypatch, broken=False)


def run_staging(*, allow_loopback: bool = True) -> GateRun:
    """Run policies/staging.yaml with the environment as exported."""
    return Gate.from_policy(STAGING, allow_loopback=allow_loopback).run()


def test_broken_staging_names_two_root_causes(broken_world: StoryWorld) -> None:
    """The broken story has exactly two root causes: the missing A records and the connector."""
    run = run_staging()
    assert not run.ok and run.exit_code == 1
    assert [r.id for r in run.root_causes] == ["dns-records", "run-service"]
    dns = run.by_id("dns-records")
    assert dns.status is Status.FAIL
    assert dns.hint is not None
    assert dns.hint.startswith(
        "gcloud dns record-sets create api.staging.netrasystems.ai. --zone=staging-zone"
    )
    service = run.by_id("run-service")
    assert service.status is Status.FAIL
    assert "has no VPC connector" in service.summary
    assert service.hint is not None and "--vpc-connector=netra-staging-connector" in service.hint


def test_broken_staging_explains_and_blocks_downstream(broken_world: StoryWorld) -> None:
    """The certificate is explained by dns-records; live checks and the SQL path are blocked."""
    run = run_staging()
    cert = run.by_id("certificate")
    assert cert.status is Status.FAIL
    assert "FAILED_NOT_VISIBLE" in " ".join(o.actual or "" for o in cert.observations)
    assert cert.explained_by == ("dns-records",)
    for cid in LIVE_AFTER_DNS:
        blocked = run.by_id(cid)
        assert blocked.status is Status.BLOCKED, (cid, blocked.summary)
        assert blocked.blocked_by == ("dns-records",), cid
    sql_path = run.by_id("sql-path")
    assert sql_path.status is Status.BLOCKED
    assert sql_path.blocked_by == ("run-service",)
    for cid in ("load-balancer", "vpc-connector", "cloud-sql", "app-settings"):
        assert run.by_id(cid).status is Status.PASS, (cid, run.by_id(cid).summary)


def test_fixing_dns_leaves_only_the_connector(broken_world: StoryWorld) -> None:
    """After publishing the A records, the connector is the one remaining root cause."""
    broken_world.fix_dns()
    broken_world.gcp.patch(
        "compute/v1/projects/netra-staging/global/sslCertificates/netra-staging-cert",
        {
            "managed": {
                "status": "ACTIVE",
                "domainStatus": dict.fromkeys(
                    (f"{h}.staging.netrasystems.ai" for h in ("api", "auth", "app")), "ACTIVE"
                ),
            },
            "expireTime": "2099-01-01T00:00:00.000Z",
        },
    )
    run = run_staging()
    assert [r.id for r in run.root_causes] == ["run-service"]
    assert run.by_id("health").status is Status.PASS


def test_healthy_staging_passes_entirely(healthy_world: StoryWorld) -> None:
    """Against the healthy world every staging check passes and the gate exits 0."""
    run = run_staging()
    failing = [(r.id, r.status.value, r.summary) for r in run.results if not r.ok]
    assert failing == []
    assert run.ok and run.exit_code == 0
    ran = {r.id for r in run.results}
    assert {"dns-records", "certificate", "load-balancer", "run-service", "sql-path"} <= ran
    assert {"vpc-connector", "cloud-sql", *LIVE_AFTER_DNS} <= ran


def test_staging_without_allow_loopback_does_not_pass(healthy_world: StoryWorld) -> None:
    """The same healthy run without allow_loopback fails: staging may not point at 127.0.0.1."""
    run = run_staging(allow_loopback=False)
    assert not run.ok and run.exit_code == 1
    guarded = run.by_id("dns-records")
    assert guarded.status is Status.FAIL
    assert "loopback" in guarded.summary and guarded.terminal


def test_bad_deploy_fails_naming_the_revision_and_the_image(
    healthy_world: StoryWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The new image's revision fails to start, the old one still answers /health 200: the gate
    fails on run-service, naming the serving revision, the failed one and the image."""
    image = healthy_world.bad_deploy()
    monkeypatch.setenv("IMAGE", image)
    run = run_staging()
    assert not run.ok and run.exit_code == 1
    assert run.by_id("health").status is Status.PASS, run.by_id("health").summary
    assert [r.id for r in run.root_causes] == ["run-service"]
    service = run.by_id("run-service")
    assert service.status is Status.FAIL and service.terminal
    assert f"0% of traffic runs {image}" in service.summary
    assert f"served by {OLD_REVISION} 100%" in service.summary
    assert f"new revision {BAD_REVISION}: Ready=CONDITION_FAILED" in service.summary
    assert service.hint is not None and f'revision_name="{BAD_REVISION}"' in service.hint
