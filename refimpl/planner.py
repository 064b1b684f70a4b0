"""Deciding what one aging pass does, as pure functions over a snapshot.

The pass is planned from one listing; each delete is then re-checked
under the image's lock against a fresh read of that image's folder
(``recheck_delete``), so a spawn that enlisted the image in between wins,
and of two passes that claimed two of its marks only one deletes it
(``claim_wins``).
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from datetime import datetime, timedelta

from .naming import claimed_mark
from .snapshot import CacheSnapshot, ImageFolder


@dataclass(frozen=True)
class Mark:
    """Mark an unused, unmarked image. The mark is named when it is made
    (the pass may wait for the image's lock meanwhile): a mark named at the
    pass's start would be older than what it says, and the next pass would
    take an image enlisted in between for long unused."""

    image_id: str


@dataclass(frozen=True)
class Delete:
    """Delete an unused image whose newest mark is older than the age."""

    image_id: str
    newest_mark: datetime


@dataclass(frozen=True)
class Clear:
    """Remove every ``ts-`` folder of an image that is in use."""

    image_id: str
    names: tuple[str, ...]


Action = Mark | Delete | Clear


@dataclass(frozen=True)
class Note:
    """Something the pass leaves alone, with the reason (logged, summarized)."""

    image_id: str
    reason: str


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...]
    notes: tuple[Note, ...]


def expired(mark: datetime, now: datetime, age_seconds: int) -> bool:
    """Strictly older than the age: a mark exactly ``age`` old is kept.
    A mark in the future (clock moved back) is never expired."""
    return now - mark > timedelta(seconds=age_seconds)


def plan_pass(snapshot: CacheSnapshot, used: Set[str], now: datetime,
              age_seconds: int) -> Plan:
    """What to mark, delete and clear on one datastore."""
    actions: list[Action] = []
    notes: list[Note] = []
    for image_id in sorted(snapshot.images):
        folder = snapshot.images[image_id]
        notes += [Note(image_id, f"malformed mark {name!r} ignored") for name in folder.malformed]
        if image_id in used:
            if folder.mark_like:
                actions.append(Clear(image_id, folder.mark_like))
            continue
        newest = folder.newest_mark
        if newest is None:
            actions.append(Mark(image_id))
        elif expired(newest, now, age_seconds):
            actions.append(Delete(image_id, newest))
    return Plan(tuple(actions), tuple(notes))


def recheck_delete(folder: ImageFolder | None, now: datetime, age_seconds: int) -> str | None:
    """None if the image may still be deleted after a fresh read under its
    lock; otherwise why not."""
    if folder is None:
        return "image folder already gone"
    newest = folder.newest_mark
    if newest is None:
        return "mark was cleared since the listing (image enlisted)"
    if not expired(newest, now, age_seconds):
        return f"newest mark {newest:%Y-%m-%d %H:%M:%S} is not older than the age any more"
    return None


def claim_wins(folder: ImageFolder | None, claim: str) -> str | None:
    """None if the pass holding ``claim`` may delete the image, judged on a
    fresh read of its folder taken after the claim was made; otherwise why not.

    Two passes that claimed two marks of one image must not both delete it:
    the later delete, by path, could remove the image fetched again in
    between. The second to claim read the folder after the first's rename,
    so it took an older mark; the claim of the newest mark wins. A claim of
    the same mark is one being given back, or left by a pass that died:
    neither deletes any more, so it does not stop this one."""
    if folder is None:
        return "image folder already gone (deleted by another pass)"
    if claim not in folder.claims:
        return f"its claim {claim} is gone (the folder is a new one)"
    ours = claimed_mark(claim)
    for other in folder.claims:
        when = claimed_mark(other)
        if ours is not None and when is not None and when > ours:
            return f"another pass claimed a newer mark ({other}) and deletes it"
    return None
