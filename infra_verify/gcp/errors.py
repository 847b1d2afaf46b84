"""GCP errors, mapped at the boundary from google-api-core, google-auth and requests.

    ProbeError (infra_verify.errors)
     └── GcpError
    ├── GcpNotFound            HTTP 404: the resource does not exist
    ├── GcpPermissionDenied    HTTP 403: the caller lacks a read-only role (named in the message)
    ├── GcpUnauthenticated     HTTP 401, or no Application Default Credentials
    ├── GcpUnavailable         timeouts, refused connections, 5xx and 429 after retries
    └── GcpBadResponse         a reply that is not the JSON the API promises

``map_error`` never imports google.* itself: it recognises exceptions by their class names and
module, so importing this module stays cheap.
"""

from __future__ import annotations

import json

from infra_verify.errors import ProbeError

__all__ = [
    "GcpBadResponse",
    "GcpError",
    "GcpNotFound",
    "GcpPermissionDenied",
    "GcpUnauthenticated",
    "GcpUnavailable",
    "is_transient",
    "map_error",
    "status_code_of",
]

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


def _server_message(exc: BaseException) -> str:
    message = getattr(exc, "message", None)
    text = message if isinstance(message, str) and message else str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def map_error(
    exc: BaseException, *, role: str, what: str, elapsed: float | None = None
) -> GcpError:
    """Translate a google/requests exception raised while reading ``what`` into a GcpError."""
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
    if code == 404:
        return GcpNotFound(f"{what} was not found (HTTP 404)", what=what, status_code=code)
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
