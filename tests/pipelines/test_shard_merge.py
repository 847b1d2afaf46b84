"""--shard i/n (deterministic subsets that keep dependency chains together) and `merge`."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from infra_verify.cli.main import main
from infra_verify.errors import UsageError
from infra_verify.gate import Gate
from infra_verify.policy.load import load_policy
from infra_verify.shard import Shard, component_names, outside, parse_shard, shard_of

REPO = Path(__file__).resolve().parents[2]

POLICY = """\
environment: {environment}
checks:
  a-root:  {{kind: environment, equals: {{IV_SHARD_FLAG: "on"}}}}
  a-child: {{kind: environment, equals: {{IV_SHARD_FLAG: "on"}}, after: [a-root]}}
  a-leaf:  {{kind: environment, equals: {{IV_SHARD_FLAG: "on"}}, after: [a-child]}}
  b:       {{kind: environment, equals: {{IV_SHARD_FLAG: "on"}}}}
  c:       {{kind: environment, equals: {{IV_SHARD_FLAG: "on"}}}}
  d:       {{kind: environment, equals: {{IV_SHARD_FLAG: "on"}}}}
  e-bad:   {{kind: environment, require: [IV_SHARD_MISSING]}}
"""
IDS = ["a-root", "a-child", "a-leaf", "b", "c", "d", "e-bad"]


@pytest.fixture
def policy_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A policy of environment checks only (no network), and the variables it reads."""
    monkeypatch.setenv("IV_SHARD_FLAG", "on")
    monkeypatch.delenv("IV_SHARD_MISSING", raising=False)
    path = tmp_path / "test.yaml"
    path.write_text(POLICY.format(environment="test"))
    return path


def cli(*args: str) -> tuple[int, str]:
    """Run the CLI; returns (exit code, stdout)."""
    out = io.StringIO()
    return main(list(args), stdout=out), out.getvalue()


def shard_report(policy: Path, shard: str, tmp_path: Path, *extra: str) -> tuple[int, Path]:
    """Run one shard with a JSON report; returns (exit code, report path)."""
    report = tmp_path / f"shard-{shard.replace('/', '-of-')}.json"
    code, _ = cli("--policy", str(policy), "--shard", shard, "--json", str(report), *extra)
    return code, report


def statuses(report: Path) -> dict[str, tuple[str, str]]:
    """check id -> (status, summary) in a JSON report."""
    data = json.loads(report.read_text())
    return {r["id"]: (r["status"], r["summary"]) for r in data["results"]}


# --- parsing ------------------------------------------------------------------------------------


def test_parse_shard_counts_from_one() -> None:
    """`2/3` is the second of three shards; spaces are tolerated."""
    assert parse_shard("2/3", {}) == Shard(2, 3)
    assert parse_shard(" 1 / 1 ", {}).label == "1/1"


@pytest.mark.parametrize("bad", ["0/3", "4/3", "1/0", "x", "1-3", "-1/2"])
def test_parse_shard_rejects_nonsense(bad: str) -> None:
    """Out-of-range or malformed shard specs are usage errors naming the value."""
    with pytest.raises(UsageError, match="--shard"):
        parse_shard(bad, {})


def test_parse_shard_auto_reads_cloud_run_task_variables() -> None:
    """`auto` maps CLOUD_RUN_TASK_INDEX (from 0) and CLOUD_RUN_TASK_COUNT to i/n (from 1)."""
    env = {"CLOUD_RUN_TASK_INDEX": "2", "CLOUD_RUN_TASK_COUNT": "3"}
    assert parse_shard("auto", env) == Shard(3, 3)
    with pytest.raises(UsageError, match="CLOUD_RUN_TASK_INDEX and CLOUD_RUN_TASK_COUNT"):
        parse_shard("auto", {})
    with pytest.raises(UsageError, match="not whole numbers"):
        parse_shard("auto", {"CLOUD_RUN_TASK_INDEX": "x", "CLOUD_RUN_TASK_COUNT": "3"})


# --- assignment ---------------------------------------------------------------------------------


def test_components_keep_dependency_chains_together() -> None:
    """In the staging policy, DNS -> TLS -> HTTP/WebSocket and the Cloud DNS record share a shard unit."""
    env = {"GCP_PROJECT": "p"}
    graph = Gate(load_policy(REPO / "policies" / "staging.yaml", env=env).checks).graph
    names = component_names(graph)
    assert len({names[c] for c in ("dns-records", "dns-api", "tls-api", "health", "ws")}) == 1
    assert names["sql-path"] == names["run-service"] == names["cloud-sql"]
    assert names["app-settings"] == "app-settings"
    assert names["health"] != names["app-settings"]


def test_shards_partition_the_checks_deterministically() -> None:
    """For each n, every check is in exactly one shard, the same one every time."""
    graph = Gate(load_policy(REPO / "policies" / "staging.yaml", env={}).checks).graph
    for n in (1, 2, 3, 5):
        mine = [set(graph.checks) - outside(graph, Shard(i, n)) for i in range(1, n + 1)]
        assert sum(len(m) for m in mine) == len(graph.checks)
        assert set().union(*mine) == set(graph.checks)
        assert mine == [set(graph.checks) - outside(graph, Shard(i, n)) for i in range(1, n + 1)]
    assert shard_of("dns-api", 7) == shard_of("dns-api", 7)
    assert 1 <= shard_of("dns-api", 7) <= 7


# --- the CLI ------------------------------------------------------------------------------------


def test_each_shard_runs_its_part_and_skips_the_rest(policy_file: Path, tmp_path: Path) -> None:
    """Two shards run each check exactly once; the others show SKIPPED "not in shard i/n"."""
    ran: dict[str, str] = {}
    for i in (1, 2):
        _, report = shard_report(policy_file, f"{i}/2", tmp_path)
        for cid, (status, summary) in statuses(report).items():
            if status == "skipped":
                assert summary == f"not in shard {i}/2"
            else:
                assert cid not in ran
                ran[cid] = status
    assert sorted(ran) == sorted(IDS)
    assert ran["e-bad"] == "fail" and ran["a-leaf"] == "pass"


def test_shard_exit_code_reflects_only_its_own_checks(policy_file: Path, tmp_path: Path) -> None:
    """A shard exits 1 only if one of its own checks failed; a shard with none to run exits 0."""
    owner = shard_of("e-bad", 3)
    for i in (1, 2, 3):
        code, report = shard_report(policy_file, f"{i}/3", tmp_path)
        assert code == (1 if i == owner else 0), statuses(report)
    many = 50  # more shards than components: most are empty
    empty = next(i for i in range(1, many + 1) if i not in {shard_of(c, many) for c in IDS})
    code, report = shard_report(policy_file, f"{empty}/{many}", tmp_path)
    assert code == 0
    assert {s for s, _ in statuses(report).values()} == {"skipped"}


def test_shard_auto_uses_the_task_index(
    policy_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--shard auto in a Cloud Run Job task runs the same subset as the matching --shard i/n."""
    monkeypatch.setenv("CLOUD_RUN_TASK_INDEX", "0")
    monkeypatch.setenv("CLOUD_RUN_TASK_COUNT", "2")
    _, auto = shard_report(policy_file, "auto", tmp_path)
    _, manual = shard_report(policy_file, "1/2", tmp_path)
    assert statuses(auto) == statuses(manual)


def test_bad_shard_is_a_usage_error(policy_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--shard 3/2 exits 2 with one line."""
    code, _ = cli("--policy", str(policy_file), "--shard", "3/2")
    assert code == 2
    assert "need 1 <= i <= n" in capsys.readouterr().err


# --- merge --------------------------------------------------------------------------------------


def test_merge_combines_shards_into_one_verdict(policy_file: Path, tmp_path: Path) -> None:
    """Merging every shard gives each check's real result, the root cause, JUnit and exit 1."""
    reports = [str(shard_report(policy_file, f"{i}/3", tmp_path)[1]) for i in (1, 2, 3)]
    junit = tmp_path / "merged.xml"
    code, out = cli("merge", *reports, "--junit", str(junit))
    assert code == 1
    assert "Root cause (1):\n  1. e-bad [environment]" in out
    cases = {c.attrib["name"] for c in ET.parse(junit).getroot().iter("testcase")}
    assert cases == set(IDS)
    code, out = cli("merge", *reports, "--format", "json")
    data = json.loads(out)
    assert {r["id"]: r["status"] for r in data["results"]} == {
        **{cid: "pass" for cid in IDS},
        "e-bad": "fail",
    }
    assert data["root_causes"] == ["e-bad"]


def test_merge_passes_when_every_shard_passed(
    policy_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the missing variable set, the merged verdict is 0."""
    monkeypatch.setenv("IV_SHARD_MISSING", "set")
    reports = [str(shard_report(policy_file, f"{i}/2", tmp_path)[1]) for i in (1, 2)]
    code, out = cli("merge", *reports)
    assert code == 0
    assert "deployment complete" in out and "NOT" not in out


def test_missing_shard_report_is_an_error(policy_file: Path, tmp_path: Path) -> None:
    """Checks no given report ran become ERROR "not run by any shard"; exit 1."""
    reports = {i: shard_report(policy_file, f"{i}/2", tmp_path)[1] for i in (1, 2)}
    only_first = set(IDS) - {cid for cid, (s, _) in statuses(reports[1]).items() if s == "skipped"}
    code, out = cli("merge", str(reports[1]), "--format", "json")
    data = json.loads(out)
    assert code == 1
    missing = {r["id"] for r in data["results"] if r["status"] == "error"}
    assert missing == set(IDS) - only_first
    assert all(
        r["summary"] == "not run by any shard (skipped by all 1 reports)"
        for r in data["results"]
        if r["id"] in missing
    )


def test_user_deselected_checks_stay_skipped(policy_file: Path, tmp_path: Path) -> None:
    """A check skipped with --skip in every shard stays SKIPPED after merging (not an error)."""
    reports = [
        str(shard_report(policy_file, f"{i}/2", tmp_path, "--skip", "e-bad")[1]) for i in (1, 2)
    ]
    code, out = cli("merge", *reports, "--format", "json")
    data = json.loads(out)
    assert code == 0
    result = next(r for r in data["results"] if r["id"] == "e-bad")
    assert (result["status"], result["summary"]) == ("skipped", "deselected by --only/--skip")


def test_merge_refuses_mixed_environments(
    policy_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Reports of different environments exit 2 naming both."""
    other = tmp_path / "demo.yaml"
    other.write_text(POLICY.format(environment="other"))
    _, first = shard_report(policy_file, "1/2", tmp_path)
    second = tmp_path / "other.json"
    cli("--policy", str(other), "--json", str(second))
    code, _ = cli("merge", str(first), str(second))
    assert code == 2
    assert "different environments: other, test" in capsys.readouterr().err


def test_merge_rejects_files_that_are_not_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Garbage, a wrong schema or a missing file exit 2 with the file's name."""
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"schema_version": 99, "results": []}))
    for path in (garbage, wrong, tmp_path / "missing.json"):
        code, _ = cli("merge", str(path))
        assert code == 2
        assert str(path) in capsys.readouterr().err
