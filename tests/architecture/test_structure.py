"""The architecture holds by construction: probe/judge template, no private imports, thin __init__s."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from infra_verify.check import Check
from infra_verify.checks.registry import BUILTIN_KINDS, get_kind

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "infra_verify"


def _sources(top: Path) -> list[Path]:
    return sorted(p for p in top.rglob("*.py") if "__pycache__" not in p.parts)


def _module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def private_imports(path: Path) -> list[str]:
    """``from other.module import _name`` lines in ``path`` (same-module names are fine)."""
    found = []
    here = _module_of(path)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == here:
                continue
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(
                        f"{path.relative_to(ROOT)}:{node.lineno}: {node.module}.{alias.name}"
                    )
    return found


@pytest.mark.parametrize("top", ["infra_verify", "tests", "scripts"])
def test_no_module_imports_a_private_name_from_another(top: str) -> None:
    """No module imports a name starting with '_' from another module."""
    found = [line for path in _sources(ROOT / top) for line in private_imports(path)]
    assert found == []


def test_the_private_import_finder_finds_one(tmp_path: Path) -> None:
    """The finder itself reports a private import (so the test above can fail)."""
    module = ROOT / "tests" / "architecture" / "_probe_private_import.py"
    module.write_text("from infra_verify.gate import _hidden\n", encoding="utf-8")
    try:
        assert private_imports(module) == [
            "tests/architecture/_probe_private_import.py:1: infra_verify.gate._hidden"
        ]
    finally:
        module.unlink()


@pytest.mark.parametrize("kind", sorted(BUILTIN_KINDS))
def test_every_builtin_kind_probes_then_judges(kind: str) -> None:
    """Each built-in kind implements probe() and judge() and keeps the base run() template."""
    cls = get_kind(kind)
    assert cls is not None and issubclass(cls, Check)
    assert cls.run is Check.run, f"{kind} overrides run(); implement probe() and judge()"
    assert cls.probe is not Check.probe, f"{kind} has no probe()"
    assert cls.judge is not Check.judge, f"{kind} has no judge()"
    assert inspect.iscoroutinefunction(cls.probe)
    assert not inspect.iscoroutinefunction(cls.judge), "judge() is pure and synchronous"
    params = list(inspect.signature(cls.judge).parameters)
    assert params == ["self", "observed"], f"{kind}.judge{params}: judge(self, observed) only"


def _only_docstring(path: Path) -> bool:
    body = ast.parse(path.read_text(encoding="utf-8")).body
    return all(isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) for node in body)


def test_test_packages_hold_no_helpers_in_init() -> None:
    """Every tests/**/__init__.py is a docstring at most: helpers live in named modules."""
    inits = [p for p in _sources(ROOT / "tests") if p.name == "__init__.py"]
    assert inits
    assert [str(p.relative_to(ROOT)) for p in inits if not _only_docstring(p)] == []


def test_shipped_package_has_no_test_servers() -> None:
    """The test servers, knot/PostgreSQL launchers and demo worlds live in tests/servers."""
    testing = {p.name for p in (PACKAGE / "testing").glob("*.py")}
    assert testing <= {
        "__init__.py",
        "certs.py",
        "discovery.py",
        "fake_gcp.py",
        "fake_gcp_ops.py",
        "fake_gcp_routes.py",
        "lifecycle.py",
    }
