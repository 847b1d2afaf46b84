"""Secret redaction: known secret values (and their encodings) plus patterns.

Two rules decide what a secret is, for every caller (the policy loader, ``--show-policy``, the
``environment`` check, the reporters):

- a *key* is secret when its name contains ``secret``, ``password``, ``passwd``, ``token``,
  ``key`` or ``credential`` (any case, anywhere in the name: ``aws_secret_access_key``,
  ``X-Api-Key``, ``DB_PASSWORD``), or is one of the credential-carrying names (``pwd``, ``dsn``,
  ``authorization``, ``cookie``, ...): :func:`is_secret_key`;
- a registered *value* is masked as written and in every encoding a server or a library may
  echo it in: percent-encoded (as in a URL or DSN, upper- or lower-case hex, ``+`` for space),
  and base64 / base64url, padded or not, at any byte alignment: :meth:`Redactor.add`.

What is *not* a secret: a check's id or the environment's name (``token-endpoint`` names a
check, it is no key), and values too short or too common to mask without garbling the report
(under 4 characters, ``true``/``false``/``none``/``null``...). A Redactor given those
*public* names never registers them as secrets and never masks what follows them as a
``NAME: value`` pair; ``::`` (a GitHub workflow command's separator) is never such a pair.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus, unquote, urlsplit

MASK = "***"

SECRET_WORDS = ("secret", "password", "passwd", "token", "key", "credential")
"""A key whose name contains one of these (any case) holds a secret."""

SECRET_NAMES = frozenset(
    {"pwd", "dsn", "authorization", "proxy-authorization", "cookie", "set-cookie"}
)
"""Whole key names that hold secrets without containing one of :data:`SECRET_WORDS`."""

_WORDS = "|".join(SECRET_WORDS)

COMMON_VALUES = frozenset(
    {"true", "false", "yes", "no", "on", "off", "none", "null", "nil", "default", "enabled"}
    | {"disabled", "http", "https", "localhost"}
)
"""Values never registered as secrets: masking them would garble every report."""

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
    # NAME=value / NAME: value where NAME is a secret key (password=, aws_secret_access_key = ,
    # X-Api-Key: , sslpassword=, pwd=, ...) in DSNs, query strings, headers and dotenv lines;
    # ``::`` is no separator (``::error title=token-endpoint::...`` is a GitHub command)
    (
        re.compile(
            rf"(?i)(?<![A-Za-z0-9_.-])(?P<name>[A-Za-z0-9_.-]*(?:{_WORDS})[A-Za-z0-9_.-]*|pwd|dsn)"
            r"(?P<sep>\s*(?:=|:(?!:))\s*)(?P<value>\"[^\"]*\"|'[^']*'|[^\s&;,'\"]+)"
        ),
        r"\g<name>\g<sep>***",
    ),
    # Google OAuth access tokens
    (re.compile(r"\bya29\.[A-Za-z0-9._-]+"), "ya29.***"),
)

_PAIR = _PATTERNS[2][0]
"""The NAME=value pattern: its replacement spares public names (:meth:`Redactor._mask_pair`)."""

_MIN_SECRET = 4  # shorter values are too ambiguous to mask
_MIN_FRAGMENT = 8  # an unaligned base64 fragment shorter than this could match by chance


def is_secret_key(key: Any) -> bool:
    """True for keys whose values are secrets: any name containing secret, password, token, key
    or credential (``aws_secret_access_key``, ``X-Api-Key``), and pwd, dsn, authorization, ..."""
    k = str(key).lower()
    return k in SECRET_NAMES or k.endswith("_dsn") or any(w in k for w in SECRET_WORDS)


def password_of(value: str) -> str | None:
    """The password in a URL/DSN (``scheme://user:PASSWORD@host``) or a libpq key/value string
    (``password=PASSWORD``), else None."""
    if "://" not in value:
        match = re.search(r"(?i)\bpassword\s*=\s*('[^']*'|[^\s']+)", value)
        return match.group(1).strip("'") if match else None
    try:
        password = urlsplit(value.strip()).password
    except ValueError:
        return None
    return unquote(password) if password else None


def encoded_forms(secret: str) -> set[str]:
    """``secret`` as written plus the encodings it may be echoed in: percent-encoded (URL, DSN,
    form; either hex case), and base64/base64url (padded or not) at each of the three byte
    alignments it can have inside a longer encoded value."""
    forms = {secret, unquote(secret)}
    for encoded in (quote(secret, safe=""), quote(secret), quote_plus(secret)):
        forms.add(encoded)
        forms.add(re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), encoded))
    raw = secret.encode("utf-8")
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\0" * shift + raw).decode("ascii")
            if shift == 0:
                forms.add(text)
                forms.add(text.rstrip("="))
            # the characters that depend on the secret's bytes alone
            start, end = -(-8 * shift // 6), (8 * shift + 8 * len(raw)) // 6
            if end - start >= _MIN_FRAGMENT:
                forms.add(text[start:end])
    return {f for f in forms if len(f) >= _MIN_SECRET}


class Redactor:
    """Removes secrets from text: values registered at run time plus well-known patterns."""

    def __init__(self, secrets: Iterable[str] = (), public: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._ordered: list[str] = []
        self._public = frozenset(p.lower() for p in public if p)
        for s in secrets:
            self.add(s)

    def add(self, secret: str | None) -> None:
        """Register a secret value and its encodings (see :func:`encoded_forms`); values shorter
        than 4 characters, common words (:data:`COMMON_VALUES`) and public names (check ids,
        the environment) are too ambiguous to mask."""
        if not secret or len(secret.strip()) < _MIN_SECRET:
            return
        if secret.strip().lower() in COMMON_VALUES | self._public:
            return
        forms = encoded_forms(secret)
        with self._lock:
            if forms <= self._secrets:
                return
            self._secrets |= forms
            self._ordered = sorted(self._secrets, key=len, reverse=True)

    def add_setting(self, name: str, value: str | None) -> None:
        """Register what is secret in a setting: the whole value of a secret-named variable
        (``API_TOKEN``), and the password in any URL/DSN value (``DATABASE_URL``)."""
        if not value:
            return
        if is_secret_key(name):
            self.add(value)
        self.add(password_of(value))

    def __call__(self, text: str) -> str:
        """Return ``text`` with every known secret and secret-looking pattern masked."""
        if not text:
            return text
        with self._lock:
            secrets = self._ordered
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        for pattern, repl in _PATTERNS:
            text = pattern.sub(self._mask_pair if pattern is _PAIR else repl, text)
        return text

    def _mask_pair(self, match: re.Match[str]) -> str:
        """``NAME=***`` for a secret-named pair; unchanged when NAME is a public name (a check
        id such as ``token-endpoint``), unless that name is itself a bare secret word."""
        name = match["name"].lower()
        if name in self._public and name not in SECRET_NAMES and name not in SECRET_WORDS:
            return match[0]
        return f"{match['name']}{match['sep']}{MASK}"

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
