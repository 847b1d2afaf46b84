"""The JSON report matches infra_verify/reporters/report.schema.json, which is strict and complete."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema
import pytest

from infra_verify.gate import GateRun
from infra_verify.model import Observation, Result, Status
from infra_verify.reporters import render
from infra_verify.reporters.serialize import SCHEMA, result_to_dict, run_to_dict
from tests.reporters.runs import mixed_run, passing_run


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    """The report schema, loaded as package data (as an installed wheel would ship it)."""
    text = resources.files("infra_verify.reporters").joinpath("report.schema.json").read_text()
    data: dict[str, Any] = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(data)
    return data


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """A draft 2020-12 validator for the report schema."""
    return jsonschema.Draft202012Validator(schema)


def _report(run: GateRun) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render("json", run))
    return data


def _interrupted() -> GateRun:
    run = passing_run()
    return GateRun(run.results, environment="e", duration=1.0, interrupted=True)


def _deadline() -> GateRun:
    return GateRun(
        results=(
            Result(
                "slow",
                "http",
                Status.ERROR,
                "no verdict: the gate's 1s deadline was reached before this check finished",
                hint="raise --deadline",
            ),
            Result(
                "after-slow",
                "http",
                Status.BLOCKED,
                "blocked by slow",
                after=("slow",),
                blocked_by=("slow",),
            ),
        ),
        environment="e",
        deadline_reached=True,
    )


@pytest.mark.parametrize(
    "make", [mixed_run, passing_run, lambda: GateRun(results=()), _interrupted, _deadline]
)
def test_reports_validate(validator: jsonschema.Draft202012Validator, make: object) -> None:
    """Runs with every status, all-pass, empty, interrupted and deadline runs validate."""
    assert callable(make)
    errors = [e.message for e in validator.iter_errors(_report(make()))]
    assert errors == []


def test_mixed_report_has_every_status(validator: jsonschema.Draft202012Validator) -> None:
    """The mixed run really covers PASS, FAIL, ERROR, BLOCKED, SKIPPED and an explained FAIL."""
    report = _report(mixed_run())
    statuses = {r["status"] for r in report["results"]}
    assert statuses == {"pass", "fail", "error", "blocked", "skipped"}
    assert any(r["explained_by"] for r in report["results"])
    assert report["$schema"] == SCHEMA


def test_schema_id_is_the_reports_schema_uri(schema: dict[str, Any]) -> None:
    """The schema's $id is the URI every report names in its $schema field."""
    assert schema["$id"] == SCHEMA


def test_schema_lists_exactly_the_serialized_fields(schema: dict[str, Any]) -> None:
    """Every field run_to_dict/result_to_dict writes is declared and required, and no other."""
    run_keys = set(run_to_dict(mixed_run()))
    assert set(schema["properties"]) == run_keys
    assert set(schema["required"]) == run_keys
    result = schema["$defs"]["result"]
    result_keys = set(result_to_dict(mixed_run().results[1]))
    assert set(result["properties"]) == result_keys
    assert set(result["required"]) == result_keys
    obs = schema["$defs"]["observation"]
    obs_keys = set(result_to_dict(mixed_run().results[1])["observations"][0])
    assert set(obs["properties"]) == obs_keys == set(obs["required"])
    assert set(schema["properties"]["counts"]["required"]) == {s.value for s in Status}


@pytest.mark.parametrize(
    ("mutate", "why"),
    [
        (lambda d: d.update(extra=1), "unknown top-level key"),
        (lambda d: d["results"][0].update(colour="red"), "unknown result key"),
        (
            lambda d: d["results"][1]["observations"][0].update(severity="x"),
            "unknown observation key",
        ),
        (lambda d: d["results"][0].update(status="passed"), "unknown status"),
        (lambda d: d["results"][3].update(blocked_by=[]), "blocked without a blocker"),
        (lambda d: d["results"][0].update(blocked_by=["x"]), "a pass with a blocker"),
        (lambda d: d["results"][0].update(explained_by=["x"]), "an explained pass"),
        (lambda d: d.update(ok=True), "ok disagrees with exit_code"),
        (lambda d: d.update(schema_version=2), "another schema version"),
        (lambda d: d["counts"].pop("skipped"), "a missing count"),
        (lambda d: d["results"][1].pop("hint"), "a missing result field"),
        (lambda d: d["results"][1]["observations"][0].update(expected=3), "a non-string expected"),
    ],
)
def test_schema_is_strict(
    validator: jsonschema.Draft202012Validator, mutate: Any, why: str
) -> None:
    """The schema rejects unknown keys, missing fields and inconsistent statuses."""
    report = _report(mixed_run())
    assert validator.is_valid(report)
    mutate(report)
    assert not validator.is_valid(report), why


def test_null_observation_values_are_allowed(validator: jsonschema.Draft202012Validator) -> None:
    """Observations with unknown expected/actual (None) still validate."""
    run = GateRun(
        results=(
            Result(
                "a",
                "tcp",
                Status.FAIL,
                "no answer",
                observations=(Observation("open", None, None, False),),
            ),
        )
    )
    assert validator.is_valid(_report(run))
