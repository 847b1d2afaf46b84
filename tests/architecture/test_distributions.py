"""``python -m build`` of the checkout: an sdist with its LICENSE and no tests, and a wheel from it.

Built as a release is built (``python -m build``: the sdist, then the wheel from the unpacked
sdist, in isolated environments), so a file the sdist forgets breaks the wheel here too.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIP = (".git", ".venv", "*.egg-info", "__pycache__", ".*_cache", "build", "dist", "reports")

LICENSE_WARNING = re.compile(r"(warn|deprecat).*licen[cs]e|licen[cs]e.*(warn|deprecat)", re.I)


@dataclass(frozen=True)
class Built:
    """The build's log and the two archives it made."""

    log: str
    sdist: Path
    wheel: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Run ``python -m build`` on a copy of the checkout (tests included, to see them left out)."""
    src = tmp_path_factory.mktemp("checkout") / "infra_verify"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(*SKIP))
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(src)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (sdist,) = out.glob("infra_verify-*.tar.gz")
    (wheel,) = out.glob("infra_verify-*.whl")
    return Built(proc.stdout + proc.stderr, sdist, wheel)


def sdist_names(built: Built) -> list[str]:
    """The sdist's members, without the ``infra_verify-X.Y.Z/`` prefix."""
    with tarfile.open(built.sdist) as tf:
        return [m.name.split("/", 1)[1] for m in tf.getmembers() if "/" in m.name]


def sdist_text(built: Built, name: str) -> str:
    """One text member of the sdist."""
    with tarfile.open(built.sdist) as tf:
        member = next(m for m in tf.getmembers() if m.name.split("/", 1)[-1] == name)
        handle = tf.extractfile(member)
        assert handle is not None
        return handle.read().decode()


def test_build_prints_no_license_warnings(built: Built) -> None:
    """No deprecated license table, no license classifier: setuptools says nothing about it."""
    noisy = [line for line in built.log.splitlines() if LICENSE_WARNING.search(line)]
    assert not noisy, "\n".join(noisy)
    assert "SetuptoolsDeprecationWarning" not in built.log


def test_sdist_carries_the_license_and_an_spdx_expression(built: Built) -> None:
    """LICENSE is in the sdist and PKG-INFO says ``License-Expression: Apache-2.0``."""
    names = sdist_names(built)
    assert "LICENSE" in names
    assert "Apache License" in sdist_text(built, "LICENSE")
    pkg_info = sdist_text(built, "PKG-INFO")
    assert "License-Expression: Apache-2.0" in pkg_info.splitlines()
    assert "License-File: LICENSE" in pkg_info.splitlines()


def test_sdist_carries_no_tests(built: Built) -> None:
    """No test file, conftest or test server rides along without the rest of the suite."""
    names = sdist_names(built)
    assert not [n for n in names if n.startswith(("tests/", "scripts/")) or "conftest" in n]
    assert not [n for n in names if re.search(r"(^|/)test_[^/]*\.py$", n)]
    for shipped in ("infra_verify/py.typed", "infra_verify/reporters/report.schema.json"):
        assert shipped in names


def test_wheel_built_from_the_sdist_has_license_and_metadata(built: Built) -> None:
    """The wheel (built from the unpacked sdist) ships LICENSE under dist-info/licenses."""
    with zipfile.ZipFile(built.wheel) as zf:
        names = zf.namelist()
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        lines = zf.read(metadata).decode().splitlines()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "License-Expression: Apache-2.0" in lines
    assert not [line for line in lines if line.startswith("Classifier: License")]
