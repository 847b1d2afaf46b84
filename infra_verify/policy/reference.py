"""The one schema -> documentation renderer, read from the pydantic models that validate policies.

``describe_model`` turns any model (a check kind, a bundle, or the policy's own sections in
``schema.py``) into ``KeyDoc`` rows with one type rendering (``type_name``). Both the Markdown
reference (``render_reference``, written to docs/policy-reference.md) and the ``kinds`` command
(``infra_verify.cli.kinds``, which only formats ``KindDoc`` values) are built on it, so the two
cannot describe a key differently.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from infra_verify.checks.registry import BUILTIN_KINDS, get_bundle, get_kind, kind_names, plugins
from infra_verify.durations import format_duration, parse_duration

COMMON_KEYS = ("after", "timeout", "poll", "poll_max", "description")
"""The keys every check kind takes (from ``Check``); listed once rather than under every kind."""


@dataclass(frozen=True)
class KeyDoc:
    """One policy key of a model: name, type, whether required, default and description."""

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
    """The policy keys of any pydantic model, in declaration order (``id`` and excluded fields
    left out): a check kind, a bundle, or a policy section such as ``Defaults``."""
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
    """A short, readable rendering of a field's type (``list[str]``, ``A|AAAA``, ``duration``;
    a nested model is a ``mapping``)."""
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
        return "mapping" if issubclass(annotation, BaseModel) else annotation.__name__
    return str(annotation).replace("typing.", "")


def _is_duration(metadata: Iterable[Any]) -> bool:
    return any(getattr(m, "func", None) is parse_duration for m in metadata)


def _default(info: FieldInfo) -> Any:
    if info.default_factory is not None:
        return info.default_factory()  # type: ignore[call-arg]
    return None if info.default is PydanticUndefined else info.default


def default_text(key: KeyDoc) -> str:
    """The default of a key as the Markdown reference writes it (``10.0s``, ``see below``)."""
    if key.required:
        return "required"
    if isinstance(key.default, BaseModel):
        return "see below"
    if isinstance(key.default, float) and key.type in ("duration", "duration | null"):
        return format_duration(key.default)
    return repr(key.default)


def table(keys: Iterable[KeyDoc]) -> str:
    """A Markdown table of policy keys."""
    out = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for k in keys:
        kind, meaning = (text.replace("|", "&#124;") for text in (k.type, k.description))
        out.append(f"| `{k.key}` | {kind} | `{default_text(k)}` | {meaning} |")
    return "\n".join(out)


def render_reference() -> str:
    """The whole policy reference as Markdown: the policy's sections, then every built-in kind."""
    from infra_verify.policy.schema import Defaults, Endpoints, GcpSection, PolicyDocument

    parts = [
        "# Policy reference",
        "",
        "Generated from the schemas that validate policies (`python scripts/gen_reference.py`); "
        "a test fails when this file is out of date. Durations are written `500ms`, `10s`, `2m`, `1h30m`. "
        "Every string may use `${VAR}`, `${VAR:-default}` and `${tf.output.NAME}`; `$$` is a literal `$`.",
        "",
        "## Top level",
        "",
        table(describe_model(PolicyDocument)),
        "",
        "## `defaults:`",
        "",
        table(describe_model(Defaults)),
        "",
        "## `gcp:`",
        "",
        table(describe_model(GcpSection)),
        "",
        "`gcp.endpoints` takes "
        + ", ".join(f"`{key}`" for key in Endpoints.model_fields)
        + ": each an URL; empty means Google's endpoint.",
        "",
        "## Check kinds",
        "",
        "Every check is an entry under `checks:`; its key is its stable id. Keys common to every kind:",
        "",
    ]
    builtin = [doc for doc in all_kinds() if doc.source == "built-in"]
    parts.append(table(k for k in builtin[0].keys if k.key in COMMON_KEYS))
    parts.append("")
    for doc in builtin:
        parts += [
            f"### `{doc.name}`",
            "",
            doc.description,
            "",
            table(k for k in doc.keys if k.key not in COMMON_KEYS),
            "",
        ]
    return "\n".join(parts).rstrip() + "\n"
