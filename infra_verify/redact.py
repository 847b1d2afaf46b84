"""Secret redaction: known secret values plus patterns (URL passwords, bearer tokens, DSN keys)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

MASK = "***"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # scheme://user:password@host -> scheme://user:***@host
    (
        re.compile(r"(?P<pre>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/?#@\s]*:)[^@/\s]+(?P<post>@)"),
        r"\g<pre>***\g<post>",
    ),
    # Authorization: Bearer xxx / Basic xxx
    (
        re.compile(
            r"(?i)\b(bearer|basic)\s+(?=[A-Za-z0-9._~+/=-]*[0-9._=+/-])[A-Za-z0-9._~+/=-]{8,}"
        ),
        r"\1 ***",
    ),
    # password=xxx / pwd: xxx / token=xxx / secret=xxx in DSNs, query strings and headers
    (
        re.compile(
            r"(?i)\b(password|passwd|pwd|token|access_token|secret|api[_-]?key|sslpassword)"
            r"(\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s&;,'\"]+)"
        ),
        r"\1\2***",
    ),
    # Google OAuth access tokens
    (re.compile(r"\bya29\.[A-Za-z0-9._-]+"), "ya29.***"),
)


class Redactor:
    """Removes secrets from text: values registered at run time plus well-known patterns."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        for s in secrets:
            self.add(s)

    def add(self, secret: str | None) -> None:
        """Register a secret value; values shorter than 4 characters are too ambiguous to mask."""
        if secret and len(secret) >= 4:
            with self._lock:
                self._secrets.add(secret)

    def __call__(self, text: str) -> str:
        """Return ``text`` with every known secret and secret-looking pattern masked."""
        if not text:
            return text
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        for pattern, repl in _PATTERNS:
            text = pattern.sub(repl, text)
        return text

    def optional(self, text: str | None) -> str | None:
        """Redact ``text`` unless it is None."""
        return None if text is None else self(text)


def redact_data(value: Any, redactor: Redactor) -> Any:
    """Redact every string (keys included) in nested JSON-ready data, before any encoding."""
    if isinstance(value, str):
        return redactor(value)
    if isinstance(value, dict):
        return {redactor(k): redact_data(v, redactor) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_data(v, redactor) for v in value]
    return value


def redact(text: str) -> str:
    """Mask secret-looking patterns in ``text`` (no registered values)."""
    return _DEFAULT(text)


_DEFAULT = Redactor()
