"""Documentation that is generated or quoted stays true: the policy reference and README commands."""

from __future__ import annotations

from pathlib import Path

from infra_verify.reference import render_reference

ROOT = Path(__file__).resolve().parent.parent


def test_policy_reference_is_up_to_date() -> None:
    """docs/policy-reference.md equals what the schemas generate (run scripts/gen_reference.py)."""
    assert (ROOT / "docs" / "policy-reference.md").read_text(encoding="utf-8") == render_reference()


def test_reference_documents_every_builtin_kind() -> None:
    """Every built-in kind has a section in the reference."""
    from infra_verify.kinds import BUILTIN_KINDS

    text = render_reference()
    for kind in BUILTIN_KINDS:
        assert f"### `{kind}`" in text, kind


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run calls exactly the test command the README shows."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "bash scripts/test.sh" in readme and "scripts/test.sh" in ci
    assert "bash scripts/demo.sh" in readme
