"""Nothing outlives the deadline: a blocked client-library thread cannot keep the process alive.

The fake GCP API holds every compute request for an hour; the check's own timeout is 300 s,
so its blocking read waits ~270 s in a library thread. With ``--deadline 20s`` (which counts the
import of the google libraries, seconds on a loaded machine) the process must write its reports
and exit long before that: the hang guard below (120 s) is far shorter than the blocked read,
so a process that waits for the thread fails the test without any timing assertion.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from infra_verify.testing.fake_gcp import FOREVER, FakeGcp

from .conftest import ROOT, cli_env

HANG_GUARD = 120.0

POLICY = """\
environment: test
gcp:
  project: netra-staging
  credentials: anonymous
  endpoints: {{compute: "{url}"}}
checks:
  cert: {{kind: gcp.managed_certificate, name: netra-staging-cert, timeout: 300s}}
"""


def test_the_process_exits_at_the_deadline_with_its_report_while_a_read_hangs(
    tmp_path: Path, fake: FakeGcp
) -> None:
    """A read blocked in a library thread does not hold the process past --deadline."""
    fake.inject("compute/", delay=3600, times=FOREVER)
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY.format(url=fake.url))
    report = tmp_path / "report.json"
    argv = [sys.executable, "-m", "infra_verify", "--policy", str(policy)]
    argv += ["--deadline", "20s", "--json", str(report)]
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        out, err = proc.communicate(timeout=HANG_GUARD)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError(
            f"the process was still alive {HANG_GUARD:.0f}s after a 20s deadline"
        ) from None
    assert proc.returncode == 1, out + err
    data = json.loads(report.read_text())
    assert data["deadline_reached"] is True
    (cert,) = data["results"]
    assert cert["status"] == "error" and "deadline" in cert["summary"], cert
    assert fake.requests, "the check never reached the fake API"
