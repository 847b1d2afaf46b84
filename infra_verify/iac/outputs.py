"""Terraform outputs as policy variables: ``${tf.output.lb_ip}`` in a policy reads ``lb_ip``.

Two sources, same keys:

- ``terraform output -json`` (``--tf-outputs FILE``): ``{"lb_ip": {"value": "34.54.41.44",
  "type": "string", "sensitive": false}, ...}``
- a plan's ``planned_values.outputs`` (values known at plan time; unknown ones are left out).

Scalars become their text; a list or map also becomes compact JSON under its own key, and each
element is reachable one level down (``tf.output.ips.0``, ``tf.output.hosts.api``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from infra_verify.errors import UsageError
from infra_verify.iac.files import MAX_OUTPUTS_BYTES, read_bounded
from infra_verify.iac.plan import Plan

PREFIX = "tf.output."
_HOW = "write it with: terraform output -json > outputs.json"


def read_outputs(path: str | Path) -> dict[str, str]:
    """Read a ``terraform output -json`` file into ``{"tf.output.NAME": "value"}``."""
    file = str(path)
    how = _HOW
    raw = read_bounded(path, MAX_OUTPUTS_BYTES, what="outputs file", how=how)
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise UsageError(f"{file}: not a JSON outputs file (not UTF-8) ({how})") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{file}: not valid JSON (line {exc.lineno}: {exc.msg}) ({how})") from None
    if not isinstance(data, dict) or any(not isinstance(v, dict) for v in data.values()):
        raise UsageError(
            f"{file}: not 'terraform output -json' output (expected {{NAME: {{value: ...}}}}) ({how})"
        )
    out: dict[str, str] = {}
    for name, entry in data.items():
        if "value" in entry:
            _flatten(f"{PREFIX}{name}", entry["value"], out)
    return out


def plan_outputs(plan: Plan) -> dict[str, str]:
    """The plan's known output values as ``{"tf.output.NAME": "value"}``."""
    out: dict[str, str] = {}
    for name, value in plan.outputs.items():
        if value.known and value.value is not None:
            _flatten(f"{PREFIX}{name}", value.value, out)
    return out


def sensitive_outputs(path: str | Path) -> list[str]:
    """Values of outputs marked sensitive in a ``terraform output -json`` file (for redaction)."""
    try:
        data = json.loads(read_bounded(path, MAX_OUTPUTS_BYTES, what="outputs file", how=_HOW))
    except (UsageError, ValueError):
        return []
    if not isinstance(data, dict):
        return []
    return [
        _scalar(e["value"])
        for e in data.values()
        if isinstance(e, dict) and e.get("sensitive") and "value" in e
    ]


def _flatten(key: str, value: Any, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        out[key] = json.dumps(value, sort_keys=True, separators=(",", ":"))
        for k, v in value.items():
            out[f"{key}.{k}"] = _scalar(v)
    elif isinstance(value, list):
        out[key] = json.dumps(value, separators=(",", ":"))
        for i, v in enumerate(value):
            out[f"{key}.{i}"] = _scalar(v)
    elif value is not None:
        out[key] = _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
