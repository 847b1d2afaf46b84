"""Check kinds from plugins: the ``infra_verify.kinds`` entry point group.

A plugin package declares, in its ``pyproject.toml``::

    [project.entry-points."infra_verify.kinds"]
    feature_flag = "my_checks.flags:FeatureFlag"

The entry point's name must equal the class's ``kind``, and the class must subclass
``infra_verify.Check``. Its pydantic fields are its policy keys, validated as strictly as the
built-in kinds'. A plugin cannot replace a built-in kind. Broken entry points do not break the
run: they are collected in ``errors`` and shown by ``python -m infra_verify kinds``, and a policy
naming such a kind gets the load error in its hint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import metadata

from infra_verify.check import Check

GROUP = "infra_verify.kinds"


@dataclass
class Discovered:
    """What entry point discovery found: kinds by name, their distributions, and load errors."""

    kinds: dict[str, type[Check]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def discover(reserved: frozenset[str] | set[str] = frozenset(), group: str = GROUP) -> Discovered:
    """Load every entry point of ``group``; names in ``reserved`` (built-ins) are refused."""
    found = Discovered()
    for ep in sorted(metadata.entry_points(group=group), key=lambda e: e.name):
        dist = ep.dist.name if ep.dist is not None else "?"
        where = f"{ep.value} (from {dist})"
        if ep.name in reserved:
            found.errors[ep.name] = f"{where}: '{ep.name}' is a built-in kind; pick another name"
            continue
        try:
            obj = ep.load()
        except Exception as exc:  # a broken plugin must not break the gate
            found.errors[ep.name] = f"{where}: cannot import: {type(exc).__name__}: {exc}"
            continue
        if not (isinstance(obj, type) and issubclass(obj, Check)):
            found.errors[ep.name] = f"{where}: not a subclass of infra_verify.Check"
            continue
        if obj.kind != ep.name:
            found.errors[ep.name] = (
                f"{where}: the class's kind is {obj.kind!r}, but the entry point is named "
                f"{ep.name!r}; make them equal"
            )
            continue
        found.kinds[ep.name] = obj
        found.sources[ep.name] = dist
    return found
