"""`python -m infra_verify init`: a starter policy read from the fake GCP API's load balancer chain."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra_verify.cli.main import main
from infra_verify.gate import Gate
from infra_verify.model import Status
from infra_verify.policy.load import load_policy
from infra_verify.testing.fake_gcp import FakeGcp
from tests.checks.gcp.world import HEALTHY, GcpWorld
from tests.servers.story_world import StoryWorld, fixture_path

RULE = "netra-staging-https"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGcp]:
    """The healthy staging stack on the fake GCP API."""
    with FakeGcp.from_file(fixture_path(broken=False)) as server:
        yield server


def init(fake: FakeGcp, *args: str) -> tuple[int, str]:
    """Run `init` against the fake; returns (exit code, stdout)."""
    out = io.StringIO()
    base = ["init", "--project", "netra-staging", "--endpoint", fake.url, "--anonymous"]
    return main([*base, *args], stdout=out), out.getvalue()


@pytest.fixture(scope="module")
def written(fake: FakeGcp, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The policy init writes for the healthy stack."""
    path = tmp_path_factory.mktemp("init") / "policies" / "staging.yaml"
    code, out = init(fake, "--from-forwarding-rule", RULE, "--output", str(path))
    assert code == 0, out
    assert out.startswith(f"wrote {path}: 17 checks for api.staging.netrasystems.ai")
    return path


def test_policy_lists_the_chain(written: Path) -> None:
    """The policy names the hosts, the IP, the certificate, the service, connector and instance."""
    policy = load_policy(written, env={})
    by_id = {c.id: c for c in policy.checks}
    assert policy.environment == "staging"
    assert by_id["load-balancer"].model_dump(include={"forwarding_rule", "ip", "certificate"}) == {
        "forwarding_rule": RULE,
        "ip": "34.54.41.44",
        "certificate": "netra-staging-cert",
    }
    dump = by_id["run-service"].model_dump()
    assert (dump["service"], dump["connector"], dump["egress"], dump["ingress"]) == (
        "netra-backend-staging",
        "netra-staging-connector",
        "private-ranges-only",
        "all",
    )
    assert dump["cloud_sql_instances"] == ("netra-staging:us-central1:netra-staging-db",)
    assert by_id["vpc-connector"].model_dump()["network"] == "netra-staging-vpc"
    assert by_id["cloud-sql"].model_dump()["network"] == "netra-staging-vpc"
    assert by_id["dns-records"].model_dump()["zone"] == "staging-zone"
    assert by_id["certificate"].model_dump()["domains"] == (
        "api.staging.netrasystems.ai",
        "auth.staging.netrasystems.ai",
        "app.staging.netrasystems.ai",
    )
    kinds = sorted({c.kind for c in policy.checks})
    assert kinds == sorted(
        [
            "dns", "tls", "http", "environment", "gcp.dns_record", "gcp.managed_certificate",
            "gcp.load_balancer", "gcp.cloud_run_service", "gcp.vpc_connector",
            "gcp.cloud_sql_instance", "gcp.cloud_sql_path", "gcp.certificate_served",
        ]
    )  # fmt: skip
    assert {"dns-api", "tls-auth", "health-app", "sql-path"} <= set(by_id)


def test_written_policy_passes_against_the_healthy_world(written: Path) -> None:
    """Run against the healthy story world (overrides through ${VAR}), every check passes."""
    with StoryWorld(broken=False) as world:
        policy = load_policy(written, env=world.env)
        run = Gate.from_policy(policy, allow_loopback=True, timeout=3.0, env=world.env).run()
    failing = {r.id: r.summary for r in run.results if r.status is not Status.PASS}
    assert failing == {}
    assert len(run.results) == 20  # 17 written + a certificate cross-check per tls host


def test_written_policy_finds_the_broken_world(written: Path) -> None:
    """Against the story's broken stack, the starter policy names the Cloud DNS records."""
    with StoryWorld(broken=True) as world:
        policy = load_policy(written, env=world.env)
        run = Gate.from_policy(policy, allow_loopback=True, timeout=3.0, env=world.env).run()
    assert not run.ok
    assert "dns-records" in [r.id for r in run.root_causes]
    assert run.by_id("tls-api").status is Status.BLOCKED


def test_missing_forwarding_rule_is_one_clear_line(
    fake: FakeGcp, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown forwarding rule exits 2 with one line naming it and the project; nothing written."""
    target = tmp_path / "p.yaml"
    code, _ = init(fake, "--from-forwarding-rule", "no-such-rule", "--output", str(target))
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "forwarding rule 'no-such-rule' not found in project 'netra-staging'" in err
    assert not target.exists()


def test_http_forwarding_rule_is_refused(
    fake: FakeGcp, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The port-80 rule (an HTTP proxy) exits 2 asking for the HTTPS forwarding rule."""
    code, _ = init(
        fake, "--from-forwarding-rule", "netra-staging-http", "--output", str(tmp_path / "p.yaml")
    )
    assert code == 2
    assert "not a target HTTPS proxy" in capsys.readouterr().err


def test_existing_file_is_not_overwritten_without_force(
    fake: FakeGcp, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An existing output file exits 2 unless --force; with --force it is replaced."""
    target = tmp_path / "p.yaml"
    target.write_text("keep me\n")
    code, _ = init(fake, "--from-forwarding-rule", RULE, "--output", str(target))
    assert code == 2 and target.read_text() == "keep me\n"
    assert "--force" in capsys.readouterr().err
    code, _ = init(fake, "--from-forwarding-rule", RULE, "--output", str(target), "--force")
    assert code == 0 and "kind: gcp.load_balancer" in target.read_text()


def test_output_dash_writes_to_stdout(fake: FakeGcp) -> None:
    """--output - prints the policy instead of writing a file."""
    code, out = init(fake, "--from-forwarding-rule", RULE, "--output", "-")
    assert code == 0
    assert out.startswith(
        f"# Written by: python -m infra_verify init --from-forwarding-rule {RULE}"
    )
    assert "ip: ${LB_IP:-34.54.41.44}" in out


def test_regional_load_balancer_is_discovered(tmp_path: Path) -> None:
    """A regional external Application Load Balancer's rule (not global) was "not found"; init
    now finds it in --region, reads its chain regionally, and its check passes."""
    with FakeGcp(HEALTHY) as server:
        GcpWorld(server).regional_lb()
        target = tmp_path / "regional.yaml"
        code, out = init(
            server, "--from-forwarding-rule", "netra-regional-https", "--output", str(target)
        )
        assert code == 0, out
        by_id = {c.id: c for c in load_policy(target, env={}).checks}
        lb = by_id["load-balancer"]
        assert lb.model_dump(include={"forwarding_rule", "ip", "backend_service"}) == {
            "forwarding_rule": "regions/us-central1/forwardingRules/netra-regional-https",
            "ip": "34.54.41.45",
            "backend_service": "netra-regional-backend",
        }
        result = GcpWorld(server).run(lb)
    assert result.status is Status.PASS, result.summary
