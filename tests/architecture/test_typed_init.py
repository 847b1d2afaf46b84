"""Every built-in kind declares the typed ``__init__`` its fields imply (scripts/gen_signatures.py)."""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path
from types import ModuleType

import pytest

import infra_verify.checks as checks

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gen_signatures.py"


def generator() -> ModuleType:
    """scripts/gen_signatures.py as a module."""
    spec = importlib.util.spec_from_file_location("gen_signatures", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", checks.__all__)
def test_declared_init_matches_the_fields(name: str) -> None:
    """The class's ``if TYPE_CHECKING: def __init__`` is exactly what its fields generate."""
    cls = getattr(checks, name)
    source = Path(inspect.getfile(cls)).read_text()
    expected = generator().signature(cls)
    assert expected in source, (
        f"{name}'s typed __init__ is out of date: run python scripts/gen_signatures.py {name}"
        f" and paste:\n{expected}"
    )


def test_a_stale_signature_is_noticed() -> None:
    """Dropping a field from the generated text no longer matches (the check has teeth)."""
    cls = checks.Dns
    stale = generator().signature(cls).replace("            ttl: int = 300,\n", "")
    assert stale not in Path(inspect.getfile(cls)).read_text()


def test_runtime_init_stays_generic() -> None:
    """At run time every kind uses Check.__init__ (a wrong key -> CheckDefinitionError)."""
    from infra_verify.check import Check

    for name in checks.__all__:
        assert getattr(checks, name).__init__ is Check.__init__, name
