"""The JSON report: the versioned serialization of a GateRun (see infra_verify.serialize)."""

from __future__ import annotations

import json

from infra_verify.gate import GateRun
from infra_verify.reporters import ReportOptions
from infra_verify.serialize import run_to_dict


def render(run: GateRun, options: ReportOptions) -> str:
    """The run as indented JSON."""
    return json.dumps(run_to_dict(run), indent=2, ensure_ascii=False) + "\n"
