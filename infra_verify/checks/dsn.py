"""DSN parsing that tolerates SQLAlchemy-style URLs (``postgresql+asyncpg://…``).

libpq dials ``hostaddr`` when it is given (``host`` then only names the server for TLS and
the password file), and a ``host``/``hostaddr``/``port`` query parameter overrides the URL's
own. :func:`parse_dsn` applies those rules, so :attr:`Dsn.host` and :attr:`Dsn.hostaddr` are
what libpq would use, and :meth:`Dsn.libpq` rebuilds a URL that dials exactly the address the
caller checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

_KV_HOSTADDR = re.compile(r"(?:^|\s)hostaddr\s*=\s*'?([^\s']+)")
_DIAL_KEYS = frozenset({"host", "hostaddr", "port"})


@dataclass(frozen=True)
class Dsn:
    """The parts of a database URL; ``password`` must never be printed."""

    scheme: str
    user: str | None
    password: str | None
    host: str | None
    port: int | None
    database: str | None
    query: str
    hostaddr: str | None = None
    """The IP libpq dials instead of resolving ``host`` (the ``hostaddr`` parameter)."""

    def libpq(self, *, host: str, port: int, hostaddr: str | None = None) -> str:
        """A libpq URL for psycopg (the driver suffix dropped) that dials ``host:port``, or
        ``hostaddr:port`` with ``host`` as the server's name; the DSN's own host, hostaddr
        and port parameters are dropped so nothing else can be dialled."""
        from urllib.parse import quote

        auth = ""
        if self.user:
            auth = quote(self.user, safe="")
            if self.password is not None:
                auth += ":" + quote(self.password, safe="")
            auth += "@"
        params = [(k, v) for k, v in parse_qsl(self.query, keep_blank_values=True)]
        params = [(k, v) for k, v in params if k not in _DIAL_KEYS]
        if host.startswith("/"):  # a Unix socket directory travels as a parameter
            netloc = ""
            params += [("host", host), ("port", str(port))]
        else:
            netloc = (f"[{host}]" if ":" in host else host) + f":{port}"
        if hostaddr:
            params.append(("hostaddr", hostaddr))
        query = urlencode(params)
        return f"postgresql://{auth}{netloc}/{self.database or ''}" + (f"?{query}" if query else "")


def parse_dsn(raw: str) -> Dsn:
    """Parse ``scheme[+driver]://user:pw@host:port/db?query``; the scheme drops the driver."""
    parts = urlsplit(raw.strip())
    scheme = parts.scheme.split("+", 1)[0]
    try:
        port = parts.port
    except ValueError:
        port = None
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    if params.get("port", "").isdigit():
        port = int(params["port"])
    return Dsn(
        scheme=scheme,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        host=params.get("host") or parts.hostname,
        port=port,
        database=parts.path.lstrip("/") or None,
        query=parts.query,
        hostaddr=params.get("hostaddr") or None,
    )


def hostaddrs_in(value: str) -> list[str]:
    """The ``hostaddr`` values of a libpq URL or key/value string: the IPs libpq dials."""
    value = value.strip()
    if "://" in value:
        found = [v for k, v in parse_qsl(urlsplit(value).query) if k == "hostaddr"]
    else:
        match = _KV_HOSTADDR.search(value)
        found = [match.group(1)] if match else []
    return [a for v in found for a in v.split(",") if a]
