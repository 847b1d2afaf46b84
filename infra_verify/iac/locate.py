"""Find the ``.tf`` file and line that declare a resource address, when that is unambiguous.

Only root-module resources are located: ``resource "TYPE" "NAME" {`` must appear exactly once in
the ``*.tf`` files directly under ``--tf-dir``. Anything else (modules, generated JSON config,
two matches) gives no location rather than a wrong one.

Observations carry ``where = "ADDRESS (FILE:LINE)"``; :func:`split_where` takes it apart for
reporters that want a file and a line (SARIF).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from infra_verify.model import Result, Source

_DECL = re.compile(r'^\s*(resource|data)\s+"([^"]+)"\s+"([^"]+)"\s*\{', re.MULTILINE)
_WHERE = re.compile(r"^(?P<address>.+?) \((?P<file>[^()]+\.tf(?:\.json)?):(?P<line>\d+)\)$")
_INSTANCE = re.compile(r"\[[^\]]*\]$")


class Locator:
    """Maps resource addresses to ``file:line`` in one Terraform root module directory."""

    def __init__(self, tf_dir: str | Path | None) -> None:
        self.dir = Path(tf_dir) if tf_dir else None
        self._index: dict[tuple[str, str, str], list[tuple[str, int]]] | None = None

    def _build(self) -> dict[tuple[str, str, str], list[tuple[str, int]]]:
        index: dict[tuple[str, str, str], list[tuple[str, int]]] = {}
        if self.dir is None or not self.dir.is_dir():
            return index
        for path in sorted(self.dir.glob("*.tf")):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            for m in _DECL.finditer(text):
                line = text.count("\n", 0, m.start(1)) + 1
                index.setdefault((m.group(1), m.group(2), m.group(3)), []).append((str(path), line))
        return index

    def locate(self, address: str) -> tuple[str, int] | None:
        """``(file, line)`` declaring a root-module address, or None when not reliably known."""
        if self.dir is None or address.startswith("module."):
            return None
        if self._index is None:
            self._index = self._build()
        base = _INSTANCE.sub("", address)
        mode = "resource"
        if base.startswith("data."):
            mode, base = "data", base[5:]
        parts = base.split(".")
        if len(parts) != 2:
            return None
        hits = self._index.get((mode, parts[0], parts[1]), [])
        return hits[0] if len(hits) == 1 else None

    def where(self, address: str) -> str:
        """``ADDRESS (FILE:LINE)`` when located, else the address."""
        loc = self.locate(address)
        return f"{address} ({loc[0]}:{loc[1]})" if loc else address

    def __call__(self, address: str) -> str:
        """Same as :meth:`where`."""
        return self.where(address)


def split_where(where: str | None) -> tuple[str | None, str | None, int | None]:
    """Split ``ADDRESS (FILE:LINE)`` into its parts; ``(where, None, None)`` when not located."""
    if not where:
        return None, None, None
    m = _WHERE.match(where)
    if m is None:
        return where, None, None
    return m.group("address"), m.group("file"), int(m.group("line"))


def locate_result(r: Result, sources: Mapping[str, Source], fallback: Source | None) -> Result:
    """``r`` pointing at its resource's ``.tf`` line (a failing observation's first), else at
    the policy check's line (``sources``), else at ``fallback`` (the plan file)."""
    for o in sorted(r.observations, key=lambda o: o.ok):
        _, file, line = split_where(o.where)
        if file:
            return r.evolve(source=Source(file, line))
    return r.evolve(source=sources.get(r.id, fallback))
