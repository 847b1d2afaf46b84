"""The README's Python example, executed against the offline demo world."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from infra_verify.gate import DeploymentIncomplete
from tests.servers.demo_world import DemoWorld

REPO = Path(__file__).resolve().parents[2]

README_EXAMPLE = """\
import os
from infra_verify import CheckContext, Gate
from infra_verify.checks.http import Http

run = Gate.from_policy("policies/demo.yaml", environment="demo").run()  # 1. a policy file
print(run.summary())
health = Http(id="health", url=f"https://api.demo.test:{os.environ['DEMO_HTTPS_PORT']}/health")
ctx = CheckContext(environment="demo", resolvers=(os.environ["DEMO_RESOLVER"],), ca_bundle=os.environ["DEMO_CA_BUNDLE"])
Gate([health], context=ctx).run().raise_for_failure()  # 2. from check objects; raises if not deployed
"""
"""The README's example, verbatim: a gate from a policy and a gate from check objects."""


def run_example(source: str, world: DemoWorld, monkeypatch: pytest.MonkeyPatch) -> str:
    """Exec the example in the repo root with the world's variables; return its stdout."""
    for key, value in world.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(REPO)
    out = io.StringIO()
    with redirect_stdout(out):
        exec(compile(source, "README.md", "exec"), {"__name__": "readme_example"})
    return out.getvalue()


def test_example_is_at_most_ten_lines() -> None:
    """The example stays short enough for the README (10 lines or fewer)."""
    assert len(README_EXAMPLE.strip().splitlines()) <= 10


def test_example_runs_policy_and_code_gates(monkeypatch: pytest.MonkeyPatch) -> None:
    """The policy gate names the demo's broken DNS; the code-built health gate passes silently."""
    with DemoWorld(broken=True) as world:
        output = run_example(README_EXAMPLE, world, monkeypatch)
    assert output.startswith("demo: deployment NOT complete")
    assert "root cause: dns-auth [dns]" in output


def test_example_raises_when_the_checked_host_is_broken(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pointed at the broken host, raise_for_failure() raises DeploymentIncomplete naming health."""
    broken = README_EXAMPLE.replace("https://api.demo.test", "https://auth.demo.test")
    with DemoWorld(broken=True) as world, pytest.raises(DeploymentIncomplete) as info:
        run_example(broken, world, monkeypatch)
    assert not info.value.run.ok
    assert [r.id for r in info.value.run.root_causes] == ["health"]
