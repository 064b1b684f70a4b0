"""Timestamps and durations as scenario files write them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def parse_timestamp(text: str) -> datetime:
    """``2026-03-01T12:00:00Z`` -> aware UTC datetime; ValueError if impossible."""
    return datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=UTC)


def format_timestamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def parse_duration(value: int | str) -> timedelta:
    """Seconds, or ``1d2h3m4s`` (any part may be left out)."""
    if isinstance(value, int):
        return timedelta(seconds=value)
    match = _DURATION.fullmatch(value)
    if not value or not match:
        raise ValueError(f"{value!r} is not a duration like 90, '90s', '10m', '25h', '1d2h'")
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """The inverse of ``parse_duration`` for display: ``1d1h``, ``61s``, ``0s``."""
    seconds = int(delta.total_seconds())
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return sign + ("".join(parts) or "0s")
