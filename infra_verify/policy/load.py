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

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from infra_verify.check import Check
from infra_verify.checks.cross_checks import with_cross_checks
from infra_verify.checks.registry import get_bundle, get_kind, kind_names, plugins
from infra_verify.collector import paused
from infra_verify.context import CheckContext
from infra_verify.errors import PolicyError
from infra_verify.graph import find_cycle
from infra_verify.lazy import lazy_module
from infra_verify.model import Source
from infra_verify.policy.extends import attributed, holds_secret, load_merged
from infra_verify.policy.interpolate import interpolate_tree
from infra_verify.policy.paths import PATH_KEYS, check_ca_bundle, ensure_inside, supplied_by_run
from infra_verify.policy.schema import Defaults, GcpSection, PolicyDocument
from infra_verify.policy.yaml_lines import Path_, dotted, key_text, line_of
from infra_verify.redact import Redactor, is_secret_key
from infra_verify.validation import first_problem

if TYPE_CHECKING:
    import difflib
else:
    difflib = lazy_module("difflib", rebind=True)  # a did-you-mean needs it, not every load

CONTEXT_OPTIONS = frozenset(
    {
        "allow_loopback",
        "allow_loopback_settings",
        "allow_metadata",
        "allow_credentials_to_custom_endpoints",
        "project",
        "timeout",
        "env",
    }
)
"""``Policy.context()``'s keyword options (``Gate.from_policy`` passes these on)."""

LOAD_OPTIONS = frozenset({"environment", "allow_outside_policy_dir"})
"""``load_policy()``'s run options (``Gate.from_policy`` passes these on)."""


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
    environment_named: bool = False
    """True when the run named the environment (``load_policy(..., environment=...)``, the CLI's
    argument) and the policy agreed; False when only the file names it (``--policy FILE``): then
    a local name (demo, dev, test, ...) lifts no loopback guard. No policy can lift a guard."""
    secrets: tuple[str, ...] = field(default=(), repr=False)
    """Secret values written in (or interpolated into) the policy, registered at load."""
    secret_env: tuple[tuple[str, bool], ...] = field(default=(), repr=False)
    """Variables whose values are secrets: (name, whole value) pairs; else only a DSN password."""
    sources: dict[str, Source] = field(default_factory=dict, repr=False)
    """Check id -> the file and line of its entry under ``checks:`` (the base file for an
    entry ``extends:`` brought in; the bundle's entry for the checks a bundle expands into)."""

    def for_environment(self, environment: str | None) -> Policy:
        """This policy for a run that asked for ``environment``; PolicyError (exit 2) when the
        policy's own ``environment:`` differs. ``None``: the run named none (see
        ``environment_named``)."""
        if environment is None:
            return self
        if environment != self.environment:
            raise PolicyError(
                f"the policy is for environment '{key_text(self.environment)}', "
                f"but the run asked for '{key_text(environment)}'",
                file=self.path,
                line=line_of(self.lines, ("environment",)),
                key="environment",
                hint=(
                    "a policy cannot choose the environment it runs as: fix 'environment:' in "
                    "the file, or run the environment it names"
                ),
            )
        return replace(self, environment_named=True)

    def redactor(self, env: Mapping[str, str] | None = None) -> Redactor:
        """A Redactor holding every secret of this policy before any check runs: its written
        secrets and the values of the variables it names (``headers_from_env``, ``dsn_env``,
        the ``environment`` check's variables) as ``env`` holds them. Check ids and the
        environment's name are public: never masked, nor the values printed after them."""
        environ = os.environ if env is None else env
        public = [self.environment, *(c.id for c in self.checks)]
        redactor = Redactor(public=public)
        for secret in self.secrets:
            _add_credential(redactor, secret)
        for name, whole in self.secret_env:
            value = environ.get(name)
            if whole and value:
                _add_credential(redactor, value)
            redactor.add_setting(name, value)
        return redactor

    def context(
        self,
        *,
        allow_loopback: bool = False,
        allow_loopback_settings: bool = False,
        allow_metadata: bool = False,
        allow_credentials_to_custom_endpoints: bool = False,
        project: str | None = None,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
    ) -> CheckContext:
        """The CheckContext for running this policy, its secrets registered up front."""
        gcp_settings = None
        if self.gcp is not None or project:
            gcp_settings = (self.gcp or GcpSection()).settings(
                project=project,
                allow_credentials_to_custom_endpoints=allow_credentials_to_custom_endpoints,
            )
        environ = dict(os.environ if env is None else env)
        return CheckContext(
            environment=self.environment,
            environment_named=self.environment_named,
            timeout=timeout if timeout is not None else self.defaults.timeout,
            resolvers=self.defaults.resolvers,
            ca_bundle=self.defaults.ca_bundle,
            env=environ,
            env_source="the process environment" if env is None else "the env given to the run",
            allow_loopback=allow_loopback,
            allow_loopback_settings=allow_loopback_settings,
            allow_metadata=allow_metadata,
            gcp=gcp_settings,
            redactor=self.redactor(environ),
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
    environment: str | None = None,
    allow_outside_policy_dir: bool = False,
) -> Policy:
    """Read, interpolate and validate a policy file.

    ``environment`` is the environment the run asked for: the policy's ``environment:`` must
    be exactly that (else PolicyError, exit 2), and only then may a local name lift the
    loopback guards. Files the policy names (``extends:``, ``dotenv:``, ``ca_bundle:``) must be
    inside its directory tree unless ``allow_outside_policy_dir`` (``paths.py``).
    """

    path = Path(source)
    with paused():  # everything built here stays alive: no collection finds garbage in it
        # follows extends: and merges (see extends.py)
        merged = load_merged(path, allow_outside_policy_dir=allow_outside_policy_dir)
        with attributed(merged):
            policy = parse_policy(
                merged.data,
                merged.lines,
                file=str(path),
                files=merged.files,
                env=env,
                extra=extra,
                root=path.parent,
                allow_outside_policy_dir=allow_outside_policy_dir,
            )
            return policy.for_environment(environment)


def parse_policy(
    data: Any,
    lines: dict[Path_, int],
    *,
    file: str,
    files: Mapping[Path_, str] | None = None,
    env: Mapping[str, str] | None = None,
    extra: Mapping[str, str] | None = None,
    root: Path | None = None,
    allow_outside_policy_dir: bool = False,
) -> Policy:
    """Validate an already-parsed policy document (files it names: see ``load_policy``).

    ``files`` maps key paths to the file each came from (``extends:``); default: ``file``.
    """
    if not isinstance(data, dict):
        raise PolicyError(
            "a policy must be a mapping with 'environment' and 'checks'",
            file=file,
            line=line_of(lines, ()),
            hint="see policies/demo.yaml for an example",
        )
    environ = os.environ if env is None else env
    extras = dict(extra or {})
    secrets: list[str] = []

    def lookup(name: str) -> str | None:
        value = extras.get(name) if "." in name else environ.get(name)
        if value and is_secret_key(name.rsplit(".", 1)[-1]):
            secrets.append(value)  # ${DB_PASSWORD} is a secret wherever the policy puts it
        return value

    def missing(p: tuple[Any, ...], name: str) -> None:
        hint = f"export {name}=... or write ${{{name}:-default}}"
        if name.startswith("tf."):
            hint = "pass --tf-outputs FILE (terraform output -json) or a plan with output values"
        raise PolicyError(
            f"'{name}' is not set", file=file, line=line_of(lines, p), key=_dotted(p), hint=hint
        )

    raw = data
    data = interpolate_tree(data, lookup, missing)
    try:
        doc = PolicyDocument.model_validate(data)
    except ValidationError as exc:
        raise _from_validation(exc, PolicyDocument, (), lines, file) from None
    checks: list[Check] = []
    sources: dict[str, Source] = {}
    for cid, spec in doc.checks.items():
        entry = _build_entry(cid, spec, lines, file)
        checks += entry
        where = Source((files or {}).get(("checks", cid), file), line_of(lines, ("checks", cid)))
        sources.update((c.id, where) for c in entry)
    checks = with_cross_checks(checks)
    for check in checks:  # a cross-check the gate added is written where its tls check is
        if check.id not in sources and check.after:
            tls_id = str(check.after[-1])
            if tls_id in sources:
                sources[check.id] = sources[tls_id]
    _check_edges(checks, lines, file)
    _check_files(
        raw,
        data,
        lines,
        file,
        Path(file).parent if root is None else root,
        allow_outside_policy_dir,
    )
    secrets.extend(_written_secrets(data))
    return Policy(
        file,
        doc.environment,
        doc.defaults,
        doc.gcp,
        checks,
        doc.description,
        lines,
        secrets=tuple(dict.fromkeys(secrets)),
        secret_env=_secret_variables(checks),
        sources=sources,
    )


def _add_credential(redactor: Redactor, value: str) -> None:
    """Register ``value``, and the credential alone when it is ``Bearer``/``Basic``/``Token ...``."""
    redactor.add(value)
    scheme, _, credential = value.partition(" ")
    if scheme.lower() in {"bearer", "basic", "token"}:
        redactor.add(credential)


def _check_files(
    raw: Any, data: Any, lines: dict[Path_, int], file: str, root: Path, allow_outside: bool
) -> None:
    """Every ``dotenv:`` and ``ca_bundle:`` value, at any depth: inside the policy's tree
    (unless the run allows it, or the value is one ``${VAR}`` the run supplies), and a
    ``ca_bundle`` a loadable PEM bundle. One PolicyError naming the key's line otherwise."""

    def walk(raw_node: Any, node: Any, path: Path_) -> None:
        if isinstance(node, dict):
            raw_map = raw_node if isinstance(raw_node, dict) else {}
            for key, value in node.items():
                sub = (*path, key)
                if key in PATH_KEYS and isinstance(value, str) and value.strip():
                    line, name, target = line_of(lines, sub), dotted(sub), Path(value)
                    if not supplied_by_run(raw_map.get(key)):
                        ensure_inside(
                            target, root, allow=allow_outside, file=file, line=line, key=name
                        )
                    if key == "ca_bundle":
                        check_ca_bundle(target, file=file, line=line, key=name)
                elif isinstance(value, dict | list):
                    walk(raw_map.get(key), value, sub)
        elif isinstance(node, list):
            raw_list = raw_node if isinstance(raw_node, list) else []
            for i, item in enumerate(node):
                if isinstance(item, dict | list):
                    walk(raw_list[i] if i < len(raw_list) else None, item, (*path, i))

    walk(raw, data, ())


def _written_secrets(data: Any) -> list[str]:
    """String values under secret-named keys (``headers: {Authorization: ...}``, ``password:``)."""
    out: list[str] = []
    secret_named: dict[Any, bool] = {}  # a policy repeats few key names: ask once per name

    def walk(node: dict[Any, Any] | list[Any], path: Path_) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if str(key).endswith("_env"):
                    continue  # holds variable names (dsn_env, headers_from_env), not values
                named = secret_named.get(key)
                if named is None:
                    named = secret_named[key] = is_secret_key(key)
                if named and holds_secret(path, key):
                    out.extend(_strings(value))
                elif isinstance(value, dict | list):
                    walk(value, (*path, key))
        else:
            for i, item in enumerate(node):
                if isinstance(item, dict | list):
                    walk(item, (*path, i))

    if isinstance(data, dict | list):
        walk(data, ())
    return out


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _secret_variables(checks: list[Check]) -> tuple[tuple[str, bool], ...]:
    """The variables the checks read secrets from: ``headers_from_env`` and ``dsn_env`` (whole
    values), and the ``environment`` check's variables (a DSN's password; a secret-named
    variable's whole value). Registered by ``Policy.redactor`` before any check runs, so a
    secret is masked even when the check that reads it is skipped or blocked."""
    out: dict[str, bool] = {}

    def walk(node: dict[str, Any] | list[Any] | tuple[Any, ...]) -> None:
        if isinstance(node, dict):
            for var in (node.get("headers_from_env") or {}).values():
                out[str(var)] = True
            if isinstance(node.get("dsn_env"), str):
                out[node["dsn_env"]] = True
            node = tuple(node.values())
        for item in node:
            if isinstance(item, dict | list | tuple):  # scalars hold no variable names
                walk(item)

    for check in checks:
        if check.kind == "environment":
            fields = check.model_dump()
            walk(fields)
            names = [*fields.get("require", ()), *fields.get("no_loopback", ())]
            for var in [*names, *(fields.get("equals") or {})]:
                out.setdefault(str(var), False)
        elif _may_name_variables(type(check)):
            walk(check.model_dump())
    return tuple(out.items())


_NAMES_VARIABLES: dict[type[BaseModel], bool] = {}


def _may_name_variables(cls: type[BaseModel]) -> bool:
    """Whether a check of ``cls`` can hold ``headers_from_env`` or ``dsn_env`` at any depth:
    its schema (nested models included) names one, or it accepts extra keys. Asked once per
    class, so that 30,000 dns checks are not each dumped and walked for nothing."""
    known = _NAMES_VARIABLES.get(cls)
    if known is None:
        schema = repr(cls.__pydantic_core_schema__)
        known = cls.model_config.get("extra") == "allow" or any(
            f"'{key}'" in schema for key in ("headers_from_env", "dsn_env")
        )
        _NAMES_VARIABLES[cls] = known
    return known


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
            f"unknown kind '{key_text(kind)}'",
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
    problem = first_problem(exc, model)
    path = (*base, *problem.loc)
    message = problem.message
    if problem.unknown_key is not None:
        message = f"unknown key '{key_text(problem.unknown_key)}'"
    # the value itself is never quoted: the line points at it, and the file may not be a policy
    return PolicyError(
        message, file=file, line=line_of(lines, path), key=_dotted(path), hint=problem.hint
    )


def _dotted(path: Path_) -> str:
    return dotted(path)


def _check_edges(checks: list[Check], lines: dict[Path_, int], file: str) -> None:
    ids = [c.id for c in checks]
    for check in checks:
        for i, dep in enumerate(check.after):
            if dep not in ids:
                close = difflib.get_close_matches(dep, ids, n=1)
                raise PolicyError(
                    f"unknown check id '{key_text(dep)}'",
                    file=file,
                    line=line_of(lines, ("checks", check.id, "after", i)),
                    key=f"checks.{check.id}.after",
                    hint=f"did you mean '{close[0]}'?" if close else f"known ids: {', '.join(ids)}",
                )
    by_id = {c.id: c for c in checks}
    cycle = find_cycle(ids, lambda cid: by_id[cid].after)
    if cycle:
        raise PolicyError(
            "dependency cycle: " + " -> ".join(key_text(c) for c in cycle),
            file=file,
            line=line_of(lines, ("checks", cycle[0], "after")),
            key=f"checks.{cycle[0]}.after",
            hint="remove one of these 'after:' entries",
        )
