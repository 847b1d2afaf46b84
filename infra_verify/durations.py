"""Durations written the way people write them: ``10s``, ``1m30s``, ``500ms``, ``2h``."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: object) -> float:
    """Parse ``10s``, ``1m30s``, ``500ms``, a number of seconds or a timedelta into seconds."""
    if isinstance(value, timedelta):
        return _check(value.total_seconds())
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 10s, 2m or 1h30m")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        try:
            return _check(float(text))
        except ValueError:
            pass
        pos, seconds = 0, 0.0
        for match in _PART.finditer(text):
            if match.start() != pos:
                break
            seconds += float(match.group(1)) * _UNITS[match.group(2)]
            pos = match.end()
        if pos != len(text) or not text:
            raise ValueError(f"{value!r} is not a duration; write e.g. 10s, 2m or 1h30m")
    else:
        raise ValueError("expected a duration such as 10s, 2m or 1h30m")
    return _check(seconds)


def _check(seconds: float) -> float:
    if seconds < 0 or seconds != seconds or seconds == float("inf"):
        raise ValueError("a duration must be a finite number of seconds, zero or more")
    return seconds


def format_duration(seconds: float) -> str:
    """Render seconds compactly: ``850ms``, ``12.3s``, ``4m05s``."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s"


Duration = Annotated[float, BeforeValidator(parse_duration)]
"""A pydantic field type accepting ``10s``-style durations, stored as seconds."""

DurationLike = str | float | timedelta
"""What code may pass for a duration: ``"1m30s"``, seconds (``90``), or a ``timedelta``."""
