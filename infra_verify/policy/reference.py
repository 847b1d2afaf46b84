"""The policy reference, generated from the same pydantic schemas that validate policies."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from infra_verify.checks.registry import get_kind, kind_names
from infra_verify.durations import format_duration


def _type_name(annotation: Any) -> str:
    text = str(annotation).replace("typing.", "")
    if isinstance(annotation, type):
        text = annotation.__name__
    text = (
        text.replace("NoneType", "null")
        .replace("tuple[str, ...]", "list[str]")
        .replace("tuple[int, ...]", "list[int]")
    )
    text = text.replace(
        "Annotated[float, BeforeValidator(func=<function parse_duration at", "duration"
    ).split(" at 0x")[0]
    if text.startswith("duration"):
        return "duration"
    text = re.sub(r"[A-Za-z_][\w]*\.([A-Za-z_][\w.]*\.)?([A-Z]\w*)", r"\2", text)
    return {"Defaults": "mapping", "GcpSection | null": "mapping", "Endpoints": "mapping"}.get(
        text, text
    )


def fields_of(
    model: type[BaseModel], *, skip: frozenset[str] = frozenset({"id"})
) -> list[tuple[str, str, str, str]]:
    """(key, type, default, description) for every policy key of a model."""
    rows = []
    for name, field in model.model_fields.items():
        if name in skip:
            continue
        key = field.alias or name
        meta = " ".join(str(m) for m in field.metadata)
        type_name = (
            "duration"
            if "parse_duration" in meta or "parse_duration" in str(field.annotation)
            else _type_name(field.annotation)
        )
        if field.is_required():
            default = "required"
        elif field.default_factory is not None:
            default = repr(field.default_factory())  # type: ignore[call-arg]
        elif field.default is PydanticUndefined:
            default = ""
        else:
            default = repr(field.default)
        if isinstance(field.default, BaseModel) or (
            field.default_factory is not None and "(" in default
        ):
            default = "see below"
        elif type_name == "duration" and isinstance(field.default, float):
            default = format_duration(field.default)
        rows.append((key, type_name, default, field.description or ""))
    return rows


def table(rows: list[tuple[str, str, str, str]]) -> str:
    """A Markdown table of policy keys."""
    out = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for key, type_name, default, desc in rows:
        out.append(
            f"| `{key}` | {type_name.replace('|', '&#124;')} | `{default}` | {desc.replace('|', '&#124;')} |"
        )
    return "\n".join(out)


def render_reference() -> str:
    """The whole policy reference as Markdown."""
    from infra_verify.policy.schema import Defaults, GcpSection, PolicyDocument

    parts = [
        "# Policy reference",
        "",
        "Generated from the schemas that validate policies (`python scripts/gen_reference.py`); "
        "a test fails when this file is out of date. Durations are written `500ms`, `10s`, `2m`, `1h30m`. "
        "Every string may use `${VAR}`, `${VAR:-default}` and `${tf.output.NAME}`; `$$` is a literal `$`.",
        "",
        "## Top level",
        "",
        table(fields_of(PolicyDocument)),
        "",
        "## `defaults:`",
        "",
        table(fields_of(Defaults)),
        "",
        "## `gcp:`",
        "",
        table(fields_of(GcpSection)),
        "",
        "`gcp.endpoints` takes `compute`, `run`, `dns`, `sqladmin`, `vpcaccess`, `certificatemanager`: "
        "each an URL; empty means Google's endpoint.",
        "",
        "## Check kinds",
        "",
        "Every check is an entry under `checks:`; its key is its stable id. Keys common to every kind:",
        "",
    ]
    common = {"after", "timeout", "poll", "poll_max", "description"}
    first = get_kind("dns")
    assert first is not None
    parts.append(table([r for r in fields_of(first) if r[0] in common]))
    parts.append("")
    for name in kind_names():
        cls = get_kind(name)
        if cls is None or cls.__module__.startswith("infra_verify") is False:
            continue
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        parts += [
            f"### `{name}`",
            "",
            doc,
            "",
            table([r for r in fields_of(cls) if r[0] not in common]),
            "",
        ]
    return "\n".join(parts).rstrip() + "\n"
