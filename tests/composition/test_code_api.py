"""The typed code API: public check classes, a positional subject, dependencies as objects."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import infra_verify
from infra_verify import CheckContext, CheckDefinitionError, Gate, Status
from infra_verify.checks import Dns, Environment, Http, Tcp, Tls
from infra_verify.checks.registry import BUILTIN_KINDS, get_kind
from infra_verify.reporters.serialize import run_from_dict, run_to_dict
from tests.servers.web_server import WebServer

CTX = {"environment": "test", "timeout": 1.0}


def test_every_builtin_kind_is_a_public_class() -> None:
    """infra_verify.checks exports exactly one class per built-in kind, the registry's class."""
    import infra_verify.checks as checks

    by_kind = {getattr(checks, name).kind: getattr(checks, name) for name in checks.__all__}
    assert set(by_kind) == set(BUILTIN_KINDS)
    for kind, cls in by_kind.items():
        assert get_kind(kind) is cls


def test_importing_checks_does_not_import_google() -> None:
    """`import infra_verify.checks` and using a live class never imports the google libraries."""
    code = (
        "import sys; import infra_verify.checks as c; c.Dns; c.Http; "
        "print(sorted(m for m in sys.modules if m.startswith('google')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]"


def test_positional_subject_fills_the_kinds_first_field() -> None:
    """Dns("name"), Tls("host") and Http("url") take their subject positionally."""
    dns = Dns("api.staging.netrasystems.ai", expect=["34.54.41.44"])
    assert dns.name == "api.staging.netrasystems.ai"
    assert dns.expect == ("34.54.41.44",)
    assert dns.id == "dns:api.staging.netrasystems.ai/A"
    assert Tls("api.example.test").host_ == "api.example.test"
    assert Http("https://api.example.test/health").url == "https://api.example.test/health"


def test_positional_and_keyword_for_the_same_field_is_a_type_error() -> None:
    """A subject given twice, or two positionals, is refused with a clear TypeError."""
    with pytest.raises(TypeError, match="two values for 'name'"):
        Dns("a.example.test", name="b.example.test")
    with pytest.raises(TypeError, match="at most 1 positional"):
        Dns("a.example.test", "A")


def test_keys_are_still_validated_strictly_in_code() -> None:
    """An unknown keyword is refused, as an unknown policy key is (test_definition_errors.py)."""
    with pytest.raises(CheckDefinitionError, match="expekt"):
        Dns("a.example.test", expekt=["1.2.3.4"])


def test_after_accepts_check_objects_and_ids() -> None:
    """after=[check, "id"] is normalized to ids, in order."""
    dns_api = Dns("api.example.test")
    health = Http("https://api.example.test/health", after=[dns_api, "other"])
    assert health.after == (dns_api.id, "other")
    assert Http("https://x.example.test/", after=dns_api).after == (dns_api.id,)


def test_inferred_edges_apply_in_code() -> None:
    """A gate built in code infers HTTPS after the host's dns and tls checks."""
    dns_api = Dns("api.example.test", expect=["127.0.0.1"])
    tls_api = Tls("api.example.test")
    health = Http("https://api.example.test/health")
    gate = Gate([health, tls_api, dns_api], context=CheckContext(**CTX))
    assert gate.graph.hard[health.id] == [dns_api.id, tls_api.id]
    assert gate.graph.hard[tls_api.id] == [dns_api.id]
    assert gate.graph.order().index(dns_api.id) < gate.graph.order().index(health.id)


def test_code_gate_runs_on_loopback_and_blocks_downstream(web: WebServer, closed_port: int) -> None:
    """A gate of code-built checks: a refused TCP port is the root cause, its dependant BLOCKED."""
    tcp = Tcp("127.0.0.1", port=closed_port, id="db-port")
    health = Http(web.url("/health"), id="health", after=[tcp])
    alive = Http(web.url("/health"), id="alive")
    run = Gate([tcp, health, alive], context=CheckContext(**CTX)).run()
    assert run.by_id("alive").status is Status.PASS
    assert run.by_id("db-port").status in (Status.FAIL, Status.ERROR)
    assert run.by_id("health").status is Status.BLOCKED
    assert [r.id for r in run.root_causes] == ["db-port"]


def test_run_round_trips_through_json(web: WebServer) -> None:
    """GateRun and Result survive run_to_dict -> JSON text -> run_from_dict unchanged."""
    checks = [
        Http(web.url("/health"), id="ok", max_latency=5),
        Http(web.url("/missing"), id="missing"),
        Environment(require=["NOPE_NOT_SET"], id="env"),
    ]
    run = Gate(checks, context=CheckContext(**CTX, env={})).run()
    back = run_from_dict(json.loads(json.dumps(run_to_dict(run))))
    assert [r.status for r in back.results] == [Status.PASS, Status.FAIL, Status.FAIL]
    for before, after in zip(run.results, back.results, strict=True):
        assert after.observations == before.observations
        assert (after.id, after.kind, after.summary, after.hint) == (
            before.id,
            before.kind,
            before.summary,
            before.hint,
        )
        assert after.duration == pytest.approx(before.duration, abs=1e-5)
    assert back.ok is run.ok is False
    assert [r.id for r in back.root_causes] == [r.id for r in run.root_causes]
    assert run_to_dict(back)["results"] == run_to_dict(run)["results"]


def test_package_exports_combinators_and_bundles() -> None:
    """infra_verify exports all_of, any_of and the bundles module in __all__."""
    assert {"all_of", "any_of", "bundles"} <= set(infra_verify.__all__)
    assert callable(infra_verify.all_of)
    assert callable(infra_verify.checks.bundles.cloud_run_behind_load_balancer)
