"""A fresh interpreter run from the repository root, for the import-set and CPU tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def python_stdout(*argv: str, timeout: float = 120) -> str:
    """Run ``python *argv`` from the repository root; its stdout (exit status 0 asserted)."""
    out = subprocess.run(
        [sys.executable, *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout
