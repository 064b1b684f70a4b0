"""The process time zones implementations run under in sweeps and searches:
marks are UTC whatever the host's zone, and only a run in another zone shows
an implementation that reads or names them in local time.

POSIX ``TZ`` strings, so that no time zone database is needed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

ZONES: dict[str, str] = {"UTC": "UTC0", "UTC+05:30": "IST-5:30", "UTC-08:00": "PST8"}


@contextmanager
def process_zone(tz: str | None) -> Iterator[None]:
    """This process's local time zone is ``tz`` meanwhile (None: as it is).
    The implementations started meanwhile inherit it; the harness itself
    works in UTC throughout, so it does not mind."""
    if tz is None:
        yield
        return
    before = os.environ.get("TZ")
    os.environ["TZ"] = tz
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


def replay_prefix(tz: str | None) -> str:
    """What a replay line starts with to run in the same zone."""
    return f"TZ={tz} " if tz else ""
