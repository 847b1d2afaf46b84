"""Bounded reads of the files a run names for the plan check: a plan and Terraform outputs.

Both go through the one bounded reader (``policy.yaml_lines.read_limited``): a device, pipe or
socket (``--plan /dev/zero``) is refused before any read, and at most the limit plus one byte
is read, whatever size the file reports.
"""

from __future__ import annotations

from pathlib import Path

from infra_verify.errors import PolicyError, UsageError
from infra_verify.policy.yaml_lines import read_limited

MAX_PLAN_BYTES = 128 * 1024 * 1024
"""The largest ``terraform show -json`` plan read (a plan of thousands of resources is tens of MiB)."""
MAX_OUTPUTS_BYTES = 32 * 1024 * 1024
"""The largest ``terraform output -json`` file read."""


class InputFileError(UsageError):
    """A file the run named that cannot be read: names the file and what to do (exit 2)."""

    def __init__(self, file: str, problem: str, hint: str) -> None:
        self.file = file
        self.problem = problem
        self.hint = hint
        super().__init__(f"{file}: {problem} ({hint})")


def read_bounded(
    path: str | Path,
    limit: int,
    *,
    what: str,
    how: str,
    error: type[InputFileError] = InputFileError,
) -> bytes:
    """The bytes of the regular file ``path`` of at most ``limit`` bytes; ``error`` otherwise.

    ``what`` names the file in messages ("plan file"); ``how`` says how to make a good one.
    """
    try:
        return read_limited(Path(path), limit, what=what)
    except PolicyError as exc:
        problem = f"no such {what}" if exc.message == "no such file" else exc.message
        hint = how if exc.hint in (None, "check the path") else f"{exc.hint}; {how}"
        raise error(str(path), problem, hint) from None
