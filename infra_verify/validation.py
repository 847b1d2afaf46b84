"""A pydantic ValidationError as one readable problem: the key, what is wrong, a did-you-mean.

Shared by the policy loader (which adds the file and line) and by checks built in code (which
raise :class:`~infra_verify.errors.CheckDefinitionError`), so both say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from infra_verify.lazy import lazy_module

if TYPE_CHECKING:
    import difflib
else:
    difflib = lazy_module("difflib", rebind=True)  # a did-you-mean needs it, not every load

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """The first error of a ValidationError: where (``loc``), what, and a hint."""

    loc: Loc
    message: str
    hint: str | None = None
    unknown_key: str | None = None


def first_problem(exc: ValidationError, model: type[BaseModel]) -> Problem:
    """Describe ``exc``'s first error against ``model``'s keys, with a did-you-mean."""
    err = exc.errors()[0]
    loc: Loc = tuple(err["loc"])
    etype = err["type"]
    if etype == "extra_forbidden":
        name = str(loc[-1])
        valid = field_names(model_at(model, loc[:-1]))
        return Problem(loc, f"unknown key '{name}'", did_you_mean(name, valid), unknown_key=name)
    if etype == "missing":
        return Problem(
            loc, "required key is missing", describe_field(model_at(model, loc[:-1]), str(loc[-1]))
        )
    msg = (
        str(err["msg"])
        .removeprefix("Value error, ")
        .replace("a valid tuple", "a list")
        .replace("a valid dictionary", "a mapping")
    )
    return Problem(loc, msg)


def did_you_mean(name: str, valid: list[str]) -> str:
    """``did you mean 'x'?`` for the closest of ``valid``, else the list of valid keys."""
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.5)
    return f"did you mean '{close[0]}'?" if close else f"valid keys: {', '.join(valid)}"


def model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel]:
    """The nested model that the path ``loc`` leads into (``model`` itself when none)."""
    current = model
    for part in loc:
        info = current.model_fields.get(str(part))
        ann: Any = getattr(info, "annotation", None) if info else None
        candidates = [ann, *getattr(ann, "__args__", ())]
        nxt = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if nxt is None:
            return current
        current = nxt
    return current


def field_names(model: type[BaseModel]) -> list[str]:
    """The keys ``model`` accepts (aliases where set), without ``id``."""
    return [f.alias or name for name, f in model.model_fields.items() if name != "id"]


def describe_field(model: type[BaseModel], name: str) -> str | None:
    """``'name': description`` of one key, for a missing-key hint."""
    for fname, f in model.model_fields.items():
        if name in (fname, f.alias) and f.description:
            return f"'{name}': {f.description}"
    return None
