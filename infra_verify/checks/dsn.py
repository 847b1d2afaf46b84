"""DSN parsing that tolerates SQLAlchemy-style URLs (``postgresql+asyncpg://…``)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit


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

    def libpq(self, *, host: str, port: int) -> str:
        """A libpq URL for psycopg (the driver suffix dropped)."""
        from urllib.parse import quote

        auth = ""
        if self.user:
            auth = quote(self.user, safe="")
            if self.password is not None:
                auth += ":" + quote(self.password, safe="")
            auth += "@"
        netloc = f"[{host}]" if ":" in host else host
        return f"postgresql://{auth}{netloc}:{port}/{self.database or ''}" + (
            f"?{self.query}" if self.query else ""
        )


def parse_dsn(raw: str) -> Dsn:
    """Parse ``scheme[+driver]://user:pw@host:port/db?query``; the scheme drops the driver."""
    parts = urlsplit(raw.strip())
    scheme = parts.scheme.split("+", 1)[0]
    try:
        port = parts.port
    except ValueError:
        port = None
    return Dsn(
        scheme=scheme,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        host=parts.hostname,
        port=port,
        database=parts.path.lstrip("/") or None,
        query=parts.query,
    )
