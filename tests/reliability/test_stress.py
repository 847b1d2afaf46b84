"""Stress: 1,000 checks against local servers with a fault mix, in one gate run.

The run happens in a fresh subprocess so that its peak memory (``ru_maxrss``) is its own. It
writes every report format to files; this test parses them and counts the checks.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from .conftest import ROOT

TOTAL = 1000
SLOW, REFUSED, RESET = 100, 100, 50  # 10% past the timeout, 10% refusing, 5% resetting
DEADLINE = 30.0

SCRIPT = textwrap.dedent(
    """
    import json, resource, socket, sys, time
    from pathlib import Path
    from infra_verify.checks.dns import Dns
    from infra_verify.checks.http import Http
    from infra_verify.checks.tcp import Tcp
    from infra_verify.gate import Gate
    from infra_verify.context import CheckContext
    from infra_verify.reporters import REPORTERS, ReportOptions, render
    from tests.servers.dns_server import DnsServer
    from tests.servers.faulty import FaultyServer
    from tests.servers.web_server import WebServer

    out = Path(sys.argv[1])
    total, slow, refused, reset = (int(a) for a in sys.argv[2:6])
    deadline = float(sys.argv[6])

    def closed_port():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    dns = DnsServer().start()
    web = WebServer().start()
    silent = FaultyServer("silent").start()
    resetting = FaultyServer("reset").start()
    dns.add_zone("stress.test")
    dead = closed_port()
    checks = []
    for i in range(slow):
        checks.append(Http(id=f"slow-{i:04d}", url=f"http://127.0.0.1:{silent.port}/s{i}"))
    for i in range(refused):
        port = dead if i % 2 else closed_port()
        checks.append(Tcp(id=f"refused-{i:04d}", host="127.0.0.1", port=port))
    for i in range(reset):
        checks.append(Http(id=f"reset-{i:04d}", url=f"http://127.0.0.1:{resetting.port}/r{i}"))
    healthy = total - len(checks)
    for i in range(healthy):
        if i % 2:
            name = f"n{i:04d}.stress.test"
            dns.set(name, "A", ["192.0.2.7"])
            checks.append(Dns(id=f"dns-{i:04d}", name=name, expect=("192.0.2.7",), timeout=30))
        else:
            # healthy checks get a generous timeout: on a loaded machine 1 s is not enough
            checks.append(Http(id=f"http-{i:04d}", url=web.url("/health"), timeout=30))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ctx = CheckContext(environment="test", timeout=1.0, resolvers=(dns.resolver,))
    start = time.monotonic()
    run = Gate(checks, context=ctx, deadline=deadline, concurrency=64).run()
    wall = time.monotonic() - start
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    opts = ReportOptions(redactor=ctx.redactor)
    for fmt in REPORTERS:
        (out / f"report.{fmt}").write_text(render(fmt, run, opts))
    for server in (dns, web, silent, resetting):
        server.stop()
    figures = {
        "wall_s": wall,
        "rss_before_kib": rss_before,
        "rss_after_kib": rss_after,
        "deadline_reached": run.deadline_reached,
        "counts": run.counts(),
        "statuses": {r.id: r.status.value for r in run.results},
        "max_duration_s": max(r.duration for r in run.results),
        "slowest": max(run.results, key=lambda r: r.duration).id,
        "summaries": {r.id: r.summary for r in run.results},
    }
    (out / "figures.json").write_text(json.dumps(figures))
    """
)


def _run_stress(tmp_path: Path) -> dict[str, Any]:
    args = [str(tmp_path), str(TOTAL), str(SLOW), str(REFUSED), str(RESET), str(DEADLINE)]
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    figures: dict[str, Any] = json.loads((tmp_path / "figures.json").read_text())
    return figures


def test_thousand_checks_with_faults_finish_in_time_once_each_in_every_format(
    tmp_path: Path,
) -> None:
    """1,000 checks, 25% faulty: done within the deadline, each once per format, memory bounded."""
    figures = _run_stress(tmp_path)
    statuses: dict[str, str] = figures["statuses"]
    print(
        f"\nstress: {TOTAL} checks in {figures['wall_s']:.2f}s; "
        f"maxrss {figures['rss_before_kib'] / 1024:.0f} -> {figures['rss_after_kib'] / 1024:.0f} MiB; "
        f"counts {figures['counts']}; longest Result.duration {figures['max_duration_s']:.2f}s "
        f"({figures['slowest']})"
    )
    # completion and verdicts
    assert len(statuses) == TOTAL and not figures["deadline_reached"]  # the gate's own clock
    # Result.duration includes the wait for a concurrency slot, so only the probe's own
    # message bounds it: every slow check ended at its 1 s timeout, not later.
    for cid, summary in figures["summaries"].items():
        if cid.startswith("slow-"):
            assert "1.0s timeout" in summary or "within 1.0s" in summary, summary
    bad = {cid for cid, s in statuses.items() if s != "pass"}
    expected_bad = {cid for cid in statuses if cid.startswith(("slow-", "refused-", "reset-"))}
    assert bad == expected_bad, sorted(bad ^ expected_bad)[:10]
    assert all(statuses[c] == "error" for c in statuses if c.startswith("slow-"))
    # memory
    growth_mib = (figures["rss_after_kib"] - figures["rss_before_kib"]) / 1024
    assert growth_mib < 300, f"peak RSS grew by {growth_mib:.0f} MiB"
    # every check exactly once, in every format
    ids = sorted(statuses)
    report = json.loads((tmp_path / "report.json").read_text())
    assert sorted(r["id"] for r in report["results"]) == ids
    junit = ET.parse(tmp_path / "report.junit").getroot()
    cases = [c.get("name") or "" for c in junit.iter("testcase")]
    assert sorted(_id_in(c, statuses) for c in cases) == ids
    sarif = json.loads((tmp_path / "report.sarif").read_text())
    sarif_ids = [_sarif_id(r, statuses) for r in sarif["runs"][0]["results"]]
    assert sorted(sarif_ids) == sorted(bad)  # SARIF lists problems only, each once
    markdown = (tmp_path / "report.markdown").read_text()
    rows = re.findall(r"^\| [A-Z]+[^|]* \| `([^`]+)` \|", markdown, flags=re.MULTILINE)
    assert sorted(rows) == ids
    text = (tmp_path / "report.text").read_text()
    for cid in ids:
        assert len(re.findall(rf"(?m)^\S+\s+{re.escape(cid)}\s", text)) == 1, cid
    github = (tmp_path / "report.github").read_text().splitlines()
    titles = [m.group(1) for line in github if (m := re.match(r"::error title=([^:,]+)::", line))]
    assert sorted(titles) == sorted(bad)


def _id_in(name: str, statuses: dict[str, str]) -> str:
    """The check id a JUnit test case name refers to."""
    assert name in statuses, name
    return name


def _sarif_id(result: dict[str, Any], statuses: dict[str, str]) -> str:
    """The check id of a SARIF result (its logical location's name)."""
    (location,) = result["locations"]
    (logical,) = location["logicalLocations"]
    cid = str(logical["name"])
    assert cid in statuses, cid
    return cid
