"""Removing simulators and work directories that dead launchers left behind."""

from __future__ import annotations

import logging

from . import launched

log = logging.getLogger(__name__)


def reap(*, with_containers: bool = True) -> list[str]:
    """Remove stale simulators and temporary folders; return a line per removed one.

    Containers are looked at only when ``with_containers`` is true and an engine answers.
    """
    removed = []
    for item in launched.find(with_containers=with_containers):
        if item.stale:
            what = f"stale {item.backend} {item.kind} {item.ident} (owner {item.owner})"
            log.warning("removing %s", what)
            item.remove()
            removed.append(what)
    return removed
