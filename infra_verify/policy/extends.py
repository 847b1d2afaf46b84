"""Policy inheritance: ``extends: base.yaml`` and the merge rules.

A policy may name one base policy, relative to its own file; the base may extend another::

    # policies/production.yaml
    extends: base.yaml
    environment: production
    checks:
      app-settings: {equals: {ENVIRONMENT: production}}   # merged into base's app-settings
      legacy-check: {remove: true}                        # inherited, and removed here

Merge rules (the child wins):

- mappings merge deeply, key by key;
- lists and scalars replace the base's value whole (no list concatenation);
- keys keep the child's order, and keys only the base has follow in the base's order (so a
  child that lists its checks reads top to bottom in run order);
- ``{remove: true}`` (a mapping with exactly that one key) deletes the inherited key; it is the
  one removal marker. ``null`` is an ordinary value, so writing ``some-check: null`` over an
  inherited check is an error that points at ``{remove: true}``.

Interpolation (``${VAR}``) and validation happen after the merge, on the whole document. Every
error is one line naming the file (and line) it comes from and the chain of files, and it is a
PolicyError, so the CLI exits 2: a missing base, an ``extends`` cycle
(``staging.yaml -> base.yaml -> staging.yaml``), a key unknown after the merge.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra_verify.errors import PolicyError
from infra_verify.policy.paths import ensure_inside
from infra_verify.policy.yaml_lines import Path_, dotted, line_of, load_yaml, read_policy_file
from infra_verify.redact import MASK, Redactor, is_secret_key

REMOVE = {"remove": True}
MAX_DEPTH = 16


@dataclass
class Merged:
    """A merged policy document: data, line of every key, the file each key came from."""

    data: Any
    lines: dict[Path_, int]
    files: dict[Path_, str] = field(default_factory=dict)
    chain: tuple[str, ...] = ()

    def chain_text(self) -> str:
        """The files from the child to the last base, e.g. ``staging.yaml -> base.yaml``."""
        return " -> ".join(self.chain)

    def file_of(self, key: str | None) -> str | None:
        """The file the dotted ``key`` (or its closest written ancestor) came from."""
        if not key or not self.files:
            return None
        best: tuple[int, str] | None = None
        for path, file in self.files.items():
            dotted = dotted_path(path)
            if (key == dotted or key.startswith((dotted + ".", dotted + "["))) and (
                best is None or len(dotted) > best[0]
            ):
                best = (len(dotted), file)
        return best[1] if best else None


def load_merged(
    source: str | Path, read: Any = None, *, allow_outside_policy_dir: bool = False
) -> Merged:
    """Read a policy file and, following ``extends:``, merge it over its bases.

    Every base must be inside the named policy's directory tree (``paths.py``) unless
    ``allow_outside_policy_dir``."""
    reader = read or read_policy_file
    path = Path(source)
    return _load(path, reader, (), path.parent, allow_outside_policy_dir)


def _load(
    path: Path, read: Any, stack: tuple[Path, ...], root: Path, allow_outside: bool
) -> Merged:
    file = str(path)
    resolved = path.resolve()
    names = [p.name for p in stack]
    if resolved in [p.resolve() for p in stack]:
        raise PolicyError(
            "extends cycle: " + " -> ".join([*names, path.name]),
            file=str(stack[0]),
            hint="a policy cannot extend itself, directly or through its bases",
        )
    if len(stack) >= MAX_DEPTH:
        raise PolicyError(f"extends chain deeper than {MAX_DEPTH} files", file=str(stack[0]))
    text = read(path)
    data, lines = load_yaml(text, file)
    files = dict.fromkeys(lines, file)
    if not isinstance(data, dict) or "extends" not in data:
        return Merged(data, lines, files, (path.name,))
    base_ref = data["extends"]
    if not isinstance(base_ref, str) or not base_ref.strip():
        raise PolicyError(
            "'extends' must be the path of one base policy",
            file=file,
            line=line_of(lines, ("extends",)),
            key="extends",
            hint="e.g. extends: base.yaml (relative to this file)",
        )
    base_path = path.parent / base_ref
    ensure_inside(
        base_path,
        root,
        allow=allow_outside,
        file=file,
        line=line_of(lines, ("extends",)),
        key="extends",
    )
    if not base_path.is_file():
        chain = " -> ".join([*names, path.name, base_ref])
        raise PolicyError(
            f"the base policy {base_path} does not exist (extends chain: {chain})",
            file=file,
            line=line_of(lines, ("extends",)),
            key="extends",
            hint="extends: is relative to the file that names it",
        )
    base = _load(base_path, read, (*stack, path), root, allow_outside)
    child = {k: v for k, v in data.items() if k != "extends"}
    if not isinstance(base.data, dict):
        raise PolicyError("a base policy must be a mapping", file=str(base_path))
    merged_lines = dict(base.lines)
    merged_files = dict(base.files)
    merged = merge(base.data, child, (), lines, file, merged_lines, merged_files)
    for p in [p for p in merged_lines if p and p[0] == "extends"]:
        merged_lines.pop(p, None)
        merged_files.pop(p, None)
    return Merged(merged, merged_lines, merged_files, (path.name, *base.chain))


def merge(
    base: Any,
    child: Any,
    path: Path_ = (),
    child_lines: dict[Path_, int] | None = None,
    child_file: str = "",
    lines: dict[Path_, int] | None = None,
    files: dict[Path_, str] | None = None,
) -> Any:
    """Merge ``child`` over ``base``: mappings deeply, lists and scalars replace, REMOVE deletes."""
    child_lines = child_lines if child_lines is not None else {}
    lines = lines if lines is not None else {}
    files = files if files is not None else {}
    if not (isinstance(base, dict) and isinstance(child, dict)):
        _take(path, child_lines, child_file, lines, files)
        return child
    out: dict[Any, Any] = {}
    removed = set()
    for key, value in child.items():
        sub = (*path, key)
        if value == REMOVE:
            removed.add(key)
            _drop(sub, lines, files)
            continue
        if value is None and isinstance(base.get(key), dict) and path == ("checks",):
            raise PolicyError(
                f"'{key}: null' would leave the inherited check without a kind",
                file=child_file,
                line=line_of(child_lines, sub),
                key=dotted_path(sub),
                hint="to remove an inherited check write {remove: true}",
            )
        if isinstance(base.get(key), dict) and isinstance(value, dict):
            files[sub] = child_file
            if sub in child_lines:
                lines[sub] = child_lines[sub]
            out[key] = merge(base[key], value, sub, child_lines, child_file, lines, files)
        else:
            _drop(sub, lines, files)
            _take(sub, child_lines, child_file, lines, files)
            out[key] = value
    # the child's keys keep the child's order; keys only the base has follow in the base's order
    out.update((k, v) for k, v in base.items() if k not in out and k not in removed)
    return out


def _take(
    path: Path_,
    child_lines: dict[Path_, int],
    child_file: str,
    lines: dict[Path_, int],
    files: dict[Path_, str],
) -> None:
    """Record the child's lines for ``path`` and everything under it."""
    n = len(path)
    for p, line in child_lines.items():
        if p[:n] == path:
            lines[p] = line
            files[p] = child_file


def _drop(path: Path_, lines: dict[Path_, int], files: dict[Path_, str]) -> None:
    n = len(path)
    for p in [p for p in lines if p[:n] == path and len(p) >= n]:
        lines.pop(p, None)
        files.pop(p, None)


def dotted_path(path: Path_) -> str:
    """``("checks", "a", "after", 0)`` -> ``checks.a.after[0]`` (as PolicyError keys read)."""
    return dotted(path)


@contextmanager
def attributed(merged: Merged) -> Iterator[None]:
    """Re-raise a PolicyError about the merged document with the file the key came from."""
    try:
        yield
    except PolicyError as exc:
        if len(merged.chain) < 2:
            raise
        origin = merged.file_of(exc.key) or exc.file
        raise PolicyError(
            f"{exc.message} [policy chain: {merged.chain_text()}]",
            file=origin,
            line=exc.line,
            key=exc.key,
            hint=exc.hint,
        ) from None


NOT_SECRET_PATHS: frozenset[Path_] = frozenset({("gcp", "credentials")})
"""Keys whose names look secret but whose values are not: ``gcp.credentials`` is adc/anonymous."""


def holds_secret(path: Path_, key: Any) -> bool:
    """True when the value at ``path + (key,)`` is a secret: a secret-named key
    (``redact.is_secret_key``), but never a check's id (``checks: {token-endpoint: ...}``
    names a check) nor a path in :data:`NOT_SECRET_PATHS`."""
    if path == ("checks",):
        return False
    return is_secret_key(key) and (*path, key) not in NOT_SECRET_PATHS


def redact_tree(data: Any, redactor: Redactor | None = None, path: Path_ = ()) -> Any:
    """Mask values under secret-named keys (``redact.is_secret_key``: any key containing
    secret, password, token, key or credential), registered secrets and secret-looking text."""
    clean = redactor or Redactor()
    if isinstance(data, dict):
        return {
            k: (
                MASK
                if holds_secret(path, k) and v not in (None, "")
                else redact_tree(v, clean, (*path, k))
            )
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [redact_tree(v, clean, (*path, i)) for i, v in enumerate(data)]
    if isinstance(data, str):
        return clean(data)
    return data


def show_policy(
    source: str | Path,
    *,
    env: Any = None,
    extra: Any = None,
    allow_outside_policy_dir: bool = False,
) -> str:
    """The fully merged and interpolated policy as YAML, secrets redacted (``--show-policy``):
    values under secret-named keys, and every value a secret-named ``${VAR}`` put anywhere."""
    import os

    import yaml

    from infra_verify.policy.interpolate import interpolate_tree

    merged = load_merged(source, allow_outside_policy_dir=allow_outside_policy_dir)
    environ = os.environ if env is None else env
    extras = dict(extra or {})
    redactor = Redactor()

    def lookup(name: str) -> str | None:
        value = extras.get(name) if "." in name else environ.get(name)
        if value is not None and is_secret_key(name):
            redactor.add(str(value))
        return None if value is None else str(value)

    def missing(path: tuple[Any, ...], name: str) -> None:
        raise PolicyError(
            f"'{name}' is not set",
            file=merged.file_of(dotted_path(path)) or str(source),
            line=line_of(merged.lines, path),
            key=dotted_path(path),
        )

    data = redact_tree(interpolate_tree(merged.data, lookup, missing), redactor)
    header = f"# {source}" + (f" (merged: {merged.chain_text()})" if len(merged.chain) > 1 else "")
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return f"{header}\n{body}"
