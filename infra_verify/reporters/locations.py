"""Where a result points in the repository: a file path relative to the source root, and a line.

SARIF's ``artifactLocation.uri`` and GitHub's ``file=`` annotation property both want a path
relative to the repository root (GitHub code scanning rejects results without one). The root is
``ReportOptions.source_root``, else ``$GITHUB_WORKSPACE`` when GitHub Actions sets it, else the
current directory. A file outside the root keeps an honest ``../`` path rather than a wrong one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from infra_verify.model import Result, Source


@dataclass(frozen=True)
class Place:
    """A result's location: the relative path, the same path as a URI reference, and a line."""

    path: str
    uri: str
    line: int | None


def source_root(root: str | Path | None = None) -> Path:
    """The directory paths are made relative to (see the module docstring)."""
    chosen = root or os.environ.get("GITHUB_WORKSPACE") or os.getcwd()
    return Path(chosen).resolve()


def relative_path(file: str, root: Path) -> str:
    """``file`` relative to ``root``, with ``/`` separators (``../`` when outside it)."""
    absolute = Path(file).resolve()
    rel = os.path.relpath(absolute, root)
    return PurePosixPath(*Path(rel).parts).as_posix()


def place(source: Source | None, root: Path) -> Place | None:
    """Where ``source`` is, relative to ``root``; None when the result has no source."""
    if source is None or not source.file:
        return None
    path = relative_path(source.file, root)
    return Place(path, quote(path, safe="/-._~"), source.line)


def place_of(r: Result, root: Path) -> Place | None:
    """Where result ``r`` points: its check's policy line, or its plan resource's ``.tf`` line."""
    return place(r.source, root)
