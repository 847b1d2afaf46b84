"""The gate's CPU per check does not grow with the fleet: a ratio, never a timing.

The same dns + tls + http checks per host run against real local servers (knot for DNS, an
HTTPS server with a wildcard certificate) for 100 and for 1,000 hosts, each in a fresh
process; the CPU time spent in the run (the process's and its worker processes') is divided by
the number of checks. Before
the collector was tuned (``gate.collector_tuned``) and the DNS answers reused, full garbage
collections over a growing heap made each check dearer as N grew.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra_verify.testing.certs import CertFactory
from tests.perf.python_process import python_stdout
from tests.servers.knot import KnotServer, zone
from tests.servers.web_server import WebServer

SMALL, LARGE = 100, 1000
ZONE = "cpu.test"

_RUN = """
import json, resource, sys
from infra_verify.gate import Gate
def used():
    return sum(r.ru_utime + r.ru_stime
               for r in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)))
gate = Gate.from_policy(sys.argv[1], environment="local", allow_outside_policy_dir=True)
before = used()
run = gate.run()
cpu = used() - before  # the worker processes' CPU too (reaped by the run)
print(json.dumps({"cpu": cpu, "checks": len(run.results), "ok": run.ok,
                  "causes": [r.summary for r in run.root_causes[:3]]}))
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, int]]:
    """knot with LARGE names at 127.0.0.1 and an HTTPS server for *.cpu.test: (dns, ca, port)."""
    certs = CertFactory()
    ca = certs.write_ca_bundle(tmp_path_factory.mktemp("cpu") / "ca.pem")
    records = [f"h{i} A 127.0.0.1" for i in range(LARGE)]
    context = certs.valid(f"*.{ZONE}").server_context()
    with (
        KnotServer({ZONE: zone(ZONE, records)}, startup_timeout=60) as knot,
        WebServer(ssl_context=context) as web,
    ):
        yield knot.resolver, str(ca), web.port


def _cpu_per_check(world: tuple[str, str, int], hosts: int, tmp_path: Path) -> float:
    dns, ca, port = world
    lines = [
        "environment: local",
        "defaults:",
        "  timeout: 60s",
        "  deadline: 20m",
        f'  resolvers: ["{dns}"]',
        f'  ca_bundle: "{ca}"',
        "  concurrency: 256",
        "checks:",
    ]
    for i in range(hosts):
        h = f"h{i}.{ZONE}"
        lines.append(f"  dns-{i}: {{kind: dns, name: {h}, expect: [127.0.0.1]}}")
        lines.append(f"  tls-{i}: {{kind: tls, host: {h}, port: {port}}}")
        lines.append(f'  http-{i}: {{kind: http, url: "https://{h}:{port}/health"}}')
    policy = tmp_path / f"p{hosts}.yaml"
    policy.write_text("\n".join(lines) + "\n")
    stdout = python_stdout("-c", _RUN, str(policy), timeout=900)
    seen = json.loads(stdout.strip().splitlines()[-1])
    assert seen["ok"], seen["causes"]
    assert seen["checks"] == 3 * hosts
    return float(seen["cpu"]) / seen["checks"]


@pytest.mark.timeout(1800)
def test_cpu_per_check_at_1000_hosts_within_1_3x_of_100(
    world: tuple[str, str, int], tmp_path: Path
) -> None:
    """CPU per check at 1,000 hosts is at most 1.3x the CPU per check at 100 hosts."""
    small = min(_cpu_per_check(world, SMALL, tmp_path) for _ in range(2))
    large = _cpu_per_check(world, LARGE, tmp_path)
    assert large <= 1.3 * small, f"{large * 1000:.2f} ms vs {small * 1000:.2f} ms per check"
