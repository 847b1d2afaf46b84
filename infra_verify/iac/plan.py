"""Read a Terraform plan (``terraform show -json``) and resolve values known only after apply.

The format is Terraform's documented JSON plan representation, ``format_version`` 1.x
(developer.hashicorp.com/terraform/internals/json-format; hashicorp/terraform
``internal/command/jsonplan/plan.go`` and ``jsonconfig/expression.go``)::

    resource_changes[]: address, module_address, type, name, mode, index,
                        change: {actions, before, after, after_unknown}
    planned_values:     root_module.resources[] (+ child_modules), outputs
    configuration:      root_module.resources[].expressions (constant_value | references),
                        root_module.module_calls.<name>.module (the same, nested)

A value that is unknown until apply (``after_unknown`` true, the value itself absent or null)
is *declared by reference* when the configuration's expression for it names another resource's
attribute: ``rrdatas = [google_compute_global_address.lb.address]``. :meth:`Plan.values` follows
such references (a few hops) and returns what the referenced attribute holds, known or not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra_verify.iac.files import MAX_PLAN_BYTES, InputFileError, read_bounded

_MAX_HOPS = 6
_NOT_RESOURCES = {"var", "local", "each", "count", "path", "terraform", "module", "self"}
_REF = re.compile(
    r"^(?P<res>(?:data\.)?(?P<type>[A-Za-z0-9_-]+)\.(?P<name>[A-Za-z0-9_-]+))"
    r"(?P<key>\[[^\]]*\])?(?:\.(?P<attr>.+))?$"
)
_INDEX = re.compile(r"\[[^\]]*\]")


class PlanFileError(InputFileError):
    """A plan file that cannot be read: names the file and what to do (the CLI exits 2)."""


AttrPath = str | tuple[str, ...]

_HOW = "write it with: terraform plan -out=plan.bin && terraform show -json plan.bin > plan.json"


@dataclass(frozen=True)
class Value:
    """One attribute value as the plan declares it: a literal, or known only after apply.

    ``via`` is the configuration reference that produced it (``google_compute_global_address.lb
    .address``) and ``source`` the address of the resource it was read from, when it came through
    a reference.
    """

    value: Any = None
    known: bool = True
    via: str | None = None
    source: str | None = None

    def describe(self) -> str:
        """Readable: ``1.2.3.4``, ``1.2.3.4 (declared by reference to X)``, or unknown by reference."""
        if self.known and self.via:
            return f"{_text(self.value)} (declared by reference to {self.via})"
        if self.known:
            return _text(self.value)
        if self.via:
            return f"declared by reference to {self.via} (known after apply)"
        return "(known after apply)"


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


@dataclass
class PlanResource:
    """One resource instance in the plan, with its planned values and planned action."""

    address: str
    type: str
    name: str
    mode: str = "managed"
    module: str = ""
    actions: tuple[str, ...] = ("no-op",)
    after: dict[str, Any] | None = None
    after_unknown: dict[str, Any] = field(default_factory=dict)
    before: dict[str, Any] | None = None
    expressions: dict[str, Any] = field(default_factory=dict)

    @property
    def config_address(self) -> str:
        """The address in configuration terms: no module prefix, no instance key."""
        prefix = "data." if self.mode == "data" else ""
        return f"{prefix}{self.type}.{self.name}"

    @property
    def values(self) -> dict[str, Any]:
        """The planned values; for a resource being destroyed, its current values."""
        if self.after is not None:
            return self.after
        return self.before or {}

    @property
    def destroyed(self) -> bool:
        """True when the plan deletes this resource and does not re-create it."""
        return "delete" in self.actions and "create" not in self.actions

    @property
    def replaced(self) -> bool:
        """True when the plan deletes and re-creates this resource."""
        return "delete" in self.actions and "create" in self.actions

    @property
    def exists_after(self) -> bool:
        """True when the resource exists after apply (created, updated, unchanged or replaced)."""
        return not self.destroyed and "forget" not in self.actions

    @property
    def lifecycle(self) -> str | None:
        """``will be destroyed`` / ``will be replaced``, or None when the resource stays."""
        if self.destroyed:
            return "will be destroyed"
        if self.replaced:
            return "will be replaced"
        return None

    @property
    def gcp_name(self) -> str | None:
        """The resource's ``name`` argument when it is a known string."""
        name = self.values.get("name")
        return name if isinstance(name, str) else None


@dataclass
class Plan:
    """A parsed plan: resources by address, outputs, variables, and reference resolution."""

    path: str
    format_version: str
    terraform_version: str | None
    resources: dict[str, PlanResource]
    outputs: dict[str, Value] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    _by_config: dict[tuple[str, str], list[PlanResource]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for res in self.resources.values():
            self._by_config.setdefault((res.module, res.config_address), []).append(res)

    def __iter__(self) -> Iterator[PlanResource]:
        return iter(self.resources.values())

    def of_type(self, *types: str, include_destroyed: bool = False) -> list[PlanResource]:
        """Resources of these types (those the plan destroys only when asked)."""
        return [
            r
            for r in self.resources.values()
            if r.type in types and r.mode == "managed" and (include_destroyed or r.exists_after)
        ]

    def named(self, types: Iterable[str], name: str) -> list[PlanResource]:
        """Resources of these types whose ``name`` argument is ``name``, destroyed ones included."""
        want = short(name)
        return [r for r in self.of_type(*types, include_destroyed=True) if r.gcp_name == want]

    def lookup(self, module: str, ref: str) -> list[PlanResource]:
        """The instances a configuration reference's resource part names (``type.name[key]``)."""
        m = _REF.match(ref)
        if m is None:
            return []
        found = self._by_config.get((module, m.group("res")), [])
        key = m.group("key")
        if key and len(found) > 1:
            exact = [r for r in found if r.address.endswith(f"{m.group('res')}{key}")]
            return exact or found
        return found

    def values(self, res: PlanResource, path: AttrPath, *, _hops: int = 0) -> list[Value]:
        """Every value at ``path`` (lists and nested blocks fan out), references resolved.

        ``path`` is dotted (``template.vpc_access.connector``) or a tuple of keys (for map keys
        with dots, such as Cloud Run annotations).
        """
        out: list[Value] = []
        for raw, unknown in _walk(res.values, res.after_unknown, _parts(path)):
            if not unknown:
                if isinstance(raw, list):
                    out.extend(Value(v) for v in raw if v is not None)
                elif raw is not None:
                    out.append(Value(raw))
                continue
            out.extend(self._resolve(res, path, _hops))
        return out

    def first(self, res: PlanResource, path: AttrPath) -> Value | None:
        """The first value at ``path``, or None when the plan declares none."""
        found = self.values(res, path)
        return found[0] if found else None

    def references(self, res: PlanResource, path: AttrPath | None = None) -> list[str]:
        """The configuration references of the expression at ``path`` (all of them when None)."""
        exprs: Any = res.expressions
        if path is not None:
            exprs = list(_expr_nodes(res.expressions, _parts(path)))
        return list(dict.fromkeys(_collect_refs(exprs)))

    def linked(
        self, res: PlanResource, path: AttrPath | None, types: Iterable[str]
    ) -> list[PlanResource]:
        """Resources of ``types`` that the attribute at ``path`` points at, by reference or by name/link."""
        wanted = set(types)
        out: dict[str, PlanResource] = {}
        for ref in self.references(res, path):
            for target in self.lookup(res.module, ref):
                if target.type in wanted:
                    out[target.address] = target
        if path is not None:
            for v in self.values(res, path):
                if v.known and isinstance(v.value, str) and v.value:
                    for target in self._by_link(v.value, wanted):
                        out[target.address] = target
                elif v.source and v.source in self.resources:
                    target = self.resources[v.source]
                    if target.type in wanted:
                        out[target.address] = target
        return list(out.values())

    def _by_link(self, text: str, types: set[str]) -> list[PlanResource]:
        name = short(text)
        found = []
        for r in self.resources.values():
            if r.type not in types:
                continue
            ids = {r.values.get("id"), r.values.get("self_link")}
            if text in ids or (r.gcp_name is not None and r.gcp_name == name):
                found.append(r)
        return found

    def _resolve(self, res: PlanResource, path: AttrPath, hops: int) -> list[Value]:
        refs = self.references(res, path)
        attr_refs = [r for r in refs if _is_attr_ref(r)]
        if not attr_refs:
            var = next((r for r in refs if r.startswith("var.")), None)
            if var is not None and var[4:] in self.variables:
                return [Value(self.variables[var[4:]], via=var)]
            return [Value(None, known=False, via=refs[0] if refs else None)]
        out: list[Value] = []
        for ref in attr_refs:
            m = _REF.match(ref)
            assert m is not None
            targets = self.lookup(res.module, ref)
            attr = _INDEX.sub("", m.group("attr") or "")
            if not targets or hops >= _MAX_HOPS:
                out.append(Value(None, known=False, via=ref))
                continue
            for target in targets:
                got = self.values(target, attr, _hops=hops + 1)
                if not got:
                    out.append(Value(None, known=False, via=ref, source=target.address))
                for v in got:
                    out.append(Value(v.value, v.known, via=ref, source=target.address))
        return out


def _parts(path: AttrPath) -> list[str]:
    return path.split(".") if isinstance(path, str) else list(path)


def _is_attr_ref(ref: str) -> bool:
    m = _REF.match(ref)
    if m is None or m.group("attr") is None:
        return False
    head = ref.split(".", 1)[0]
    return head not in _NOT_RESOURCES


def _walk(values: Any, unknown: Any, parts: list[str]) -> Iterator[tuple[Any, bool]]:
    """Yield (value, is_unknown) at the end of ``parts``, fanning out over lists of blocks."""
    if unknown is True:
        yield None, True
        return
    if isinstance(values, list):
        unknowns = unknown if isinstance(unknown, list) else []
        if not parts:
            if any(u is True for u in unknowns):
                known = [v for v, u in zip(values, unknowns, strict=False) if u is not True]
                yield known, False
                yield None, True
            else:
                yield values, False
            return
        for i, item in enumerate(values):
            yield from _walk(item, unknowns[i] if i < len(unknowns) else None, parts)
        return
    if not parts:
        yield values, False
        return
    if isinstance(values, dict):
        head, rest = parts[0], parts[1:]
        sub_unknown = unknown.get(head) if isinstance(unknown, dict) else None
        if head not in values and sub_unknown is None:
            return
        yield from _walk(values.get(head), sub_unknown, rest)


def _expr_nodes(exprs: Any, parts: list[str]) -> Iterator[Any]:
    if isinstance(exprs, dict) and ("references" in exprs or "constant_value" in exprs):
        yield exprs  # a leaf expression (e.g. a whole map attribute): its references cover all keys
        return
    if isinstance(exprs, list):
        for item in exprs:
            yield from _expr_nodes(item, parts)
        return
    if not parts:
        yield exprs
        return
    if isinstance(exprs, dict) and parts[0] in exprs:
        yield from _expr_nodes(exprs[parts[0]], parts[1:])


def _collect_refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        refs = node.get("references")
        if isinstance(refs, list):
            yield from (r for r in refs if isinstance(r, str))
        for k, v in node.items():
            if k not in ("references", "constant_value"):
                yield from _collect_refs(v)
    elif isinstance(node, list):
        for item in node:
            yield from _collect_refs(item)


def short(name: str | None) -> str:
    """The last path segment of a resource name, id or self link."""
    return (name or "").rstrip("/").rsplit("/", 1)[-1]


def load_plan(path: str | Path) -> Plan:
    """Read a ``terraform show -json`` file; PlanFileError when it is missing or not a plan."""
    file = str(path)
    raw = read_bounded(path, MAX_PLAN_BYTES, what="plan file", how=_HOW, error=PlanFileError)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PlanFileError(
            file,
            "not a JSON plan (a binary plan file?)",
            "convert it with: terraform show -json plan.bin > plan.json",
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanFileError(file, f"not valid JSON (line {exc.lineno}: {exc.msg})", _HOW) from None
    return parse_plan(data, file=file)


def parse_plan(data: Any, *, file: str = "<plan>") -> Plan:
    """Build a Plan from the decoded JSON document."""
    if not isinstance(data, dict):
        raise PlanFileError(
            file, "not a Terraform JSON plan (the top level is not an object)", _HOW
        )
    version = data.get("format_version")
    if not isinstance(version, str) or not version:
        raise PlanFileError(file, "not a Terraform JSON plan (no format_version)", _HOW)
    if version.split(".", 1)[0] != "1":
        raise PlanFileError(
            file,
            f"unsupported plan format_version {version} (this tool reads 1.x)",
            "use a Terraform 1.x release to write the plan, or upgrade infra_verify",
        )
    if "resource_changes" not in data and "planned_values" not in data:
        raise PlanFileError(
            file,
            "a Terraform state or config, not a plan (no resource_changes or planned_values)",
            _HOW,
        )
    exprs = _config_expressions(data.get("configuration"))
    resources: dict[str, PlanResource] = {}
    for rc in _list(data.get("resource_changes")):
        if not isinstance(rc, dict) or not isinstance(rc.get("address"), str):
            continue
        change = _dict(rc.get("change"))
        module = _config_module(rc.get("module_address"))
        res = PlanResource(
            address=rc["address"],
            type=str(rc.get("type", "")),
            name=str(rc.get("name", "")),
            mode=str(rc.get("mode", "managed")),
            module=module,
            actions=tuple(str(a) for a in _list(change.get("actions"))) or ("no-op",),
            after=_dict_or_none(change.get("after")),
            after_unknown=_dict(change.get("after_unknown")),
            before=_dict_or_none(change.get("before")),
        )
        res.expressions = exprs.get((module, res.config_address), {})
        resources[res.address] = res
    for module_addr, pv in _planned(_dict(data.get("planned_values")).get("root_module")):
        if pv["address"] in resources:
            continue
        module = _config_module(module_addr)
        res = PlanResource(
            address=pv["address"],
            type=str(pv.get("type", "")),
            name=str(pv.get("name", "")),
            mode=str(pv.get("mode", "managed")),
            module=module,
            after=_dict(pv.get("values")),
        )
        res.expressions = exprs.get((module, res.config_address), {})
        resources[res.address] = res
    outputs = {
        name: (Value(o["value"]) if "value" in o else Value(None, known=False))
        for name, o in _dict(_dict(data.get("planned_values")).get("outputs")).items()
        if isinstance(o, dict)
    }
    variables = {
        k: v["value"]
        for k, v in _dict(data.get("variables")).items()
        if isinstance(v, dict) and "value" in v
    }
    tf_version = data.get("terraform_version")
    return Plan(
        path=file,
        format_version=version,
        terraform_version=tf_version if isinstance(tf_version, str) else None,
        resources=resources,
        outputs=outputs,
        variables=variables,
    )


def _config_module(module_address: Any) -> str:
    if not isinstance(module_address, str) or not module_address:
        return ""
    return _INDEX.sub("", module_address)


def _planned(module: Any) -> Iterator[tuple[str | None, dict[str, Any]]]:
    if not isinstance(module, dict):
        return
    for r in _list(module.get("resources")):
        if isinstance(r, dict) and isinstance(r.get("address"), str):
            yield module.get("address"), r
    for child in _list(module.get("child_modules")):
        yield from _planned(child)


def _config_expressions(config: Any) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}

    def visit(module: Any, prefix: str) -> None:
        """Record one module's resource expressions, then its module calls'."""
        if not isinstance(module, dict):
            return
        for r in _list(module.get("resources")):
            if isinstance(r, dict) and isinstance(r.get("address"), str):
                out[(prefix, r["address"])] = _dict(r.get("expressions"))
        for name, call in _dict(module.get("module_calls")).items():
            if isinstance(call, dict):
                child = f"{prefix}.module.{name}" if prefix else f"module.{name}"
                visit(call.get("module"), child)

    visit(_dict(config).get("root_module"), "")
    return out


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dict_or_none(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def output_values(plan: Plan) -> Mapping[str, Value]:
    """The plan's root module output values (unknown ones have ``known=False``)."""
    return plan.outputs
