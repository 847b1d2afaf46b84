"""Validate REST resources (e.g. fake GCP fixtures) against Google's API discovery documents.

The discovery documents ship with google-api-python-client
(``googleapiclient/discovery_cache/documents/<api>.<version>.json``). The validator flags the
three mistakes that make a fixture lie about the real API: an unknown field name, a wrong JSON
type (``int64``/``uint64`` fields are JSON *strings*) and an enum value the API never sends.

    errors = validate_resource("compute/v1/projects/p/global/sslCertificates/c", resource)
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from infra_verify.testing.fake_gcp_routes import canonical_path, collection_for_resource

__all__ = [
    "discovery_document",
    "schema_for_path",
    "validate",
    "validate_fixture",
    "validate_resource",
]

_STRING_INTEGER_FORMATS = {"int64", "uint64"}
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _documents_dir() -> Path:
    spec = importlib.util.find_spec("googleapiclient")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("install google-api-python-client to validate against discovery docs")
    return Path(next(iter(spec.submodule_search_locations))) / "discovery_cache" / "documents"


@functools.cache
def discovery_document(api: str) -> dict[str, Any]:
    """Load a discovery document by ``<name>.<version>``, e.g. ``compute.v1``."""
    path = _documents_dir() / f"{api}.json"
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def schema_for_path(path: str) -> tuple[str, str] | None:
    """The ``(api, schema name)`` of the resource at a REST path, or None if unknown."""
    collection = collection_for_resource(canonical_path(path))
    return None if collection is None else (collection.api, collection.schema)


def validate_resource(path: str, resource: Any) -> list[str]:
    """Errors for the resource at a REST path; an unknown path is itself an error."""
    found = schema_for_path(path)
    if found is None:
        return [f"{path}: no known GCP REST collection holds this path"]
    api, schema = found
    return validate(api, schema, resource)


def validate_fixture(resources: Mapping[str, Any]) -> dict[str, list[str]]:
    """Errors per REST path for every resource that does not match its discovery schema."""
    report = {path: validate_resource(path, value) for path, value in resources.items()}
    return {path: errors for path, errors in report.items() if errors}


def validate(api: str, schema: str, value: Any) -> list[str]:
    """Errors for ``value`` checked against the named schema of a discovery document."""
    document = discovery_document(api)
    errors: list[str] = []
    _check(document, {"$ref": schema}, value, schema, errors)
    return errors


def _check(
    doc: dict[str, Any], spec: Mapping[str, Any], value: Any, at: str, out: list[str]
) -> None:
    if "$ref" in spec:
        spec = doc["schemas"][spec["$ref"]]
    kind = spec.get("type", "any")
    if kind == "object":
        _check_object(doc, spec, value, at, out)
    elif kind == "array":
        if not isinstance(value, list):
            out.append(f"{at}: expected a JSON array, got {_json_type(value)}")
            return
        for index, item in enumerate(value):
            _check(doc, spec["items"], item, f"{at}[{index}]", out)
    elif kind == "string":
        _check_string(spec, value, at, out)
    elif kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            out.append(f"{at}: expected a JSON integer ({spec.get('format')}), got {value!r}")
    elif kind == "number":
        if not isinstance(value, int | float) or isinstance(value, bool):
            out.append(f"{at}: expected a JSON number, got {value!r}")
    elif kind == "boolean" and not isinstance(value, bool):
        out.append(f"{at}: expected a JSON boolean, got {value!r}")


def _check_object(
    doc: dict[str, Any], spec: Mapping[str, Any], value: Any, at: str, out: list[str]
) -> None:
    if not isinstance(value, dict):
        out.append(f"{at}: expected a JSON object, got {_json_type(value)}")
        return
    properties: Mapping[str, Any] = spec.get("properties", {})
    extra = spec.get("additionalProperties")
    for key, item in value.items():
        if key in properties:
            _check(doc, properties[key], item, f"{at}.{key}", out)
        elif extra is not None:
            _check(doc, extra, item, f"{at}[{key!r}]", out)
        else:
            known = ", ".join(sorted(properties)) or "none"
            out.append(f"{at}: unknown field {key!r} (known: {known})")


def _check_string(spec: Mapping[str, Any], value: Any, at: str, out: list[str]) -> None:
    fmt = spec.get("format")
    if not isinstance(value, str):
        hint = " (int64/uint64 values are JSON strings)" if fmt in _STRING_INTEGER_FORMATS else ""
        out.append(f"{at}: expected a JSON string{hint}, got {value!r}")
    elif fmt in _STRING_INTEGER_FORMATS and not re.fullmatch(r"-?\d+", value):
        out.append(f"{at}: expected a decimal {fmt} string, got {value!r}")
    elif fmt == "google-datetime" and not _DATETIME.match(value):
        out.append(f"{at}: expected an RFC 3339 timestamp, got {value!r}")
    elif "enum" in spec and value not in spec["enum"]:
        out.append(f"{at}: {value!r} is not one of {', '.join(spec['enum'])}")


def _json_type(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean"}.get(
        type(value), type(value).__name__
    )
