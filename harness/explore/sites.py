"""Call sites: the calls of a fault-free run as a fault rule can single
them out, and the order a sweep tries them in (pure functions over the
simulator's trace).

A call site is one SOAP call the implementation made (the harness's own
sessions are exempt and do not count): its method, its datastore path
relative to the run folder, and which of the calls matching both it was.
Calls made while waiting for a task (``RetrievePropertiesEx``,
``WaitForUpdatesEx``) are call sites like any other.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sim import Call
from sim.faults import FAULTS, RUNS_ANYWAY

from ..scenario.model import Scenario

DELAY_MS = 300  # what delay and delay_after add: past a poll interval, short of a timeout


@dataclass(frozen=True)
class Site:
    """One call of the fault-free run, as a fault rule can single it out."""

    method: str
    path: str  # relative to the run folder; "" for a call without one
    occurrence: int  # of the calls the rule matches (this method, and this path if any)
    # What kind of call it is, for the order of a sweep (not for the rule):
    # see call_sites.
    kind: str = field(default="", compare=False)

    def rule(self, fault: str) -> dict[str, Any]:
        return {"fault": fault, "method": self.method,
                **({"path": self.path} if self.path else {}),
                "skip": self.occurrence, "count": 1,
                **({"delay_ms": DELAY_MS} if fault.startswith("delay") else {})}

    def hit(self, bases: Iterable[tuple[str, str]]) -> tuple[str, str | None] | None:
        return about(self.path, bases)

    def __str__(self) -> str:
        return f"{self.method} {self.path or '(no path)'} #{self.occurrence + 1}"

    @classmethod
    def parse(cls, text: str) -> Site:
        """The inverse of ``str``, for a replay line."""
        method, rest = text.split(" ", 1)
        path, number = rest.rsplit(" #", 1)
        return cls(method, "" if path == "(no path)" else path, int(number) - 1)


def about(path: str, bases: Iterable[tuple[str, str]]) -> tuple[str, str | None] | None:
    """(datastore, image) a path (relative to the run folder) is about,
    (datastore, None) for a base folder itself, None when it names neither
    (a task's poll, a login). ``bases``: (datastore, base folder) pairs."""
    head, sep, rest = path.partition("] ")
    if not sep:
        return None
    datastore = head.removeprefix("[")
    for ds, base in bases:
        if ds == datastore and (rest == base or rest.startswith(base + "/")):
            inside = rest[len(base):].strip("/")
            return datastore, inside.split("/")[0] if inside else None
    return None


class Injection(NamedTuple):
    """A fault a rule injected: its kind, the call, and what the call was about."""

    kind: str
    method: str
    image: str  # "" for a call about no image (a base folder's listing, a task's poll)
    entry: bool  # at an entry of the image folder (a mark, a claim), not the folder


def injected(calls: Iterable[Call], root: str, bases: Iterable[tuple[str, str]]
             ) -> frozenset[Injection]:
    """Every fault a rule injected in ``calls`` (``root``: the run folder;
    ``bases``: (datastore, base folder) pairs)."""
    bases = list(bases)
    found = set()
    for call in calls:
        if call.injected and not call.exempt:
            path = unscoped(call.path, root)
            hit = about(path, bases)
            image = (hit[1] or "") if hit else ""
            entry = bool(image) and not path.rstrip("/").endswith(f"/{image}")
            found.add(Injection(call.injected, call.method, image, entry))
    return frozenset(found)


def call_sites(calls: Iterable[Call], root: str, bases: Iterable[str] = ()) -> list[Site]:
    """The implementation's calls, in order, as sites (``root``: the run
    folder). A call on an entry of an image folder below one of ``bases`` (a
    mark, a claim, a file) is named by a glob over that image's entries: mark
    names follow the run's clock and claim names are the implementation's
    own, often random, while the k-th such call is the same call in every run.

    Each site also gets a kind: which session made it (numbered as they
    appear), the method, and the shape of its path with the datastore and
    the image left out; a call without a path is of the kind of the call its
    session made before it, which for a task's poll is the task."""
    sites, seen = [], []
    bases = tuple(bases)
    sessions: dict[str, int] = {}
    last: dict[str, str] = {}  # session -> the shape of its last call with a path
    for call in calls:
        if call.exempt:
            continue
        path = entries_glob(unscoped(call.path, root), bases)
        occurrence = sum(1 for m, p in seen if m == call.method and (not path or p == path))
        number = sessions.setdefault(call.session, len(sessions))
        if path:
            last[call.session] = f"{call.method} {path_shape(path)}"
        where = path_shape(path) if path else f"after {last.get(call.session, 'nothing')}"
        sites.append(Site(call.method, path, occurrence, f"{number}: {call.method} {where}"))
        seen.append((call.method, path))
    return sites


def path_shape(path: str) -> str:
    """``[ds] a/b/*`` as ``[] ?/?/*``: how deep, not which datastore or image."""
    _head, sep, rest = path.partition("] ")
    if not sep:
        return path
    return "[] " + "/".join(part if part == "*" else "?" for part in rest.split("/"))


def unscoped(path: str, root: str) -> str:
    """``[ds] <root>/rest`` as the scenario writes it: ``[ds] rest``."""
    head, sep, rest = path.partition("] ")
    if not sep:
        return path
    return f"{head}] {rest.removeprefix(root + '/')}"


def entries_glob(path: str, bases: tuple[str, ...]) -> str:
    """``[ds] base/image/entry`` as ``[ds] base/image/*``; other paths as they are."""
    head, sep, rest = path.partition("] ")
    for base in bases:
        image, _, entry = rest.removeprefix(base + "/").partition("/")
        if sep and rest.startswith(base + "/") and entry:
            return f"{head}] {base}/{image}/*"
    return path


def pairs_in_order(sites: list[Site], shuffle: random.Random | None = None,
                   kinds: tuple[str, ...] = FAULTS) -> list[tuple[Site, str]]:
    """Every site with every fault kind, the first call of each kind first
    (``Site.kind``; a site without one is of the kind of its method and path):
    a budget that stops early has covered each kind of call once, a task's
    poll after each kind of task among them. ``shuffle``: in a random order
    within each of the two parts."""
    def kind(site: Site) -> str:
        return site.kind or f"{site.method} {site.path}"

    first = {kind(site): site for site in reversed(sites)}
    parts: tuple[list[tuple[Site, str]], list[tuple[Site, str]]] = ([], [])
    for site in sites:
        parts[first[kind(site)] is not site].extend((site, f) for f in kinds)
    if shuffle is not None:
        for part in parts:
            shuffle.shuffle(part)
    return parts[0] + parts[1]


def orders(calls: Iterable[Call], root: str, bases: Iterable[tuple[str, str]]
           ) -> frozenset[tuple[str, str]]:
    """The orders in which two actors' calls on one image met: for each call
    of an actor on an image, (the kind of the call before it on that image,
    if another actor made it; its own kind). A kind is the actor's role,
    the method and whether the call was on the image folder or an entry of
    it: ``ager MakeDirectory entry``. Calls that name no actor (outside a
    seeded schedule) or no image count for nothing."""
    bases = list(bases)
    last: dict[tuple[str, str], tuple[str, str]] = {}  # (datastore, image) -> (actor, kind)
    found = set()
    for call in calls:
        if call.exempt or not call.actor:
            continue
        path = unscoped(call.path, root)
        hit = about(path, bases)
        if hit is None or hit[1] is None:
            continue
        datastore, image = hit
        where = "folder" if path.rstrip("/").endswith(f"/{image}") else "entry"
        kind = f"{call.actor.split('-')[0]} {call.method} {where}"
        before = last.get((datastore, image))
        if before is not None and before[0] != call.actor:
            found.add((before[1], kind))
        last[(datastore, image)] = (call.actor, kind)
    return frozenset(found)


_CHANGES = frozenset({"MakeDirectory", "DeleteDatastoreFile_Task", "MoveDatastoreFile_Task"})


def refused_changes(calls: Iterable[Call], bases: Iterable[str]) -> frozenset[str]:
    """The images a change to whose entries (a mark, a claim) a fault refused."""
    images = set()
    for call in calls:
        if call.method in _CHANGES and call.injected and call.injected not in RUNS_ANYWAY:
            rest = "/" + call.path.partition("] ")[2]
            for base in bases:
                _, found, inside = rest.partition(f"/{base}/")
                image, _, entry = inside.partition("/")
                if found and entry:
                    images.add(image)
    return frozenset(images)


def base_folders(scenario: Scenario) -> list[tuple[str, str]]:
    """Every base folder the scenario's nodes and layout use, per datastore."""
    config = scenario.config
    folders = {config.base_folder_of(n) for n in config.nodes}
    folders |= {state.folder for state in scenario.cache.values() if state.folder}
    return sorted((ds, f) for ds in config.datastores for f in folders)
