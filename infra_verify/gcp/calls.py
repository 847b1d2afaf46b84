"""Run one GCP client call inside a hard time budget, retrying transient errors with tenacity.

The generated google-cloud clients retry a 503 for minutes by default, so every read goes
through :func:`call`: the client is called with ``retry=None`` (ours replaces it) and with the
time left as ``timeout=``; 408/429/5xx and connection failures are retried until the budget is
spent, a 403 is retried once (IAM grants take a moment to propagate), and whatever is left is
mapped to a :class:`~infra_verify.gcp.errors.GcpError` chained ``from`` the original.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from infra_verify.gcp.errors import (
    GcpUnavailable,
    error_info,
    is_transient,
    map_error,
    status_code_of,
)

__all__ = ["MIN_ATTEMPT_TIMEOUT", "call", "call_with"]

T = TypeVar("T")
C = TypeVar("C")

MIN_ATTEMPT_TIMEOUT = 0.05
"""The smallest per-attempt timeout handed to a client call, in seconds."""

_FORBIDDEN_ATTEMPTS = 2
_FINAL_REASONS = frozenset({"ACCESS_TOKEN_SCOPE_INSUFFICIENT", "CONSUMER_INVALID"})
"""403 reasons no retry can change (the token's scopes, a wrong project): answered at once."""


class _OutOfTime(Exception):
    """The budget ran out before another attempt could start."""


def call(
    fn: Callable[[float], T],
    *,
    timeout: float,
    role: str,
    what: str,
    project: str | None = None,
) -> T:
    """Call ``fn(attempt_timeout)`` within ``timeout`` seconds; map failures to GcpError.

    ``fn`` must pass ``attempt_timeout`` on as the client's ``timeout=`` (and ``retry=None``).
    ``role`` is the read-only IAM role a 403 asks for; ``what`` names the resource in messages;
    ``project`` is the project read (named when the API is disabled or the project is wrong).
    """
    start = time.monotonic()
    deadline = start + timeout
    forbidden = 0
    last: list[BaseException] = []

    def should_retry(exc: BaseException) -> bool:
        nonlocal forbidden
        if isinstance(exc, _OutOfTime):
            return False
        last.append(exc)
        if status_code_of(exc) == 403:
            info = error_info(exc)
            if info is not None and info.reason in _FINAL_REASONS:
                return False
            forbidden += 1
            return forbidden < _FORBIDDEN_ATTEMPTS
        return is_transient(exc)

    def attempt() -> T:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _OutOfTime
        return fn(max(remaining, MIN_ATTEMPT_TIMEOUT))

    import tenacity  # only a run that reads Google Cloud needs it

    retrying = tenacity.Retrying(
        stop=tenacity.stop_before_delay(timeout),
        wait=tenacity.wait_exponential(multiplier=0.1, max=2.0) + tenacity.wait_random(0, 0.1),
        retry=tenacity.retry_if_exception(should_retry),
        reraise=True,
    )
    try:
        return retrying(attempt)
    except _OutOfTime as exc:
        if not last:
            raise GcpUnavailable(
                f"{what} could not be read: its time budget was spent before the request was sent",
                what=what,
            ) from exc
        cause = last[-1]
        elapsed = time.monotonic() - start
        raise map_error(cause, role=role, what=what, elapsed=elapsed, project=project) from cause
    except Exception as exc:
        elapsed = time.monotonic() - start
        raise map_error(exc, role=role, what=what, elapsed=elapsed, project=project) from exc


def call_with(
    build: Callable[[], C],
    request: Callable[[C, float], T],
    *,
    timeout: float,
    role: str,
    what: str,
    project: str | None = None,
) -> T:
    """Build the client (its first use may import a library), then ``call`` it in the time left.

    Both steps share one ``timeout`` budget, so slow construction cannot stretch the deadline,
    and construction errors (e.g. no Application Default Credentials) are mapped too.
    """
    deadline = time.monotonic() + timeout
    client = call(lambda _: build(), timeout=timeout, role=role, what=what, project=project)
    remaining = max(deadline - time.monotonic(), 0.0)
    return call(
        lambda left: request(client, left),
        timeout=remaining,
        role=role,
        what=what,
        project=project,
    )
