"""GCP errors, mapped at the boundary from google-api-core, google-auth and requests.

    ProbeError (infra_verify.errors)
     └── GcpError
    ├── GcpNotFound            HTTP 404: the resource does not exist (the server's words kept)
    ├── GcpPermissionDenied    HTTP 403: the caller lacks a read-only role (named in the message)
    │    └── GcpScopeInsufficient   403 ACCESS_TOKEN_SCOPE_INSUFFICIENT: the token's OAuth scope
    ├── GcpServiceDisabled     403 SERVICE_DISABLED: the API is not enabled in the project
    ├── GcpProjectInvalid      CONSUMER_INVALID, RESOURCE_PROJECT_INVALID, or a 404 for the
    │                          project itself: the project is wrong, not the resource missing
    ├── GcpUnauthenticated     HTTP 401, or no Application Default Credentials
    ├── GcpUnavailable         timeouts, refused connections, 5xx and 429 after retries
    └── GcpBadResponse         a reply that is not the JSON the API promises

The real APIs say why in a ``google.rpc.ErrorInfo`` detail (``reason``, ``domain``,
``metadata``); google-api-core exposes it on its exceptions (``exc.reason``, ``exc.domain``,
``exc.metadata``, ``exc.details``), and :func:`error_info` reads it from there.

``map_error`` never imports google.* itself: it recognises exceptions by their class names and
module, so importing this module stays cheap.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from infra_verify.errors import ProbeError
from infra_verify.lazy import lazy_module

if TYPE_CHECKING:
    import json
else:
    json = lazy_module("json", rebind=True)  # read when a call failed, not by --list

__all__ = [
    "ERROR_INFO_TYPE",
    "REQUIRED_SCOPE",
    "ErrorInfo",
    "GcpBadResponse",
    "GcpError",
    "GcpNotFound",
    "GcpPermissionDenied",
    "GcpProjectInvalid",
    "GcpScopeInsufficient",
    "GcpServiceDisabled",
    "GcpUnauthenticated",
    "GcpUnavailable",
    "error_info",
    "is_transient",
    "map_error",
    "server_message",
    "status_code_of",
]

ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo"
REQUIRED_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
"""The OAuth scope every read needs (the compute, run, vpcaccess and sqladmin read methods do
not accept ``cloud-platform.read-only``); the principal stays read-only through its IAM roles."""

ADC_HINT = (
    "run `gcloud auth application-default login` "
    "(or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file)"
)


class GcpError(ProbeError):
    """A GCP API read failed; ``what`` names the resource, ``status_code`` the HTTP status."""

    def __init__(
        self,
        message: str,
        *,
        what: str = "",
        status_code: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.what = what
        self.status_code = status_code


class GcpNotFound(GcpError):
    """The resource does not exist (HTTP 404)."""


class GcpPermissionDenied(GcpError):
    """The caller may not read the resource (HTTP 403)."""


class GcpScopeInsufficient(GcpPermissionDenied):
    """The access token lacks the OAuth scope the method needs (403 ACCESS_TOKEN_SCOPE_INSUFFICIENT)."""


class GcpServiceDisabled(GcpError):
    """The API is not enabled in the project (403 SERVICE_DISABLED)."""


class GcpProjectInvalid(GcpError):
    """The project does not exist or cannot be used (CONSUMER_INVALID, a 404 for the project)."""


class GcpUnauthenticated(GcpError):
    """No usable credentials (HTTP 401 or no Application Default Credentials)."""


class GcpUnavailable(GcpError):
    """The API could not be reached or kept failing (timeouts, 5xx, 429) until the deadline."""


class GcpBadResponse(GcpError):
    """The API answered something that is not the JSON it promises."""


def _names(exc: BaseException) -> set[str]:
    return {f"{cls.__module__}.{cls.__qualname__}" for cls in type(exc).__mro__}


def _status_code(exc: BaseException) -> int | None:
    code = getattr(exc, "code", None)
    if isinstance(code, int) and not isinstance(code, bool) and 100 <= code < 600:
        return code
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


_TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_TRANSIENT_CLASSES = frozenset(
    {
        "requests.exceptions.ConnectionError",
        "requests.exceptions.Timeout",
        "google.auth.exceptions.TransportError",
        "builtins.ConnectionError",
        "builtins.TimeoutError",
    }
)


def is_transient(exc: BaseException) -> bool:
    """True for errors worth retrying: 408/429/5xx, timeouts and connection failures."""
    if isinstance(exc, GcpError):
        return isinstance(exc, GcpUnavailable)
    code = _status_code(exc)
    if code is not None:
        return code in _TRANSIENT_STATUS
    return bool(_names(exc) & _TRANSIENT_CLASSES)


def status_code_of(exc: BaseException) -> int | None:
    """The HTTP status an exception carries, if any."""
    return _status_code(exc)


_REQUEST_PREFIX = re.compile(r"^(?:GET|POST|PUT|PATCH|DELETE|HEAD) \S+: ")


def _server_message(exc: BaseException) -> str:
    message = getattr(exc, "message", None)
    text = message if isinstance(message, str) and message else str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def server_message(exc: BaseException) -> str:
    """What the server said, without the ``GET https://…:`` prefix google-api-core adds."""
    return _REQUEST_PREFIX.sub("", _server_message(exc), count=1)


@dataclass(frozen=True)
class ErrorInfo:
    """A ``google.rpc.ErrorInfo`` detail: why the API refused (e.g. ``SERVICE_DISABLED``)."""

    reason: str
    domain: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)


def _as_info(value: Any) -> ErrorInfo | None:
    if isinstance(value, Mapping):
        reason, domain, metadata = value.get("reason"), value.get("domain"), value.get("metadata")
    else:
        reason = getattr(value, "reason", None)
        domain, metadata = getattr(value, "domain", None), getattr(value, "metadata", None)
    if not isinstance(reason, str) or not reason:
        return None
    meta = {str(k): str(v) for k, v in dict(metadata or {}).items()}
    return ErrorInfo(reason, domain if isinstance(domain, str) else "", meta)


def error_info(exc: BaseException) -> ErrorInfo | None:
    """The ErrorInfo an exception carries: google-api-core's ``reason``/``domain``/``metadata``,
    else the first ``details`` entry typed ``google.rpc.ErrorInfo``; None when there is none."""
    try:
        reason = getattr(exc, "reason", None)
    except Exception:  # a property reading a malformed detail
        reason = None
    if isinstance(reason, str) and reason:
        try:
            domain, metadata = getattr(exc, "domain", ""), getattr(exc, "metadata", None)
        except Exception:
            domain, metadata = "", None
        return _as_info({"reason": reason, "domain": domain, "metadata": metadata or {}})
    try:
        details = getattr(exc, "details", None)
    except Exception:
        details = None
    for detail in details if isinstance(details, list | tuple) else ():
        if isinstance(detail, Mapping) and detail.get("@type") == ERROR_INFO_TYPE:
            return _as_info(detail)
    return None


def _project_of(info: ErrorInfo | None, project: str | None) -> str:
    consumer = (info.metadata.get("consumer", "") if info else "").removeprefix("projects/")
    return consumer or project or "?"


def _service_of(info: ErrorInfo) -> tuple[str, str]:
    service = info.metadata.get("service", "")
    title = info.metadata.get("serviceTitle", "")
    label = f"the {title} ({service})" if title and service else f"the {service or 'Google'} API"
    return label, service or "SERVICE"


def _names_project(message: str, project: str | None) -> bool:
    """A 404 about the project itself, in the words the APIs use."""
    if not project:
        return False
    quoted = re.escape(project)
    return bool(
        re.search(rf"'projects/{quoted}'", message)
        or re.search(rf"resource named '{quoted}'", message)
        or re.search(rf"\bproject '?{quoted}'? (?:was )?not found", message, re.IGNORECASE)
    )


def _by_reason(
    exc: BaseException, code: int | None, *, role: str, what: str, project: str | None
) -> GcpError | None:
    """The error a known ErrorInfo reason (or a 404 for the project itself) means, if any."""
    info = error_info(exc)
    said = server_message(exc)
    reason = info.reason if info else ""
    if reason == "ACCESS_TOKEN_SCOPE_INSUFFICIENT":
        return GcpScopeInsufficient(
            f"the access token may not read {what} (HTTP 403 ACCESS_TOKEN_SCOPE_INSUFFICIENT): "
            f"its OAuth scopes do not include {REQUIRED_SCOPE}; server said: {said}",
            what=what,
            status_code=code,
            hint=(
                f"mint the credentials with the scope {REQUIRED_SCOPE} (infra_verify asks for it; "
                "a VM, Cloud Build worker or impersonated token with narrower scopes overrides "
                f"it), and keep the principal read-only with IAM roles such as {role or 'the viewer roles'}"
            ),
        )
    if reason == "SERVICE_DISABLED":
        label, service = _service_of(info) if info else ("the API", "SERVICE")
        where = _project_of(info, project)
        return GcpServiceDisabled(
            f"{label} is not enabled in project {where}: {what} could not be read",
            what=what,
            status_code=code,
            hint=f"gcloud services enable {service} --project={where}",
        )
    if reason in {"CONSUMER_INVALID", "RESOURCE_PROJECT_INVALID", "PROJECT_INVALID"} or (
        code == 404 and _names_project(said, project)
    ):
        where = project or _project_of(info, None)
        tag = f" {reason}" if reason else ""
        return GcpProjectInvalid(
            f"project {where} does not exist or cannot be used to read {what} "
            f"(HTTP {code}{tag}); server said: {said}",
            what=what,
            status_code=code,
            hint="check gcp.project (or the check's project:) and that the caller can see the project",
        )
    if reason == "BILLING_DISABLED":
        where = _project_of(info, project)
        return GcpError(
            f"billing is disabled for project {where}: {what} could not be read; server said: {said}",
            what=what,
            status_code=code,
            hint=f"link a billing account: gcloud billing projects link {where} --billing-account=ACCOUNT",
        )
    return None


def map_error(
    exc: BaseException,
    *,
    role: str,
    what: str,
    elapsed: float | None = None,
    project: str | None = None,
) -> GcpError:
    """Translate a google/requests exception raised while reading ``what`` into a GcpError.

    ``project`` is the project the read targeted: it names the project in the messages of an
    API that is not enabled or a project that does not exist.
    """
    names = _names(exc)
    after = f" (gave up after {elapsed:.1f}s)" if elapsed is not None else ""
    if isinstance(exc, GcpError):
        return exc
    if "google.auth.exceptions.DefaultCredentialsError" in names:
        return GcpUnauthenticated(
            f"no Application Default Credentials to read {what}: {ADC_HINT}", what=what
        )
    if "google.auth.exceptions.RefreshError" in names:
        return GcpUnauthenticated(
            f"could not refresh credentials to read {what}: {_server_message(exc)}; {ADC_HINT}",
            what=what,
        )
    if "google.protobuf.json_format.ParseError" in names or isinstance(exc, json.JSONDecodeError):
        return GcpBadResponse(
            f"malformed response while reading {what}: {_server_message(exc)}", what=what
        )
    code = _status_code(exc)
    known = _by_reason(exc, code, role=role, what=what, project=project) if code else None
    if known is not None:
        return known
    if code == 404:
        return GcpNotFound(
            f"{what} was not found (HTTP 404): {server_message(exc)}", what=what, status_code=code
        )
    if code == 403:
        return GcpPermissionDenied(
            f"permission denied reading {what} (HTTP 403): grant the caller the read-only role "
            f"{role}; server said: {_server_message(exc)}",
            what=what,
            status_code=code,
        )
    if code == 401:
        return GcpUnauthenticated(
            f"not authenticated to read {what} (HTTP 401): {ADC_HINT}", what=what, status_code=code
        )
    if code is not None and (code == 429 or code >= 500):
        return GcpUnavailable(
            f"{what} could not be read: HTTP {code} {_server_message(exc)}{after}",
            what=what,
            status_code=code,
        )
    if code is not None:
        return GcpError(
            f"reading {what} failed: HTTP {code} {_server_message(exc)}",
            what=what,
            status_code=code,
        )
    if isinstance(exc, TimeoutError) or any("Timeout" in n.rsplit(".", 1)[-1] for n in names):
        return GcpUnavailable(f"{what} could not be read: timed out{after}", what=what)
    return GcpUnavailable(
        f"{what} could not be read: {type(exc).__name__}: {_server_message(exc)}{after}", what=what
    )
