"""``${VAR}`` and ``${VAR:-default}`` interpolation; ``$$`` is a literal ``$``.

Names with a dot (``${tf.output.lb_ip}``) are looked up in extra namespaces such as Terraform
outputs; plain names come from the process environment.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

_REF = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_.\-]*)(?:(:?-)([^}]*))?\}")


class MissingVariable(Exception):
    """A ``${VAR}`` without default whose variable is not set."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(name)


def interpolate(text: str, lookup: Callable[[str], str | None]) -> str:
    """Replace every reference in ``text``; raise MissingVariable for an unset one."""

    def sub(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, default = match.group(1), match.group(2), match.group(3)
        value = lookup(name)
        if value is None or (op == ":-" and value == ""):
            if op is not None:
                return default or ""
            raise MissingVariable(name)
        return value

    return _REF.sub(sub, text)


def interpolate_tree(
    data: Any,
    lookup: Callable[[str], str | None],
    on_missing: Callable[[tuple[Any, ...], str], None],
    path: tuple[Any, ...] = (),
) -> Any:
    """Interpolate every string in a YAML tree (keys are left alone)."""
    if isinstance(data, str):
        try:
            return interpolate(data, lookup)
        except MissingVariable as exc:
            on_missing(path, exc.name)
            return data
    if isinstance(data, Mapping):
        return {k: interpolate_tree(v, lookup, on_missing, (*path, k)) for k, v in data.items()}
    if isinstance(data, list):
        return [interpolate_tree(v, lookup, on_missing, (*path, i)) for i, v in enumerate(data)]
    return data
