"""Results point at files: a check's policy line, a plan finding's .tf line, in every CI format."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from infra_verify.gate import Gate, GateRun
from infra_verify.iac.plan import load_plan
from infra_verify.iac.settings import load_plan_policy
from infra_verify.iac.verify import verify_plan
from infra_verify.model import Source, Status
from infra_verify.policy.load import load_policy
from infra_verify.reporters import ReportOptions, render
from infra_verify.reporters.locations import place, relative_path
from infra_verify.reporters.sarif import DOCS_URI, github_anchor, help_uri
from infra_verify.reporters.serialize import run_from_dict, run_to_dict
from infra_verify.shard import merge_runs
from tests.iac.conftest import POLICY as PLAN_POLICY
from tests.iac.conftest import fixture as plan_fixture
from tests.reporters.github_sarif import upload_problems
from tests.reporters.runs import SCHEMAS, mixed_run

REPO = Path(__file__).resolve().parents[2]

BASE = """\
environment: staging
checks:
  from-base:
    kind: environment
    require: [IV_LOC_MISSING_TOO]
"""

POLICY = """\
environment: staging
extends: base.yaml
checks:
  flag-on:
    kind: environment
    equals: {IV_LOC_FLAG: "on"}

  needs-var:
    kind: environment
    require: [IV_LOC_MISSING]
  after-var:
    kind: environment
    equals: {IV_LOC_FLAG: "on"}
    after: [needs-var]
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with policies/staging.yaml extending policies/base.yaml."""
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "base.yaml").write_text(BASE)
    (policies / "staging.yaml").write_text(POLICY)
    return tmp_path


@pytest.fixture
def run(repo: Path) -> GateRun:
    """The policy run for real (environment checks read the given env; no network)."""
    return Gate.from_policy(repo / "policies" / "staging.yaml", env={"IV_LOC_FLAG": "on"}).run()


def _sarif(run: GateRun, root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render("sarif", run, ReportOptions(source_root=str(root))))
    return data


def _physical(result: dict[str, Any]) -> tuple[str, int]:
    loc = result["locations"][0]["physicalLocation"]
    return loc["artifactLocation"]["uri"], loc["region"]["startLine"]


def test_the_loader_knows_each_checks_file_and_line(repo: Path) -> None:
    """Policy.sources: the line of each entry, in the file it is written in (extends: its base)."""
    policy = load_policy(repo / "policies" / "staging.yaml")
    sources = {cid: (Path(s.file).name, s.line) for cid, s in policy.sources.items()}
    assert sources == {
        "from-base": ("base.yaml", 3),
        "flag-on": ("staging.yaml", 4),
        "needs-var": ("staging.yaml", 8),
        "after-var": ("staging.yaml", 11),
    }


def test_results_carry_their_source(run: GateRun) -> None:
    """Every result of a policy run knows where its check is written."""
    assert {r.id: (Path(r.source.file).name, r.source.line) for r in run.results if r.source} == {
        "from-base": ("base.yaml", 3),
        "flag-on": ("staging.yaml", 4),
        "needs-var": ("staging.yaml", 8),
        "after-var": ("staging.yaml", 11),
    }


def test_sarif_results_have_relative_physical_locations(run: GateRun, repo: Path) -> None:
    """FAIL, BLOCKED: each result points at its check's line, relative to the repository."""
    log = _sarif(run, repo)
    found = {r["properties"]["checkId"]: _physical(r) for r in log["runs"][0]["results"]}
    assert found == {
        "from-base": ("policies/base.yaml", 3),
        "needs-var": ("policies/staging.yaml", 8),
        "after-var": ("policies/staging.yaml", 11),
    }
    for r in log["runs"][0]["results"]:
        assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert r["locations"][0]["logicalLocations"][0]["name"] == r["properties"]["checkId"]


def test_sarif_of_a_real_run_is_valid_and_github_accepts_it(run: GateRun, repo: Path) -> None:
    """The SARIF schema and GitHub's upload requirements both hold for a real policy run."""
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())
    log = _sarif(run, repo)
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    assert list(validator.iter_errors(log)) == []
    assert upload_problems(log) == []


def test_github_checker_rejects_logical_only_and_absolute_locations(
    run: GateRun, repo: Path
) -> None:
    """The checker really checks: no physical location, or an absolute URI, is rejected."""
    no_source = GateRun(
        results=tuple(r.evolve(source=None) for r in run.results), environment="staging"
    )
    assert any(
        "no location with a physicalLocation" in p for p in upload_problems(_sarif(no_source, repo))
    )
    log = _sarif(run, repo)
    first = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    first["uri"] = (repo / "policies" / "staging.yaml").as_uri()
    assert any("not relative" in p for p in upload_problems(log))


def test_rules_have_names_help_and_a_help_uri_into_the_reference(run: GateRun, repo: Path) -> None:
    """Rule name differs from its id; help text; helpUri names a heading of a shipped document."""
    rules = _sarif(run, repo)["runs"][0]["tool"]["driver"]["rules"]
    plan_rules = _sarif(_plan_run(None), repo)["runs"][0]["tool"]["driver"]["rules"]
    for rule in (
        rules + plan_rules + _sarif(mixed_run(), repo)["runs"][0]["tool"]["driver"]["rules"]
    ):
        assert rule["name"] != rule["id"] and rule["name"].isalnum()
        assert rule["help"]["text"] and rule["shortDescription"]["text"]
        doc, _, anchor = rule["helpUri"].removeprefix(DOCS_URI).partition("#")
        headings = re.findall(r"^#+ (.+)$", (REPO / doc).read_text(), re.MULTILINE)
        assert anchor in {github_anchor(h) for h in headings}, rule["helpUri"]
    assert help_uri("tls") == "https://infra-verify.dev/docs/policy-reference.md#tls"
    assert help_uri("plan.dns_record").endswith("/docs/policy-reference.md#gcpdns_record")
    assert help_uri("my-plugin-kind").endswith("/docs/policy-reference.md#check-kinds")
    rule = next(r for r in plan_rules if r["id"] == "plan.rule.IV001")
    assert rule["name"] == "PlanRuleIV001Rule"
    assert "DNS" in rule["shortDescription"]["text"]


def _plan_run(tf_dir: Path | None) -> GateRun:
    plan = load_plan(plan_fixture("wrong_ip"))
    policy, _ = load_plan_policy(PLAN_POLICY, env={})
    return verify_plan(plan, policy, tf_dir=tf_dir)


def test_plan_findings_point_at_the_tf_line_when_known(tmp_path: Path) -> None:
    """A plan finding with a located resource points at its .tf line; else at its policy line."""
    (tmp_path / "dns.tf").write_text('# records\n\nresource "google_dns_record_set" "hosts" {\n}\n')
    run = _plan_run(tmp_path)
    dns = run.by_id("dns-api")
    assert dns.status is Status.FAIL
    assert dns.source == Source(str(tmp_path / "dns.tf"), 3)
    log = _sarif(run, tmp_path)
    found = {r["properties"]["checkId"]: _physical(r) for r in log["runs"][0]["results"]}
    assert found["dns-api"] == ("dns.tf", 3)
    unlocated = _plan_run(None).by_id("dns-api")
    assert unlocated.source is not None and Path(unlocated.source.file) == PLAN_POLICY
    assert upload_problems(log) == []


def test_github_annotations_carry_file_and_line(run: GateRun, repo: Path) -> None:
    """::error/::warning name the policy file (relative) and the check's line."""
    text = render("github", run, ReportOptions(source_root=str(repo)))
    lines = text.splitlines()
    assert "::error title=needs-var,file=policies/staging.yaml,line=8::" in "\n".join(lines)
    assert any(
        line.startswith("::warning title=after-var,file=policies/staging.yaml,line=11::")
        for line in lines
    )
    assert any(
        line.startswith("::error title=from-base,file=policies/base.yaml,line=3::")
        for line in lines
    )


def test_junit_testcase_says_where_the_check_is(run: GateRun, repo: Path) -> None:
    """Each testcase's system-out starts with "defined at FILE:LINE"."""
    text = render("junit", run, ReportOptions(source_root=str(repo)))
    assert "defined at policies/staging.yaml:8" in text


def test_json_round_trip_and_merge_keep_sources(run: GateRun) -> None:
    """serialize carries source, so a merged shard report still has its locations."""
    back = run_from_dict(json.loads(json.dumps(run_to_dict(run))))
    assert [r.source for r in back.results] == [r.source for r in run.results]
    merged = merge_runs([back, back])
    assert merged.by_id("needs-var").source == run.by_id("needs-var").source


def test_paths_outside_the_root_stay_honest(tmp_path: Path) -> None:
    """A file outside the source root is a ../ path, never a wrong path inside it."""
    inside = tmp_path / "repo"
    inside.mkdir()
    assert relative_path(str(tmp_path / "other" / "p.yaml"), inside) == "../other/p.yaml"
    where = place(Source(str(inside / "my policies" / "p.yaml"), 2), inside)
    assert where is not None
    assert (where.path, where.uri, where.line) == ("my policies/p.yaml", "my%20policies/p.yaml", 2)
    assert place(None, inside) is None


def test_cli_sarif_and_annotations_from_the_repository_root(repo: Path) -> None:
    """As CI runs it: from the repository root, --sarif passes the schema and GitHub's upload
    rules with policy-relative paths, and --github annotations name file and line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "IV_LOC_"))}
    env["IV_LOC_FLAG"] = "on"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "infra_verify",
            "--policy",
            "policies/staging.yaml",
            "--sarif",
            "gate.sarif",
            "--github",
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    log = json.loads((repo / "gate.sarif").read_text())
    assert upload_problems(log) == []
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())
    assert jsonschema.Draft7Validator(schema).is_valid(log)
    found = {r["properties"]["checkId"]: _physical(r) for r in log["runs"][0]["results"]}
    assert found["needs-var"] == ("policies/staging.yaml", 8)
    assert "::error title=needs-var,file=policies/staging.yaml,line=8::" in proc.stderr
