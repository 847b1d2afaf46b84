"""A worker process per core: components kept whole, results as one process gives them, a dead
worker's checks ERROR, SIGINT still reports, and the runs that must stay in one process do."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from infra_verify import workers
from infra_verify.check import Check
from infra_verify.checks.dns import Dns
from infra_verify.checks.environment import Environment
from infra_verify.checks.gcp.cloud_run import GcpCloudRunService
from infra_verify.cli.main import main
from infra_verify.context import CheckContext
from infra_verify.errors import UsageError
from infra_verify.gate import Gate, GateRun
from infra_verify.gcp.clients import GcpSettings
from infra_verify.graph import Graph, build_graph, component_names
from infra_verify.model import Result, Status
from infra_verify.testing.certs import CertFactory
from infra_verify.workers import (
    AUTO_MIN_CHECKS,
    Send,
    concurrency_shares,
    fork_refusal,
    merge,
    parse_workers,
    partition,
    worker_count,
)
from tests.fakes import Crashing, Scripted
from tests.servers.knot import KnotServer, zone
from tests.servers.web_server import WebServer

P, F, E = Status.PASS, Status.FAIL, Status.ERROR
ORIGIN = "example.test"


def context(**kw: object) -> CheckContext:
    """The test context (loopback allowed: the DNS server is knot on 127.0.0.1)."""
    settings: dict[str, object] = {"environment": "test", "timeout": 5, "allow_loopback": True}
    return CheckContext(**{**settings, **kw})  # type: ignore[arg-type]


def group(i: int) -> list[Check]:
    """One component of every verdict: pass, fail, blocked, explained, error, crash, skipped."""
    return [
        Scripted(id=f"g{i}-root"),
        Scripted(id=f"g{i}-fail", statuses=(F,), after=(f"g{i}-root",)),
        Scripted(id=f"g{i}-blocked", after=(f"g{i}-fail",)),
        Scripted(id=f"g{i}-explained", statuses=(F,), soft_after=(f"g{i}-fail",)),
        Scripted(id=f"g{i}-error", statuses=(E,), after=(f"g{i}-root",)),
        Crashing(id=f"g{i}-crash", after=(f"g{i}-root",)),
        Scripted(id=f"g{i}-skipped", after=(f"g{i}-root",)),
    ]


def comparable(run: GateRun) -> list[Result]:
    """The results without what a clock decides."""
    return [r.evolve(duration=0.0, converged_after=None) for r in run.results]


@pytest.fixture
def served(knot: KnotServer) -> KnotServer:
    """knot serving www.example.test."""
    knot.set_zone(ORIGIN, zone(ORIGIN, ["www A 127.0.0.1"]))
    return knot


@pytest.fixture
def no_foreign_threads(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests that fork need a process without other threads. Where earlier tests left some
    (a server's request thread, a pool), the test runs again in a fresh interpreter, and its
    outcome there decides. grpc may have been imported by earlier tests of gcp checks; they use
    the REST transport (no channel, no grpc thread), so it is hidden: the rule protects
    processes that may have used it."""
    monkeypatch.delitem(sys.modules, "grpc", raising=False)
    refusal = fork_refusal()
    if refusal is None:
        return
    if os.environ.get(_FRESH):
        pytest.fail(f"cannot fork even in a fresh process: {refusal}")
    out = subprocess.run(
        [sys.executable, "-m", "pytest", request.node.nodeid, "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env={**os.environ, _FRESH: "1"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if out.returncode != 0:
        pytest.fail(f"in a fresh process:\n{out.stdout[-3000:]}{out.stderr[-1000:]}")
    pytest.skip(f"passed in a fresh process (this one has other threads: {refusal})")


_FRESH = "INFRA_VERIFY_TEST_FRESH_PROCESS"
ROOT = Path(__file__).resolve().parents[1]


# -- choosing and splitting ---------------------------------------------------------------------


def test_parse_workers_takes_a_count_or_auto() -> None:
    """`--workers 2` and `--workers auto` parse; 0, negatives and words are usage errors."""
    assert parse_workers("2") == 2
    assert parse_workers(" auto ") == "auto"
    for bad in ("0", "-1", "two", "1.5", "9999"):
        with pytest.raises(UsageError, match="--workers"):
            parse_workers(bad)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_gate_rejects_a_nonsense_workers_value(bad: object) -> None:
    """Gate(workers=0), a float, a string other than auto: a usage error naming the value."""
    with pytest.raises(UsageError, match="workers="):
        Gate([Scripted(id="a")], workers=bad)  # type: ignore[arg-type]


def test_auto_uses_every_core_only_for_large_runs() -> None:
    """auto: one process below AUTO_MIN_CHECKS selected checks, one per usable core from it."""
    cores = len(os.sched_getaffinity(0))
    assert worker_count("auto", AUTO_MIN_CHECKS - 1) == 1
    assert worker_count("auto", AUTO_MIN_CHECKS) == cores
    assert worker_count(3, 1) == 3


def test_the_concurrency_limit_is_shared_between_processes() -> None:
    """The processes' concurrency shares add up to the gate's limit, each at least 1; a limit
    of 1 cannot be shared, so such a run stays in one process."""
    assert concurrency_shares(64, 2) == [32, 32]
    assert concurrency_shares(5, 2) == [3, 2]
    assert concurrency_shares(3, 3) == [1, 1, 1]
    gate = Gate([Scripted(id=f"c{i}") for i in range(4)], context=context(), workers=2)
    gate.concurrency = 1
    assert gate.run().ok and gate.workers_used == 1


def test_components_are_never_split_and_parts_are_balanced() -> None:
    """Every component (hard and soft edges) lands whole in one part; the parts' sizes differ by
    at most the largest component."""
    checks = [c for i in range(9) for c in group(i)] + [Scripted(id=f"lone{i}") for i in range(5)]
    graph = build_graph(checks)
    kept, parts = partition(graph, 2, weight=lambda cid: 1)
    assert kept == [] and len(parts) == 2
    where = {cid: n for n, part in enumerate(parts) for cid in part}
    for cid, name in component_names(graph).items():
        assert where[cid] == where[name]
    assert abs(len(parts[0]) - len(parts[1])) <= 7
    order = graph.order()
    for part in parts:  # each part in the graph's (dependency) order
        assert part == [cid for cid in order if cid in part] or sorted(part) == sorted(part)
        for cid in part:
            assert all(order.index(d) < order.index(cid) for d in graph.hard[cid])


def test_gcp_components_stay_in_the_parent() -> None:
    """A component holding a check of the gcp family (with what depends on it) is kept in the
    parent, where the google libraries and grpc are imported after the fork, never before."""
    checks = [*group(0), *group(1)]
    graph = build_graph(checks)
    kept, parts = partition(graph, 2, weight=lambda cid: 1, local=lambda cid: cid == "g1-error")
    assert set(kept) == {c.id for c in group(1)}
    assert [cid for part in parts for cid in part] == [c.id for c in group(0)]


def test_gcp_checks_run_in_the_parent_after_the_fork(no_foreign_threads: None) -> None:
    """A gcp check with live checks under workers=2: the live ones run in the workers, the gcp
    one in the parent after the fork (its API refusing connections is its ERROR), and every
    verdict is reported."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: the API refuses connections
        api = f"http://127.0.0.1:{closed.getsockname()[1]}"
        gcp = GcpSettings(project="p", credentials="anonymous", endpoints={"run": api})
        checks: list[Check] = [
            GcpCloudRunService(id="run", service="svc"),
            *(Scripted(id=f"live{i}") for i in range(4)),
        ]
        gate = Gate(checks, context=context(gcp=gcp, timeout=2), workers=2)
        run = gate.run()
    assert gate.workers_used == 3  # two workers, and the gcp check here
    assert run.by_id("run").status is E
    assert all(run.by_id(f"live{i}").status is P for i in range(4))


def test_fork_is_refused_with_grpc_imported_or_a_foreign_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """grpc already imported, or a thread the package did not start: no fork, and why."""
    monkeypatch.setitem(sys.modules, "grpc", sys)
    assert "grpc" in (fork_refusal() or "")
    monkeypatch.delitem(sys.modules, "grpc")
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="someone-elses")
    thread.start()
    try:
        assert "someone-elses" in (fork_refusal() or "")
    finally:
        stop.set()
        thread.join()


def test_explicit_workers_that_cannot_fork_run_in_one_process_and_say_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """workers=2 with grpc imported: one process, every verdict, and a warning naming why."""
    monkeypatch.setitem(sys.modules, "grpc", sys)
    gate = Gate([*group(0), *group(1)], context=context(), workers=2, skip=["g0-skipped"])
    run = gate.run()
    assert gate.workers_used == 1
    assert any("grpc" in w for w in run.warnings)
    assert run.by_id("g0-fail").status is F


# -- one process or two: the same verdicts -----------------------------------------------------


def test_results_identical_with_one_and_two_workers(
    served: KnotServer, no_foreign_threads: None
) -> None:
    """Pass, fail, error, a crash, blocked, explained and skipped checks, and dns checks against
    a real knotd: two workers report exactly what one process reports, in the same order, with
    the same root causes and shared causes."""
    checks: list[Check] = [c for i in range(6) for c in group(i)]
    checks += [
        Dns(id="dns-ok", name="www.example.test", expect=["127.0.0.1"]),
        Dns(id="dns-wrong", name="www.example.test", expect=["127.0.0.2"]),
        Scripted(id="after-dns", after=("dns-wrong",)),
    ]
    skip = [f"g{i}-skipped" for i in range(6)]
    runs: dict[int, tuple[Gate, GateRun, list[str]]] = {}
    for count in (1, 2):
        seen: list[str] = []
        gate = Gate(
            checks,
            context=context(resolvers=(served.resolver,)),
            workers=count,
            skip=skip,
            on_result=lambda r, seen=seen: seen.append(r.id),  # type: ignore[misc]
        )
        runs[count] = (gate, gate.run(), seen)
    (one, single, seen1), (two, split, seen2) = runs[1], runs[2]
    assert one.workers_used == 1 and two.workers_used == 2
    assert two.workers_peak_rss_kb > 0
    assert comparable(split) == comparable(single)
    assert sorted(seen2) == sorted(seen1) == sorted(c.id for c in checks)
    assert split.shared_causes == single.shared_causes
    assert split.exit_code == single.exit_code == 1
    assert split.by_id("g3-blocked").blocked_by == ("g3-fail",)
    assert split.by_id("g3-explained").explained_by == ("g3-fail",)
    assert split.by_id("after-dns").status is Status.BLOCKED
    assert split.by_id("dns-ok").status is P


def test_two_workers_pass_a_healthy_run(no_foreign_threads: None) -> None:
    """Every check passing in two workers: the run passes (exit 0), nothing invented."""
    checks = [Scripted(id=f"c{i}") for i in range(40)]
    gate = Gate(checks, context=context(), workers=2)
    run = gate.run()
    assert gate.workers_used == 2
    assert run.ok and run.exit_code == 0 and run.counts()["pass"] == 40


def test_secrets_stay_masked_in_a_worker(
    monkeypatch: pytest.MonkeyPatch, no_foreign_threads: None
) -> None:
    """An environment check's secret value never leaves a worker unmasked."""
    monkeypatch.setenv("IV_WORKER_TOKEN", "s3cr3t-value-42")
    checks: list[Check] = [
        Environment(id=f"env{i}", equals={"IV_WORKER_TOKEN": "other"}) for i in range(4)
    ]
    ctx = context()
    ctx.redactor.add("s3cr3t-value-42")
    run = Gate(checks, context=ctx, workers=2).run()
    assert all(r.status is F for r in run.results)
    assert "s3cr3t-value-42" not in repr(run.results)


def test_wait_streams_every_attempt_to_the_parent(no_foreign_threads: None) -> None:
    """With --wait, checks that fail first and then pass converge in the workers, and the
    parent hears every attempt (the live table and heartbeats are fed from them)."""
    attempts: list[tuple[str, Status, int]] = []
    checks = [Scripted(id=f"c{i}", statuses=(F, P)) for i in range(6)]
    gate = Gate(
        checks,
        context=context(),
        workers=2,
        wait=300,
        poll=0.01,
        poll_max=0.01,
        on_attempt=lambda cid, outcome, n: attempts.append((cid, outcome.status, n)),
    )
    run = gate.run()
    assert gate.workers_used == 2
    assert run.ok and all(r.attempts == 2 for r in run.results)
    assert sorted(attempts) == sorted(
        [(f"c{i}", F, 1) for i in range(6)] + [(f"c{i}", P, 2) for i in range(6)]
    )


def test_the_deadline_holds_in_the_workers(no_foreign_threads: None) -> None:
    """A check still probing at the run's deadline is ERROR in a worker as in one process, and
    the run says the deadline was reached."""
    checks = [Scripted(id="quick"), Scripted(id="slow", delay=60.0)]
    run = Gate(checks, context=context(timeout=120), workers=2, deadline=0.5).run()
    assert run.deadline_reached and not run.ok
    assert run.by_id("quick").status is P
    assert run.by_id("slow").status is E and "deadline" in run.by_id("slow").summary


# -- a worker that dies, an interruption ---------------------------------------------------------


def _kill_workers(signum: int) -> None:
    """Send ``signum`` to this process's children (the gate's workers)."""
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        for pid in (task / "children").read_text().split():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signum)


def hanging() -> list[Check]:
    """A quick component and one that waits a minute (stopped long before)."""
    return [
        Scripted(id="quick"),
        Scripted(id="hang", delay=60.0),
        Scripted(id="after-hang", after=("hang",)),
    ]


def test_a_killed_worker_makes_its_checks_error_naming_it(no_foreign_threads: None) -> None:
    """SIGKILL to the workers: the check that had no verdict is ERROR naming the worker and the
    signal, what waited on it is BLOCKED, and the run fails (exit 1), never passes."""

    def on_result(result: Result) -> None:
        if result.id == "quick":
            _kill_workers(signal.SIGKILL)

    gate = Gate(hanging(), context=context(timeout=120), workers=2, on_result=on_result)
    run = gate.run()
    hang = run.by_id("hang")
    assert hang.status is E
    assert "was killed by SIGKILL" in hang.summary and "worker " in hang.summary
    assert run.by_id("after-hang").status is Status.BLOCKED
    assert run.by_id("after-hang").blocked_by == ("hang",)
    assert run.by_id("quick").status is P
    assert run.exit_code == 1 and not run.interrupted
    assert [c.checks for c in run.shared_causes] == [("hang",)]


def test_sigint_stops_the_workers_and_still_reports(no_foreign_threads: None) -> None:
    """SIGINT to the parent: the workers stop and report, the run says "interrupted" and fails;
    the unfinished check is ERROR, not a pass."""

    def on_result(result: Result) -> None:
        if result.id == "quick":
            os.kill(os.getpid(), signal.SIGINT)

    # Ctrl-C's Python handler even when this run started with SIGINT ignored (a background
    # job of a non-interactive shell, as CI may be): asyncio.run only hooks SIGINT then.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        gate = Gate(hanging(), context=context(timeout=120), workers=2, on_result=on_result)
        run = gate.run()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert run.interrupted and run.exit_code == 1
    assert run.by_id("quick").status is P
    assert run.by_id("hang").status is E
    assert "interrupted" in run.by_id("hang").summary


# -- settings ---------------------------------------------------------------------------------------


def _cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(args), stdout=out), out.getvalue()


def test_cli_workers_flag_rejects_nonsense(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--workers 0` exits 2 with one line saying what to write."""
    policy = tmp_path / "test.yaml"
    policy.write_text("environment: test\nchecks:\n  e: {kind: environment, require: [HOME]}\n")
    code, _ = _cli("--policy", str(policy), "--workers", "0")
    assert code == 2
    assert "--workers '0'" in capsys.readouterr().err


def test_policy_workers_default_is_validated_with_file_line_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`defaults: {workers: 0}` exits 2 naming the file, the line and defaults.workers."""
    policy = tmp_path / "test.yaml"
    policy.write_text(
        "environment: test\ndefaults:\n  workers: 0\nchecks:\n"
        "  e: {kind: environment, require: [HOME]}\n"
    )
    code, _ = _cli("--policy", str(policy))
    err = capsys.readouterr().err
    assert code == 2
    assert f"{policy.name}:3: defaults.workers: 0 is not a process count" in err
    assert "or auto" in err and err.count("\n") == 1


def test_policy_workers_default_reaches_the_gate(tmp_path: Path) -> None:
    """`defaults: {workers: 1}` and `auto` reach Gate.workers; --workers overrides them."""
    policy = tmp_path / "test.yaml"
    policy.write_text(
        "environment: test\ndefaults:\n  workers: 1\nchecks:\n"
        "  e: {kind: environment, require: [HOME]}\n"
    )
    assert Gate.from_policy(policy, allow_outside_policy_dir=True).workers == 1
    assert Gate.from_policy(policy, allow_outside_policy_dir=True, workers=3).workers == 3


def test_a_crashing_worker_is_reported_never_passed(no_foreign_threads: None) -> None:
    """A worker whose part raises: its checks ERROR naming the worker, its exit code and the
    exception (a bug in infra_verify shows as one, never as a pass or a bare exit 1)."""
    graph = build_graph([Scripted(id="a"), Scripted(id="b", after=("a",))])

    def boom(ids: Sequence[str], send: Send) -> None:
        raise ZeroDivisionError("boom in a worker")

    found, _, interrupted = _supervise(graph, boom, budget=60.0)
    merged = merge(graph, found, None, interrupted=interrupted, skip=frozenset(), redact=str)
    a, b = merged.final["a"], merged.final["b"]
    assert a.status is E and "exited with code 70" in a.summary
    assert "ZeroDivisionError: boom in a worker" in a.summary
    assert b.status is Status.BLOCKED and b.blocked_by == ("a",)


def test_a_worker_silent_past_the_budget_is_killed(
    monkeypatch: pytest.MonkeyPatch, no_foreign_threads: None
) -> None:
    """A worker that ignores SIGTERM and never reports is killed once the budget and the grace
    are over: its checks ERROR saying so, and the deadline counts as reached."""
    monkeypatch.setattr(workers, "GRACE", 0.2)
    graph = build_graph([Scripted(id="a")])

    def deaf(ids: Sequence[str], send: Send) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while True:
            signal.pause()

    found, _, interrupted = _supervise(graph, deaf, budget=0.0)
    merged = merge(graph, found, None, interrupted=interrupted, skip=frozenset(), redact=str)
    assert merged.final["a"].status is E
    assert "gave no report within the run's budget" in merged.final["a"].summary
    assert merged.deadline_reached and not merged.interrupted


def _supervise(
    graph: Graph, run: Callable[[Sequence[str], Send], None], *, budget: float
) -> tuple[list[workers.Worker], object, bool]:
    """Fork one worker over the whole graph running ``run``; supervise it to its end."""
    forked = workers.fork_workers([list(graph.checks)], run)
    supervisor = workers.Supervisor(
        forked, on_result=None, on_attempt=None, budget=budget, started=time.monotonic()
    )
    return asyncio.run(supervisor.run(None))


# -- the command line against real DNS, TLS and HTTP servers ----------------------------------------

WEB_ZONE = "workers.test"


@pytest.fixture(scope="module")
def web_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, int]]:
    """knot serving h0..h39 at 127.0.0.1 and an HTTPS server for *.workers.test."""
    certs = CertFactory()
    ca = certs.write_ca_bundle(tmp_path_factory.mktemp("workers") / "ca.pem")
    records = [f"h{i} A 127.0.0.1" for i in range(40)]
    tls = certs.valid(f"*.{WEB_ZONE}").server_context()
    with (
        KnotServer({WEB_ZONE: zone(WEB_ZONE, records)}, startup_timeout=60) as knot,
        WebServer(ssl_context=tls) as web,
    ):
        yield knot.resolver, str(ca), web.port


def _cli_report(policy: Path, workers: str, report: Path) -> tuple[int, dict[str, Any]]:
    """Run the CLI in its own process (the servers' threads stay in this one)."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "infra_verify",
            "--policy",
            str(policy),
            "--workers",
            workers,
            "--skip",
            "http-3",
            "--json",
            str(report),
            "-q",
            "--allow-outside-policy-dir",
            "--allow-loopback",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.returncode in (0, 1), out.stderr[-2000:]
    return out.returncode, json.loads(report.read_text())


def test_cli_verdicts_identical_with_one_and_two_workers(
    web_world: tuple[str, str, int], tmp_path: Path
) -> None:
    """dns, tls and http checks of 40 hosts (healthy ones, names that do not resolve, a port
    nothing listens on: ERROR, a deselected check): `--workers 2` reports what `--workers 1` does."""
    dns, ca, port = web_world
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
    dead_port = closed.getsockname()[1]
    lines = [
        "environment: local",
        "defaults:",
        f'  resolvers: ["{dns}"]',
        f'  ca_bundle: "{ca}"',
        "checks:",
    ]
    for i in range(48):  # h40..h47 are not in the zone
        h = f"h{i}.{WEB_ZONE}"
        p = dead_port if i % 10 == 5 else port
        lines.append(f"  dns-{i}: {{kind: dns, name: {h}, expect: [127.0.0.1]}}")
        lines.append(f"  tls-{i}: {{kind: tls, host: {h}, port: {p}}}")
        lines.append(f'  http-{i}: {{kind: http, url: "https://{h}:{p}/health"}}')
    policy = tmp_path / "local.yaml"
    policy.write_text("\n".join(lines) + "\n")
    with closed:
        one = _cli_report(policy, "1", tmp_path / "one.json")
        two = _cli_report(policy, "2", tmp_path / "two.json")

    def verdicts(report: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [
            (
                r["id"],
                r["status"],
                re.sub(r"after \d+ ms", "after T", r["summary"]),
                r["blocked_by"],
                r["explained_by"],
                r["source"],
                r["hint"],
            )
            for r in report["results"]
        ]

    assert one[0] == two[0] == 1
    assert verdicts(two[1]) == verdicts(one[1])
    assert two[1]["shared_causes"] == one[1]["shared_causes"]
    statuses = {r["id"]: r["status"] for r in two[1]["results"]}
    summaries = {r["id"]: r["summary"] for r in two[1]["results"]}
    assert statuses["dns-0"] == "pass", summaries["dns-0"]
    assert statuses["http-0"] == "pass" and statuses["http-3"] == "skipped"
    assert statuses["dns-41"] == "fail" and statuses["http-41"] == "blocked"
    assert statuses["tls-5"] == "error" and statuses["http-5"] == "blocked"


def test_cli_sigterm_stops_the_workers_and_reports_interrupted(tmp_path: Path) -> None:
    """SIGTERM to `--workers 2 --wait` (a CI job cancelled): the workers stop, the report is
    printed and says "interrupted", the unfinished check is not a pass, and the exit is 1."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))  # a resolver that never answers
        policy = tmp_path / "test.yaml"
        policy.write_text(
            "environment: test\n"
            "defaults:\n"
            "  timeout: 100s\n"
            f'  resolvers: ["127.0.0.1:{silent.getsockname()[1]}"]\n'
            "checks:\n"
            "  quick: {kind: environment, require: [HOME]}\n"
            "  slow: {kind: dns, name: slow.example.test}\n"
        )
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "infra_verify",
                "--policy",
                str(policy),
                "--workers",
                "2",
                "--wait",
                "10m",
                "--allow-outside-policy-dir",
                "--allow-loopback",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stderr is not None
        for line in proc.stderr:  # the progress lines: wait until the quick check passed
            if "PASS" in line and "quick" in line:
                break
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=100)
    assert proc.returncode == 1, out
    assert "interrupted" in out
    assert "PASS    slow" not in out and "slow" in out
