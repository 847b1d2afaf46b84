"""Hostile input files (issue 15, items 9, 10, 11, 14 and the ca_bundle finding).

A policy may name files (``extends:``, ``dotenv:``, ``ca_bundle:``); none may lead out of the
policy's directory tree unless the run allows it, and no error quotes a file's content.
Duplicate keys are errors. Devices, pipes and endless files are refused without being read.
The documented loader limits are the code's.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from infra_verify.errors import PolicyError
from infra_verify.policy import yaml_lines
from infra_verify.policy.load import load_policy
from infra_verify.testing.certs import CertFactory

from .conftest import ROOT, run_cli

SHADOW_LINE = "root:$6$saltsalt$S3cretHashValue0123456789:19000:0:99999:7:::"
AWS_SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder next to the policy's folder, holding files a policy must not reach."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "shadow").write_text(f"{SHADOW_LINE}\ndaemon:*:19000:0:99999:7:::\n")
    (folder / "credentials").write_text(
        f"[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = {AWS_SECRET}\n"
    )
    (folder / "ca.pem").write_bytes(CertFactory().ca_pem)
    return folder


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    """The policy's own folder."""
    folder = tmp_path / "policies"
    folder.mkdir()
    return folder


def one_line(proc_stderr: str) -> str:
    """The one line a refused run prints."""
    lines = proc_stderr.strip().splitlines()
    assert len(lines) == 1, proc_stderr
    assert "Traceback" not in proc_stderr
    return lines[0]


# -- item 9: files outside the policy's tree, and what an error may quote --------------------


@pytest.mark.parametrize("key", ["extends", "dotenv", "ca_bundle"])
def test_a_file_outside_the_policy_tree_is_refused(policies: Path, outside: Path, key: str) -> None:
    """extends:/dotenv:/ca_bundle: leaving the policy's folder: exit 2, one line naming the file,
    line and key, nothing of the target quoted; --allow-outside-policy-dir is the run's opt-in."""
    body = {
        "extends": "extends: ../outside/shadow\nenvironment: test\nchecks: {}\n",
        "dotenv": f"environment: test\nchecks:\n  s: {{kind: environment, dotenv: {outside}/credentials}}\n",
        "ca_bundle": f"environment: test\ndefaults:\n  ca_bundle: {outside}/ca.pem\n"
        "checks:\n  s: {kind: environment}\n",
    }[key]
    policy = policies / "p.yaml"
    policy.write_text(body)
    proc = run_cli(["test", "--policy", str(policy)])
    line = one_line(proc.stderr)
    assert proc.returncode == 2
    assert re.search(rf"{re.escape(str(policy))}:\d+: [a-z_.]*{key}: .*outside the policy", line)
    assert "--allow-outside-policy-dir" in line
    assert SHADOW_LINE not in line and AWS_SECRET not in line
    if key != "extends":  # with the opt-in, these load (and, with no checks of note, pass)
        allowed = run_cli(["test", "--policy", str(policy), "--allow-outside-policy-dir"])
        assert allowed.returncode == 0, allowed.stderr


def test_a_symlink_inside_the_tree_cannot_lead_out(policies: Path, outside: Path) -> None:
    """A link in the policy's folder to a file outside is outside (links are resolved)."""
    (policies / "base.yaml").symlink_to(outside / "shadow")
    policy = policies / "p.yaml"
    policy.write_text("extends: base.yaml\nenvironment: test\nchecks: {}\n")
    with pytest.raises(PolicyError, match="outside the policy's directory") as info:
        load_policy(policy)
    assert info.value.key == "extends" and SHADOW_LINE not in str(info.value)


def test_an_error_about_a_foreign_file_never_quotes_it(policies: Path, outside: Path) -> None:
    """Even when the run allows `extends: /etc/shadow`-like files, the error shows no line of
    it: a key that is not a policy key's name is shown as <key>."""
    policy = policies / "p.yaml"
    policy.write_text(f"extends: {outside / 'shadow'}\nenvironment: test\nchecks: {{}}\n")
    with pytest.raises(PolicyError) as info:
        load_policy(policy, allow_outside_policy_dir=True)
    text = str(info.value)
    assert "unknown key '<key>'" in text
    for fragment in ("S3cretHashValue", "saltsalt", "root:", "daemon"):
        assert fragment not in text, text


def test_a_dotenv_secret_is_never_printed(
    policies: Path, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the opt-in, a credentials file read as dotenv prints no secret: `equals:` on a
    secret-named variable shows neither value, and the value is masked everywhere."""
    policy = policies / "p.yaml"
    policy.write_text(
        "environment: test\nchecks:\n"
        f"  s: {{kind: environment, dotenv: {outside / 'credentials'}, "
        "equals: {aws_secret_access_key: guess}, no_loopback: [aws_secret_access_key]}\n"
    )
    proc = run_cli(
        ["test", "--policy", str(policy), "--allow-outside-policy-dir", "-v", "--format", "json"]
    )
    assert proc.returncode == 1, proc.stderr
    assert AWS_SECRET not in proc.stdout + proc.stderr
    assert "another value" in proc.stdout


# -- the ca_bundle finding: a missing or non-PEM bundle is the user's input ------------------


@pytest.mark.parametrize(
    "content", [None, b"not a certificate\n", b"-----BEGIN CERTIFICATE-----\nxx\n"]
)
def test_a_bad_ca_bundle_is_a_one_line_input_error(policies: Path, content: bytes | None) -> None:
    """A ca_bundle that does not exist or is not PEM: exit 2 at load, one line naming the
    policy file, the line, the key and the bundle (before: an "internal error" at run time)."""
    bundle = policies / "ca.pem"
    if content is not None:
        bundle.write_bytes(content)
    policy = policies / "p.yaml"
    policy.write_text(
        "environment: test\nchecks:\n"
        f"  web: {{kind: http, url: 'https://127.0.0.1:9/', ca_bundle: {bundle}}}\n"
    )
    proc = run_cli(["test", "--policy", str(policy)])
    line = one_line(proc.stderr)
    assert proc.returncode == 2
    assert f"{policy}:3: checks.web.ca_bundle: the CA bundle {bundle}" in line
    assert "internal error" not in line and "xx" not in line.split("bundle", 2)[-1]


# -- item 10: duplicate keys ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "lines"),
    [
        (
            "environment: test\nchecks:\n"
            "  health: {kind: environment, require: [IV_NEVER_SET_ANYWHERE]}\n"
            "  health: {kind: environment, require: []}\n",
            "checks.health",
            (3, 4),
        ),
        (
            "environment: test\nchecks:\n  a: {kind: environment, require: [IV_NEVER_SET]}\n"
            "checks:\n  b: {kind: environment}\n",
            "checks",
            (2, 4),
        ),
        (
            "environment: test\nchecks:\n  a:\n    kind: environment\n    require: [X]\n"
            "    require: []\n",
            "checks.a.require",
            (5, 6),
        ),
    ],
    ids=["failing-then-passing-check", "second-checks-block", "nested-key"],
)
def test_every_duplicate_key_is_an_error_with_both_lines(
    policies: Path, text: str, key: str, lines: tuple[int, int]
) -> None:
    """A duplicate key anywhere is exit 2 naming both lines (before: the last one won)."""
    policy = policies / "p.yaml"
    policy.write_text(text)
    proc = run_cli(["test", "--policy", str(policy)])
    line = one_line(proc.stderr)
    assert proc.returncode == 2
    assert f"{policy}:{lines[1]}: {key}: duplicate key" in line
    assert f"lines {lines[0]} and {lines[1]}" in line


# -- item 11: endless files -------------------------------------------------------------------


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_as_policy_is_refused_without_reading(device: str) -> None:
    """`--policy /dev/zero` and `/dev/urandom`: exit 2, one line (before: ran until killed, or
    a traceback)."""
    proc = run_cli(["--policy", device], timeout=60)
    line = one_line(proc.stderr)
    assert proc.returncode == 2 and f"{device}: not a regular file" in line


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    """A named pipe with no writer is refused at once instead of blocking the open."""
    fifo = tmp_path / "p.yaml"
    os.mkfifo(fifo)
    proc = run_cli(["--policy", str(fifo)], timeout=60)
    assert proc.returncode == 2 and "not a regular file" in one_line(proc.stderr)


def test_a_report_to_merge_that_is_a_device_is_refused() -> None:
    """`merge /dev/zero` is refused the same way (the merge command's reader is bounded)."""
    proc = run_cli(["merge", "/dev/zero"], timeout=60)
    assert proc.returncode == 2 and "not a regular file" in one_line(proc.stderr)


def test_reads_stop_at_the_limit_whatever_the_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that keeps growing is read only up to the limit plus one byte, then refused."""
    monkeypatch.setattr(yaml_lines, "MAX_BYTES", 1024)
    path = tmp_path / "big.yaml"
    path.write_bytes(b"# " + b"x" * 4096 + b"\n")
    seen: list[int] = []
    real_read = os.read

    def counting_read(fd: int, n: int) -> bytes:
        data = real_read(fd, n)
        seen.append(len(data))
        return data

    monkeypatch.setattr(yaml_lines.os, "read", counting_read)
    with pytest.raises(PolicyError, match="larger than"):
        yaml_lines.read_policy_file(path)
    assert sum(seen) == 1025


# -- item 14: the documented limits are the code's -------------------------------------------


def test_docs_security_states_the_loader_limits_of_the_code() -> None:
    """docs/security.md names exactly MAX_BYTES, MAX_NODES and MAX_DEPTH (it said 2 MiB and
    50,000 nodes while the code allowed 32 MiB and 1,000,000)."""
    text = " ".join((ROOT / "docs" / "security.md").read_text(encoding="utf-8").split())
    match = re.search(
        r"Files over ([\d,]+) MiB, documents nested more than (\d+) levels deep, and alias "
        r"bombs \(more than ([\d,]+) nodes",
        text,
    )
    assert match, "docs/security.md no longer states the loader limits in the expected sentence"
    mib, depth, nodes = (int(g.replace(",", "")) for g in match.groups())
    assert mib * 1024 * 1024 == yaml_lines.MAX_BYTES
    assert depth == yaml_lines.MAX_DEPTH
    assert nodes == yaml_lines.MAX_NODES
