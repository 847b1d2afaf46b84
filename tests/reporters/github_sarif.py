"""What GitHub code scanning requires of an uploaded SARIF file, as a checker for our tests.

Transcribed from GitHub's "SARIF support for code scanning" reference
(docs.github.com/en/code-security/reference/code-scanning/sarif-files/sarif-support-for-code-scanning)
and "Uploading a SARIF file to GitHub": SARIF 2.1.0; ``tool.driver.name``; every result has a
``message.text``, a ``ruleId`` among the rules, and at least one location whose
``physicalLocation.artifactLocation.uri`` is a path relative to the repository root with a
``region.startLine``; ``partialFingerprints`` so alerts are not duplicated across runs; and the
upload limits (20 runs per file, 25,000 results and rules per run, 1,000 locations per result,
20 tags per rule).
"""

from __future__ import annotations

import re
from typing import Any

MAX_RUNS = 20
MAX_RESULTS = 25_000
MAX_RULES = 25_000
MAX_LOCATIONS = 1_000
MAX_TAGS = 20

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def upload_problems(log: dict[str, Any]) -> list[str]:
    """Every way ``log`` breaks GitHub's upload requirements; empty when it would be accepted."""
    problems: list[str] = []
    if log.get("version") != "2.1.0":
        problems.append(f"version {log.get('version')!r} is not 2.1.0")
    runs = log.get("runs")
    if not isinstance(runs, list):
        return [*problems, "runs is missing"]
    if len(runs) > MAX_RUNS:
        problems.append(f"{len(runs)} runs (max {MAX_RUNS})")
    for i, run in enumerate(runs):
        problems += [f"runs[{i}]: {p}" for p in _run_problems(run)]
    return problems


def _run_problems(run: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    driver = run.get("tool", {}).get("driver", {})
    if not driver.get("name"):
        problems.append("tool.driver.name is missing")
    rules = driver.get("rules", [])
    if len(rules) > MAX_RULES:
        problems.append(f"{len(rules)} rules (max {MAX_RULES})")
    ids = set()
    for rule in rules:
        if not rule.get("id"):
            problems.append("a rule has no id")
        ids.add(rule.get("id"))
        if len(rule.get("properties", {}).get("tags", [])) > MAX_TAGS:
            problems.append(f"rule {rule.get('id')}: more than {MAX_TAGS} tags")
    results = run.get("results", [])
    if len(results) > MAX_RESULTS:
        problems.append(f"{len(results)} results (max {MAX_RESULTS})")
    for j, result in enumerate(results):
        problems += [f"results[{j}]: {p}" for p in _result_problems(result, ids)]
    return problems


def _result_problems(result: dict[str, Any], rule_ids: set[Any]) -> list[str]:
    problems: list[str] = []
    if not result.get("message", {}).get("text"):
        problems.append("message.text is missing")
    if result.get("ruleId") not in rule_ids:
        problems.append(f"ruleId {result.get('ruleId')!r} is not a rule of the run")
    if not result.get("partialFingerprints"):
        problems.append("partialFingerprints is missing")
    locations = result.get("locations") or []
    if len(locations) > MAX_LOCATIONS:
        problems.append(f"{len(locations)} locations (max {MAX_LOCATIONS})")
    physical = [loc["physicalLocation"] for loc in locations if "physicalLocation" in loc]
    if not physical:
        return [*problems, "no location with a physicalLocation"]
    for p in physical:
        uri = p.get("artifactLocation", {}).get("uri", "")
        if not uri:
            problems.append("physicalLocation.artifactLocation.uri is empty")
        elif _SCHEME.match(uri) or uri.startswith("/"):
            problems.append(f"artifactLocation.uri {uri!r} is not relative to the repository")
        line = p.get("region", {}).get("startLine")
        if not isinstance(line, int) or line < 1:
            problems.append(f"region.startLine {line!r} is not a line number")
    return problems
