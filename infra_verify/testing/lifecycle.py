"""A mixin for local servers: ``with Server() as s:`` starts it and always stops it."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class StartStop:
    """Context-manager protocol on top of ``start() -> Self`` and ``stop()``."""

    def start(self) -> Self:
        """Start serving; subclasses implement it."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop serving and release resources; subclasses implement it."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        """Start."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop."""
        self.stop()
