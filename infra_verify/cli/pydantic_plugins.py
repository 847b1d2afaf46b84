"""pydantic's plugin lookup, skipped in the CLI's own process (``cli/main.py`` turns it on).

pydantic plugins (the ``pydantic`` entry point group) observe every model's validation. The
CLI's process validates only infra_verify's own policy and check models, so the CLI turns them
off (``PYDANTIC_DISABLE_PLUGINS=__all__``) unless the user set that variable. With plugins off,
pydantic's ``pydantic.plugin._loader`` still imports ``importlib.metadata`` (with ``email``,
``zipfile`` and ``csv``: about 0.02 s on every start, and about 0.08 s more to compile them
without a bytecode cache) only to hold ``entry_points``, which it then never calls.

``skip_lookup()`` installs a stand-in for that one pydantic module first, and only while
plugins are off: its ``get_plugins()`` gives what pydantic's gives with plugins off (none).
Any other name, and ``get_plugins()`` once plugins are on again, go to pydantic's real module,
loaded then. A user who sets ``PYDANTIC_DISABLE_PLUGINS=`` (empty) gets pydantic unchanged.
"""

from __future__ import annotations

import os
import sys
import types
from typing import Any

ENV = "PYDANTIC_DISABLE_PLUGINS"
OFF = frozenset({"__all__", "1", "true"})
"""The values with which pydantic's ``get_plugins()`` returns no plugins."""
MODULE = "pydantic.plugin._loader"


class StandIn(types.ModuleType):
    """``pydantic.plugin._loader`` without ``importlib.metadata`` while plugins are off."""

    def __init__(self) -> None:
        super().__init__(MODULE, "stand-in for pydantic's plugin loader (infra_verify CLI)")
        self.__dict__["get_plugins"] = self._get_plugins
        self.__dict__["_real_module"] = None

    def _get_plugins(self) -> Any:
        if os.environ.get(ENV) in OFF:
            return ()
        return self._real().get_plugins()

    def _real(self) -> types.ModuleType:
        real: types.ModuleType | None = self.__dict__["_real_module"]
        if real is None:
            import importlib.machinery
            import importlib.util

            import pydantic.plugin

            spec = importlib.machinery.PathFinder.find_spec(MODULE, pydantic.plugin.__path__)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot find {MODULE}")
            real = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(real)
            self.__dict__["_real_module"] = real
        return real

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._real(), name)


def skip_lookup() -> bool:
    """Install the stand-in when plugins are off and pydantic has not looked yet; True if so."""
    if os.environ.get(ENV) not in OFF or MODULE in sys.modules:
        return False
    sys.modules[MODULE] = StandIn()
    return True
