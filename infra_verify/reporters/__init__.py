"""Report formats: a small registry of functions turning a GateRun into text.

Every reporter's output passes through the redactor last, so no format can leak a secret.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from infra_verify.gate import GateRun
from infra_verify.redact import Redactor


@dataclass(frozen=True)
class ReportOptions:
    """How to render: colors, verbosity, the redactor with this run's secrets, and the root
    that file locations are relative to (SARIF, GitHub; see ``locations.py``)."""

    color: bool = False
    verbose: int = 0
    redactor: Redactor | None = None
    title: str | None = None
    source_root: str | None = None


Renderer = Callable[[GateRun, ReportOptions], str]

REPORTERS: dict[str, str] = {
    "text": "infra_verify.reporters.console:render",
    "json": "infra_verify.reporters.json_report:render",
    "junit": "infra_verify.reporters.junit:render",
    "sarif": "infra_verify.reporters.sarif:render",
    "markdown": "infra_verify.reporters.markdown:render",
    "github": "infra_verify.reporters.github:render",
}


def get_reporter(name: str) -> Renderer:
    """The renderer for a format name; KeyError when unknown."""
    module, _, attr = REPORTERS[name].partition(":")
    fn: Renderer = getattr(importlib.import_module(module), attr)
    return fn


def render(name: str, run: GateRun, options: ReportOptions | None = None) -> str:
    """Render ``run`` in format ``name``, redacted."""
    opts = options or ReportOptions()
    text = get_reporter(name)(run, opts)
    return (opts.redactor or Redactor())(text)
