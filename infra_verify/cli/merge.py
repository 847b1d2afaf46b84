"""``python -m infra_verify merge``: combine the JSON reports of shards into one verdict.

    python -m infra_verify merge shard-1.json shard-2.json shard-3.json [--format text|json]
                                 [--junit F] [--json F]

Each check is taken from the report of the shard that ran it (a result that is not SKIPPED).
A check that every report skipped as "not in shard i/n" was run by nobody (a shard's report is
missing, or shards were cut differently) and becomes ERROR "not run by any shard". A check the
user deselected (``--only``/``--skip``) stays SKIPPED. Reports of different environments do not
merge.

Exit codes: 0 every check passed, 1 not, 2 bad input (unreadable report, mixed environments).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from infra_verify.cli.common import (
    FORMAT_HELP,
    FORMATS,
    OneLineParser,
    is_stdout,
    run_command,
    write_file,
)
from infra_verify.errors import UsageError
from infra_verify.gate import GateRun
from infra_verify.policy.yaml_lines import read_limited
from infra_verify.reporters.serialize import run_from_dict
from infra_verify.shard import merge_runs

__all__ = ["load_report", "merge_main", "merge_runs"]


def build_parser(prog: str = "python -m infra_verify merge") -> argparse.ArgumentParser:
    """The argument parser of the ``merge`` command."""
    p = OneLineParser(
        label="infra_verify merge",
        prog=prog,
        description="Combine the JSON reports of --shard runs into one verdict.",
        epilog=(
            "exit codes: 0 every check passed; 1 not; 2 bad input or usage (a report that "
            "cannot be written included); 3 internal error (infra_verify itself crashed: a bug)"
        ),
    )
    p.add_argument("reports", nargs="+", metavar="REPORT.json", help="JSON reports (--json F)")
    p.add_argument("--format", choices=FORMATS, default="text", metavar="FORMAT", help=FORMAT_HELP)
    p.add_argument(
        "--output",
        metavar="FILE",
        help="write the report to FILE instead of stdout (then stdout stays empty); '-': stdout",
    )
    p.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report to FILE")
    p.add_argument("--json", metavar="FILE", dest="json_file", help="also write the merged JSON")
    p.add_argument("-v", "--verbose", action="count", default=0, help="show every observation")
    return p


MAX_REPORT_BYTES = 256 * 1024 * 1024
"""A shard's JSON report of 10,000 checks is a few MiB; anything past this is not a report."""


def load_report(path: str | Path) -> GateRun:
    """Read one JSON report; UsageError when it is unreadable or not a report."""
    try:  # bounded: a device or an endless file is refused, not read until memory runs out
        data = json.loads(read_limited(Path(path), MAX_REPORT_BYTES, what="JSON report"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: not an infra_verify JSON report")
    try:
        return run_from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"{path}: not an infra_verify JSON report ({exc!s})") from None


def merge_main(
    argv: Sequence[str], *, stdout: TextIO | None = None, prog: str = "python -m infra_verify merge"
) -> int:
    """Run the merge command; returns the exit code."""

    def body(args: argparse.Namespace, out: TextIO) -> int:
        run = merge_runs([load_report(path) for path in args.reports])
        _report(run, args, out)
        return run.exit_code

    return run_command("infra_verify merge", build_parser(prog), body, argv, stdout)


def _report(run: GateRun, args: argparse.Namespace, out: TextIO) -> None:
    from infra_verify.reporters import ReportOptions, render

    opts = ReportOptions(
        verbose=args.verbose, title=f"{run.environment} · merged {len(args.reports)} reports"
    )
    for fmt, file in (("junit", args.junit), ("json", args.json_file)):
        if file:
            write_file(file, render(fmt, run, opts))
    text = render(args.format, run, opts)
    if is_stdout(args.output):
        out.write(text)
        out.flush()
    else:
        write_file(args.output, text)
