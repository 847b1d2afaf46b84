"""The one schema renderer: the Markdown policy reference and the ``kinds`` command agree."""

from __future__ import annotations

import io
import json
import re

from infra_verify.checks.registry import BUILTIN_KINDS
from infra_verify.cli.main import main
from infra_verify.policy.reference import render_reference

_ROW = re.compile(r"^\| `([^`]+)` \| (.+?) \| `")


def _markdown_keys() -> dict[str, dict[str, str]]:
    """{kind: {key: type}} from the Markdown reference, the common keys added to every kind."""
    sections = re.split(r"^### `([^`]+)`$", render_reference(), flags=re.MULTILINE)
    common_part = sections[0].split("Keys common to every kind:")[1]

    def rows(text: str) -> dict[str, str]:
        found = (_ROW.match(line) for line in text.splitlines())
        return {m[1]: m[2].replace("&#124;", "|") for m in found if m}

    common = rows(common_part)
    return {
        name: common | rows(body) for name, body in zip(sections[1::2], sections[2::2], strict=True)
    }


def test_markdown_reference_and_kinds_json_show_the_same_keys_and_types() -> None:
    """For every built-in kind the Markdown reference and `kinds --format json` list the same keys with the same types."""
    out = io.StringIO()
    assert main(["kinds", *BUILTIN_KINDS, "--format", "json", "--common"], stdout=out) == 0
    from_json = {
        doc["name"]: {k["key"]: k["type"] for k in doc["keys"]}
        for doc in json.loads(out.getvalue())["kinds"]
    }
    from_markdown = _markdown_keys()
    assert set(from_json) == set(from_markdown) == set(BUILTIN_KINDS)
    for kind in BUILTIN_KINDS:
        assert from_markdown[kind] == from_json[kind], kind
