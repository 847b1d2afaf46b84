"""Where the policies live: ``--policies-dir``, ``INFRA_VERIFY_POLICIES``, or found upward from the cwd.

The search works like pytest's rootdir: from the current directory up through its parents, the
first ``policies/`` directory wins; it stops at the repository root (a directory holding
``.git``), so a checkout never picks up another project's policies above it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

POLICIES_ENV = "INFRA_VERIFY_POLICIES"
"""The environment variable naming the policies directory (below ``--policies-dir``)."""

DEFAULT_DIR = "policies"


def find_policies_dir(
    explicit: str | None = None,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Path:
    """The policies directory: the flag, else the environment variable, else found upward."""
    if explicit:
        return Path(explicit)
    environ = os.environ if env is None else env
    if environ.get(POLICIES_ENV):
        return Path(environ[POLICIES_ENV])
    start = (cwd or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        candidate = folder / DEFAULT_DIR
        if candidate.is_dir():
            return Path(DEFAULT_DIR) if cwd is None and folder == start else candidate
        if (folder / ".git").exists():
            break
    return Path(DEFAULT_DIR)


def environment_names(policies_dir: Path) -> list[str]:
    """The environment names a policies directory holds (its ``*.yaml`` / ``*.yml`` files)."""
    if not policies_dir.is_dir():
        return []
    return sorted({p.stem for p in policies_dir.iterdir() if p.suffix in {".yaml", ".yml"}})
