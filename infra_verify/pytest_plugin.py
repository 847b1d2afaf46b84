"""pytest plugin: ``pytest --infra-verify staging`` collects each check of a policy as a test.

    pytest --infra-verify staging                           # policies/staging.yaml
    pytest --infra-verify staging -k "dns or tls" --junitxml reports/gate.xml
    pytest --infra-verify-policy path/to/policy.yaml --infra-verify-allow-loopback
    pytest --infra-verify staging --infra-verify-blocked skip

The policy file is collected like a test file: a ``PolicyFile`` collector with one ``CheckItem``
per check (node id ``<policy file>::<check id>``, location = the check's line), so the header's
count, ``-k`` (ids and kinds), ``-m``, ``--collect-only``, ``-x``, ``--lf``, ``--durations`` and
pytest-xdist behave as for any test file. Without a path argument the run collects the policy
alone; with paths, the policy is collected beside them.

The gate runs ONCE per session (per xdist worker), before the first test, over the checks that
survived selection (deselected checks are skipped, so they block nothing); each item then
reports its check's verdict: PASS passes; FAIL/ERROR fail with the summary, the evidence
(expected vs actual), whether it is a root cause or what explains it, and the hint; BLOCKED
fails naming the root causes behind it, or is skipped with them under
``--infra-verify-blocked skip``; SKIPPED is skipped. Each item's duration is its check's own.
Registered through the ``pytest11`` entry point ``infra_verify``; without the options it does
nothing.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # imported lazily: the plugin loads in every pytest session of the venv
    from infra_verify.check import Check
    from infra_verify.gate import GateRun
    from infra_verify.model import Result
    from infra_verify.policy.load import Policy

_POLICY: pytest.StashKey[Policy | None] = pytest.StashKey()
_COLLECTED: pytest.StashKey[bool] = pytest.StashKey()
_RUN: pytest.StashKey[GateRun] = pytest.StashKey()

BLOCKED_MODES = ("fail", "skip")


class CheckFailed(Exception):
    """A check's result was not PASS; the message is the readable report."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add --infra-verify ENV, --infra-verify-policy FILE, --infra-verify-blocked and the
    --infra-verify-allow-* flags."""
    group = parser.getgroup("infra-verify", "infra_verify: run a policy's checks as tests")
    group.addoption(
        "--infra-verify",
        metavar="ENV",
        dest="infra_verify_env",
        help="collect the checks of policies/ENV.yaml as test items",
    )
    group.addoption(
        "--infra-verify-policy",
        metavar="FILE",
        dest="infra_verify_policy",
        help="collect the checks of this policy file as test items",
    )
    group.addoption(
        "--infra-verify-policies-dir",
        metavar="DIR",
        dest="infra_verify_policies_dir",
        default="policies",
        help="where environment policies live (default: ./policies)",
    )
    group.addoption(
        "--infra-verify-blocked",
        choices=BLOCKED_MODES,
        default="fail",
        dest="infra_verify_blocked",
        help="report a check blocked by a failed dependency as a failure (default: it fails "
        "the gate too) or as skipped, naming its blocker",
    )
    group.addoption(
        "--infra-verify-allow-loopback",
        action="store_true",
        dest="infra_verify_allow_loopback",
        help="allow loopback targets in a real environment (tests and local fakes only)",
    )
    group.addoption(
        "--infra-verify-allow-loopback-settings",
        action="store_true",
        dest="infra_verify_allow_loopback_settings",
        help="allow the environment check's no_loopback settings to point at loopback",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Load the policy named on the command line (a bad policy is a usage error) and make its
    file a collection argument."""
    env = config.getoption("infra_verify_env")
    file = config.getoption("infra_verify_policy")
    config.stash[_POLICY] = None
    if not env and not file:
        return
    from infra_verify.errors import InfraVerifyError
    from infra_verify.policy.load import find_policy, load_policy

    try:
        path = (
            Path(file) if file else find_policy(env, config.getoption("infra_verify_policies_dir"))
        )
        policy = load_policy(path, environment=env)  # the run names the environment, not the file
    except InfraVerifyError as exc:
        raise pytest.UsageError(f"infra_verify: {exc}") from None
    if env and file and env != policy.environment:
        raise pytest.UsageError(
            f"infra_verify: --infra-verify-policy {file} is for '{policy.environment}', not '{env}'"
        )
    config.stash[_POLICY] = policy
    config.stash[_COLLECTED] = False
    target = str(Path(policy.path).resolve())
    if config.args_source is not pytest.Config.ArgsSource.ARGS:
        config.args = [target]  # no path given: the option names what to run
    elif target not in config.args:
        config.args.append(target)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> PolicyFile | None:
    """The policy named by the options, once (a directory argument may reach it again)."""
    policy = parent.config.stash.get(_POLICY, None)
    if policy is None or parent.config.stash.get(_COLLECTED, True):
        return None
    if file_path.resolve() != Path(policy.path).resolve():
        return None
    parent.config.stash[_COLLECTED] = True
    node: PolicyFile = PolicyFile.from_parent(parent, path=file_path)
    return node


class PolicyFile(pytest.File):
    """The policy file as a collector of one item per check."""

    def collect(self) -> Iterator[CheckItem]:
        """One item per check, in the policy's order."""
        policy = self.config.stash[_POLICY]
        assert policy is not None
        for check in policy.checks:
            yield CheckItem.from_parent(self, name=check.id, check=check)


class CheckItem(pytest.Item):
    """One check of the policy, as a test."""

    def __init__(self, *, check: Check, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check
        self.extra_keyword_matches.add(check.kind)

    def runtest(self) -> None:
        """Report this check's result from the session's single gate run."""
        from infra_verify.model import Status

        result = _session_run(self.session).by_id(self.check.id)
        if result.status is Status.PASS:
            return
        if result.status is Status.SKIPPED:
            pytest.skip(result.summary)
        run = self.config.stash[_RUN]
        if (
            result.status is Status.BLOCKED
            and self.config.getoption("infra_verify_blocked") == "skip"
        ):
            pytest.skip(_blocked_line(result))
        raise CheckFailed(describe(result, run))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        """The check's report, not a traceback."""
        if isinstance(excinfo.value, CheckFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """Where the check is written: its file (the base file for ``extends:``) and line."""
        policy = self.config.stash[_POLICY]
        source = policy.sources.get(self.check.id) if policy is not None else None
        if source is None:
            return self.path, None, f"{self.check.kind} {self.check.id}"
        line = source.line - 1 if source.line else None
        return Path(source.file).resolve(), line, f"{self.check.kind} {self.check.id}"


def _blocked_line(result: Result) -> str:
    blockers = ", ".join(result.blocked_by) or "a dependency"
    return f"blocked by {blockers}"


def describe(result: Result, run: GateRun) -> str:
    """A check's verdict, evidence, root-cause note and hint, as a failure message."""
    from infra_verify.model import Status

    if result.status is Status.BLOCKED:
        return (
            f"{result.id} [{result.kind}] blocked: {_blocked_line(result)}\n"
            "  not run: a dependency did not pass, so this fact is unverified; "
            "fix the root cause first"
        )
    lines = [f"{result.id} [{result.kind}] {result.status.value}: {result.summary}"]
    for o in result.observations:
        mark = "ok " if o.ok else "BAD"
        where = f" at {o.where}" if o.where else ""
        lines.append(f"  {mark} {o.property}{where}: expected {o.expected}, got {o.actual}")
    if result.explained_by:
        lines.append(
            f"  explained by: {', '.join(result.explained_by)} (a root cause; fix that first)"
        )
    elif any(r.id == result.id for r in run.root_causes):
        blocks = [r.id for r in run.results if result.id in r.blocked_by]
        note = "  root cause: nothing else explains this failure"
        lines.append(note + (f"; it blocks {', '.join(blocks)}" if blocks else ""))
    if result.hint:
        lines.append(f"  fix: {result.hint}")
    return "\n".join(lines)


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Generator[None, object, object]:
    """Run the gate before the first test, so no item carries the whole run's time."""
    collect_only = session.config.option.collectonly
    if not collect_only and any(isinstance(i, CheckItem) for i in session.items):
        _session_run(session)
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A check item's call duration is its check's own (the gate ran them concurrently), and a
    skipped check is reported at its line in the policy, not in this plugin."""
    report = yield
    if isinstance(item, CheckItem) and call.when == "call" and _RUN in item.config.stash:
        report.duration = item.config.stash[_RUN].by_id(item.check.id).duration
        if report.skipped and isinstance(report.longrepr, tuple):
            path, line, _ = item.reportinfo()
            report.longrepr = (str(path), (line or 0) + 1, report.longrepr[2])
    return report


def _session_run(session: pytest.Session) -> GateRun:
    """Run the gate once per session, skipping the checks that were not selected."""
    config = session.config
    if _RUN not in config.stash:
        policy = config.stash[_POLICY]
        assert policy is not None
        selected = {i.check.id for i in session.items if isinstance(i, CheckItem)}
        from infra_verify.gate import Gate

        gate = Gate.from_policy(
            policy,
            allow_loopback=bool(config.getoption("infra_verify_allow_loopback")),
            allow_loopback_settings=bool(config.getoption("infra_verify_allow_loopback_settings")),
            skip={c.id for c in policy.checks} - selected,
        )
        config.stash[_RUN] = gate.run()
    return config.stash[_RUN]
