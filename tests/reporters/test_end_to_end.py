"""A real Gate over scripted checks, rendered in every format: each names the same root causes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib import resources

import jsonschema
import pytest
import xmlschema

from infra_verify.context import CheckContext
from infra_verify.gate import Gate, GateRun
from infra_verify.model import Status
from infra_verify.reporters import REPORTERS, render
from tests.fakes import Crashing, Scripted
from tests.reporters.runs import SCHEMAS

F, E = Status.FAIL, Status.ERROR


@pytest.fixture(scope="module")
def run() -> GateRun:
    """One gate run: pass, fail root cause, blocked child, explained failure, crash, skipped."""
    checks = [
        Scripted(id="dns"),
        Scripted(id="cert", statuses=(F,), after=("dns",)),
        Scripted(id="health", after=("cert",)),
        Scripted(id="ws", statuses=(F,), soft_after=("cert",)),
        Scripted(id="sql", statuses=(E,)),
        Crashing(id="boom"),
        Scripted(id="extra"),
    ]
    ctx = CheckContext(environment="test", timeout=1)
    result = Gate(checks, context=ctx, skip=["extra"], deadline=5).run()
    return result


def test_the_gate_produced_every_status(run: GateRun) -> None:
    """The scripted run really has PASS, FAIL, ERROR, BLOCKED, SKIPPED and an explained failure."""
    assert run.by_id("dns").status is Status.PASS
    assert run.by_id("cert").status is Status.FAIL
    assert run.by_id("health").status is Status.BLOCKED
    assert run.by_id("health").blocked_by == ("cert",)
    assert run.by_id("ws").explained_by == ("cert",)
    assert run.by_id("sql").status is Status.ERROR
    assert run.by_id("boom").status is Status.ERROR
    assert run.by_id("extra").status is Status.SKIPPED
    assert {r.id for r in run.root_causes} == {"cert", "sql", "boom"}


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_every_format_names_the_root_causes(run: GateRun, fmt: str) -> None:
    """Every registered format mentions each root cause and the hint of the scripted checks."""
    out = render(fmt, run)
    for cid in ("cert", "sql", "boom", "health", "ws"):
        assert cid in out, (fmt, cid)
    assert "scripted fail" in out
    assert "internal error in the crashing check: RuntimeError: boom" in out


def test_junit_of_a_real_run(run: GateRun) -> None:
    """The JUnit document validates and classifies each check as the gate decided."""
    text = render("junit", run)
    xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd")).validate(text)
    cases = {c.get("name"): c for c in ET.fromstring(text).iter("testcase")}
    assert cases["cert"].find("failure") is not None
    assert cases["health"].find("failure").get("type") == "blocked"  # type: ignore[union-attr]
    assert cases["boom"].find("error") is not None
    assert cases["extra"].find("skipped") is not None
    assert cases["cert"].get("classname") == "infra_verify.scripted"


def test_sarif_and_json_of_a_real_run(run: GateRun) -> None:
    """SARIF and JSON validate against their schemas; SARIF levels follow root causes."""
    sarif = json.loads(render("sarif", run))
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft7Validator(schema).validate(sarif)
    levels = {
        r["locations"][0]["logicalLocations"][0]["name"]: r["level"]
        for r in sarif["runs"][0]["results"]
    }
    assert levels == {
        "cert": "error",
        "health": "warning",
        "ws": "warning",
        "sql": "error",
        "boom": "error",
    }
    report = json.loads(render("json", run))
    report_schema = json.loads(
        resources.files("infra_verify.reporters").joinpath("report.schema.json").read_text()
    )
    jsonschema.Draft202012Validator(report_schema).validate(report)
    assert sorted(report["root_causes"]) == ["boom", "cert", "sql"]


def test_markdown_and_github_of_a_real_run(run: GateRun) -> None:
    """Markdown lists the root causes; GitHub annotates each with ::error and ends with ::notice."""
    md = render("markdown", run)
    assert "### Root causes (3)" in md
    assert "- `health`: not run: blocked by `cert`" in md
    gh = render("github", run).splitlines()
    errors = sorted(line.split("::")[1] for line in gh if line.startswith("::error"))
    assert errors == ["error title=boom", "error title=cert", "error title=sql"]
    assert gh[-1].startswith("::notice title=infra_verify test::FAILED")
