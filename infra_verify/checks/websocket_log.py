"""websockets' client log with a run's secrets masked; imported by a websocket probe, so that
listing a policy does not import :mod:`logging`."""

from __future__ import annotations

import logging

from infra_verify.context import CheckContext


class RedactingLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """websockets' client log with this run's secrets masked (at DEBUG it logs every header)."""

    def __init__(self, ctx: CheckContext) -> None:
        super().__init__(logging.getLogger("websockets.client"), {})
        self.redactor = ctx.redactor

    def log(self, level: int, msg: object, *args: object, **kwargs: object) -> None:
        """Format, redact, then log."""
        if self.isEnabledFor(level):
            text = str(msg) % args if args else str(msg)
            self.logger.log(level, self.redactor(text), **kwargs)
