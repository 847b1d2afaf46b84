"""Safe YAML loading that remembers the line of every key, and refuses alias bombs.

Also the one bounded reader for policy files (``read_policy_file``) and the rule for what an
error may quote from a file (``key_text``, ``problem_text``): a key name that looks like a
policy key, never a value or a line of the file.
"""

from __future__ import annotations

import os
import re
import stat
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
            f"the file is larger than {_size(MAX_BYTES)}",
            file=file,
            hint="a policy should be a small, readable file",
        )
    # One parse: the composed node tree gives the lines (and the size and depth limits, checked
    # before anything is built), then the data is built from the same tree.
    loader = _LOADER(text)
    try:
        try:
            node = loader.get_single_node()
        except (yaml.YAMLError, ValueError, RecursionError) as exc:
            raise _yaml_error(exc, file) from exc
        if node is None:
            return None, {}
        lines: dict[Path_, int] = {(): node.start_mark.line + 1}
        count = [0]
        _walk(node, (), lines, count, file)
        try:
            data = _construct(node, loader, {})  # a safe loader: no object construction
        except (yaml.YAMLError, ValueError, RecursionError) as exc:
            raise _yaml_error(exc, file) from exc
    finally:
        loader.dispose()
    return data, lines


_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


def _construct(node: yaml.Node, loader: yaml.SafeLoader, built: dict[int, Any]) -> Any:
    """The data of ``node``, as the safe loader builds it: plain strings, mappings and lists
    directly (most of a policy; PyYAML's generic constructor costs several times more per
    node), everything else (numbers, booleans, null, timestamps, merge keys ``<<``, other tags,
    errors) by the loader itself. A node met again through an alias gives the same object."""
    done = built.get(id(node))
    if done is not None:
        return done
    if isinstance(node, yaml.ScalarNode) and node.tag == _STR:
        return node.value
    if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
        items: list[Any] = []
        built[id(node)] = items
        items.extend(_construct(item, loader, built) for item in node.value)
        return items
    if (
        isinstance(node, yaml.MappingNode)
        and node.tag == _MAP
        and all(isinstance(key, yaml.ScalarNode) and key.tag == _STR for key, _value in node.value)
    ):
        mapping: dict[str, Any] = {}
        built[id(node)] = mapping
        for key, value in node.value:
            mapping[key.value] = _construct(value, loader, built)
        return mapping
    data = loader.construct_object(node, deep=True)
    built[id(node)] = data
    return data


def _yaml_error(exc: Exception, file: str) -> PolicyError:
    """One PolicyError line for a YAML failure (syntax, unknown tag, huge int, deep nesting)."""
    if isinstance(exc, RecursionError):
        return PolicyError(
            "invalid YAML: nested too deeply", file=file, hint="a policy is a few levels deep"
        )
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = problem_text(exc.problem or exc.context or "invalid YAML")
        return PolicyError(
            f"invalid YAML: {problem}",
            file=file,
            line=mark.line + 1 if mark else None,
            hint="fix the YAML syntax (indentation, quotes, colons)",
        )
    return PolicyError(f"invalid YAML: {problem_text(' '.join(str(exc).split()))}", file=file)


_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


def key_text(key: Any) -> str:
    """A key as an error message may show it: a name that looks like a policy key (letters,
    digits, ``_ . -``, at most 64 characters) as is; anything else (a line of a file that is not
    a policy, a secret) as ``<key>``, so an error never quotes a file's content."""
    text = str(key)
    return text if _KEY.fullmatch(text) else "<key>"


def dotted(path: Path_) -> str:
    """``("checks", "a", "after", 0)`` -> ``checks.a.after[0]`` (as PolicyError keys read), each
    key as :func:`key_text` shows it."""
    out = ""
    for part in path:
        text = key_text(part)
        out += f"[{part}]" if isinstance(part, int) else (f".{text}" if out else text)
    return out


def problem_text(problem: str) -> str:
    """A YAML parser's problem with quoted file content dropped: a quoted character or a
    policy-like name stays (``found character '\\t'``), longer quotes become ``'...'``."""

    def keep(match: re.Match[str]) -> str:
        inner = match.group(0)[1:-1]
        return match.group(0) if len(inner) <= 2 or _KEY.fullmatch(inner) else "'...'"

    return _QUOTED.sub(keep, problem)


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
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = (
                key_node.value
                if isinstance(key_node, yaml.ScalarNode)
                else str(key_node.start_mark)
            )
            line = key_node.start_mark.line + 1
            if key in seen:
                raise PolicyError(
                    f"duplicate key '{key_text(key)}' (lines {seen[key]} and {line})",
                    file=file,
                    line=line,
                    key=dotted((*path, key)),
                    hint="a key may appear once in a mapping; keep one of them",
                )
            seen[key] = line
            sub = (*path, key)
            lines.setdefault(sub, line)
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
    raw = read_limited(path, MAX_BYTES, what="policy file")
    file = str(path)
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


def read_limited(path: Path, limit: int, *, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; PolicyError naming the file
    otherwise. A device, FIFO or socket (``/dev/zero``, ``/dev/urandom``, ``<(cmd)``) is refused
    before any read, and at most ``limit + 1`` bytes are ever read, whatever size the file
    reports."""
    file = str(path)
    not_dir = f"is a directory, not a {what}"
    dir_hint = "pass the path of a .yaml file" if what == "policy file" else "pass a file's path"
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        hint = "check the path" + (
            ", or list policies/ for the environments" if what == "policy file" else ""
        )
        raise PolicyError("no such file", file=file, hint=hint) from None
    except IsADirectoryError:
        raise PolicyError(not_dir, file=file, hint=dir_hint) from None
    except PermissionError:
        raise PolicyError(
            "permission denied", file=file, hint="make the file readable by this user"
        ) from None
    except OSError as exc:
        raise PolicyError(f"cannot read: {exc.strerror}", file=file) from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise PolicyError(not_dir, file=file, hint=dir_hint)
        if not stat.S_ISREG(mode):
            raise PolicyError(
                f"not a regular file (a device, pipe or socket); a {what} must be a file",
                file=file,
                hint="write it to a file and pass that file's path",
            )
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise PolicyError(f"cannot read: {exc.strerror}", file=file) from None
    finally:
        os.close(fd)
    if size > limit:
        raise PolicyError(
            f"the file is larger than {_size(limit)}",
            file=file,
            hint=f"a {what} should be a small, readable file",
        )
    return b"".join(chunks)


def _size(limit: int) -> str:
    mib, kib = divmod(limit, 1024 * 1024)
    return f"{mib} MiB" if mib and not kib else f"{limit // 1024} KiB"
