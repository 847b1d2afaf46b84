"""SARIF 2.1.0: valid against the official schema; one result per check that did not pass."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from infra_verify import __version__
from infra_verify.gate import GateRun
from infra_verify.reporters import ReportOptions, render
from infra_verify.reporters.sarif import FINGERPRINT_KEY, kind_description
from tests.reporters.runs import CERT_HINT, SCHEMAS, mixed_run, passing_run


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft7Validator:
    """A validator for the vendored SARIF 2.1.0 schema (draft-07)."""
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())


def _sarif(run: GateRun, options: ReportOptions | None = None) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render("sarif", run, options))
    return data


def _results(run: GateRun) -> dict[str, dict[str, Any]]:
    return {
        r["locations"][0]["logicalLocations"][0]["name"]: r
        for r in _sarif(run)["runs"][0]["results"]
    }


@pytest.mark.parametrize("make", [mixed_run, passing_run, lambda: GateRun(results=())])
def test_valid_against_sarif_schema(
    sarif_validator: jsonschema.Draft7Validator, make: object
) -> None:
    """Mixed, all-pass and empty runs validate against SARIF 2.1.0."""
    assert callable(make)
    errors = list(sarif_validator.iter_errors(_sarif(make())))
    assert errors == []


def test_the_schema_rejects_a_broken_log(sarif_validator: jsonschema.Draft7Validator) -> None:
    """The vendored schema really checks: an unknown level and a missing driver name fail."""
    log = _sarif(mixed_run())
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert not sarif_validator.is_valid(log)
    log = _sarif(mixed_run())
    del log["runs"][0]["tool"]["driver"]["name"]
    assert not sarif_validator.is_valid(log)


def test_driver_and_rules_are_the_kinds_present() -> None:
    """tool.driver names infra_verify with its version; one rule per kind, in run order."""
    log = _sarif(mixed_run())
    assert log["version"] == "2.1.0"
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "infra_verify"
    assert driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    assert [r["id"] for r in rules] == [
        "dns",
        "tls",
        "postgres",
        "http",
        "websocket",
        "environment",
    ]
    tls = rules[1]
    assert tls["name"] == "TlsCheck"
    assert tls["shortDescription"]["text"].startswith("The certificate at host:port verifies")
    assert "Level error: a root cause" in tls["help"]["text"]


def test_one_result_per_fail_error_blocked() -> None:
    """PASS and SKIPPED checks are not results; FAIL, ERROR and BLOCKED are, in run order."""
    results = _sarif(mixed_run())["runs"][0]["results"]
    names = [r["locations"][0]["logicalLocations"][0]["name"] for r in results]
    assert names == ["cert", "sql", "health", "ws"]


def test_levels_root_causes_error_others_warning() -> None:
    """Root causes are level error; blocked and explained checks are warnings (never note)."""
    results = _results(mixed_run())
    assert {k: v["level"] for k, v in results.items()} == {
        "cert": "error",
        "sql": "error",
        "health": "warning",
        "ws": "warning",
    }
    assert results["cert"]["properties"]["rootCause"] is True
    assert results["health"]["properties"]["rootCause"] is False
    assert results["health"]["properties"]["status"] == "blocked"
    assert all("kind" not in r for r in results.values())  # SARIF default kind "fail"


def test_result_rule_message_and_location() -> None:
    """ruleId is the kind, ruleIndex points at it, the message has summary and hint."""
    log = _sarif(mixed_run())
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    cert = _results(mixed_run())["cert"]
    assert cert["ruleId"] == "tls"
    assert rules[cert["ruleIndex"]]["id"] == "tls"
    text = cert["message"]["text"]
    assert "certificate SAN: expected api.staging.example" in text
    assert text.endswith(f"Fix: {CERT_HINT}")
    assert cert["locations"] == [
        {
            "logicalLocations": [
                {"name": "cert", "fullyQualifiedName": "staging/cert", "kind": "resource"}
            ]
        }
    ]
    assert cert["partialFingerprints"] == {FINGERPRINT_KEY: "staging/tls/cert"}


def test_blocked_and_explained_messages_name_the_root_cause() -> None:
    """A blocked result says it was not run and what blocked it; explained says what explains."""
    results = _results(mixed_run())
    assert results["health"]["message"]["text"] == (
        "health was not run: blocked by cert. Fix cert first."
    )
    assert results["health"]["properties"]["blockedBy"] == ["cert"]
    assert "(explained by cert)" in results["ws"]["message"]["text"]
    assert results["ws"]["properties"]["explainedBy"] == ["cert"]


def test_observations_are_in_properties() -> None:
    """Every observation, ok or not, is kept as evidence in the result's property bag."""
    cert = _results(mixed_run())["cert"]
    assert cert["properties"]["observations"] == [
        {
            "property": "issuer",
            "expected": "Google Trust Services",
            "actual": "Google Trust Services",
            "ok": True,
            "where": None,
        },
        {
            "property": "san",
            "expected": "api.staging.example",
            "actual": "*.other.example",
            "ok": False,
            "where": "34.54.41.44:443",
        },
    ]
    assert cert["properties"]["attempts"] == 3


def test_invocation_and_run_properties() -> None:
    """The invocation records the gate's exit code; run properties hold counts and root causes."""
    run_ = _sarif(mixed_run())["runs"][0]
    inv = run_["invocations"][0]
    assert inv["exitCode"] == 1 and inv["executionSuccessful"] is True
    assert inv["startTimeUtc"] == "2025-11-24T16:00:00.000Z"
    assert inv["endTimeUtc"] == "2025-11-24T16:00:02.500Z"
    assert run_["properties"]["rootCauses"] == ["cert", "sql"]
    assert run_["properties"]["counts"] == {
        "pass": 1,
        "fail": 2,
        "error": 1,
        "blocked": 1,
        "skipped": 1,
    }
    assert run_["automationDetails"]["id"] == "infra_verify/staging/"


def test_passing_run_has_no_results() -> None:
    """An all-pass run has an empty results array (a scan with nothing found) and exit code 0."""
    run_ = _sarif(passing_run())["runs"][0]
    assert run_["results"] == []
    assert run_["invocations"][0]["exitCode"] == 0
    assert [r["id"] for r in run_["tool"]["driver"]["rules"]] == ["dns", "http"]


def test_interrupted_run_is_not_a_successful_execution() -> None:
    """An interrupted gate run is reported as an unsuccessful tool execution."""
    run = mixed_run()
    run.interrupted = True
    assert _sarif(run)["runs"][0]["invocations"][0]["executionSuccessful"] is False


def test_kind_description_falls_back_for_unknown_kinds() -> None:
    """Built-in kinds use their class docstring; unknown kinds get a generic sentence."""
    assert kind_description("dns").startswith("NAME of TYPE resolves")
    assert kind_description("no-such-kind") == "An infra_verify 'no-such-kind' check passes."
