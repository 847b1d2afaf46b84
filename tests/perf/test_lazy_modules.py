"""The lazy module stand-ins: imported on first read, rebound to the real module when asked.

Each case runs in a fresh interpreter, so that a module another test imported cannot hide
whether the stand-in imported it.
"""

from __future__ import annotations

from tests.perf.python_process import python_stdout


def _run(code: str) -> str:
    stdout = python_stdout("-c", code)
    return stdout.strip()


def test_rebind_replaces_the_callers_global_with_the_real_module() -> None:
    """After the first read, the caller's global is the real module (patches are seen)."""
    code = (
        "import sys\n"
        "from infra_verify.lazy import lazy_module\n"
        "wave = lazy_module('wave', rebind=True)\n"
        "assert 'wave' not in sys.modules\n"
        "first = wave.Error\n"
        "assert wave is sys.modules['wave']\n"
        "sys.modules['wave'].Error = KeyError\n"
        "print(wave.Error is KeyError, first is not KeyError)\n"
    )
    assert _run(code) == "True True"


def test_without_rebind_the_stand_in_stays_and_finds_submodules() -> None:
    """Without rebind the global stays the stand-in, and a missing attribute is a submodule."""
    code = (
        "import sys, types\n"
        "from infra_verify.lazy import LazyModule, lazy_module\n"
        "xml = lazy_module('xml')\n"
        "assert 'xml' not in sys.modules\n"
        "dom = xml.dom\n"
        "print(isinstance(xml, LazyModule), dom is sys.modules['xml.dom'])\n"
    )
    assert _run(code) == "True True"


def test_a_missing_attribute_is_an_error() -> None:
    """A name that is neither an attribute nor a submodule raises ImportError (no submodule)."""
    code = (
        "from infra_verify.lazy import lazy_module\n"
        "wave = lazy_module('wave', rebind=True)\n"
        "try:\n"
        "    wave.no_such_thing\n"
        "except ImportError:\n"
        "    print('ImportError')\n"
    )
    assert _run(code) == "ImportError"
