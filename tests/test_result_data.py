"""Result and Outcome as plain JSON data: every field survives (what workers stream relies on)."""

from __future__ import annotations

import dataclasses
import json

from infra_verify.model import Eta, Observation, Outcome, Result, Source, Status
from infra_verify.result_data import (
    outcome_from_dict,
    outcome_to_dict,
    result_from_dict,
    result_to_dict,
)

OBS = (Observation("a record", "1.2.3.4", "5.6.7.8", False, "8.8.8.8"),)
ETA = Eta(1_800_000_000.5, 1_800_000_300.25, "cached answer, ttl 300", "flush the cache")


def test_every_result_field_survives_json() -> None:
    """A Result with every field set reads back equal through JSON text; no field is left out."""
    result = Result(
        id="dns-www",
        kind="dns",
        status=Status.FAIL,
        summary="wrong address",
        observations=OBS,
        hint="point the record at the load balancer",
        duration=0.125,
        attempts=3,
        terminal=True,
        after=("a",),
        blocked_by=("b",),
        explained_by=("c",),
        converged_after=1.5,
        warnings=("w",),
        not_in_shard="1/2",
        eta=ETA,
        cause="resolver 8.8.8.8 silent",
        source=Source("policies/staging.yaml", 12),
    )
    defaults = Result("x", "k", Status.PASS, "s")
    unset = [
        f.name
        for f in dataclasses.fields(Result)
        if f.name not in ("id", "kind", "status", "summary")
        and getattr(result, f.name) == getattr(defaults, f.name)
    ]
    assert unset == []  # a new field must be set here, and so encoded
    assert result_from_dict(json.loads(json.dumps(result_to_dict(result)))) == result


def test_every_outcome_field_survives_json() -> None:
    """An Outcome with every field set reads back equal through JSON text."""
    outcome = Outcome(
        Status.FAIL,
        "still old",
        OBS,
        hint="wait",
        terminal=False,
        warnings=("w",),
        eta=ETA,
        cause="c",
    )
    defaults = Outcome(Status.PASS, "s")
    unset = [
        f.name
        for f in dataclasses.fields(Outcome)
        if f.name not in ("status", "summary", "terminal")
        and getattr(outcome, f.name) == getattr(defaults, f.name)
    ]
    assert unset == []
    assert outcome_from_dict(json.loads(json.dumps(outcome_to_dict(outcome)))) == outcome
