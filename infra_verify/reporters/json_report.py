"""The JSON report: the versioned serialization of a GateRun (see infra_verify.reporters.serialize)."""

from __future__ import annotations

import json

from infra_verify.gate import GateRun
from infra_verify.redact import Redactor, redact_data
from infra_verify.reporters import ReportOptions
from infra_verify.reporters.serialize import run_to_dict


def render(run: GateRun, options: ReportOptions) -> str:
    """The run as indented JSON, every string redacted before encoding."""
    data = redact_data(run_to_dict(run), options.redactor or Redactor())
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
