"""The README's "Your first policy": five lines, run by the command against a local shop.

The shop is real servers on loopback: a DNS server answering for shop.example.com and an HTTPS
server with a certificate the test makes. The policy is the README's text; the test only points
it at that world (the address the DNS server gives, the HTTPS port, the resolver and the CA).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from infra_verify import Gate, load_policy
from infra_verify.testing.certs import CertFactory
from tests.servers.dns_server import DnsServer
from tests.servers.web_server import WebServer

REPO = Path(__file__).resolve().parents[2]
HOST = "shop.example.com"
DOCUMENTED_IP = "198.51.100.7"


def readme_policy() -> str:
    """The yaml block under the README's "Your first policy" heading."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Your first policy", 1)[1]
    match = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert match, "README's first-policy section has no yaml block"
    return match.group(1)


@dataclass
class Shop:
    """The shop's servers and the policy file pointed at them."""

    dns: DnsServer
    web: WebServer
    policy: Path


@pytest.fixture
def shop(tmp_path: Path, certs: CertFactory) -> Iterator[Shop]:
    """DNS + HTTPS for shop.example.com on loopback; the README policy aimed at them."""
    dns = DnsServer()
    dns.add_zone("example.com")
    dns.set(HOST, "A", ["127.0.0.1"])
    web = WebServer(ssl_context=certs.valid(HOST).server_context())
    web.route("/healthz", 200, "ok")
    with dns, web:
        ca = certs.write_ca_bundle(tmp_path / "ca.pem")
        text = (
            readme_policy()
            .replace(DOCUMENTED_IP, "127.0.0.1")
            .replace(f"host: {HOST},", f"host: {HOST}, port: {web.port},")
            .replace(f"https://{HOST}/", f"https://{HOST}:{web.port}/")
            .replace(
                "checks:\n",
                f'defaults: {{resolvers: ["{dns.resolver}"], ca_bundle: {ca.name}}}\nchecks:\n',
                1,
            )
        )
        policy = tmp_path / "production.yaml"
        policy.write_text(text, encoding="utf-8")
        yield Shop(dns, web, policy)


def gate(policy: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """``infra-verify production --policy FILE`` as a user runs it, in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "infra_verify", "production", "--policy", str(policy), *extra],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
        cwd=policy.parent,
    )


def test_first_policy_is_five_lines_for_a_stack_that_is_not_the_story() -> None:
    """Five lines, none of the story's names (netrasystems, netra, staging)."""
    text = readme_policy()
    assert len(text.strip().splitlines()) == 5
    assert not re.search(r"netra|staging|demo", text, re.I)


def test_first_policy_loads_and_infers_the_order(tmp_path: Path) -> None:
    """As written, it loads; health waits for dns and cert, cert for dns (inferred edges)."""
    path = tmp_path / "production.yaml"
    path.write_text(readme_policy(), encoding="utf-8")
    policy = load_policy(path, environment="production")
    assert [c.id for c in policy.checks] == ["dns", "cert", "health"]
    graph = Gate(policy.checks).graph
    assert sorted(graph.hard["health"]) == ["cert", "dns"]
    assert graph.hard["cert"] == ["dns"]


def test_first_policy_passes_against_a_healthy_shop(shop: Shop) -> None:
    """Every check passes and the command exits 0."""
    proc = gate(shop.policy, "--allow-loopback")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"^PASS\s+health\s", proc.stdout, re.M), proc.stdout


def test_first_policy_names_dns_when_the_name_points_elsewhere(shop: Shop) -> None:
    """The name resolving to another address: exit 1, dns the root cause, the rest blocked."""
    shop.dns.set(HOST, "A", ["127.0.0.2"])
    proc = gate(shop.policy, "--allow-loopback")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert re.search(r"^FAIL\s+dns\s", proc.stdout, re.M), proc.stdout
    assert re.search(r"^BLOCKED\s+cert\s+blocked by dns", proc.stdout, re.M), proc.stdout
    assert re.search(r"^BLOCKED\s+health\s+blocked by dns", proc.stdout, re.M), proc.stdout
    assert "1. dns [dns]" in proc.stdout


def test_first_policy_fails_when_the_shop_does_not_answer(shop: Shop) -> None:
    """The HTTPS server gone: not complete (exit 1), never a pass."""
    shop.web.stop()
    proc = gate(shop.policy, "--allow-loopback")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert not re.search(r"^PASS\s+(cert|health)\s", proc.stdout, re.M), proc.stdout


def test_first_policy_refuses_loopback_in_production_without_the_flag(shop: Shop) -> None:
    """Without --allow-loopback, a production policy pointing at loopback fails the gate."""
    proc = gate(shop.policy)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "points at loopback" in proc.stdout


def test_first_policy_with_a_typo_is_bad_input(shop: Shop) -> None:
    """A misspelled key: exit 2, one line naming file, line, key and the right spelling."""
    shop.policy.write_text(shop.policy.read_text().replace("min_days_valid", "min_days"))
    proc = gate(shop.policy, "--allow-loopback")
    assert proc.returncode == 2
    assert f"{shop.policy}:5: checks.cert.min_days: unknown key 'min_days'" in proc.stderr
    assert "did you mean 'min_days_valid'?" in proc.stderr
