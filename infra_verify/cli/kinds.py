"""``python -m infra_verify kinds``: the reference of every check kind, from the schema itself.

Lists built-in kinds, bundle kinds and plugin kinds with their keys, types, defaults and
descriptions, read from the same pydantic models that validate policies, so the reference
cannot drift from what a policy accepts::

    python -m infra_verify kinds                 every kind
    python -m infra_verify kinds dns http        just these
    python -m infra_verify kinds --format json   machine-readable
"""

from __future__ import annotations

import argparse
import json
import sys
import types
import typing
from dataclasses import dataclass
from typing import Any, TextIO

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from infra_verify.checks.registry import BUILTIN_KINDS, get_bundle, get_kind, kind_names, plugins
from infra_verify.errors import UsageError

COMMON_KEYS = ("after", "timeout", "poll", "poll_max", "description")


@dataclass(frozen=True)
class KeyDoc:
    """One policy key of a kind: name, type, whether required, default and description."""

    key: str
    type: str
    required: bool
    default: Any
    description: str


@dataclass(frozen=True)
class KindDoc:
    """One kind: its name, where it comes from, its one-line description and its keys."""

    name: str
    source: str
    description: str
    keys: tuple[KeyDoc, ...]


def describe_model(model: type[BaseModel]) -> tuple[KeyDoc, ...]:
    """The policy keys of a check or bundle model, in declaration order (``id`` excluded)."""
    out = []
    for name, info in model.model_fields.items():
        if name == "id" or info.exclude:
            continue
        required = info.is_required()
        out.append(
            KeyDoc(
                key=info.alias or name,
                type=type_name(info.annotation, info),
                required=required,
                default=None if required else _default(info),
                description=info.description or "",
            )
        )
    return tuple(out)


def all_kinds() -> list[KindDoc]:
    """Every kind: built-in, bundle and plugin (plus kinds registered in code), sorted by name."""
    docs = []
    for name in kind_names():
        doc = kind_doc(name)
        if doc is not None:
            docs.append(doc)
    return docs


def kind_doc(name: str) -> KindDoc | None:
    """The reference of one kind, or None when no such kind exists."""
    found = plugins()
    bundle = get_bundle(name)
    model: type[BaseModel] | None = bundle if bundle is not None else get_kind(name)
    if model is None:
        return None
    if bundle is not None:
        source = "bundle"
    elif name in BUILTIN_KINDS:
        source = "built-in"
    elif name in found.kinds and found.kinds[name] is model:
        source = f"plugin ({found.sources[name]})"
    else:
        source = "registered in code"
    summary = (model.__doc__ or "").strip().splitlines()
    return KindDoc(name, source, summary[0] if summary else "", describe_model(model))


def type_name(annotation: Any, info: FieldInfo | None = None) -> str:
    """A short, readable rendering of a field's type (``list[str]``, ``A|AAAA``, ``duration``)."""
    if info is not None and _is_duration(info.metadata):
        return "duration"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return "duration" if _is_duration(args[1:]) else type_name(args[0])
    if origin is typing.Literal:
        return "|".join(str(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        parts = [type_name(a) for a in args if a is not type(None)]
        text = " | ".join(parts)
        return text + " | null" if type(None) in args else text
    if origin in (tuple, list, set, frozenset):
        inner = args[0] if args else Any
        return f"list[{type_name(inner)}]"
    if origin is dict:
        return f"map[{type_name(args[0])}, {type_name(args[1])}]" if args else "map"
    if annotation is Any:
        return "any"
    if isinstance(annotation, type):
        return {"str": "str", "int": "int", "float": "float", "bool": "bool"}.get(
            annotation.__name__, annotation.__name__
        )
    return str(annotation).replace("typing.", "")


def _is_duration(metadata: Any) -> bool:
    from infra_verify.durations import parse_duration

    return any(getattr(m, "func", None) is parse_duration for m in metadata)


def _default(info: FieldInfo) -> Any:
    if info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
    else:
        value = None if info.default is PydanticUndefined else info.default
    if isinstance(value, tuple):
        value = list(value)
    return value


def render_text(docs: list[KindDoc], *, common: bool = False) -> str:
    """The reference as plain text: one block per kind, one line per key."""
    lines: list[str] = []
    for doc in docs:
        lines.append(f"{doc.name}  [{doc.source}]")
        if doc.description:
            lines.append(f"  {doc.description}")
        keys = [k for k in doc.keys if common or k.key not in COMMON_KEYS]
        width = max((len(k.key) for k in keys), default=4)
        twidth = min(28, max((len(k.type) for k in keys), default=4))
        for k in keys:
            default = "required" if k.required else f"default {json.dumps(k.default)}"
            lines.append(f"    {k.key:<{width}}  {k.type:<{twidth}}  {default}  {k.description}")
        lines.append("")
    if not common and docs:
        lines.append(
            "every check kind also takes: after, timeout, poll, poll_max, description "
            "(--common shows them)"
        )
    return "\n".join(lines).rstrip("\n") + "\n"


def render_json(docs: list[KindDoc]) -> str:
    """The reference as JSON: ``{"kinds": [{name, source, description, keys: [...]}]}``."""
    data = {
        "kinds": [
            {
                "name": d.name,
                "source": d.source,
                "description": d.description,
                "keys": [k.__dict__ for k in d.keys],
            }
            for d in docs
        ],
        "plugin_errors": dict(plugins().errors),
    }
    return json.dumps(data, indent=2, default=str) + "\n"


def kinds_main(argv: list[str], *, stdout: TextIO) -> int:
    """List check kinds with their keys; exit 2 for an unknown kind name."""
    parser = argparse.ArgumentParser(
        prog="python -m infra_verify kinds",
        description="List the check kinds (built-in, bundles, plugins) with their policy keys.",
    )
    parser.add_argument("names", nargs="*", metavar="KIND", help="only these kinds")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--common", action="store_true", help="also show the keys every kind has")
    args = parser.parse_args(argv)
    if args.names:
        docs = []
        for name in args.names:
            doc = kind_doc(name)
            if doc is None:
                import difflib

                close = difflib.get_close_matches(name, kind_names(), n=1)
                why = plugins().errors.get(name)
                hint = why or (f"did you mean '{close[0]}'?" if close else "see: kinds")
                raise UsageError(f"kinds: unknown kind '{name}' ({hint})")
            docs.append(doc)
    else:
        docs = all_kinds()
    text = render_json(docs) if args.format == "json" else render_text(docs, common=args.common)
    stdout.write(text)
    for name, error in sorted(plugins().errors.items()):
        sys.stderr.write(f"infra_verify: warning: plugin kind '{name}' not loaded: {error}\n")
    return 0
