"""Files a policy names (``extends:``, ``dotenv:``, ``ca_bundle:``): the one rule for where they
may be, and the load-time check of a CA bundle.

A policy is untrusted input, so the files it makes the gate read stay inside its directory
tree: the folder of the policy file the run named, and below it (symbolic links resolved, so a
link cannot lead out). A path outside is refused at load (exit 2) unless the run allows it
(``--allow-outside-policy-dir``, ``allow_outside_policy_dir=True``). A ``dotenv:`` or
``ca_bundle:`` value that is exactly one ``${VAR}`` reference is a path the run supplies through
its environment (``ca_bundle: ${CA_BUNDLE}``), so it is the run's choice and not held to the
tree; ``extends:`` is never interpolated, so it always is.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from infra_verify.errors import PolicyError
from infra_verify.lazy import lazy_module
from infra_verify.policy.yaml_lines import MAX_BYTES, read_limited

if TYPE_CHECKING:
    import ssl
else:
    ssl = lazy_module("ssl", rebind=True)  # imported by a run, not by --list

PATH_KEYS = frozenset({"dotenv", "ca_bundle"})
"""Keys (at any depth of a policy) whose value is a file the gate will read."""

_FROM_RUN = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::-)?\}")

FLAG = "--allow-outside-policy-dir"


def supplied_by_run(raw: object) -> bool:
    """True when a value is written as exactly one ``${VAR}`` (or ``${VAR:-}``) reference."""
    return isinstance(raw, str) and _FROM_RUN.fullmatch(raw.strip()) is not None


def is_inside(path: Path, root: Path) -> bool:
    """True when ``path`` (symbolic links resolved) is ``root`` or below it."""
    try:
        resolved = path.resolve()
        base = root.resolve()
    except (OSError, RuntimeError):  # a symlink loop cannot be inside anything
        return False
    return resolved == base or base in resolved.parents


def ensure_inside(
    path: Path,
    root: Path,
    *,
    allow: bool,
    file: str,
    line: int | None,
    key: str,
) -> None:
    """PolicyError unless ``path`` is inside ``root``'s tree or the run allows files outside."""
    if allow or is_inside(path, root):
        return
    raise PolicyError(
        f"the file it names is outside the policy's directory {root}",
        file=file,
        line=line,
        key=key,
        hint=f"move the file under {root}, or run with {FLAG} if the run really means it",
    )


def check_ca_bundle(path: Path, *, file: str, line: int | None, key: str) -> None:
    """PolicyError (exit 2) unless ``path`` is a readable PEM file with at least one CA
    certificate that Python's ssl module loads. The bundle's content is never quoted."""
    try:
        raw = read_limited(path, MAX_BYTES, what="CA bundle")
    except PolicyError as exc:
        raise PolicyError(
            f"the CA bundle {path}: {exc.message}",
            file=file,
            line=line,
            key=key,
            hint="point it at a PEM file of CA certificates (-----BEGIN CERTIFICATE-----)",
        ) from None
    problem = None
    if b"-----BEGIN CERTIFICATE-----" not in raw:
        problem = "is not a PEM CA bundle (no -----BEGIN CERTIFICATE----- block)"
    else:
        try:
            ssl.create_default_context(cadata=raw.decode("ascii", "replace"))
        except (ssl.SSLError, ValueError):
            problem = "is not a valid PEM CA bundle (its certificates do not load)"
    if problem:
        raise PolicyError(
            f"the CA bundle {path} {problem}",
            file=file,
            line=line,
            key=key,
            hint="point it at a PEM file of CA certificates, or remove the key to use the system's",
        )
