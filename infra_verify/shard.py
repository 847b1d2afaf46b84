"""Split one policy's checks across machines: ``--shard i/n`` runs a deterministic subset.

    python -m infra_verify staging --shard 1/3 --json shard-1.json    # on machine 1 (of 3)
    python -m infra_verify staging --shard auto --json shard.json     # in a Cloud Run Job task
    python -m infra_verify merge shard-*.json                          # one verdict for all

Which checks go together: a check's verdict depends on its dependencies' verdicts (a failed
dependency makes it BLOCKED; a failed soft dependency *explains* its failure). So the unit we
distribute is not the single check but the connected component of the dependency graph (hard
and soft edges, written and inferred): a dependency chain always runs in one shard, and the
root causes a shard names are the ones a single run would name. Each component is named by its
smallest check id, and goes to shard ``crc32(name) % n + 1``: stable across runs, machines and
Python versions (unlike ``hash()``), and unchanged for a component when other checks are added.

Merging (``merge_runs``) takes each check from the shard that ran it.

Shards are numbered from 1 (``1/3``, ``2/3``, ``3/3``), like CI matrices; ``auto`` reads Cloud
Run Jobs' ``CLOUD_RUN_TASK_INDEX`` (counted from 0) and ``CLOUD_RUN_TASK_COUNT``. Checks of other
shards are reported as SKIPPED "not in shard i/n", which ``merge`` recognises.
"""

from __future__ import annotations

import dataclasses
import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from infra_verify.errors import UsageError
from infra_verify.gate import GateRun
from infra_verify.graph import Graph, component_names
from infra_verify.model import Result, Status

__all__ = [
    "NOT_IN_SHARD",
    "Shard",
    "ShardRun",
    "component_names",
    "mark_not_in_shard",
    "merge_runs",
    "outside",
    "parse_shard",
    "shard_of",
]

NOT_IN_SHARD = "not in shard"
"""The summary of checks a shard did not run; ``merge`` keys on ``Result.not_in_shard``."""

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    """One shard: ``index`` counted from 1, of ``count`` shards."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1 or not 1 <= self.index <= self.count:
            raise UsageError(
                f"--shard {self.index}/{self.count}: need 1 <= i <= n (shards count from 1)"
            )

    @property
    def label(self) -> str:
        """``i/n``, as written on the command line."""
        return f"{self.index}/{self.count}"


def parse_shard(value: str, env: Mapping[str, str]) -> Shard:
    """Parse ``i/n``, or ``auto`` (Cloud Run Jobs' task index and count from ``env``)."""
    if value.strip() == "auto":
        index, count = env.get("CLOUD_RUN_TASK_INDEX"), env.get("CLOUD_RUN_TASK_COUNT")
        if index is None or count is None:
            raise UsageError(
                "--shard auto: CLOUD_RUN_TASK_INDEX and CLOUD_RUN_TASK_COUNT are not set "
                "(they are in Cloud Run Jobs); elsewhere pass --shard i/n"
            )
        if not (index.strip().isdigit() and count.strip().isdigit()):
            raise UsageError(
                f"--shard auto: CLOUD_RUN_TASK_INDEX={index!r} / CLOUD_RUN_TASK_COUNT={count!r} "
                "are not whole numbers"
            )
        return Shard(int(index) + 1, int(count))
    match = _SPEC.match(value)
    if match is None:
        raise UsageError(f"--shard {value!r}: write i/n (e.g. 1/3) or auto")
    return Shard(int(match.group(1)), int(match.group(2)))


def shard_of(name: str, count: int) -> int:
    """The shard (counted from 1) a component named ``name`` goes to, of ``count``."""
    return zlib.crc32(name.encode("utf-8")) % count + 1


def outside(graph: Graph, shard: Shard) -> set[str]:
    """The ids of the checks that other shards run."""
    names = component_names(graph)
    return {cid for cid, name in names.items() if shard_of(name, shard.count) != shard.index}


@dataclass
class ShardRun(GateRun):
    """A shard's run: like GateRun, but a shard with nothing of its own to run passes."""

    shard: str = ""

    @property
    def ok(self) -> bool:
        """True when every check this shard ran passed (or it had none to run)."""
        selected = [r for r in self.results if r.status is not Status.SKIPPED]
        return all(r.ok for r in selected) and not self.interrupted


def mark_not_in_shard(run: GateRun, ids: Iterable[str], shard: Shard) -> ShardRun:
    """Relabel the SKIPPED results of ``ids`` as "not in shard i/n"."""
    others = set(ids)
    summary = f"{NOT_IN_SHARD} {shard.label}"
    results = tuple(
        r.evolve(summary=summary, not_in_shard=shard.label)
        if r.id in others and r.status is Status.SKIPPED
        else r
        for r in run.results
    )
    fields = {f.name: getattr(run, f.name) for f in dataclasses.fields(run)}
    fields["results"] = results
    return ShardRun(**fields, shard=shard.label)


def _pick(cid: str, found: list[Result], reports: int) -> tuple[Result, str | None]:
    ran = [r for r in found if r.status is not Status.SKIPPED]
    if ran:
        worst = next((r for r in ran if not r.ok), ran[0])
        note = None
        if len(ran) > 1:
            note = f"{cid} was run by {len(ran)} shards; taking the {worst.status.value} result"
        return worst, note
    chosen = next((r for r in found if r.not_in_shard is None), None)
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
            source=first.source,
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
