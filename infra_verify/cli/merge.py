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

from infra_verify.cli.common import OneLineParser, run_command, write_file
from infra_verify.errors import UsageError
from infra_verify.gate import GateRun
from infra_verify.model import Result, Status
from infra_verify.reporters.serialize import run_from_dict
from infra_verify.shard import NOT_IN_SHARD

__all__ = ["load_report", "merge_main", "merge_runs"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``merge`` command."""
    p = OneLineParser(
        label="infra_verify merge",
        prog="python -m infra_verify merge",
        description="Combine the JSON reports of --shard runs into one verdict.",
        epilog="exit codes: 0 every check passed, 1 not, 2 bad input or usage",
    )
    p.add_argument("reports", nargs="+", metavar="REPORT.json", help="JSON reports (--json F)")
    p.add_argument("--format", choices=["text", "json"], default="text", help="stdout format")
    p.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report to FILE")
    p.add_argument("--json", metavar="FILE", dest="json_file", help="also write the merged JSON")
    p.add_argument("-v", "--verbose", action="count", default=0, help="show every observation")
    return p


def load_report(path: str | Path) -> GateRun:
    """Read one JSON report; UsageError when it is unreadable or not a report."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: not an infra_verify JSON report")
    try:
        return run_from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"{path}: not an infra_verify JSON report ({exc!s})") from None


def _skipped_by_shard(r: Result) -> bool:
    return r.status is Status.SKIPPED and r.summary.startswith(NOT_IN_SHARD)


def _pick(cid: str, found: list[Result], reports: int) -> tuple[Result, str | None]:
    ran = [r for r in found if r.status is not Status.SKIPPED]
    if ran:
        worst = next((r for r in ran if not r.ok), ran[0])
        note = None
        if len(ran) > 1:
            note = f"{cid} was run by {len(ran)} shards; taking the {worst.status.value} result"
        return worst, note
    chosen = next((r for r in found if not _skipped_by_shard(r)), None)
    if chosen is not None:  # deselected by the user: stays SKIPPED
        return chosen, None
    first = found[0]
    return (
        Result(
            cid,
            first.kind,
            Status.ERROR,
            f"not run by any shard (skipped by all {reports} reports)",
            hint="merge the JSON report of every shard, cut the same way: "
            "python -m infra_verify merge shard-*.json",
            after=first.after,
        ),
        None,
    )


def merge_runs(runs: Sequence[GateRun]) -> GateRun:
    """One run from the shards' runs; UsageError when they are of different environments."""
    if not runs:
        raise UsageError("merge: no reports given")
    environments = sorted({run.environment for run in runs})
    if len(environments) > 1:
        raise UsageError(
            f"merge: the reports are of different environments: {', '.join(environments)}"
        )
    found: dict[str, list[Result]] = {}
    for run in runs:
        for r in run.results:
            found.setdefault(r.id, []).append(r)
    results: list[Result] = []
    notes: list[str] = []
    for cid, candidates in found.items():
        result, note = _pick(cid, candidates, len(runs))
        results.append(result)
        if note:
            notes.append(note)
    return GateRun(
        results=tuple(results),
        environment=environments[0],
        duration=max(run.duration for run in runs),
        deadline_reached=any(run.deadline_reached for run in runs),
        interrupted=any(run.interrupted for run in runs),
        started_at=min(run.started_at for run in runs),
        warnings=tuple(w for run in runs for w in run.warnings) + tuple(notes),
    )


def merge_main(argv: Sequence[str], *, stdout: TextIO | None = None) -> int:
    """Run the merge command; returns the exit code."""

    def body(args: argparse.Namespace, out: TextIO) -> int:
        run = merge_runs([load_report(path) for path in args.reports])
        _report(run, args, out)
        return run.exit_code

    return run_command("infra_verify merge", build_parser(), body, argv, stdout)


def _report(run: GateRun, args: argparse.Namespace, out: TextIO) -> None:
    from infra_verify.reporters import ReportOptions, render

    opts = ReportOptions(
        verbose=args.verbose, title=f"{run.environment} · merged {len(args.reports)} reports"
    )
    for fmt, file in (("junit", args.junit), ("json", args.json_file)):
        if file:
            write_file(file, render(fmt, run, opts))
    out.write(render(args.format, run, opts))
    out.flush()
