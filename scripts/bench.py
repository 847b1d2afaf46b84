"""Benchmark: the gate against sequential probing and Prometheus's blackbox_exporter, on loopback.

    .venv/bin/python scripts/bench.py                 # quick set: N = 10, 100, 1000
    .venv/bin/python scripts/bench.py --full          # N = 10, 100, 1000, 10000 (minutes)
    .venv/bin/python scripts/bench.py --sizes 10,100 --latency 0 --no-peer

A local world (scripts/bench_world.py, its own process): Debian's knot serving N names
``h{i}.bench.test`` behind a UDP proxy that adds ``--latency`` to every DNS answer, and one
HTTPS WebServer (wildcard certificate ``*.bench.test``) that adds ``--latency`` to every HTTP
request. For each N a policy with N x (dns + tls + http) checks is generated and run three ways:

- the gate, in a fresh subprocess per N (so peak RSS is that run's own), via the policy loader;
- the same checks one after another (``await check.run(ctx)``, the naive deploy script); above
  ``--sequential-max`` hosts a sample is run and the time extrapolated (marked ``~``);
- blackbox_exporter (``/probe?module=…&target=…``, a generated config: one dns and one tls
  module per host, one http module with the CA) at the same concurrency, from asyncio + httpx.

Also: 200 independent http checks against the slowest single one, CLI cold start against bare
Python, the google modules a no-GCP policy imports (none should be), and ``--wait`` noticing a
fix within one poll interval. A table goes to stdout and everything to ``--json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the local servers live in tests/servers, not in the package
PY = sys.executable
ZONE = "bench.test"
QUICK_SIZES = (10, 100, 1000)
FULL_SIZES = (10, 100, 1000, 10000)


# -- helpers shared by the orchestrator and the workers --------------------------------------


def peak_rss_mb(pid: int | str = "self") -> float:
    """Peak resident set size (VmHWM) of a process in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def write_policy(
    path: Path,
    world: dict[str, Any],
    n: int,
    *,
    concurrency: int,
    kinds: Sequence[str] = ("dns", "tls", "http"),
) -> Path:
    """Write a policy with ``kinds`` checks for each of the first ``n`` hosts."""
    port = world["https_port"]
    lines = [
        "environment: local",
        "defaults:",
        "  timeout: 10s",
        "  deadline: 10m",
        f'  resolvers: ["{world["dns"]}"]',
        f'  ca_bundle: "{world["ca"]}"',
        f"  concurrency: {concurrency}",
        "checks:",
    ]
    for i in range(n):
        h = f"h{i}.{ZONE}"
        if "dns" in kinds:
            lines.append(f"  dns-{i}: {{kind: dns, name: {h}, type: A, expect: [127.0.0.1]}}")
        if "tls" in kinds:
            lines.append(f"  tls-{i}: {{kind: tls, host: {h}, port: {port}}}")
        if "http" in kinds:
            lines.append(f'  http-{i}: {{kind: http, url: "https://{h}:{port}/health"}}')
    path.write_text("\n".join(lines) + "\n")
    return path


def _host_index(cid: str) -> int:
    return int(cid.rsplit("-", 1)[1])


def worker_gate(policy: str) -> dict[str, Any]:
    """Load the policy and run the gate once; wall time, verdicts, per-check durations, RSS."""
    from infra_verify.gate import Gate

    t0 = time.perf_counter()
    # the run names its local environment (loopback world); the CA lives in the world's workdir
    gate = Gate.from_policy(policy, environment="local", allow_outside_policy_dir=True)
    t1 = time.perf_counter()
    run = gate.run()
    t2 = time.perf_counter()
    durations = {r.id: r.duration for r in run.results}
    return {
        "load_s": t1 - t0,
        "wall_s": t2 - t1,
        "gate_duration_s": run.duration,
        "checks": len(run.results),
        "ok": run.ok,
        "counts": {k: v for k, v in run.counts().items() if v},
        "max_check_s": max(durations.values(), default=0.0),
        "concurrency": gate.concurrency,
        "failures": [f"{r.id}: {r.summary}" for r in run.root_causes[:3]],
        "rss_mb": peak_rss_mb(),
    }


def worker_sequential(policy: str, hosts: int) -> dict[str, Any]:
    """Run the first ``hosts`` hosts' checks one after another, as a naive deploy script would."""
    from infra_verify.gate import Gate

    # the run names its local environment (loopback world); the CA lives in the world's workdir
    gate = Gate.from_policy(policy, environment="local", allow_outside_policy_dir=True)
    ctx = gate.context
    order = [cid for cid in gate.graph.order() if _host_index(cid) < hosts]
    durations: dict[str, float] = {}
    statuses: dict[str, str] = {}

    async def main() -> None:
        for cid in order:
            check = gate.graph.checks[cid]
            start = time.perf_counter()
            outcome = await check.run(ctx)
            durations[cid] = time.perf_counter() - start
            statuses[cid] = outcome.status.value

    t0 = time.perf_counter()
    asyncio.run(main())
    wall = time.perf_counter() - t0
    ctx.close()
    chains: dict[int, float] = {}
    for cid, d in durations.items():
        chains[_host_index(cid)] = chains.get(_host_index(cid), 0.0) + d
    bad = [f"{cid}: {s}" for cid, s in statuses.items() if s != "pass"]
    return {
        "wall_s": wall,
        "checks": len(order),
        "hosts": hosts,
        "ok": not bad,
        "failures": bad[:3],
        "max_check_s": max(durations.values(), default=0.0),
        "median_check_s": statistics.median(durations.values()) if durations else 0.0,
        "slowest_chain_s": max(chains.values(), default=0.0),
        "rss_mb": peak_rss_mb(),
    }


def _run_worker(args: list[str], timeout: float = 1800) -> dict[str, Any]:
    done = subprocess.run(
        [PY, str(Path(__file__).resolve()), "--worker", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"worker {args} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- the world ------------------------------------------------------------------------------


class World:
    """The bench_world.py subprocess; ``info`` holds its ports and CA path."""

    def __init__(self, hosts: int, latency: float, workdir: Path, python_dns: bool) -> None:
        cmd = [
            PY,
            str(ROOT / "scripts" / "bench_world.py"),
            "--hosts",
            str(hosts),
            "--latency",
            str(latency),
            "--dir",
            str(workdir),
        ]
        if python_dns:
            cmd.append("--python-dns")
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError("the bench world did not start (see its stderr above)")
        self.info: dict[str, Any] = json.loads(line)

    def stop(self) -> None:
        """Close its stdin and wait (bounded) for it to exit."""
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


# -- the peer: blackbox_exporter ------------------------------------------------------------


def find_blackbox() -> str | None:
    """The blackbox_exporter binary (Debian's name first), or None."""
    for name in ("prometheus-blackbox-exporter", "blackbox_exporter"):
        found = shutil.which(name) or shutil.which(name, path="/usr/bin:/usr/local/bin")
        if found:
            return found
    return None


def blackbox_config(world: dict[str, Any], n: int) -> str:
    """A config with one dns and one tls module per host and one http module."""
    ca = world["ca"]
    lines = [
        "modules:",
        "  http:",
        "    prober: http",
        "    timeout: 10s",
        "    http:",
        "      preferred_ip_protocol: ip4",
        "      valid_status_codes: [200]",
        "      follow_redirects: false",
        f'      tls_config: {{ca_file: "{ca}"}}',
    ]
    for i in range(n):
        h = f"h{i}.{ZONE}"
        lines += [
            f"  dns_{i}:",
            "    prober: dns",
            "    timeout: 10s",
            "    dns:",
            "      preferred_ip_protocol: ip4",
            "      transport_protocol: udp",
            f"      query_name: {h}",
            "      query_type: A",
            "      valid_rcodes: [NOERROR]",
            "      validate_answer_rrs: {fail_if_none_matches_regexp: ['.*\\t127\\.0\\.0\\.1$']}",
            f"  tls_{i}:",
            "    prober: tcp",
            "    timeout: 10s",
            "    tcp:",
            "      preferred_ip_protocol: ip4",
            "      tls: true",
            f'      tls_config: {{ca_file: "{ca}", server_name: "{h}"}}',
        ]
    return "\n".join(lines) + "\n"


async def _probe_all(base: str, probes: list[dict[str, str]], concurrency: int) -> list[bool]:
    import httpx

    sem = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits, trust_env=False) as client:

        async def one(params: dict[str, str]) -> bool:
            async with sem:
                r = await client.get(f"{base}/probe", params=params)
                return "\nprobe_success 1" in "\n" + r.text

        return list(await asyncio.gather(*(one(p) for p in probes)))


def run_peer(
    binary: str, world: dict[str, Any], n: int, concurrency: int, workdir: Path
) -> dict[str, Any]:
    """Start blackbox_exporter for ``n`` hosts and fire every probe at ``concurrency``."""
    from tests.servers.ports import free_port

    config = workdir / f"blackbox-{n}.yml"
    config.write_text(blackbox_config(world, n))
    port = free_port(udp=False)
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=error",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/-/healthy", timeout=1, trust_env=False).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read() if proc.stderr else ""
                raise RuntimeError(f"blackbox_exporter did not start: {err[-2000:]}")
            time.sleep(0.05)
        dns = world["dns"]
        https = f"127.0.0.1:{world['https_port']}"
        probes: list[dict[str, str]] = []
        for i in range(n):
            h = f"h{i}.{ZONE}"
            probes.append({"module": f"dns_{i}", "target": dns})
            probes.append({"module": f"tls_{i}", "target": https})
            probes.append(
                {"module": "http", "target": f"https://{https}/health", "hostname": f"{h}"}
            )
        t0 = time.perf_counter()
        ok = asyncio.run(_probe_all(base, probes, concurrency))
        wall = time.perf_counter() - t0
        return {
            "wall_s": wall,
            "probes": len(probes),
            "ok": all(ok),
            "failed": ok.count(False),
            "rss_mb": peak_rss_mb(proc.pid),
        }
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# -- cold start, imports and --wait ---------------------------------------------------------


def _median_run(cmd: list[str], env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(
            cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
        )
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def cold_start(runs: int = 7) -> dict[str, Any]:
    """Median wall time of --help and a no-GCP --list against ``python -c pass``; google imports."""
    env = dict(os.environ)
    env.update(
        DEMO_RESOLVER="127.0.0.1:53",
        DEMO_CA_BUNDLE="/nonexistent/ca.pem",
        DEMO_IP="127.0.0.1",
        DEMO_HTTPS_PORT="8443",
    )
    listing = [PY, "-m", "infra_verify", "demo", "--list", "--policy", "policies/demo.yaml"]
    bare = _median_run([PY, "-c", "pass"], env, runs)
    helps = _median_run([PY, "-m", "infra_verify", "--help"], env, runs)
    lists = _median_run(listing, env, runs)
    imported = subprocess.run(
        [PY, "-X", "importtime", *listing[1:]],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stderr
    google = sorted(
        {
            line.rsplit("|", 1)[-1].strip()
            for line in imported.splitlines()
            if line.startswith("import time:") and "google" in line.rsplit("|", 1)[-1]
        }
    )
    return {
        "python_c_pass_s": bare,
        "help_s": helps,
        "list_s": lists,
        "help_over_bare_s": helps - bare,
        "list_over_bare_s": lists - bare,
        "google_modules_imported": google,
        "runs": runs,
    }


def wait_mode(poll: float = 0.5, fix_after: float = 1.5) -> dict[str, Any]:
    """A wrong A record fixed mid-run: how long after the fix the gate reports PASS."""
    from infra_verify.checks.dns import Dns
    from infra_verify.context import CheckContext
    from infra_verify.gate import Gate

    try:
        from tests.servers.knot import KnotServer, find_knot_binaries, zone

        find_knot_binaries()
    except RuntimeError:
        return {"skipped": "knot not installed"}
    with KnotServer({ZONE: zone(ZONE, ["h0 A 127.0.0.2"])}) as knot:
        gate = Gate(
            [Dns(id="dns-h0", name=f"h0.{ZONE}", expect=("127.0.0.1",))],
            context=CheckContext(environment="local", timeout=2, resolvers=(knot.resolver,)),
            wait=30,
            poll=poll,
            poll_max=poll,
        )

        async def main() -> tuple[Any, float]:
            t0 = time.monotonic()
            task = asyncio.create_task(gate.arun())
            await asyncio.sleep(fix_after)
            await asyncio.to_thread(knot.set_zone, ZONE, zone(ZONE, ["h0 A 127.0.0.1"]))
            fixed_at = time.monotonic() - t0
            return await task, fixed_at

        run, fixed_at = asyncio.run(main())
    result = run.results[0]
    noticed = (result.converged_after or float("inf")) - fixed_at
    return {
        "poll_s": poll,
        "fixed_at_s": fixed_at,
        "converged_after_s": result.converged_after,
        "noticed_after_fix_s": noticed,
        "attempts": result.attempts,
        "status": result.status.value,
        "within_one_poll": result.ok and noticed <= poll,
    }


# -- the orchestrator -----------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """nproc, CPU model, Python and platform."""
    model = ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def fmt(x: float | None, digits: int = 2) -> str:
    """A number for the table, or '-'."""
    return "-" if x is None else f"{x:.{digits}f}"


def bench_size(
    n: int,
    world: dict[str, Any],
    workdir: Path,
    args: argparse.Namespace,
    blackbox: str | None,
) -> dict[str, Any]:
    """Gate, sequential and peer for one N."""
    concurrency = args.concurrency
    policy = write_policy(workdir / f"policy-{n}.yaml", world, n, concurrency=concurrency)
    row: dict[str, Any] = {"n": n, "checks": 3 * n, "concurrency": concurrency}
    row["gate"] = _run_worker(["gate", str(policy)])
    seq_hosts = min(n, args.sequential_max)
    seq = _run_worker(["sequential", str(policy), str(seq_hosts)])
    seq["extrapolated"] = seq_hosts < n
    seq["wall_full_s"] = seq["wall_s"] * n / seq_hosts
    row["sequential"] = seq
    if blackbox is not None and not args.no_peer:
        row["peer"] = run_peer(blackbox, world, n, concurrency, workdir)
    gate_wall = row["gate"]["wall_s"]
    row["seq_over_gate"] = seq["wall_full_s"] / gate_wall
    row["peer_over_gate"] = row["peer"]["wall_s"] / gate_wall if "peer" in row else None
    row["slowest_chain_s"] = seq["slowest_chain_s"]
    row["overhead_s"] = gate_wall - seq["slowest_chain_s"]
    return row


def independent(
    world: dict[str, Any], workdir: Path, n: int = 200, sample: int = 20
) -> dict[str, Any]:
    """N independent http checks: wall time against 1.2 x the slowest single check + 0.3 s."""
    policy = write_policy(
        workdir / f"independent-{n}.yaml", world, n, concurrency=n, kinds=("http",)
    )
    gate = _run_worker(["gate", str(policy)])
    seq = _run_worker(["sequential", str(policy), str(sample)])
    slowest = seq["max_check_s"]
    budget = 1.2 * slowest + 0.3
    return {
        "checks": n,
        "gate_wall_s": gate["wall_s"],
        "gate_ok": gate["ok"],
        "slowest_single_s": slowest,
        "slowest_single_sample": sample,
        "budget_s": budget,
        "met": gate["wall_s"] <= budget and gate["ok"],
    }


def print_table(rows: list[dict[str, Any]]) -> None:
    """The main table."""
    head = (
        f"{'N':>6} {'checks':>6} {'conc':>5} {'gate s':>7} {'seq s':>8} {'seq/gate':>8} "
        f"{'peer s':>7} {'peer/gate':>9} {'chain s':>7} {'overhd s':>8} "
        f"{'gate MB':>7} {'peer MB':>7} {'verdict':>8}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        g, s, p = r["gate"], r["sequential"], r.get("peer")
        seq = ("~" if s["extrapolated"] else "") + fmt(s["wall_full_s"], 1)
        ok = "pass" if g["ok"] and s["ok"] and (p is None or p["ok"]) else "FAIL"
        print(
            f"{r['n']:>6} {r['checks']:>6} {r['concurrency']:>5} {fmt(g['wall_s']):>7} {seq:>8} "
            f"{fmt(r['seq_over_gate'], 1):>8} {fmt(p['wall_s'] if p else None):>7} "
            f"{fmt(r['peer_over_gate']):>9} {fmt(r['slowest_chain_s']):>7} "
            f"{fmt(r['overhead_s']):>8} {fmt(g['rss_mb'], 0):>7} "
            f"{fmt(p['rss_mb'] if p else None, 0):>7} {ok:>8}"
        )


def targets(report: dict[str, Any]) -> list[tuple[str, bool | None, str]]:
    """The issue's targets with their verdicts."""
    rows = {r["n"]: r for r in report["sizes"]}
    out: list[tuple[str, bool | None, str]] = []
    ind = report.get("independent")
    if ind:
        out.append(
            (
                "200 independent checks <= 1.2 x slowest single + 0.3 s",
                ind["met"],
                f"{ind['gate_wall_s']:.2f} s vs budget {ind['budget_s']:.2f} s "
                f"(slowest single {ind['slowest_single_s']:.3f} s)",
            )
        )
    if 100 in rows:
        r = rows[100]
        out.append(
            (
                "N=100: >= 20x faster than sequential",
                r["seq_over_gate"] >= 20,
                f"{r['seq_over_gate']:.1f}x",
            )
        )
    if 1000 in rows:
        g = rows[1000]["gate"]
        out.append(
            (
                "N=1000 (3000 checks) < 5 s and < 200 MB",
                g["wall_s"] < 5 and g["rss_mb"] < 200,
                f"{g['wall_s']:.2f} s, {g['rss_mb']:.0f} MB",
            )
        )
    peers = [r for r in report["sizes"] if r.get("peer_over_gate") is not None]
    if peers:
        worst = min(peers, key=lambda r: r["peer_over_gate"])
        out.append(
            (
                "at least as fast as blackbox_exporter",
                all(r["peer_over_gate"] >= 1 for r in peers),
                ", ".join(f"N={r['n']}: {r['peer_over_gate']:.2f}x" for r in peers)
                + f" (worst N={worst['n']})",
            )
        )
    cs = report.get("cold_start")
    if cs:
        worst_cs = max(cs["help_over_bare_s"], cs["list_over_bare_s"])
        out.append(
            (
                "CLI cold start < 0.3 s above bare Python, no google imports",
                worst_cs < 0.3 and not cs["google_modules_imported"],
                f"--help +{cs['help_over_bare_s']:.3f} s, --list +{cs['list_over_bare_s']:.3f} s, "
                f"google modules: {cs['google_modules_imported'] or 'none'}",
            )
        )
    w = report.get("wait")
    if w and "skipped" not in w:
        out.append(
            (
                "--wait notices a fix within one poll interval",
                w["within_one_poll"],
                f"noticed {w['noticed_after_fix_s']:.2f} s after the fix (poll {w['poll_s']} s)",
            )
        )
    return out


def orchestrate(args: argparse.Namespace) -> int:
    """Run every part of the benchmark, print the table and write the JSON."""
    sizes = (
        [int(s) for s in args.sizes.split(",")]
        if args.sizes
        else list(FULL_SIZES if args.full else QUICK_SIZES)
    )
    if args.full and args.sequential_max == 100:
        args.sequential_max = 1000
    blackbox = None if args.no_peer else find_blackbox()
    report: dict[str, Any] = {
        "machine": machine(),
        "latency_s": args.latency,
        "concurrency": args.concurrency,
        "sizes": [],
        "peer": "blackbox_exporter" if blackbox else None,
    }
    if blackbox:
        v = subprocess.run([blackbox, "--version"], capture_output=True, text=True, check=False)
        report["peer_version"] = (
            (v.stdout + v.stderr).splitlines()[0] if v.stdout + v.stderr else ""
        )
    elif not args.no_peer:
        print(
            "blackbox_exporter not found: no peer column (apt-get install prometheus-blackbox-exporter)"
        )
    with tempfile.TemporaryDirectory(prefix="infra-verify-bench-") as tmp:
        workdir = Path(tmp)
        world_proc = World(max(max(sizes), 200), args.latency, workdir, args.python_dns)
        world = world_proc.info
        report["dns_server"] = world["dns_kind"]
        if world["dns_kind"] != "knot":
            print("NOTE: knot is unavailable; the DNS server is the pure-Python DnsServer")
        try:
            for n in sizes:
                print(f"running N={n} ...", file=sys.stderr, flush=True)
                report["sizes"].append(bench_size(n, world, workdir, args, blackbox))
            if not args.skip_extras:
                print("running 200 independent checks ...", file=sys.stderr, flush=True)
                report["independent"] = independent(world, workdir)
        finally:
            world_proc.stop()
    if not args.skip_extras:
        print("measuring cold start and --wait ...", file=sys.stderr, flush=True)
        report["cold_start"] = cold_start()
        report["wait"] = wait_mode()
    report["targets"] = [{"target": t, "met": met, "measured": m} for t, met, m in targets(report)]
    m = report["machine"]
    print(
        f"machine: {m['nproc']} CPUs, {m['cpu']}, Python {m['python']}; DNS: {report['dns_server']}; "
        f"latency {args.latency * 1000:.0f} ms per DNS answer and per HTTP request; "
        f"peer: {report.get('peer_version') or report['peer']}"
    )
    print_table(report["sizes"])
    print(
        "seq s: the same checks one after another ('~' = measured on "
        f"{args.sequential_max} hosts, scaled to N); chain s: the slowest dns+tls+http of one "
        "host run alone; overhd s: gate wall - chain s; MB: peak RSS (VmHWM)"
    )
    for t, met, measured in targets(report):
        mark = {True: "met ", False: "MISS", None: "n/a "}[met]
        print(f"  [{mark}] {t}: {measured}")
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments; run a worker or the whole benchmark."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--worker"]:
        kind, policy, *rest = argv[1:]
        result = worker_gate(policy) if kind == "gate" else worker_sequential(policy, int(rest[0]))
        print(json.dumps(result))
        return 0
    p = argparse.ArgumentParser(description="infra_verify benchmark (see the module docstring)")
    p.add_argument("--full", action="store_true", help="N = 10, 100, 1000, 10000")
    p.add_argument("--sizes", help="comma-separated N values (overrides --full)")
    p.add_argument(
        "--latency", type=float, default=0.05, help="seconds added per DNS answer and HTTP request"
    )
    p.add_argument("--concurrency", type=int, default=1000, help="gate and peer concurrency")
    p.add_argument(
        "--sequential-max",
        type=int,
        default=100,
        help="hosts run sequentially; larger N is extrapolated (default 100, 1000 with --full)",
    )
    p.add_argument("--no-peer", action="store_true", help="skip blackbox_exporter")
    p.add_argument("--python-dns", action="store_true", help="use the pure-Python DNS server")
    p.add_argument("--skip-extras", action="store_true", help="only the table")
    p.add_argument("--json", default=str(ROOT / "reports" / "bench.json"), help="JSON output file")
    return orchestrate(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
