"""Print the typed ``__init__`` a check kind declares for type checkers, from its fields.

Every built-in kind carries, under ``if TYPE_CHECKING:``, an ``__init__`` that says what code
may pass: the subject positionally, any sequence where a tuple is stored, check objects in
``after``, durations as ``"10s"`` or seconds. At run time ``Check.__init__`` does the work
(and turns a wrong key into ``CheckDefinitionError``). After adding or changing a field, run

    python scripts/gen_signatures.py Dns        # or a module:Class, e.g. mypkg.kinds:Banner

and paste the output into the class; ``tests/architecture/test_typed_init.py`` fails until the
declared parameters match the fields.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import types
import typing
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic.fields import FieldInfo

from infra_verify.check import Check
from infra_verify.durations import parse_duration

COMMON = ("id", "after", "timeout", "poll", "poll_max", "description")
"""The base's keys: every kind's signature ends with them, in this order."""

SCALAR_TOO: dict[tuple[str, str], str] = {("Http", "status"): "int"}
"""Sequence keys whose validator also takes one scalar (``status=200``)."""


def render(ann: Any, module: types.ModuleType) -> str:
    """The input type a caller may pass for a field stored as ``ann``."""
    for name, value in vars(module).items():  # a named alias such as RecordType
        if value is ann and get_origin(ann) is Literal and not name.startswith("_"):
            return name
    origin = get_origin(ann)
    if origin is Annotated:
        base, *meta = get_args(ann)
        if any(getattr(m, "func", None) is parse_duration for m in meta):
            return "DurationLike"
        return render(base, module)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(render(a, module) for a in get_args(ann))
    if origin is tuple:
        args = get_args(ann)
        if len(args) == 2 and args[1] is Ellipsis:
            return f"Sequence[{render(args[0], module)}]"
        return f"tuple[{', '.join(render(a, module) for a in args)}]"
    if origin is dict:
        key, value = get_args(ann)
        return f"Mapping[{render(key, module)}, {render(value, module)}]"
    if origin is Literal:
        return f"Literal[{', '.join(literal(a) for a in get_args(ann))}]"
    if ann is type(None):
        return "None"
    if ann is Any:
        return "Any"
    if isinstance(ann, type):
        return ann.__name__
    return repr(ann)


def literal(value: object) -> str:
    """A constant as ruff formats it (strings in double quotes)."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def default(info: FieldInfo) -> str:
    """The default as source text (``...`` for a factory's)."""
    if info.default_factory is not None:
        made = info.default_factory()  # type: ignore[call-arg]
        return repr(made) if made == () else "..."
    return literal(info.default)


def signature(cls: type[Check]) -> str:
    """The ``if TYPE_CHECKING: def __init__(...)`` block for ``cls``."""
    module = sys.modules[cls.__module__]
    fields = cls.model_fields
    subject = cls.positional_field()
    own = [n for n in fields if n not in COMMON and n != subject]
    lines = ["    if TYPE_CHECKING:", "", "        def __init__(", "            self,"]

    def param(name: str) -> str:
        info = fields[name]
        key = info.alias or name
        if name == "after":
            text = "Sequence[str | Check] | str | Check"
        else:
            text = render(info.annotation, module)
            extra = SCALAR_TOO.get((cls.__name__, name))
            if extra:
                text = f"{extra} | {text}"
        if info.is_required():
            return f"            {key}: {text},"
        return f"            {key}: {text} = {default(info)},"

    if subject is not None:
        lines.append(param(subject))
    lines.append("            *,")
    lines.extend(param(n) for n in own)
    lines.extend(param(n) for n in COMMON if n in fields)
    lines += [
        "        ) -> None:",
        '            """Build the check (the subject may be positional)."""',
    ]
    return "\n".join(lines)


def main() -> None:
    """Print the block for each class named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "classes", nargs="+", help="a class of infra_verify.checks, or module:Class"
    )
    args = parser.parse_args()
    for name in args.classes:
        if ":" in name:
            module_name, _, attr = name.partition(":")
            cls = getattr(importlib.import_module(module_name), attr)
        else:
            cls = getattr(importlib.import_module("infra_verify.checks"), name)
        print(f"# {cls.__module__}:{cls.__name__}")
        print(signature(cls))
        print()


if __name__ == "__main__":
    main()
