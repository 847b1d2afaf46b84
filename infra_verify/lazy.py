"""Modules imported on first use, so that listing a policy never loads the probing libraries.

``httpx = lazy_module("httpx")`` binds a stand-in; the real import happens the first time an
attribute is read (``httpx.AsyncClient``), and a missing attribute is tried as a submodule
(``dns.rdatatype``). Type checkers see the real import under ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import importlib
import types
from typing import Any


class LazyModule(types.ModuleType):
    """A stand-in for a module that imports it when an attribute is first read."""

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        module = importlib.import_module(self.__name__)
        try:
            value = getattr(module, attr)
        except AttributeError:
            value = importlib.import_module(f"{self.__name__}.{attr}")
        self.__dict__[attr] = value  # the next read is a plain lookup
        return value


def lazy_module(name: str) -> Any:
    """A stand-in for module ``name``, imported on first attribute access."""
    return LazyModule(name)
