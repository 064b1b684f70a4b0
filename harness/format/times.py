"""Timestamps and durations as scenario files write them: one grammar for
every duration, sequential or contention."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

# 1d2h3m4s500ms, any part left out (but not all); "m" is minutes unless "ms".
_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?")
_UNITS = (timedelta(days=1), timedelta(hours=1), timedelta(minutes=1), timedelta(seconds=1),
          timedelta(milliseconds=1))
SECOND, MILLISECOND = _UNITS[3], _UNITS[4]
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def parse_timestamp(text: str) -> datetime:
    """``2026-03-01T12:00:00Z`` -> aware UTC datetime; ValueError if impossible."""
    return datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=UTC)


def format_timestamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def parse_duration(value: int | str, unit: timedelta = SECOND) -> timedelta:
    """A number of ``unit`` (seconds unless said), or ``1d2h3m4s500ms``."""
    if isinstance(value, int):
        return value * unit
    match = _DURATION.fullmatch(value)
    if not value or not match:
        raise ValueError(f"{value!r} is not a duration like 90, '90s', '10m', '25h', '1d2h', "
                         "'250ms'")
    return sum((int(g or 0) * u for g, u in zip(match.groups(), _UNITS, strict=True)),
               timedelta(0))


def milliseconds(value: int | str) -> int:
    """A duration whose bare numbers count milliseconds, in milliseconds."""
    return parse_duration(value, MILLISECOND) // MILLISECOND


def format_duration(delta: timedelta) -> str:
    """The inverse of ``parse_duration`` for display: ``1d1h``, ``61s``, ``0s``."""
    rest = delta // MILLISECOND
    sign, rest = ("-", -rest) if rest < 0 else ("", rest)
    parts = []
    for name, unit in zip(("d", "h", "m", "s", "ms"), _UNITS, strict=True):
        count, rest = divmod(rest, unit // MILLISECOND)
        if count:
            parts.append(f"{count}{name}")
    return sign + ("".join(parts) or "0s")
