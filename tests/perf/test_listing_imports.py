"""Listing a policy (``--list``) loads no probing library: the cold start users see is Python's.

The probing libraries (dnspython, httpx, cryptography, websockets, tenacity) are imported by a
run's warm-up or first probe, never by loading and listing a policy. Each case runs in a fresh
interpreter so that nothing imported by another test can hide an import.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBING = ("dns", "httpx", "cryptography", "websockets", "tenacity", "anyio", "httpcore")
RUN_ONLY = ("asyncio", "ssl", "concurrent.futures", "infra_verify.checks.dns_wire")
"""What only a run needs: the event loop, TLS, the thread pool's futures, the lean DNS exchange."""

_SCRIPT = """
import contextlib, io, json, sys
from infra_verify.cli.main import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _imported(*argv: str) -> tuple[int, set[str]]:
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT, *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    return seen["code"], {m.split(".")[0] for m in seen["modules"]} | set(seen["modules"])


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_list_imports_no_probing_library(environment: str) -> None:
    """`--list` on a shipped policy exits 0 without importing any probing library."""
    code, modules = _imported(environment, "--list")
    assert code == 0
    assert not modules & set(PROBING), sorted(modules & set(PROBING))


def test_list_of_every_live_kind_imports_no_probing_library(tmp_path: Path) -> None:
    """A policy with dns, tls, http and websocket checks lists without their libraries."""
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "environment: local\n"
        "checks:\n"
        "  d: {kind: dns, name: api.example.com}\n"
        "  t: {kind: tls, host: api.example.com}\n"
        "  h: {kind: http, url: 'https://api.example.com/health'}\n"
        "  w: {kind: websocket, url: 'wss://api.example.com/ws'}\n"
    )
    code, modules = _imported("local", "--policy", str(policy), "--list")
    assert code == 0
    assert not modules & set(PROBING), sorted(modules & set(PROBING))


def test_bad_policy_still_exits_two_without_probing_libraries(tmp_path: Path) -> None:
    """A policy with an unknown key exits 2 (bad input) and imports no probing library."""
    policy = tmp_path / "p.yaml"
    policy.write_text("environment: local\nchecks:\n  d: {kind: dns, nme: api.example.com}\n")
    code, modules = _imported("local", "--policy", str(policy), "--list")
    assert code == 2
    assert not modules & set(PROBING)


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_list_imports_no_run_machinery(environment: str) -> None:
    """`--list` loads neither asyncio, ssl, concurrent.futures nor the lean DNS exchange."""
    code, modules = _imported(environment, "--list")
    assert code == 0
    assert not modules & set(RUN_ONLY), sorted(modules & set(RUN_ONLY))


def test_list_of_every_live_kind_imports_no_run_machinery(tmp_path: Path) -> None:
    """dns, tls, http and websocket checks list without the event loop or TLS modules."""
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "environment: local\n"
        "checks:\n"
        "  d: {kind: dns, name: api.example.com}\n"
        "  t: {kind: tls, host: api.example.com}\n"
        "  h: {kind: http, url: 'https://api.example.com/health'}\n"
        "  w: {kind: websocket, url: 'wss://api.example.com/ws'}\n"
    )
    code, modules = _imported("local", "--policy", str(policy), "--list")
    assert code == 0
    assert not modules & set(RUN_ONLY), sorted(modules & set(RUN_ONLY))


def test_a_run_imports_them_in_its_warm_up() -> None:
    """The warm-up hooks import what a run of these kinds uses (h11, websockets, the lean DNS
    exchange) before any check's timer starts, and not what it does not (httpx, cryptography,
    dnspython)."""
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\n"
            "from infra_verify.checks.tls import Tls\n"
            "from infra_verify.checks.http import Http\n"
            "from infra_verify.checks.websocket import WebSocket\n"
            "assert 'h11' not in sys.modules\n"
            "Tls.warm_up(); Http.warm_up(); WebSocket.warm_up()\n"
            "print(sorted(m for m in ('dns', 'httpx', 'cryptography', 'websockets', 'h11',"
            " 'infra_verify.checks.dns_wire') if m in sys.modules))\n",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "['h11', 'infra_verify.checks.dns_wire', 'websockets']"
