"""Pieces every command shares: one-line usage errors and the exit-code contract.

Exit codes: 0 the deployment (or plan) is complete, 1 it is not, 2 bad input or usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from infra_verify.errors import UsageError

EXIT_OK, EXIT_INCOMPLETE, EXIT_USAGE = 0, 1, 2


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr and exit 2."""

    def __init__(self, *args: object, label: str = "infra_verify", **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.label = label

    def error(self, message: str) -> None:  # type: ignore[override]
        """Usage errors: one line, exit 2."""
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.label}: error: {message} (see --help)\n")
        raise SystemExit(EXIT_USAGE)


def run_command(
    label: str,
    parser: argparse.ArgumentParser,
    body: Callable[[argparse.Namespace, TextIO], int],
    argv: Sequence[str],
    stdout: TextIO | None,
) -> int:
    """Parse ``argv`` and run ``body``; usage errors and UsageError become one line and exit 2."""
    out = stdout or sys.stdout
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return body(args, out)
    except UsageError as exc:
        sys.stderr.write(f"{label}: error: {exc}\n")
        return EXIT_USAGE


def write_file(file: str | Path, text: str) -> None:
    """Write a report or policy file, creating its folder; failure is a UsageError naming it."""
    try:
        Path(file).parent.mkdir(parents=True, exist_ok=True)
        Path(file).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {file}: {exc.strerror}") from None
