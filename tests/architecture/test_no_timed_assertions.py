"""No test asserts an upper bound on elapsed wall time: such tests fail on a busy machine.

The brief: tests pass on a loaded machine, polling with generous bounds instead of fixed
sleeps and tight timeouts. "Stopped early" is proven by what was never reached (a request never
counted, a probe cancelled), "timeout honoured" by the error naming it under pytest-timeout's
hang guard. A *lower* bound (a latency really applied, a timeout not cut short) stays allowed:
a busy machine only makes things slower.

The scan is a small AST pass over every test module: an ``assert`` whose comparison puts an
elapsed time on the small side of ``<``/``<=`` (or the large side of ``>``/``>=``). An elapsed
time is a difference involving a clock reading (``time.monotonic() - start``, where a reading
is a clock call, ``time.time()`` or ``loop.time()`` included, or a name assigned from one), a
measured duration (``.duration``, ``.converged_after``, a ``"wall_s"``/``"duration_s"`` key), a
name assigned from one, or the result of a module function returning one. A timestamp compared
with a reading taken before it (``before + 50 <= eta.earliest``) is no elapsed time.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]

CLOCKS = frozenset({"monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns", "time"})
MEASURED_ATTRS = frozenset({"duration", "converged_after"})
MEASURED_KEYS = ("wall", "duration_s", "elapsed")


def _is_clock_call(node: ast.AST) -> bool:
    """``time.monotonic()``, ``perf_counter()``, ``loop.time()``, ..."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in CLOCKS


class _Scan:
    """What a module's names hold: clock readings, and elapsed times (differences of readings,
    measured durations, results of the module's own timing helpers)."""

    def __init__(self, tree: ast.Module) -> None:
        self.readings: set[str] = set()
        self.elapsed: set[str] = set()
        self.timing_fns: set[str] = set()
        while True:
            size = len(self.readings) + len(self.elapsed) + len(self.timing_fns)
            for node in ast.walk(tree):
                self._learn(node)
            if len(self.readings) + len(self.elapsed) + len(self.timing_fns) == size:
                return

    def _learn(self, node: ast.AST) -> None:
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign) and node.value:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
            if self.is_elapsed(node.value):
                self.elapsed |= names
            elif self.is_reading(node.value):
                self.readings |= names
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
            isinstance(sub, ast.Return) and sub.value is not None and self.is_elapsed(sub.value)
            for sub in ast.walk(node)
        ):
            self.timing_fns.add(node.name)

    def is_reading(self, node: ast.AST) -> bool:
        """A clock reading (``time.monotonic()``, ``start``, ``deadline``) inside ``node``."""
        return any(
            _is_clock_call(sub) or (isinstance(sub, ast.Name) and sub.id in self.readings)
            for sub in ast.walk(node)
        )

    def is_elapsed(self, node: ast.AST) -> bool:
        """An elapsed time inside ``node``: ``now() - start``, ``.duration``, ``took``, ..."""
        for sub in ast.walk(node):
            if (
                isinstance(sub, ast.BinOp)
                and isinstance(sub.op, ast.Sub)
                and (self.is_reading(sub.left) or self.is_reading(sub.right))
            ):
                return True
            if isinstance(sub, ast.Call) and getattr(sub.func, "id", None) in self.timing_fns:
                return True
            if isinstance(sub, ast.Attribute) and sub.attr in MEASURED_ATTRS:
                return True
            if isinstance(sub, ast.Name) and sub.id in self.elapsed:
                return True
            if (
                isinstance(sub, ast.Subscript)
                and isinstance(sub.slice, ast.Constant)
                and isinstance(sub.slice.value, str)
                and any(key in sub.slice.value for key in MEASURED_KEYS)
            ):
                return True
        return False


def timed_assertions(source: str) -> list[int]:
    """Line numbers of asserts bounding an elapsed wall-clock time from above."""
    tree = ast.parse(source)
    scan = _Scan(tree)
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assert):
            continue
        for compare in (n for n in ast.walk(node.test) if isinstance(n, ast.Compare)):
            sides = [compare.left, *compare.comparators]
            for left, op, right in zip(sides, compare.ops, sides[1:], strict=False):
                small = left if isinstance(op, ast.Lt | ast.LtE) else None
                small = right if isinstance(op, ast.Gt | ast.GtE) else small
                if small is not None and scan.is_elapsed(small):
                    lines.append(node.lineno)
    return sorted(set(lines))


def test_no_test_asserts_an_upper_bound_on_elapsed_time() -> None:
    """Every test module is free of ``assert elapsed < N``-style wall-clock bounds."""
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        for line in timed_assertions(path.read_text(encoding="utf-8")):
            found.append(f"{path.relative_to(TESTS.parent)}:{line}")
    assert not found, "timed assertions (fail on a busy machine): " + ", ".join(found)


@pytest.mark.parametrize(
    "source",
    [
        "start = time.monotonic()\nrun()\nassert time.monotonic() - start < 2\n",
        "t0 = perf_counter()\nrun()\ntook = perf_counter() - t0\nassert took < 1.5\n",
        "assert result.duration < timeout + 1.0\n",
        "assert timeout - 0.05 <= result.duration < timeout + 1.0\n",
        "assert 5 > run.duration\n",
        'assert figures["wall_s"] < DEADLINE\n',
        "def timed():\n    s = time.perf_counter()\n    return time.perf_counter() - s\n"
        "one = timed()\nassert one < 3\n",
    ],
)
def test_the_scan_finds_upper_bounds(source: str) -> None:
    """The scan flags clock calls, measured durations, derived names and clock helpers."""
    assert timed_assertions(textwrap.dedent(source)) != []


@pytest.mark.parametrize(
    "source",
    [
        "started = time.perf_counter()\nrun()\nassert time.perf_counter() - started >= 0.3\n",
        "assert result.duration >= timeout - 0.05\n",
        "deadline = time.monotonic() + 60\nwhile time.monotonic() < deadline:\n    poll()\n",
        "assert result.attempts <= 7 and len(calls) < 3\n",
        "before = time.time()\nassert before + 50 <= eta.earliest <= time.time() + 60\n",
    ],
)
def test_the_scan_allows_lower_bounds_and_polling(source: str) -> None:
    """Lower bounds, polling deadlines and counts are not timed assertions."""
    assert timed_assertions(source) == []
