"""Regenerate docs/policy-reference.md from the policy schemas."""

from pathlib import Path

from infra_verify.policy.reference import render_reference

if __name__ == "__main__":
    path = Path(__file__).resolve().parent.parent / "docs" / "policy-reference.md"
    path.write_text(render_reference(), encoding="utf-8")
    print(f"wrote {path}")
