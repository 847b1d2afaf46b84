"""Modules imported on first use, so that listing a policy never loads the probing libraries.

``httpx = lazy_module("httpx")`` binds a stand-in; the real import happens the first time an
attribute is read (``httpx.AsyncClient``), and a missing attribute is tried as a submodule
(``dns.rdatatype``). Type checkers see the real import under ``if TYPE_CHECKING:``.

With ``rebind=True`` (for modules whose attributes need no submodule import: asyncio, ssl,
socket), that first read also rebinds the global that held the stand-in, in the module that
called ``lazy_module``, to the real module: from then on that module reads the real module's
attributes directly (no stand-in in the hot path, and a test that patches the real module is
seen there).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

_OWNER = "__lazy_owner__"
"""Where a stand-in keeps the globals of the module that bound it."""


class LazyModule(types.ModuleType):
    """A stand-in for a module that imports it when an attribute is first read."""

    def __init__(self, name: str, owner: dict[str, Any] | None = None) -> None:
        super().__init__(name)
        self.__dict__[_OWNER] = owner

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        module = importlib.import_module(self.__name__)
        owner: dict[str, Any] | None = self.__dict__.get(_OWNER)
        if owner is not None:
            for key, value in list(owner.items()):
                if value is self:
                    owner[key] = module
        try:
            value = getattr(module, attr)
        except AttributeError:
            value = importlib.import_module(f"{self.__name__}.{attr}")
        self.__dict__[attr] = value  # other holders of the stand-in: the next read is a lookup
        return value


def lazy_module(name: str, *, rebind: bool = False) -> Any:
    """A stand-in for module ``name``, imported on first attribute access (with ``rebind``, the
    caller's global holding it is then rebound to the real module)."""
    return LazyModule(name, sys._getframe(1).f_globals if rebind else None)
