"""The time zones an implementation runs in. Marks are UTC whatever the
host's zone, and only a run in another zone shows an implementation that
reads or names them in local time.

A zone is named as users read it (``UTC-08:00``) and reaches the
implementation as a POSIX ``TZ`` value (``PST8``), so that no time zone
database is needed: a ``cmd:`` peer gets it in its environment, an
in-process implementation has it set around each of its calls.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from .base import Implementation, Instance, Node, NodeSetup

ZONES: dict[str, str] = {"UTC": "UTC0", "UTC+05:30": "IST-5:30", "UTC-08:00": "PST8"}


class UnknownZone(ValueError):
    pass


def tz(zone: str) -> str:
    """The ``TZ`` value of a zone's name."""
    try:
        return ZONES[zone]
    except KeyError:
        raise UnknownZone(f"unknown zone {zone!r}: one of {', '.join(ZONES)}") from None


def zone_of(name: str) -> str:
    """The zone a scenario of this name runs in by default: the same every
    time, and a corpus covers all three."""
    digest = hashlib.sha256(name.encode()).digest()
    return list(ZONES)[digest[0] % len(ZONES)]


@contextmanager
def process_zone(zone: str | None) -> Iterator[None]:
    """This process's local zone is ``zone`` meanwhile (None: as it is). For
    in-process implementations only: the harness itself works in UTC
    throughout and does not mind."""
    if zone is None:
        yield
        return
    before = os.environ.get("TZ")
    os.environ["TZ"] = tz(zone)
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


class ZonedNode:
    """An in-process node whose every call runs in its zone."""

    def __init__(self, node: Node, zone: str) -> None:
        self._node, self._zone = node, zone

    def enlist(self, datastore: str, image_id: str) -> None:
        with process_zone(self._zone):
            self._node.enlist(datastore, image_id)

    def age(self, instances: Sequence[Instance], datastores: Sequence[str]) -> str | None:
        with process_zone(self._zone):
            return self._node.age(instances, datastores)

    def cache_folder(self, datastore: str, image_id: str) -> str:
        with process_zone(self._zone):
            return self._node.cache_folder(datastore, image_id)

    def close(self) -> None:
        self._node.close()


def open_node(impl: Implementation, setup: NodeSetup) -> Node:
    """``impl``'s node for ``setup``, in ``setup.zone``: a process of its own
    takes the zone from its environment (``Implementation.zoned``), one in
    this process gets it set around each call."""
    if setup.zone is None or getattr(impl, "zoned", False):
        return impl.open_node(setup)
    with process_zone(setup.zone):
        return ZonedNode(impl.open_node(setup), setup.zone)
