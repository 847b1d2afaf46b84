"""``${VAR}`` and ``${VAR:-default}`` interpolation; ``$$`` is a literal ``$``.

Defaults may nest (``${LB_IP:-${tf.output.lb_ip:-34.54.41.44}}``): the innermost reference is
resolved first. Names with a dot (``${tf.output.lb_ip}``) are looked up in extra namespaces such
as Terraform outputs; plain names come from the process environment. Interpolated values are
inserted verbatim: they are never parsed again, as YAML or as references.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

# A reference whose default holds no further "${": the innermost one.
_REF = re.compile(
    r"\$\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_\-]+)*)(?:(:?-)((?:[^$}]|\$(?!\{))*))?\}"
)
_ESCAPE = "\x00dollar\x00"
_VALUE = "\x00value{}\x00"
_MAX_DEPTH = 10


class MissingVariable(Exception):
    """A ``${VAR}`` without default whose variable is not set."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(name)


def interpolate(text: str, lookup: Callable[[str], str | None]) -> str:
    """Replace every reference in ``text``; raise MissingVariable for an unset one."""
    if "$" not in text:
        return text
    values: list[str] = []
    work = text.replace("$$", _ESCAPE)

    def sub(match: re.Match[str]) -> str:
        name, op, default = match.group(1), match.group(2), match.group(3)
        value = lookup(name)
        if value is None or (op == ":-" and value == ""):
            if op is None:
                raise MissingVariable(name)
            return default or ""
        values.append(value)  # kept out of the text so it is never parsed as a reference
        return _VALUE.format(len(values) - 1)

    for _ in range(_MAX_DEPTH):
        new = _REF.sub(sub, work)
        if new == work:
            break
        work = new
    for i, value in enumerate(values):
        work = work.replace(_VALUE.format(i), value.replace("$", _ESCAPE))
    return work.replace(_ESCAPE, "$")


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
