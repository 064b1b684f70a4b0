"""What things are called on the datastore: base folder, image folders, marks,
claims.

The rules are Nova's (vmops ``_get_base_folder``, imagecache's timestamp
folders), parsed strictly: a mark is exactly ``ts-YYYY-MM-DD-HH-MM-SS``.
A claim (refimpl's own) is a mark renamed by the pass about to delete its
image: ``deleting-<mark>-<token>``; it does not start with ``ts-``, so
Nova's passes do not take it for a mark.
"""

from __future__ import annotations

import posixpath
import re
from datetime import UTC, datetime

from .errors import InvalidArgument

MARK_PREFIX = "ts-"
CLAIM_PREFIX = "deleting-"
MARK_FORMAT = "%Y-%m-%d-%H-%M-%S"
# Zero-padded fields only: strptime alone would also accept ts-2012-1-2-3-4-5.
_MARK = re.compile(r"ts-(\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})")


def base_folder(subdirectory_name: str = "_base", cache_prefix: str | None = None,
                my_ip: str | None = None, remove_unused_base_images: bool = True) -> str:
    """Nova's base folder name: ``cache_prefix + subdirectory_name`` if a
    prefix is set, else ``my_ip + subdirectory_name`` when unused images are
    removed, else ``subdirectory_name`` (no separator is added)."""
    if cache_prefix:
        name = cache_prefix + subdirectory_name
    elif remove_unused_base_images:
        if not my_ip:
            raise InvalidArgument("my_ip is required when remove_unused_base_images is set "
                                  "and no cache_prefix is given")
        name = my_ip + subdirectory_name
    else:
        name = subdirectory_name
    return validate_base_folder(name)


def validate_base_folder(name: str) -> str:
    parts = name.split("/")
    if not name or name.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise InvalidArgument(f"base folder {name!r} must be a relative path without '..'")
    return posixpath.normpath(name)


def validate_image_id(image_id: object) -> str:
    """An image id usable as one folder name on a datastore."""
    if not isinstance(image_id, str) or not image_id:
        raise InvalidArgument(f"image id must be a non-empty string, got {image_id!r}")
    if "/" in image_id or "\\" in image_id or ".." in image_id:
        raise InvalidArgument(f"image id {image_id!r} must not contain '/', '\\\\' or '..'")
    if any(ord(c) < 32 or ord(c) == 127 for c in image_id):
        raise InvalidArgument(f"image id {image_id!r} contains a control character")
    return image_id


def mark_name(when: datetime) -> str:
    """``ts-YYYY-MM-DD-HH-MM-SS`` of ``when`` in UTC (naive means UTC)."""
    return MARK_PREFIX + as_utc(when).strftime(MARK_FORMAT)


def is_mark_like(name: str) -> bool:
    """Whether a folder name claims to be a mark (well-formed or not)."""
    return name.startswith(MARK_PREFIX)


def claim_name(mark: str, token: str) -> str:
    """The claim of ``mark`` by one pass (``token`` makes it that pass's)."""
    return f"{CLAIM_PREFIX}{mark}-{token}"


def is_claim(name: str) -> bool:
    return name.startswith(CLAIM_PREFIX)


def claimed_mark(name: str) -> datetime | None:
    """The time of the mark a claim was made of; None if it names none."""
    mark, _, _token = name.removeprefix(CLAIM_PREFIX).rpartition("-")
    return parse_mark(mark) if is_claim(name) else None


def parse_mark(name: str) -> datetime | None:
    """The UTC time of a well-formed mark, None for anything else."""
    match = _MARK.fullmatch(name)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), MARK_FORMAT).replace(tzinfo=UTC)
    except ValueError:  # e.g. month 13
        return None


def as_utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
