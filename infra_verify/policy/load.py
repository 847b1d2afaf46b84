"""Policies: YAML -> validated checks. Strict keys, ``${VAR}`` interpolation, file:line errors.

A policy is one YAML file per environment::

    environment: staging
    defaults: {timeout: 10s, deadline: 10m, resolvers: [8.8.8.8]}
    gcp: {project: my-project, region: us-central1}
    checks:
      dns-api: {kind: dns, name: api.example.com, expect: [203.0.113.10]}
      health:  {kind: http, url: "https://api.example.com/health", after: [dns-api]}

Every mistake becomes one PolicyError line naming the file, the line, the key and, where it
helps, the closest valid key.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from infra_verify.check import Check
from infra_verify.checks.registry import get_bundle, get_kind, kind_names, plugins
from infra_verify.context import CheckContext
from infra_verify.errors import PolicyError
from infra_verify.graph import find_cycle
from infra_verify.policy.extends import attributed, load_merged
from infra_verify.policy.interpolate import interpolate_tree
from infra_verify.policy.schema import Defaults, GcpSection, PolicyDocument
from infra_verify.policy.yaml_lines import Path_, line_of


@dataclass
class Policy:
    """A loaded, validated policy: its checks and the settings to run them with."""

    path: str
    environment: str
    defaults: Defaults
    gcp: GcpSection | None
    checks: list[Check]
    description: str | None = None
    lines: dict[Path_, int] = field(default_factory=dict, repr=False)

    def context(
        self,
        *,
        allow_loopback: bool = False,
        allow_metadata: bool = False,
        allow_credentials_to_custom_endpoints: bool = False,
        project: str | None = None,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
    ) -> CheckContext:
        """The CheckContext for running this policy."""
        gcp_settings = None
        if self.gcp is not None or project:
            gcp_settings = (self.gcp or GcpSection()).settings(
                project=project,
                allow_credentials_to_custom_endpoints=allow_credentials_to_custom_endpoints,
            )
        return CheckContext(
            environment=self.environment,
            timeout=timeout if timeout is not None else self.defaults.timeout,
            resolvers=self.defaults.resolvers,
            ca_bundle=self.defaults.ca_bundle,
            env=dict(os.environ if env is None else env),
            allow_loopback=allow_loopback,
            allow_metadata=allow_metadata,
            gcp=gcp_settings,
        )


def find_policy(name: str, policies_dir: str | Path = "policies") -> Path:
    """Map an environment name to ``policies/<name>.yaml`` (a path is used as is)."""
    candidate = Path(name)
    if candidate.suffix in {".yaml", ".yml"} or os.sep in name:
        return candidate
    base = Path(policies_dir)
    for suffix in (".yaml", ".yml"):
        path = base / f"{name}{suffix}"
        if path.exists():
            return path
    known = sorted(p.stem for p in base.glob("*.y*ml")) if base.is_dir() else []
    close = difflib.get_close_matches(name, known, n=1)
    hint = (
        f"did you mean '{close[0]}'?"
        if close
        else (
            f"known environments: {', '.join(known)}"
            if known
            else f"create {base / (name + '.yaml')} or pass --policy FILE"
        )
    )
    raise PolicyError(
        f"no policy for environment '{name}'", file=str(base / f"{name}.yaml"), hint=hint
    )


def load_policy(
    source: str | Path,
    *,
    env: Mapping[str, str] | None = None,
    extra: Mapping[str, str] | None = None,
) -> Policy:
    """Read, interpolate and validate a policy file."""

    path = Path(source)
    merged = load_merged(path)  # follows extends: and merges (see extends.py)
    with attributed(merged):
        return parse_policy(merged.data, merged.lines, file=str(path), env=env, extra=extra)


def parse_policy(
    data: Any,
    lines: dict[Path_, int],
    *,
    file: str,
    env: Mapping[str, str] | None = None,
    extra: Mapping[str, str] | None = None,
) -> Policy:
    """Validate an already-parsed policy document."""
    if not isinstance(data, dict):
        raise PolicyError(
            "a policy must be a mapping with 'environment' and 'checks'",
            file=file,
            line=line_of(lines, ()),
            hint="see policies/demo.yaml for an example",
        )
    environ = os.environ if env is None else env
    extras = dict(extra or {})

    def lookup(name: str) -> str | None:
        return extras.get(name) if "." in name else environ.get(name)

    def missing(p: tuple[Any, ...], name: str) -> None:
        hint = f"export {name}=... or write ${{{name}:-default}}"
        if name.startswith("tf."):
            hint = "pass --tf-outputs FILE (terraform output -json) or a plan with output values"
        raise PolicyError(
            f"'{name}' is not set", file=file, line=line_of(lines, p), key=_dotted(p), hint=hint
        )

    data = interpolate_tree(data, lookup, missing)
    try:
        doc = PolicyDocument.model_validate(data)
    except ValidationError as exc:
        raise _from_validation(exc, PolicyDocument, (), lines, file) from None
    checks = [c for cid, spec in doc.checks.items() for c in _build_entry(cid, spec, lines, file)]
    _check_edges(checks, lines, file)
    return Policy(file, doc.environment, doc.defaults, doc.gcp, checks, doc.description, lines)


def _build_entry(cid: str, spec: Any, lines: dict[Path_, int], file: str) -> list[Check]:
    """One ``checks:`` entry: a check, or the checks a ``bundle.*`` entry expands into."""
    kind = spec.get("kind") if isinstance(spec, dict) else None
    bundle = get_bundle(kind) if isinstance(kind, str) else None
    if bundle is None or not isinstance(spec, dict):
        return [_build_check(cid, spec, lines, file)]
    try:
        entry = bundle.model_validate({k: v for k, v in spec.items() if k != "kind"})
    except ValidationError as exc:
        raise _from_validation(exc, bundle, ("checks", cid), lines, file) from None
    return entry.checks(id_prefix=cid)


def _build_check(cid: str, spec: Any, lines: dict[Path_, int], file: str) -> Check:
    base: Path_ = ("checks", cid)
    if not isinstance(spec, dict):
        raise PolicyError(
            "a check must be a mapping with a 'kind'",
            file=file,
            line=line_of(lines, base),
            key=f"checks.{cid}",
            hint="e.g. {kind: dns, name: api.example.com}",
        )
    kind = spec.get("kind")
    if not isinstance(kind, str):
        raise PolicyError(
            "missing 'kind'",
            file=file,
            line=line_of(lines, base),
            key=f"checks.{cid}",
            hint=f"one of: {', '.join(kind_names())}",
        )
    cls = get_kind(kind)
    if cls is None:
        close = difflib.get_close_matches(kind, kind_names(), n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"one of: {', '.join(kind_names())}"
        hint = plugins().errors.get(kind, hint)  # a plugin kind that failed to load says why
        raise PolicyError(
            f"unknown kind '{kind}'",
            file=file,
            line=line_of(lines, (*base, "kind")),
            key=f"checks.{cid}.kind",
            hint=hint,
        )
    params = {k: v for k, v in spec.items() if k != "kind"}
    if "id" in params:
        raise PolicyError(
            "'id' is the check's key in 'checks:', not a key inside it",
            file=file,
            line=line_of(lines, (*base, "id")),
            key=f"checks.{cid}.id",
            hint="remove it",
        )
    try:
        return cls.model_validate({**params, "id": cid})
    except ValidationError as exc:
        raise _from_validation(exc, cls, base, lines, file) from None


def _from_validation(
    exc: ValidationError, model: type[BaseModel], base: Path_, lines: dict[Path_, int], file: str
) -> PolicyError:
    err = exc.errors()[0]
    loc: Path_ = tuple(err["loc"])
    path = (*base, *loc)
    key = _dotted(path)
    line = line_of(lines, path)
    etype = err["type"]
    if etype == "extra_forbidden":
        name = str(loc[-1])
        valid = _field_names(_model_at(model, loc[:-1]))
        close = difflib.get_close_matches(name, valid, n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'?" if close else f"valid keys: {', '.join(valid)}"
        return PolicyError(f"unknown key '{name}'", file=file, line=line, key=key, hint=hint)
    if etype == "missing":
        return PolicyError(
            "required key is missing",
            file=file,
            line=line,
            key=key,
            hint=_describe_field(_model_at(model, loc[:-1]), str(loc[-1])),
        )
    msg = (
        err["msg"]
        .removeprefix("Value error, ")
        .replace("a valid tuple", "a list")
        .replace("a valid dictionary", "a mapping")
    )
    given = err.get("input")
    if (
        isinstance(given, str | int | float)
        and not isinstance(given, bool)
        and len(str(given)) < 60
    ):
        msg += f" (got {given!r})"
    return PolicyError(msg, file=file, line=line, key=key)


def _model_at(model: type[BaseModel], loc: Path_) -> type[BaseModel]:
    current = model
    for part in loc:
        info = current.model_fields.get(str(part))
        ann = getattr(info, "annotation", None) if info else None
        candidates = [ann, *getattr(ann, "__args__", ())]
        nxt = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if nxt is None:
            return current
        current = nxt
    return current


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items() if name != "id"]


def _describe_field(model: type[BaseModel], name: str) -> str | None:
    for fname, f in model.model_fields.items():
        if name in (fname, f.alias) and f.description:
            return f"'{name}': {f.description}"
    return None


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _check_edges(checks: list[Check], lines: dict[Path_, int], file: str) -> None:
    ids = [c.id for c in checks]
    for check in checks:
        for i, dep in enumerate(check.after):
            if dep not in ids:
                close = difflib.get_close_matches(dep, ids, n=1)
                raise PolicyError(
                    f"unknown check id '{dep}'",
                    file=file,
                    line=line_of(lines, ("checks", check.id, "after", i)),
                    key=f"checks.{check.id}.after",
                    hint=f"did you mean '{close[0]}'?" if close else f"known ids: {', '.join(ids)}",
                )
    by_id = {c.id: c for c in checks}
    cycle = find_cycle(ids, lambda cid: by_id[cid].after)
    if cycle:
        raise PolicyError(
            "dependency cycle: " + " -> ".join(cycle),
            file=file,
            line=line_of(lines, ("checks", cycle[0], "after")),
            key=f"checks.{cycle[0]}.after",
            hint="remove one of these 'after:' entries",
        )
