"""The fair benchmark: the gate against blackbox_exporter and a plain asyncio+ssl client, in one
run, on a world whose servers are not Python (scripts/fair_world.py: knot + dnsdist adding
``--latency`` per DNS answer, nginx with one worker serving TLS on many loopback addresses and
answering ``/health`` after ``--latency``).

    .venv/bin/python scripts/bench_fair.py                       # sizes 10,100,1000; 3 repeats
    .venv/bin/python scripts/bench_fair.py --sizes 10000 --repeat 1
    .venv/bin/python scripts/bench_fair.py --sizes 100 --shards 2,4   # shard/merge overhead

For each size N (hosts; N x dns + tls + http checks), repeated ``--repeat`` times, medians:

- **gate API**: ``Gate.from_policy(...).run()`` in a fresh process; wall and CPU of the run
  (policy load apart), peak RSS (VmHWM), time spent in garbage collection;
- **gate CLI**: ``python -m infra_verify local --policy P`` as a process: wall from spawn to
  exit (imports and policy load included), CPU and peak RSS from ``wait4``;
- **blackbox_exporter**: one dns, one tcp+TLS and one http probe per host, fired by
  ``curl --parallel`` (a C driver that costs next to nothing) at the same concurrency;
- **floor**: a hand-written asyncio + ssl client doing per host one DNS query, one TLS
  handshake (certificate read) and one HTTPS GET /health on a second connection;
- **server CPU**: what knot + dnsdist + nginx (and the exporter, for its own run) used during
  each run, so a reader can see the client is what is measured.

A table goes to stdout, everything to ``--json`` (default reports/bench-fair.json), and with
``--markdown FILE`` the table as Markdown (docs/performance.md quotes it).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import platform
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
PY = sys.executable
CURL_PARALLEL_MAX = 300
"""curl's own cap on --parallel-max."""

from fair_world import (  # noqa: E402
    FairWorld,
    address,
    children,
    cpu_seconds,
    find,
    free_port,
    host,
)

# -- workers (run in their own process) ----------------------------------------------------


def peak_rss_mb(pid: int | str = "self") -> float:
    """Peak resident set size (VmHWM) of a process in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _children_cpu() -> float:
    """CPU of the reaped child processes (the gate's workers)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def worker_gate(policy: str, workers: str = "auto") -> dict[str, Any]:
    """Load the policy, run the gate once; wall, CPU, GC time, RSS, verdicts.

    With worker processes, CPU adds theirs, and the peak RSS is this process's plus each
    worker's own peak, summed (conservative: pages the fork shares are counted in each)."""
    import gc

    gc_time = [0.0, 0.0]

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            gc_time[1] = time.perf_counter()
        else:
            gc_time[0] += time.perf_counter() - gc_time[1]

    from infra_verify.gate import Gate
    from infra_verify.workers import parse_workers

    t0 = time.perf_counter()
    gate = Gate.from_policy(
        policy,
        environment="local",
        allow_outside_policy_dir=True,
        workers=parse_workers(workers),
    )
    t1, c1 = time.perf_counter(), _cpu() + _children_cpu()
    gc.callbacks.append(on_gc)
    run = gate.run()
    gc.callbacks.remove(on_gc)
    t2, c2 = time.perf_counter(), _cpu() + _children_cpu()
    return {
        "load_s": t1 - t0,
        "wall_s": t2 - t1,
        "cpu_s": c2 - c1,
        "workers": gate.workers_used,
        "gc_s": gc_time[0],
        "checks": len(run.results),
        "ok": run.ok,
        "counts": {k: v for k, v in run.counts().items() if v},
        "failures": [f"{r.id}: {r.summary}" for r in run.root_causes[:3]],
        "max_check_s": max((r.duration for r in run.results), default=0.0),
        "rss_mb": peak_rss_mb() + gate.workers_peak_rss_kb / 1024,
    }


def _dns_query(name: str, qid: int) -> bytes:
    head = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split("."))
    return head + labels + b"\0" + struct.pack("!HH", 1, 1)


def _first_a(packet: bytes) -> str | None:
    """The first A record's address in a DNS answer (minimal parser: one question)."""
    ancount = struct.unpack("!H", packet[6:8])[0]
    i = 12
    while packet[i]:
        i += packet[i] + 1
    i += 5
    for _ in range(ancount):
        i += 2 if packet[i] & 0xC0 == 0xC0 else len(packet[i:].split(b"\0", 1)[0]) + 1
        rtype, _cls, _ttl, rdlen = struct.unpack("!HHIH", packet[i : i + 10])
        i += 10
        if rtype == 1 and rdlen == 4:
            return ".".join(str(b) for b in packet[i : i + 4])
        i += rdlen
    return None


class _OneAnswer(asyncio.DatagramProtocol):
    def __init__(self, query: bytes, done: asyncio.Future[bytes]) -> None:
        self.query, self.done = query, done

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.sendto(self.query)  # type: ignore[attr-defined]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if not self.done.done():
            self.done.set_result(data)


async def _floor(world: dict[str, Any], n: int, concurrency: int) -> list[bool]:
    import ssl

    loop = asyncio.get_running_loop()
    ctx = ssl.create_default_context(cafile=world["ca"])
    ctx.check_hostname = True
    dns_host, dns_port = world["dns"].rsplit(":", 1)
    port = world["https_port"]
    sem = asyncio.Semaphore(concurrency)

    async def resolve(name: str, qid: int) -> str | None:
        for _ in range(3):  # UDP: a lost datagram is asked again, as a stub resolver does
            done: asyncio.Future[bytes] = loop.create_future()
            transport, _ = await loop.create_datagram_endpoint(
                functools.partial(_OneAnswer, _dns_query(name, qid), done),
                remote_addr=(dns_host, int(dns_port)),
            )
            try:
                return _first_a(await asyncio.wait_for(done, 3))
            except TimeoutError:
                continue
            finally:
                transport.close()
        return None

    async def one(i: int) -> bool:
        try:
            return await attempt(i)
        except (OSError, TimeoutError):
            return False

    async def attempt(i: int) -> bool:
        async with sem:
            name = host(i)
            ip = await resolve(name, i & 0xFFFF)
            if ip is None:
                return False
            _r, w = await asyncio.open_connection(ip, port, ssl=ctx, server_hostname=name)
            ok = bool(w.get_extra_info("peercert"))
            w.close()
            r, w = await asyncio.open_connection(ip, port, ssl=ctx, server_hostname=name)
            w.write(f"GET /health HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n".encode())
            data = await r.read()
            w.close()
            return ok and data.startswith(b"HTTP/1.1 200")

    return list(await asyncio.gather(*(one(i) for i in range(n))))


def worker_floor(world_json: str, n: int, concurrency: int) -> dict[str, Any]:
    """The plain asyncio+ssl client: DNS, TLS, HTTPS GET per host."""
    world = json.loads(world_json)
    t0, c0 = time.perf_counter(), _cpu()
    ok = asyncio.run(_floor(world, n, concurrency))
    return {
        "wall_s": time.perf_counter() - t0,
        "cpu_s": _cpu() - c0,
        "ok": all(ok),
        "failed": ok.count(False),
        "rss_mb": peak_rss_mb(),
    }


def worker_independent(policy: str, single: str) -> dict[str, Any]:
    """200 independent http checks at once against the slowest of single runs of one."""
    from infra_verify.gate import Gate

    singles = []
    for _ in range(3):
        gate = Gate.from_policy(single, environment="local", allow_outside_policy_dir=True)
        t0 = time.perf_counter()
        one = gate.run()
        singles.append(time.perf_counter() - t0)
    gate = Gate.from_policy(policy, environment="local", allow_outside_policy_dir=True)
    t0 = time.perf_counter()
    run = gate.run()
    wall = time.perf_counter() - t0
    slowest = max(singles)
    return {
        "wall_s": wall,
        "checks": len(run.results),
        "slowest_single_s": slowest,
        "budget_s": 1.2 * slowest + 0.3,
        "met": wall <= 1.2 * slowest + 0.3,
        "ok": run.ok and one.ok,
    }


# -- the orchestrator ----------------------------------------------------------------------


def write_policy(path: Path, world: FairWorld, n: int, concurrency: int) -> Path:
    """N x (dns, tls, http) checks against the world."""
    lines = [
        "environment: local",
        "defaults:",
        "  timeout: 30s",
        "  deadline: 30m",
        f'  resolvers: ["{world.dns}"]',
        f'  ca_bundle: "{world.ca}"',
        f"  concurrency: {concurrency}",
        "checks:",
    ]
    port = world.https_port
    for i in range(n):
        h = host(i)
        lines.append(f"  dns-{i}: {{kind: dns, name: {h}, type: A, expect: [{address(i)}]}}")
        lines.append(f"  tls-{i}: {{kind: tls, host: {h}, port: {port}}}")
        lines.append(f'  http-{i}: {{kind: http, url: "https://{h}:{port}/health"}}')
    path.write_text("\n".join(lines) + "\n")
    return path


def write_independent(path: Path, world: FairWorld, n: int) -> Path:
    """``n`` http checks on distinct hosts, nothing else (no dns or tls check to wait for)."""
    lines = [
        "environment: local",
        "defaults:",
        "  timeout: 30s",
        f'  resolvers: ["{world.dns}"]',
        f'  ca_bundle: "{world.ca}"',
        "  concurrency: 1000",
        "checks:",
    ]
    port = world.https_port
    for i in range(n):
        lines.append(f'  http-{i}: {{kind: http, url: "https://{host(i)}:{port}/health"}}')
    path.write_text("\n".join(lines) + "\n")
    return path


_NO_CACHE_ENV = ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
"""What would keep the cache from being written or read in the "on" measurement."""


def cold_start(runs: int = 7) -> dict[str, Any]:
    """``--list`` of the shipped staging policy against ``python -c pass``, bytecode cache on
    and off (off: an empty PYTHONPYCACHEPREFIX and -B, so nothing cached is read); medians.

    On: PYTHONDONTWRITEBYTECODE and PYTHONPYCACHEPREFIX are dropped from the environment and
    one untimed run writes the cache first, so every timed run reads it."""
    out: dict[str, Any] = {}
    listing = ["-m", "infra_verify", "staging", "--list"]
    cached = {k: v for k, v in os.environ.items() if k not in _NO_CACHE_ENV}
    subprocess.run([PY, *listing], cwd=ROOT, env=cached, capture_output=True, check=False)
    for cache in ("on", "off"):
        walls: dict[str, list[float]] = {"pass": [], "list": []}
        for _ in range(runs):
            env = dict(cached)
            flags: list[str] = []
            if cache == "off":
                env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="nopyc-")
                flags = ["-B"]
            for name, cmd in (
                ("pass", [PY, *flags, "-c", "pass"]),
                ("list", [PY, *flags, *listing]),
            ):
                t0 = time.perf_counter()
                subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, check=False)
                walls[name].append(time.perf_counter() - t0)
            if cache == "off":
                shutil.rmtree(env["PYTHONPYCACHEPREFIX"], ignore_errors=True)
        p, lst = statistics.median(walls["pass"]), statistics.median(walls["list"])
        out[cache] = {"python_pass_s": p, "list_s": lst, "above_python_s": lst - p}
    return out


def _pss_kb(pid: int) -> int:
    """Proportional set size of one process (shared pages divided among their users), KiB."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children(p))
    return out


def _worker(args: list[str], timeout: float = 3600) -> dict[str, Any]:
    """Run one measurement in a fresh process; its JSON line, with the process tree's peak
    summed PSS (sampled every 0.1 s from here, so the gate's process holds no extra thread)."""
    proc = subprocess.Popen(
        [PY, __file__, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.1):
            peak[0] = max(peak[0], sum(_pss_kb(p) for p in _tree(proc.pid)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    finally:
        stop.set()
        sampler.join()
    if proc.returncode != 0:  # recorded, not raised: the other contestants still run
        print(f"worker {args[0]} failed: {stderr[-1500:]}", file=sys.stderr)
        return {"ok": False, "error": stderr[-500:]}
    row = dict(json.loads(stdout.strip().splitlines()[-1]))
    row["pss_peak_mb"] = peak[0] / 1024
    return row


def measure_cli(policy: Path, workdir: Path, extra: Sequence[str] = ()) -> dict[str, Any]:
    """The CLI as a process: wall from spawn to exit, CPU and peak RSS from wait4."""
    report = workdir / f"cli-{os.getpid()}-{time.monotonic_ns()}.json"
    cmd = [PY, "-m", "infra_verify", "local", "--policy", str(policy)]
    cmd += ["--allow-outside-policy-dir", "--json", str(report), "--output", os.devnull, *extra]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
        "exit": proc.returncode,
        "ok": proc.returncode == 0,
        "report": str(report),
        "stderr": err[-500:],
    }


def blackbox_config(world: FairWorld, n: int) -> str:
    """One dns and one tcp+TLS module per host, one http module (hostname= gives SNI/Host)."""
    ca = world.ca
    lines = [
        "modules:",
        "  http:",
        "    prober: http",
        "    timeout: 30s",
        "    http:",
        "      preferred_ip_protocol: ip4",
        "      valid_status_codes: [200]",
        "      follow_redirects: false",
        f'      tls_config: {{ca_file: "{ca}"}}',
    ]
    for i in range(n):
        ip = address(i).replace(".", "\\.")
        lines += [
            f"  dns_{i}:",
            "    prober: dns",
            "    timeout: 30s",
            "    dns:",
            "      preferred_ip_protocol: ip4",
            "      transport_protocol: udp",
            f"      query_name: {host(i)}",
            "      query_type: A",
            "      valid_rcodes: [NOERROR]",
            f"      validate_answer_rrs: {{fail_if_none_matches_regexp: ['.*\\t{ip}$']}}",
            f"  tls_{i}:",
            "    prober: tcp",
            "    timeout: 30s",
            "    tcp:",
            "      preferred_ip_protocol: ip4",
            "      tls: true",
            f'      tls_config: {{ca_file: "{ca}", server_name: "{host(i)}"}}',
        ]
    return "\n".join(lines) + "\n"


class Exporter:
    """blackbox_exporter for one world, driven by curl --parallel."""

    def __init__(self, world: FairWorld, n: int, workdir: Path, names: bool = False) -> None:
        """Start the exporter with a config for ``n`` hosts; wait until healthy.

        ``names``: the tcp+TLS and http probes get hostnames, which the exporter resolves
        through dnsdist (its own mount namespace sees a resolv.conf naming dnsdist's port-53
        listener), as the gate's tls and http checks do; otherwise they get the addresses.
        """
        self.workdir = workdir
        self.names = names
        tag = "names" if names else "addresses"
        config = workdir / f"blackbox-{n}-{tag}.yml"
        config.write_text(blackbox_config(world, n))
        self.port = free_port()
        binary = find("prometheus-blackbox-exporter", "blackbox_exporter")
        argv = [
            binary,
            f"--config.file={config}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--log.level=error",
        ]
        if names:
            if not world.dns53:
                raise RuntimeError("resolving names needs root (dnsdist on port 53)")
            resolv = workdir / "resolv.conf"
            resolv.write_text(f"nameserver {world.dns53}\noptions timeout:1 attempts:5\n")
            script = f'mount --bind "{resolv}" /etc/resolv.conf && exec "$@"'
            argv = ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", *argv]
        self.proc = subprocess.Popen(
            argv,
            stdout=subprocess.DEVNULL,
            stderr=open(workdir / f"blackbox-{tag}.log", "wb"),  # noqa: SIM115
        )
        base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while subprocess.run(
            ["curl", "-sf", "-o", os.devnull, f"{base}/-/healthy"], check=False
        ).returncode:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"blackbox_exporter did not start: see blackbox-{tag}.log")
            time.sleep(0.1)
        urls = []
        port = world.https_port
        for i in range(n):
            ip = address(i)
            urls.append(f"{base}/probe?module=dns_{i}&target={world.dns}")
            if names:
                urls.append(f"{base}/probe?module=tls_{i}&target={host(i)}:{port}")
                urls.append(f"{base}/probe?module=http&target=https://{host(i)}:{port}/health")
                continue
            urls.append(f"{base}/probe?module=tls_{i}&target={ip}:{port}")
            urls.append(
                f"{base}/probe?module=http&target=https://{ip}:{port}/health&hostname={host(i)}"
            )
        self.probes = len(urls)
        self.urls = urls

    def run(self, concurrency: int) -> dict[str, Any]:
        """Fire every probe through curl --parallel; wall, curl CPU, probes that failed.

        curl runs at most 300 transfers at once, so ``concurrency`` is split over
        ceil(concurrency / 300) curl processes, each given an equal slice of the probes.
        """
        k = max(1, -(-min(concurrency, len(self.urls)) // CURL_PARALLEL_MAX))
        each = max(1, concurrency // k)
        configs, outs = [], []
        for j in range(k):
            config = self.workdir / f"curl-{j}.txt"
            config.write_text("".join(f'url = "{u}"\n' for u in self.urls[j::k]))
            configs.append(config)
            outs.append(self.workdir / f"curl-{j}.out")
        c0 = cpu_seconds(self.proc.pid)
        driver_cpu = 0.0
        t0 = time.perf_counter()
        procs = []
        for config, out in zip(configs, outs, strict=True):
            with open(out, "wb") as sink:
                procs.append(
                    subprocess.Popen(
                        [
                            "curl",
                            "-s",
                            "--parallel",
                            "--parallel-immediate",
                            "--parallel-max",
                            str(each),
                            "-K",
                            str(config),
                        ],
                        stdout=sink,
                        stderr=subprocess.DEVNULL,
                    )
                )
        for proc in procs:
            _pid, _status, usage = os.wait4(proc.pid, 0)
            driver_cpu += usage.ru_utime + usage.ru_stime
        wall = time.perf_counter() - t0
        passed = sum(("\n" + o.read_text()).count("\nprobe_success 1") for o in outs)
        return {
            "wall_s": wall,
            "driver_cpu_s": driver_cpu,
            "exporter_cpu_s": cpu_seconds(self.proc.pid) - c0,
            "curl_processes": k,
            "probes": self.probes,
            "failed": self.probes - passed,
            "ok": passed == self.probes,
            "rss_mb": peak_rss_mb(self.proc.pid),
        }

    def stop(self) -> None:
        """Stop the exporter (bounded)."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def timed(world: FairWorld, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run ``fn`` and add the CPU the world's servers used meanwhile."""
    s0 = world.server_cpu()
    row = fn()
    row["server_cpu_s"] = world.server_cpu() - s0
    return row


def median(rows: list[dict[str, Any]], key: str) -> float | None:
    """Median of ``key`` over the rows that have it."""
    xs = [float(r[key]) for r in rows if r.get(key) is not None]
    return statistics.median(xs) if xs else None


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians of the numeric fields, and whether every repeat passed."""
    keys = {k for r in rows for k, v in r.items() if isinstance(v, int | float)}
    out: dict[str, Any] = {k: median(rows, k) for k in sorted(keys) if k not in ("ok", "exit")}
    out["ok"] = all(r.get("ok") for r in rows)
    return out


def bench_size(n: int, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Every contestant for ``n`` hosts, ``--repeat`` times, interleaved; medians."""
    wd = workdir / f"n{n}"
    result: dict[str, Any] = {"hosts": n, "checks": 3 * n}
    with FairWorld(n, args.latency, wd) as world:
        policy = write_policy(wd / "policy.yaml", world, n, args.concurrency)
        info = {"dns": world.dns, "https_port": world.https_port, "ca": world.ca}
        exporter = Exporter(world, n, wd) if not args.no_peer else None
        by_name = Exporter(world, n, wd, names=True) if not args.no_peer and world.dns53 else None
        runs: dict[str, list[dict[str, Any]]] = {
            "api": [],
            "cli": [],
            "peer": [],
            "peer_names": [],
            "floor": [],
        }
        try:
            for rep in range(args.repeat):
                print(f"  N={n} repeat {rep + 1}/{args.repeat}", file=sys.stderr, flush=True)
                runs["api"].append(
                    timed(world, lambda: _worker(["--worker-gate", str(policy), args.workers]))
                )
                if not args.no_cli:
                    runs["cli"].append(timed(world, lambda: measure_cli(policy, wd)))
                if exporter is not None:
                    runs["peer"].append(timed(world, lambda: exporter.run(args.concurrency)))
                if by_name is not None:
                    runs["peer_names"].append(timed(world, lambda: by_name.run(args.concurrency)))
                if not args.no_floor:
                    runs["floor"].append(
                        timed(
                            world,
                            lambda: _worker(
                                ["--worker-floor", json.dumps(info), str(n), str(args.concurrency)]
                            ),
                        )
                    )
            if args.shards:
                result["shards"] = shard_overhead(policy, wd, args.shards)
            if args.independent and n >= 200:
                many = write_independent(wd / "independent.yaml", world, 200)
                one = write_independent(wd / "single.yaml", world, 1)
                result["independent"] = _worker(["--worker-independent", str(many), str(one)])
        finally:
            for peer in (exporter, by_name):
                if peer is not None:
                    peer.stop()
    for name, rows in runs.items():
        if rows:
            result[name] = summary(rows)
            result[f"{name}_runs"] = rows
    return result


def shard_overhead(policy: Path, workdir: Path, counts: Sequence[int]) -> list[dict[str, Any]]:
    """N shards as parallel CLI processes, then ``merge``: wall against one unsharded CLI run."""
    out = []
    for count in counts:
        t0 = time.perf_counter()
        procs = []
        reports = []
        for i in range(count):
            report = workdir / f"shard-{i}-of-{count}.json"
            reports.append(str(report))
            procs.append(
                subprocess.Popen(
                    [
                        PY,
                        "-m",
                        "infra_verify",
                        "local",
                        "--policy",
                        str(policy),
                        "--allow-outside-policy-dir",
                        "--shard",
                        f"{i}/{count}",
                        "--json",
                        str(report),
                        "--output",
                        os.devnull,
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        codes = [p.wait() for p in procs]
        t1 = time.perf_counter()
        merged = subprocess.run(
            [PY, "-m", "infra_verify", "merge", *reports, "--json", str(workdir / "merged.json")],
            capture_output=True,
            check=False,
        )
        t2 = time.perf_counter()
        out.append(
            {
                "shards": count,
                "shards_wall_s": t1 - t0,
                "merge_s": t2 - t1,
                "ok": all(c == 0 for c in codes) and merged.returncode == 0,
            }
        )
    return out


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    versions = {}
    for name, cmd in {
        "knot": ["knotd", "--version"],
        "dnsdist": ["dnsdist", "--version"],
        "nginx": ["nginx", "-v"],
        "blackbox_exporter": ["prometheus-blackbox-exporter", "--version"],
        "curl": ["curl", "--version"],
    }.items():
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=False)
            versions[name] = (p.stdout or p.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            versions[name] = "missing"
    return {
        "cpus": os.cpu_count(),
        "model": model,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "loadavg_at_start": os.getloadavg(),
        "versions": versions,
    }


def _f(x: float | None, d: int = 2) -> str:
    return "-" if x is None else f"{x:.{d}f}"


def table(rows: list[dict[str, Any]]) -> list[str]:
    """The Markdown table of the medians: wall and CPU, each with the ratios to the gate."""
    out = [
        "| hosts (checks) | gate wall / CPU / peak RSS | GC | gate CLI wall / RSS "
        "| exporter given addresses: wall / CPU | ÷ gate (wall / CPU) "
        "| exporter resolving names: wall / CPU | ÷ gate (wall / CPU) "
        "| floor wall / CPU / RSS | floor ÷ gate (wall / CPU) | servers' CPU | verdicts |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    kinds = ("api", "cli", "peer", "peer_names", "floor")
    for r in rows:
        api, cli, peer, named, floor = (r.get(k, {}) for k in kinds)
        gate, gate_cpu = api.get("wall_s"), api.get("cpu_s")
        gc_pct = 100 * api["gc_s"] / gate if api.get("gc_s") is not None and gate else None

        def ratio(x: float | None, y: float | None) -> float | None:
            return x / y if x is not None and y else None

        def exporter(
            e: dict[str, Any], gate: float | None = gate, gate_cpu: float | None = gate_cpu
        ) -> str:
            return (
                f"| {_f(e.get('wall_s'))} s / {_f(e.get('exporter_cpu_s'))} s "
                f"| {_f(ratio(e.get('wall_s'), gate))} / "
                f"{_f(ratio(e.get('exporter_cpu_s'), gate_cpu))} "
            )

        verdict = " ".join(f"{k}:{'ok' if r[k]['ok'] else 'FAIL'}" for k in kinds if k in r)
        out.append(
            f"| {r['hosts']:,} ({r['checks']:,}) "
            f"| {_f(gate)} s / {_f(gate_cpu)} s / {_f(api.get('rss_mb'), 0)} MB "
            f"| {_f(gc_pct, 1)}% "
            f"| {_f(cli.get('wall_s'))} s / {_f(cli.get('rss_mb'), 0)} MB "
            f"{exporter(peer)}{exporter(named)}"
            f"| {_f(floor.get('wall_s'))} s / {_f(floor.get('cpu_s'))} s / "
            f"{_f(floor.get('rss_mb'), 0)} MB "
            f"| {_f(ratio(floor.get('wall_s'), gate))} / {_f(ratio(floor.get('cpu_s'), gate_cpu))} "
            f"| {_f(api.get('server_cpu_s'))} s | {verdict} |"
        )
    return out


def orchestrate(args: argparse.Namespace) -> int:
    """Run every size; print and write the results."""
    for tool in ("knotd", "dnsdist", "nginx", "curl"):
        find(tool)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bench-fair-"))
    report: dict[str, Any] = {
        "machine": machine(),
        "latency_s": args.latency,
        "concurrency": args.concurrency,
        "repeat": args.repeat,
        "sizes": [],
    }
    if args.cold_start:
        report["cold_start"] = cold_start()
        print(json.dumps(report["cold_start"]), file=sys.stderr)
    try:
        for n in args.sizes:
            print(f"N = {n} hosts", file=sys.stderr, flush=True)
            report["sizes"].append(bench_size(n, args, workdir))
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(json.dumps(report, indent=2, default=str))
    finally:
        if not args.workdir and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    lines = table(report["sizes"])
    print("\n".join(lines))
    for r in report["sizes"]:
        for s in r.get("shards", []):
            print(
                f"N={r['hosts']}: {s['shards']} shards {s['shards_wall_s']:.2f} s + merge "
                f"{s['merge_s']:.2f} s (one CLI run {r.get('cli', {}).get('wall_s', 0):.2f} s)"
            )
    for r in report["sizes"]:
        if "independent" in r:
            ind = r["independent"]
            print(
                f"200 independent checks: {ind['wall_s']:.2f} s; budget 1.2 x slowest single "
                f"({ind['slowest_single_s']:.2f} s) + 0.3 s = {ind['budget_s']:.2f} s"
            )
    if "cold_start" in report:
        for cache, c in report["cold_start"].items():
            print(
                f"--list (bytecode cache {cache}): {c['list_s']:.3f} s, python -c pass "
                f"{c['python_pass_s']:.3f} s: +{c['above_python_s']:.3f} s"
            )
    report["table"] = lines
    Path(args.json).write_text(json.dumps(report, indent=2, default=str))
    if args.markdown:
        Path(args.markdown).write_text("\n".join(lines) + "\n")
    kinds = ("api", "cli", "peer", "peer_names", "floor")
    ok = all(r[k]["ok"] for r in report["sizes"] for k in kinds if k in r)
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments; run a worker or the whole benchmark."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--worker-gate"]:
        print(json.dumps(worker_gate(*argv[1:3])))
        return 0
    if argv[:1] == ["--table"]:  # re-render the table of earlier JSON reports, merged
        rows = [r for f in argv[1:] for r in json.loads(Path(f).read_text())["sizes"]]
        print("\n".join(table(sorted(rows, key=lambda r: int(r["hosts"])))))
        return 0
    if argv[:1] == ["--worker-independent"]:
        print(json.dumps(worker_independent(argv[1], argv[2])))
        return 0
    if argv[:1] == ["--worker-floor"]:
        print(json.dumps(worker_floor(argv[1], int(argv[2]), int(argv[3]))))
        return 0
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", default="10,100,1000", help="hosts per run, e.g. 10,100,1000,10000")
    p.add_argument("--repeat", type=int, default=3, help="repeats per size (medians)")
    p.add_argument("--latency", type=float, default=0.05, help="seconds per DNS answer and /health")
    p.add_argument("--concurrency", type=int, default=1000, help="gate, exporter and floor")
    p.add_argument("--shards", default="", help="also run the CLI as N shard processes + merge")
    p.add_argument(
        "--independent", action="store_true", help="200 independent checks (at N >= 200)"
    )
    p.add_argument("--cold-start", action="store_true", help="--list against python -c pass")
    p.add_argument(
        "--workers", default="auto", help="the gate API's worker processes: N or auto (default)"
    )
    p.add_argument("--no-peer", action="store_true")
    p.add_argument("--no-floor", action="store_true")
    p.add_argument("--no-cli", action="store_true")
    p.add_argument("--json", default="reports/bench-fair.json")
    p.add_argument("--markdown", help="also write the table as Markdown to FILE")
    p.add_argument("--workdir", help="keep the worlds' files here")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = p.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",") if s]
    args.shards = [int(s) for s in args.shards.split(",") if s]
    return orchestrate(args)


if __name__ == "__main__":
    raise SystemExit(main())
