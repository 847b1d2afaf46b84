"""Documentation that is generated or quoted stays true: the policy reference and README commands."""

from __future__ import annotations

from pathlib import Path

from infra_verify.policy.reference import render_reference

ROOT = Path(__file__).resolve().parent.parent


def test_policy_reference_is_up_to_date() -> None:
    """docs/policy-reference.md equals what the schemas generate (run scripts/gen_reference.py)."""
    assert (ROOT / "docs" / "policy-reference.md").read_text(encoding="utf-8") == render_reference()


def test_reference_documents_every_builtin_kind() -> None:
    """Every built-in kind has a section in the reference."""
    from infra_verify.checks.registry import BUILTIN_KINDS

    text = render_reference()
    for kind in BUILTIN_KINDS:
        assert f"### `{kind}`" in text, kind


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run calls exactly the test command the README shows."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "bash scripts/test.sh" in readme and "scripts/test.sh" in ci
    assert "bash scripts/demo.sh" in readme


def test_readme_python_example_is_the_tested_one() -> None:
    """The README's deploy-script example is exactly the one tests/pipelines executes."""
    from tests.pipelines.test_readme_example import README_EXAMPLE

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert README_EXAMPLE.strip() in readme


def test_readme_gate_command_matches_cloud_build() -> None:
    """The gate command the README documents is the one the Cloud Build test checks."""
    from tests.pipelines.test_cloudbuild import README_GATE_COMMAND

    assert README_GATE_COMMAND in (ROOT / "README.md").read_text(encoding="utf-8")
