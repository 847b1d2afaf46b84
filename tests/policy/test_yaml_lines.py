"""The line-tracking YAML load builds exactly the data PyYAML's safe loader builds."""

from __future__ import annotations

import pytest
import yaml

from infra_verify.errors import PolicyError
from infra_verify.policy.yaml_lines import load_yaml

DOCUMENTS = {
    "scalars": "s: text\nq: 'yes'\nb: yes\nn: ~\ni: 0x1f\nf: 1.5e3\nd: 2024-01-02\nt: !!str 12\n",
    "nested": "checks:\n  a: {kind: dns, expect: [192.0.2.1, '2001:db8::1']}\n  b: [[1, 2], {c: null}]\n",
    "anchors": "base: &b {kind: dns, type: A}\none: *b\ntwo: {<<: *b, type: AAAA}\n",
    "tags": "bin: !!binary aGVsbG8=\nset: !!set {a, b}\nomap: !!omap [{a: 1}, {b: 2}]\n",
    "keys": "1: int key\ntrue: bool key\n~: null key\nplain: v\n",
    "block": "text: |\n  line one\n  line two\nfolded: >\n  a\n  b\n",
    "empty": "a:\nb: []\nc: {}\n",
}


@pytest.mark.parametrize("text", DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_data_equals_the_safe_loaders(text: str) -> None:
    """Strings, numbers, booleans, null, dates, tags, anchors and merge keys come out alike."""
    data, lines = load_yaml(text, "p.yaml")
    assert data == yaml.safe_load(text)
    assert lines[()] == 1


def test_an_alias_gives_the_same_object() -> None:
    """A mapping met again through an alias is the same object, as with PyYAML."""
    data, _ = load_yaml("a: &x {k: v}\nb: *x\n", "p.yaml")
    assert data["b"] is data["a"]


def test_lines_name_each_key() -> None:
    """Every key's path maps to its 1-based line."""
    _, lines = load_yaml(
        "environment: x\nchecks:\n  a:\n    kind: dns\n    expect: [1.2.3.4]\n", "f"
    )
    assert lines[("checks", "a", "kind")] == 4
    assert lines[("checks", "a", "expect", 0)] == 5


@pytest.mark.parametrize(
    ("text", "line"),
    [("a: 1\n? [x]\n: 2\n", 2), ("a: !!python/object:os.system x\n", 1), ("a: [1\n", 2)],
    ids=["unhashable-key", "unsafe-tag", "syntax"],
)
def test_what_the_safe_loader_refuses_is_one_policy_error(text: str, line: int) -> None:
    """An unhashable key, an unsafe tag or a syntax error is a PolicyError naming the line."""
    with pytest.raises(PolicyError) as caught:
        load_yaml(text, "p.yaml")
    assert caught.value.line == line
    assert "invalid YAML" in str(caught.value)
