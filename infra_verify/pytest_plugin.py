"""pytest plugin: ``pytest --infra-verify staging`` turns each check of a policy into a test.

    pytest --infra-verify staging                           # policies/staging.yaml
    pytest --infra-verify staging -k "dns or tls" --junitxml reports/gate.xml
    pytest --infra-verify-policy path/to/policy.yaml --infra-verify-allow-loopback

Each check becomes one test item named by its check id (node id ``<policy file>::<id>``), so
``-k`` selects checks and ``--junitxml`` writes one ``<testcase name="<id>">`` per check. The
gate runs ONCE per session, on the first item, with the deselected checks skipped; each item
then reports its check's result: PASS passes, FAIL/ERROR fail with the summary, observations
and hint, BLOCKED fails with "blocked by X", SKIPPED is skipped. Registered through the
``pytest11`` entry point ``infra_verify``; without the options it does nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # imported lazily: the plugin loads in every pytest session of the venv
    from infra_verify.check import Check
    from infra_verify.gate import GateRun
    from infra_verify.model import Result
    from infra_verify.policy.load import Policy

_POLICY = pytest.StashKey["Policy | None"]()
_RUN = pytest.StashKey["GateRun"]()
_SELECTED = pytest.StashKey["set[str]"]()


class CheckFailed(Exception):
    """A check's result was not PASS; the message is the readable report."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add --infra-verify ENV, --infra-verify-policy FILE and the --infra-verify-allow-* flags."""
    group = parser.getgroup("infra-verify", "infra_verify: run a policy's checks as tests")
    group.addoption(
        "--infra-verify",
        metavar="ENV",
        dest="infra_verify_env",
        help="run the checks of policies/ENV.yaml as test items",
    )
    group.addoption(
        "--infra-verify-policy",
        metavar="FILE",
        dest="infra_verify_policy",
        help="run the checks of this policy file as test items",
    )
    group.addoption(
        "--infra-verify-policies-dir",
        metavar="DIR",
        dest="infra_verify_policies_dir",
        default="policies",
        help="where environment policies live (default: ./policies)",
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
    """Load the policy named on the command line (a bad policy is a usage error)."""
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


class PolicyFile(pytest.File):
    """The policy file as a collector of one item per check."""

    policy: Policy

    def collect(self) -> Iterator[CheckItem]:
        """One item per check, in the policy's order."""
        for check in self.policy.checks:
            yield CheckItem.from_parent(self, name=check.id, check=check)


class CheckItem(pytest.Item):
    """One check of the policy, as a test."""

    def __init__(self, *, check: Check, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check
        self.extra_keyword_matches.add(check.kind)
        self.user_properties.append(("kind", check.kind))

    def runtest(self) -> None:
        """Report this check's result from the session's single gate run."""
        from infra_verify.model import Status

        result = _session_run(self.config).by_id(self.check.id)
        self.user_properties.append(("status", result.status.value))
        if result.status is Status.PASS:
            return
        if result.status is Status.SKIPPED:
            pytest.skip(result.summary)
        raise CheckFailed(_describe(result))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        """The check's report, not a traceback."""
        if isinstance(excinfo.value, CheckFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """Where the check is written: the policy file and line."""
        from infra_verify.policy.yaml_lines import line_of

        policy: Policy = self.parent.policy  # type: ignore[union-attr]
        line = line_of(policy.lines, ("checks", self.check.id))
        return self.path, (line - 1) if line else None, f"{self.check.kind} {self.check.id}"


def _describe(result: Result) -> str:
    from infra_verify.model import Status

    lines = [f"{result.id} [{result.kind}] {result.status.value}: {result.summary}"]
    if result.status is Status.BLOCKED:
        return lines[0]
    for o in result.observations:
        mark = "ok " if o.ok else "BAD"
        where = f" at {o.where}" if o.where else ""
        lines.append(f"  {mark} {o.property}{where}: expected {o.expected}, got {o.actual}")
    if result.explained_by:
        lines.append(f"  explained by: {', '.join(result.explained_by)}")
    if result.hint:
        lines.append(f"  fix: {result.hint}")
    return "\n".join(lines)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Add the policy's checks to the collected items (before -k/-m deselection runs)."""
    policy = config.stash.get(_POLICY, None)
    if policy is None:
        return
    node = PolicyFile.from_parent(session, path=Path(policy.path).resolve())
    node.policy = policy
    items.extend(node.collect())


def pytest_collection_finish(session: pytest.Session) -> None:
    """Remember which checks survived -k/-m selection: the others are not probed."""
    session.config.stash[_SELECTED] = {
        item.check.id for item in session.items if isinstance(item, CheckItem)
    }


def _session_run(config: pytest.Config) -> GateRun:
    """Run the gate once per session, skipping the checks that were deselected."""
    if _RUN not in config.stash:
        policy = config.stash[_POLICY]
        assert policy is not None
        selected = config.stash.get(_SELECTED, {c.id for c in policy.checks})
        from infra_verify.gate import Gate

        gate = Gate.from_policy(
            policy,
            allow_loopback=bool(config.getoption("infra_verify_allow_loopback")),
            allow_loopback_settings=bool(config.getoption("infra_verify_allow_loopback_settings")),
            skip={c.id for c in policy.checks} - selected,
        )
        config.stash[_RUN] = gate.run()
    return config.stash[_RUN]
