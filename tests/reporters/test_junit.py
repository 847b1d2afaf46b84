"""JUnit XML: valid against Jenkins' junit-10.xsd, one testcase per check, blocked is a failure."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest
import xmlschema

from infra_verify.gate import GateRun
from infra_verify.model import Observation, Result, Status
from infra_verify.reporters import ReportOptions, render
from infra_verify.reporters.junit import xml_safe
from tests.reporters.runs import CERT_HINT, SCHEMAS, mixed_run, passing_run

SUREFIRE_TIME = re.compile(r"(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?")


@pytest.fixture(scope="module")
def junit_schema() -> xmlschema.XMLSchema:
    """The vendored Jenkins xunit-plugin junit-10.xsd."""
    return xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd"))


def _parse(run: GateRun, options: ReportOptions | None = None) -> ET.Element:
    return ET.fromstring(render("junit", run, options).encode("utf-8"))


def _case(root: ET.Element, name: str) -> ET.Element:
    cases = [c for c in root.iter("testcase") if c.get("name") == name]
    assert len(cases) == 1, name
    return cases[0]


@pytest.mark.parametrize("make", [mixed_run, passing_run, lambda: GateRun(results=())])
def test_valid_against_junit_10_xsd(junit_schema: xmlschema.XMLSchema, make: object) -> None:
    """Mixed, all-pass and empty runs all validate against the common JUnit schema."""
    assert callable(make)
    text = render("junit", make())
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    junit_schema.validate(text)


def test_the_schema_rejects_a_broken_document(junit_schema: xmlschema.XMLSchema) -> None:
    """The vendored schema really checks: a testsuite without its counts is invalid."""
    assert not junit_schema.is_valid('<testsuites><testsuite name="x"/></testsuites>')


def test_one_suite_named_after_the_environment_with_counts() -> None:
    """The suite counts tests, failures (FAIL + BLOCKED), errors and skipped."""
    root = _parse(mixed_run())
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    assert suite.get("name") == "staging"
    assert (
        suite.get("tests"),
        suite.get("failures"),
        suite.get("errors"),
        suite.get("skipped"),
    ) == (
        "6",
        "3",
        "1",
        "1",
    )
    assert suite.get("time") == "2.500"
    assert suite.get("timestamp") == "2025-11-24T16:00:00+00:00"
    assert datetime.fromisoformat(suite.get("timestamp", "")).utcoffset() == timedelta(0)
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("6", "3", "1")
    assert [c.get("name") for c in suite.findall("testcase")] == [
        "dns-api",
        "cert",
        "sql",
        "health",
        "ws",
        "env",
    ]


def test_suite_is_the_environment_whatever_the_title() -> None:
    """The suite is named by the environment alone (CI groups by it); a title is a property."""
    root = _parse(mixed_run(), ReportOptions(title="staging · policies/staging.yaml"))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "staging"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["title"] == "staging · policies/staging.yaml"


def test_testcase_classname_and_time() -> None:
    """classname is infra_verify.<kind>; time is seconds in Surefire's format."""
    root = _parse(mixed_run())
    cert = _case(root, "cert")
    assert cert.get("classname") == "infra_verify.tls"
    assert cert.get("time") == "0.250"
    for case in root.iter("testcase"):
        assert SUREFIRE_TIME.fullmatch(case.get("time", "")), case.get("time")


def test_pass_has_no_failure_but_keeps_its_evidence() -> None:
    """A PASS testcase has no failure/error/skipped child; its observations are in system-out."""
    case = _case(_parse(mixed_run()), "dns-api")
    assert [c.tag for c in case] == ["system-out"]
    out = case.findtext("system-out") or ""
    assert "A: ok: expected 34.54.41.44, got 34.54.41.44 @ 8.8.8.8" in out


def test_fail_is_a_failure_with_expected_vs_actual_and_hint() -> None:
    """FAIL -> <failure type=kind message=summary> whose text has the bad observation and hint."""
    case = _case(_parse(mixed_run()), "cert")
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("type") == "tls"
    assert failure.get("message") == mixed_run().by_id("cert").summary
    text = failure.text or ""
    assert "BAD san: expected api.staging.example, got *.other.example  @ 34.54.41.44:443" in text
    assert "ok  issuer: expected Google Trust Services" in text
    assert f"hint: {CERT_HINT}" in text
    assert "attempts: 3" in text
    assert case.find("error") is None and case.find("skipped") is None


def test_error_is_an_error_element() -> None:
    """ERROR -> <error type=kind message=summary> with the hint; never a <failure>."""
    case = _case(_parse(mixed_run()), "sql")
    error = case.find("error")
    assert error is not None
    assert error.get("type") == "postgres"
    assert error.get("message") == "no verdict within the 2s timeout"
    assert "hint: check that the VPC connector" in (error.text or "")
    assert case.find("failure") is None


def test_blocked_is_a_failure_of_type_blocked_not_a_skip() -> None:
    """BLOCKED must not look like a pass or a harmless skip: <failure type="blocked">."""
    case = _case(_parse(mixed_run()), "health")
    assert case.find("skipped") is None
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("type") == "blocked"
    assert failure.get("message") == "blocked by cert"
    assert "not run" in (failure.text or "")


def test_explained_failure_names_its_root_cause() -> None:
    """A FAIL explained by another failure stays a failure and says what explains it."""
    case = _case(_parse(mixed_run()), "ws")
    failure = case.find("failure")
    assert failure is not None and failure.get("type") == "websocket"
    assert "explained by: cert" in (failure.text or "")
    assert "warning: server sent no Sec-WebSocket-Protocol" in (case.findtext("system-out") or "")


def test_skipped_is_a_skipped_element() -> None:
    """SKIPPED -> <skipped message=summary/> and nothing else."""
    case = _case(_parse(mixed_run()), "env")
    skipped = case.find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "deselected by --only/--skip"
    assert case.find("failure") is None and case.find("error") is None


def test_suite_properties_carry_run_metadata_and_evidence() -> None:
    """Suite-level properties: verdict, exit code, root causes and every observation."""
    suite = _parse(mixed_run()).find("testsuite")
    assert suite is not None
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["environment"] == "staging"
    assert props["verdict"] == "failed"
    assert props["exit_code"] == "1"
    assert props["root_causes"] == "cert, sql"
    assert props["evidence.cert.san"] == (
        "BAD: expected api.staging.example, got *.other.example @ 34.54.41.44:443"
    )
    assert (props["evidence.cert.issuer"] or "").startswith("ok: ")
    assert "FAILED: deployment NOT complete" in (suite.findtext("system-out") or "")


def test_passing_run_has_no_failures() -> None:
    """An all-pass run reports zero failures and errors and the verdict passed."""
    suite = _parse(passing_run()).find("testsuite")
    assert suite is not None
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("0", "0", "0")
    assert not list(suite.iter("failure")) and not list(suite.iter("error"))
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["verdict"] == "passed"


def test_control_characters_are_escaped_not_emitted(junit_schema: xmlschema.XMLSchema) -> None:
    """ANSI escapes and NUL from a probe become visible \\xNN text; the XML stays valid."""
    run = GateRun(
        results=(
            Result(
                "banner",
                "tcp",
                Status.FAIL,
                "server said \x1b[31mNO\x1b[0m\x00 \ufffe",
                observations=(Observation("banner", "SSH-2.0", "\x07\x08bell", False),),
                hint="line1\nline2\ttab",
            ),
        ),
        environment="staging",
    )
    text = render("junit", run)
    assert "\x1b" not in text and "\x00" not in text and "\x07" not in text
    junit_schema.validate(text)
    failure = _case(ET.fromstring(text), "banner").find("failure")
    assert failure is not None
    assert failure.get("message") == "server said \\x1b[31mNO\\x1b[0m\\x00 \\ufffe"
    assert "\\x07\\x08bell" in (failure.text or "")
    assert "line1\nline2\ttab" in (failure.text or "")


def test_xml_safe_keeps_legal_text() -> None:
    """xml_safe leaves tabs, newlines and non-ASCII alone and escapes only illegal characters."""
    assert xml_safe("a\tb\nc\r é ✓ 😀") == "a\tb\nc\r é ✓ 😀"
    assert xml_safe("\x00\x1f\ud800") == "\\x00\\x1f\\ud800"


def test_markup_in_text_is_escaped() -> None:
    """Quotes, ampersands and angle brackets round-trip through attributes and text."""
    run = GateRun(
        results=(Result('x"<&>', "http", Status.FAIL, 'got "<html>" & more', hint="a < b"),)
    )
    case = _case(_parse(run), 'x"<&>')
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == 'got "<html>" & more'
    assert "hint: a < b" in (failure.text or "")
