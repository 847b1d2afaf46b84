"""docs/composing.md: its code example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "composing.md"


def test_composing_code_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """The first python block builds a gate in code and runs all_of/any_of to a PASS."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert blocks, "docs/composing.md has no python example"
    exec(compile(blocks[0], str(DOC), "exec"), {"__name__": "composing_example"})
    assert capsys.readouterr().out.strip() == "all 2 passed"


def test_composing_doc_covers_every_topic() -> None:
    """The section covers code, combinators, bundles, extends, --show-policy and plugins."""
    text = DOC.read_text()
    for needle in (
        "## Composing checks",
        "any_of",
        "bundle.cloud_run_https",
        "extends: base.yaml",
        "{remove: true}",
        "--show-policy",
        'entry-points."infra_verify.kinds"',
    ):
        assert needle in text, needle
