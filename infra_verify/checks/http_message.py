"""The http check's own message types: headers, a response, and the errors of one exchange.

The names of the errors are the ones httpx gave them (the check's messages name the type of a
read error, e.g. ``ReadError``), so the reports read as before.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Protocol


class HttpError(Exception):
    """An HTTP exchange that could not complete."""


class ConnectError(HttpError):
    """The connection (TCP or TLS) could not be made."""


class ReadError(HttpError):
    """The connection failed while the request was sent or the response read."""


class RemoteProtocolError(HttpError):
    """The server broke the HTTP protocol (or redirected somewhere the check cannot follow)."""


class InvalidUrl(HttpError):
    """A URL (the policy's, or a redirect's Location) that is not a valid URL."""


class Headers:
    """Header fields in order: a case-insensitive multi-map over the raw (name, value) bytes."""

    __slots__ = ("_encoding", "raw")

    def __init__(self, raw: Iterable[tuple[bytes, bytes]]) -> None:
        self.raw = list(raw)
        self._encoding: str | None = None

    @property
    def encoding(self) -> str:
        """ASCII when every field is, else UTF-8 when every field decodes, else ISO-8859-1."""
        if self._encoding is None:
            self._encoding = "iso-8859-1"
            for encoding in ("ascii", "utf-8"):
                try:
                    for key, value in self.raw:
                        key.decode(encoding)
                        value.decode(encoding)
                except UnicodeDecodeError:
                    continue
                self._encoding = encoding
                break
        return self._encoding

    def get_list(self, name: str, *, split_commas: bool = False) -> list[str]:
        """Every value of ``name`` (any case), in order; with ``split_commas``, split on commas."""
        wanted = name.lower().encode("ascii")
        values = [v.decode(self.encoding) for k, v in self.raw if k.lower() == wanted]
        if not split_commas:
            return values
        return [item.strip() for value in values for item in value.split(",")]

    def get(self, name: str) -> str | None:
        """The values of ``name`` joined by ", "; None when absent."""
        values = self.get_list(name)
        return ", ".join(values) if values else None

    def __contains__(self, name: object) -> bool:
        wanted = str(name).lower().encode("ascii", "replace")
        return any(k.lower() == wanted for k, _ in self.raw)


class BodyStream(Protocol):
    """A response body as it arrives from the wire; closing it closes the connection."""

    def __aiter__(self) -> AsyncIterator[bytes]:
        """The body's chunks (as read, not decoded)."""
        ...

    async def aclose(self) -> None:
        """Release the connection."""
        ...


@dataclass
class Response:
    """One response: status line, headers, and the body still on the wire."""

    status: int
    reason: str
    headers: Headers
    http_version: str
    url: str
    """The URL requested (the name, not the dialled address)."""
    stream: BodyStream
    history: tuple[str, ...] = ()
    """The URLs requested before this one (the redirect hops followed to it)."""

    async def aclose(self) -> None:
        """Close the body (and its connection) without reading the rest."""
        await self.stream.aclose()
