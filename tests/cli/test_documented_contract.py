"""The README documents the run command's flags and exit codes exactly as --help states them."""

from __future__ import annotations

import re
from pathlib import Path

from infra_verify.cli.common import EXIT_CODES
from infra_verify.cli.run import build_parser

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_run_flag_is_in_the_readme() -> None:
    """Each long option of `python -m infra_verify --help` is named in the README."""
    flags = [o for a in build_parser()._actions for o in a.option_strings if o.startswith("--")]
    assert "--allow-loopback-settings" in flags and "--allow-outside-policy-dir" in flags
    assert [f for f in flags if f not in README] == []


def test_readme_and_help_give_the_same_exit_codes() -> None:
    """README's exit-code table has rows 0-3, and the --help epilog names the same four codes."""
    section = README.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d) \|", section, flags=re.M)
    assert rows == ["0", "1", "2", "3"]
    assert build_parser().epilog == EXIT_CODES
    assert [m for m in re.findall(r"\b(\d) [a-z]", EXIT_CODES)] == ["0", "1", "2", "3"]
    assert "internal error" in section and "internal error" in EXIT_CODES
