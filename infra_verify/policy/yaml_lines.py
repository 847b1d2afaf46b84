"""Safe YAML loading that remembers the line of every key, and refuses alias bombs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from infra_verify.errors import PolicyError

# libyaml's safe loader when available (much faster on large policies), else the pure-Python one.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Large enough for a fleet policy (10,000 hosts x dns + tls + http is ~200k nodes, ~5 MiB),
# small enough that an alias bomb or a runaway file is refused in about a second.
MAX_NODES = 1_000_000
MAX_BYTES = 32 * 1024 * 1024
MAX_DEPTH = 64

Path_ = tuple[str | int, ...]


def load_yaml(text: str, file: str) -> tuple[Any, dict[Path_, int]]:
    """Parse YAML safely; return the data and a map from key paths to 1-based line numbers."""
    if len(text) > MAX_BYTES:
        raise PolicyError(
            f"the file is larger than {MAX_BYTES // 1024} KiB",
            file=file,
            hint="a policy should be a small, readable file",
        )
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise _yaml_error(exc, file) from exc
    if node is None:
        return None, {}
    lines: dict[Path_, int] = {(): node.start_mark.line + 1}
    count = [0]
    _walk(node, (), lines, count, file)
    try:
        data = yaml.load(text, Loader=_LOADER)  # a safe loader: no object construction
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise _yaml_error(exc, file) from exc
    return data, lines


def _yaml_error(exc: Exception, file: str) -> PolicyError:
    """One PolicyError line for a YAML failure (syntax, unknown tag, huge int, deep nesting)."""
    if isinstance(exc, RecursionError):
        return PolicyError(
            "invalid YAML: nested too deeply", file=file, hint="a policy is a few levels deep"
        )
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        return PolicyError(
            f"invalid YAML: {problem}",
            file=file,
            line=mark.line + 1 if mark else None,
            hint="fix the YAML syntax (indentation, quotes, colons)",
        )
    return PolicyError(f"invalid YAML: {' '.join(str(exc).split())}", file=file)


def _walk(
    node: yaml.Node, path: Path_, lines: dict[Path_, int], count: list[int], file: str
) -> None:
    count[0] += 1
    if len(path) > MAX_DEPTH:
        raise PolicyError(
            f"the document is nested more than {MAX_DEPTH} levels deep",
            file=file,
            line=node.start_mark.line + 1,
            hint="a policy is a few levels deep",
        )
    if count[0] > MAX_NODES:
        raise PolicyError(
            f"the document expands to more than {MAX_NODES} nodes (a YAML alias bomb?)",
            file=file,
            hint="write the policy without deeply nested anchors and aliases",
        )
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (
                key_node.value
                if isinstance(key_node, yaml.ScalarNode)
                else str(key_node.start_mark)
            )
            sub = (*path, key)
            lines.setdefault(sub, key_node.start_mark.line + 1)
            _walk(value_node, sub, lines, count, file)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            sub = (*path, i)
            lines.setdefault(sub, item.start_mark.line + 1)
            _walk(item, sub, lines, count, file)


def line_of(lines: dict[Path_, int], path: Path_) -> int | None:
    """The line of ``path``, or of its closest known ancestor."""
    while True:
        if path in lines:
            return lines[path]
        if not path:
            return None
        path = path[:-1]


def read_policy_file(path: Path) -> str:
    """A policy file's text; PolicyError naming the file when it cannot be read as UTF-8."""
    file = str(path)
    try:
        is_dir = path.is_dir()
    except OSError:  # e.g. a directory this user cannot enter: read_bytes() below says why
        is_dir = False
    if is_dir:
        raise PolicyError(
            "is a directory, not a policy file", file=file, hint="pass the path of a .yaml file"
        )
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PolicyError(
            "no such file", file=file, hint="check the path, or list policies/ for the environments"
        ) from None
    except PermissionError:
        raise PolicyError(
            "permission denied", file=file, hint="make the file readable by this user"
        ) from None
    except OSError as exc:
        raise PolicyError(f"cannot read: {exc.strerror}", file=file) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PolicyError(
            f"not valid UTF-8 (byte {exc.start})",
            file=file,
            line=line,
            hint="save the file as UTF-8",
        ) from None
