"""The harness's notion of a mark: ``ts-YYYY-MM-DD-HH-MM-SS`` in UTC.

Independent of refimpl's (``refimpl/naming.py``) on purpose: the harness
judges implementations by its own reading of the datastore.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime

PREFIX = "ts-"
FORMAT = PREFIX + "%Y-%m-%d-%H-%M-%S"
# Zero-padded fields only: strptime alone would also accept ts-2026-3-1-12-0-0.
_WELL_FORMED = re.compile(re.escape(PREFIX) + r"\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}")


@functools.lru_cache(maxsize=4096)  # a search reads the same names after every step
def mark_time(name: str) -> datetime | None:
    """The time of a well-formed mark folder name, else None."""
    if not _WELL_FORMED.fullmatch(name):
        return None
    try:
        return datetime.strptime(name, FORMAT).replace(tzinfo=UTC)
    except ValueError:  # e.g. month 13
        return None


def mark_name(when: datetime) -> str:
    """The mark folder of ``when`` (an aware time; named in UTC)."""
    return when.astimezone(UTC).strftime(FORMAT)


def left_claim(mark: str) -> str:
    """A claim of ``mark`` in refimpl's naming (``deleting-<mark>-<token>``,
    refimpl/README.md, "Claims"), left by a pass that died between its rename
    and its delete. Other implementations see a folder they do not know."""
    return f"deleting-{mark}-00000000"


def looks_like_mark(name: str) -> bool:
    """Whether a folder name claims to be a mark, well-formed or not."""
    return name.startswith(PREFIX)
