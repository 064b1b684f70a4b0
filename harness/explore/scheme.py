"""The image cache scheme as an executable model: what an enlist, an aging
pass or a spawn's fetch does to the cache trees, as pure functions over a
snapshot of them (the way ``refimpl/planner.py`` decides a pass).

Two variants state the two behaviours the scenarios know: ``ORIGINAL`` (Nova's
module per the spec: any entry is an image, the first ``ts-`` entry decides,
``lstrip`` and ``strptime`` parse it, faults outside four delete faults end
the pass) and ``REFERENCE`` (refimpl's README: folders only, every mark
cleared, the newest valid mark decides, malformed marks ignored, a fault
skips one image or one datastore). ``NOVA`` is the original whose "first
entry" is arbitrary (set order): every choice is a possible outcome.

A variant also states its contract under faults (what may escape which
operation, whether a fault stays with the image it hit) and what it does
about hosts that share a cache (claims, or nothing: docs/spec.md, edge
case 16): the properties (``properties.py``) hold an implementation to
its variant, never to another's.

The model knows the faults whose effect both variants define: a delete of an
image folder, the making of a mark, the listing of a base folder or of an
image folder failing (``ModelFault``). Every operation returns the possible
outcomes (one, unless the variant's choice is arbitrary): the world after
it, and the error kind it raises, if any.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from ..vsphere.marks import PREFIX, mark_name, mark_time
from ..vsphere.tree import CacheTree, ImageTree

# Delete faults the original tolerates (oslo.vmware maps faults by exact class name).
ORIGINAL_TOLERATED_DELETE = frozenset({"CannotDeleteFile", "FileFault", "FileLocked"})
_ORIGINAL_TIME = "%Y-%m-%d-%H-%M-%S"
LOCK_FILE_PREFIX = "nova-vmware-ts"
NAME_MAX = 255  # bytes in a file name on Linux file systems


@dataclass(frozen=True)
class Image:
    """An image folder: its subfolders (marks, malformed marks, others) and files."""

    folders: frozenset[str] = frozenset()
    files: frozenset[str] = frozenset()

    def without(self, name: str) -> Image:
        return Image(self.folders - {name}, self.files - {name})


@dataclass(frozen=True)
class Base:
    """A base folder: image folders and stray files."""

    images: Mapping[str, Image] = field(default_factory=dict)
    files: frozenset[str] = frozenset()

    def with_image(self, image_id: str, image: Image | None) -> Base:
        images = dict(self.images)
        if image is None:
            images.pop(image_id, None)
        else:
            images[image_id] = image
        return Base(images, self.files)

    def tree(self) -> CacheTree:
        """As the harness's inspector reads it."""
        return CacheTree(
            images={i: ImageTree(marks=sorted(n for n in im.folders if mark_time(n)),
                                 folders=sorted(n for n in im.folders if not mark_time(n)),
                                 files=sorted(im.files))
                    for i, im in self.images.items()},
            files=sorted(self.files))


# (datastore, base folder) -> the base folder, absent when missing.
World = Mapping[tuple[str, str], Base]


@dataclass(frozen=True)
class ModelFault:
    """A fault the model knows: ``op`` on ``[datastore] base[/image]`` fails with ``kind``.

    ``delete``: deleting the image folder (the generator draws no
    FileNotFound for it: an untrue answer, which the fault sweep tries);
    ``mark``: making a mark in it; ``list``: listing the base folder
    (``image`` None) or the image folder.
    """

    kind: str
    op: str
    datastore: str
    base: str
    image: str | None = None

    def rule(self) -> dict[str, str]:
        """The fault rule that injects it, as a scenario's ``fault`` step writes it."""
        where = f"[{self.datastore}] {self.base}" + (f"/{self.image}" if self.image else "")
        if self.op == "delete":
            return {"fault": self.kind, "method": "DeleteDatastoreFile_Task", "path": where}
        if self.op == "mark":
            return {"fault": self.kind, "method": "MakeDirectory", "path": f"{where}/{PREFIX}*"}
        if self.image is None:
            return {"fault": self.kind, "path": where}
        return {"fault": self.kind, "method": "SearchDatastore_Task", "path": where}


@dataclass(frozen=True)
class Outcome:
    world: World
    error: str | None = None  # the error kind the operation raises (protocol vocabulary)
    value: str | None = None  # what it returns (a cache folder's name)


def _fault(faults: Iterable[ModelFault], op: str, ds: str, base: str,
           image: str | None = None) -> ModelFault | None:
    return next((f for f in faults if (f.op, f.datastore, f.base, f.image) ==
                 (op, ds, base, image)), None)


def _set(world: World, key: tuple[str, str], base: Base) -> World:
    return {**world, key: base}


def fetch(world: World, datastore: str, base: str, image_id: str) -> World:
    """A spawn's fetch: the image folder and its disk when the folder is missing."""
    key = (datastore, base)
    current = world.get(key)
    if current is not None and image_id in current.images:
        return world
    current = current or Base()
    return _set(world, key, current.with_image(image_id, Image(files=frozenset(
        {f"{image_id}.vmdk"}))))


_LOGIN = frozenset({"vsphere_fault", "error"})  # logging in fails: vSphere said no, or is gone


@dataclass(frozen=True)
class Variant:
    """One behaviour of the scheme, by its decisions."""

    name: str
    # What may escape each operation when vSphere faults, by error kind
    # (open: logging in); the rest is a breach of the contract.
    escapes: Mapping[str, frozenset[str]]
    # A fault at a call about one image, or one datastore's listing, leaves
    # every other image as it would be without it.
    isolates: bool
    # Hosts that share a cache but no lock exclude each other (refimpl's
    # claims); without, a pass deletes on its listing's evidence whatever
    # another host did since (the spec's edge case 16).
    claims: bool
    # Malformed image ids are refused (invalid_argument) and nothing else;
    # a variant that does not check them may also take them as any id
    # (refusing is never wrong: docs/protocol.md asks every peer to).
    checks_image_ids: bool
    # Faults a delete may answer that the variant takes in its stride (the
    # original: four; what it deleted stays): refimpl raises instead.
    tolerated_deletes: frozenset[str]
    # Entries an image folder offers as marks, in the order the variant looks at them.
    mark_entries: Callable[[Image], list[str]]
    # Enlist and the used-image cleanup remove every one of those, or the
    # first: which ones may be "the first" (arbitrary for Nova: each of them).
    clears_every_mark: bool
    first: Callable[[list[str]], list[str]]
    # Which of the mark entries decide an image's age: the newest valid (None:
    # none valid), or one arbitrary entry, parsed as the original does.
    decides: Callable[[Image], list[str]]
    parse: Callable[[str], datetime | None]  # raises ValueError where the variant does
    plain_files_are_images: bool
    faults_end_the_pass: bool
    # The original lists each image folder it ages; refimpl ages from one
    # listing of the base folder and re-reads an image only before deleting it.
    lists_each_image: bool
    # Nova's lock file name is the image's path: past the file system's limit
    # taking the lock fails (refimpl shortens such names).
    lock_name_limit: int | None = None
    # The order a pass takes the unused images in is arbitrary (Nova: a set's):
    # where a pass ends half-way, any order's outcome is possible.
    any_order: bool = False

    def allows(self, op: str, kind: str) -> bool:
        """Whether ``op`` may raise ``kind`` when vSphere faults."""
        return kind in self.escapes.get(op, frozenset())

    def lock_fails(self, datastore: str, base: str, image_id: str, root: str) -> bool:
        if self.lock_name_limit is None:
            return False
        path = f"[{datastore}] {'/'.join(p for p in (root, base, image_id) if p)}"
        name = f"{LOCK_FILE_PREFIX}-{path.replace(os.sep, '_')}"
        return len(os.fsencode(name)) > self.lock_name_limit

    # -- enlist --------------------------------------------------------------

    def enlist(self, world: World, datastore: str, base: str, image_id: str,
               faults: Sequence[ModelFault] = (), root: str = "") -> list[Outcome]:
        """``root``: the run folder the base folder lies in (lock names carry it)."""
        if self.lock_fails(datastore, base, image_id, root):
            return [Outcome(world, "error")]
        key = (datastore, base)
        current = world.get(key)
        image = None if current is None else current.images.get(image_id)
        fault = _fault(faults, "list", datastore, base, image_id)
        if fault is not None and fault.kind != "FileNotFound":
            return [Outcome(world, "vsphere_fault")]
        if image is None or fault is not None:
            return [Outcome(world)]
        entries = self.mark_entries(image)
        if not entries:
            return [Outcome(world)]
        chosen = [entries] if self.clears_every_mark else [[e] for e in self.first(entries)]
        return [Outcome(_set(world, key, current.with_image(image_id, _remove(image, names))))
                for names in chosen]

    # -- one aging pass ------------------------------------------------------

    def age(self, world: World, datastores: Sequence[str], base: str, used: frozenset[str],
            now: datetime, age_seconds: int, faults: Sequence[ModelFault] = (),
            root: str = "") -> list[Outcome]:
        outcomes = [Outcome(world)]
        for ds in datastores:
            outcomes = [o2 for o in outcomes for o2 in
                        (self._age_datastore(o.world, ds, base, used, now, age_seconds, faults,
                                             root)
                         if o.error is None else [o])]
        return outcomes

    def _age_datastore(self, world: World, ds: str, base: str, used: frozenset[str],
                       now: datetime, age_seconds: int, faults: Sequence[ModelFault],
                       root: str) -> list[Outcome]:
        key = (ds, base)
        listing = _fault(faults, "list", ds, base)
        if listing is not None and listing.kind != "FileNotFound":
            return [Outcome(world, "vsphere_fault" if self.faults_end_the_pass else None)]
        current = world.get(key)
        if (current is None or listing is not None) and not self.lists_each_image:
            return [Outcome(world)]
        # The original takes a listing's FileNotFound, or a base folder that is
        # not there, for an empty folder, and still cleans every used image
        # (taking its lock).
        names = set() if listing is not None or current is None else \
            set(current.images) | (current.files if self.plain_files_are_images else set())
        # The original ages the unused images first (Nova in set order: any),
        # then cleans every used one, cached or not; refimpl goes through the
        # cached ones in order.
        if not self.lists_each_image:
            orders: Iterable[tuple[str, ...]] = [tuple(sorted(names))]
        else:
            unused = [i for i in sorted(names) if i not in used]
            firsts = itertools.permutations(unused) if self.any_order else [tuple(unused)]
            orders = (first + tuple(sorted(used)) for first in firsts)
        outcomes = []
        for order in orders:
            outcomes += self._age_in_order(world, key, order, used, now, age_seconds, faults,
                                           root)
        return _distinct(outcomes)

    def _age_in_order(self, world: World, key: tuple[str, str], order: tuple[str, ...],
                      used: frozenset[str], now: datetime, age_seconds: int,
                      faults: Sequence[ModelFault], root: str) -> list[Outcome]:
        outcomes = [Outcome(world)]
        for image_id in order:
            if self.lock_fails(*key, image_id, root):
                return [o if o.error else Outcome(o.world, "error") for o in outcomes]
            outcomes = [o2 for o in outcomes for o2 in
                        (self._age_image(o.world, key, image_id, image_id in used, now,
                                         age_seconds, faults)
                         if o.error is None else [o])]
        return outcomes

    def _age_image(self, world: World, key: tuple[str, str], image_id: str, used: bool,
                   now: datetime, age_seconds: int, faults: Sequence[ModelFault]
                   ) -> list[Outcome]:
        ds, base = key
        current = world.get(key, Base())  # a used image's base folder may not be there
        if image_id in current.files and image_id not in current.images:
            # A plain file taken for an image (the original): listing it finds
            # nothing, and making a mark under a file fails.
            return [Outcome(world, None if used else "vsphere_fault")]
        listed = _fault(faults, "list", ds, base, image_id)
        if used:
            if self.lists_each_image:  # the same listing and removal as an enlist
                return self.enlist(world, ds, base, image_id, faults)
            return self.enlist(world, ds, base, image_id)  # from the pass's one listing
        image = current.images[image_id]
        if self.lists_each_image and listed is not None:
            if listed.kind != "FileNotFound":
                return [Outcome(world, "vsphere_fault")]
            image = Image()  # listed as empty: no mark seen
        if not self.mark_entries(image) or not self.decides(image):
            return [self._mark(world, key, image_id, current.images[image_id], now, faults)]
        outcomes = []
        for name in self.decides(image):
            try:
                when = self.parse(name)
            except ValueError:
                outcomes.append(Outcome(world, "error"))
                continue
            if when is None:  # no valid mark: an unmarked image
                outcomes.append(self._mark(world, key, image_id, image, now, faults))
            elif now - when > timedelta(seconds=age_seconds):
                outcomes.append(self._delete(world, key, image_id, listed, faults))
            else:
                outcomes.append(Outcome(world))
        return outcomes

    def _mark(self, world: World, key: tuple[str, str], image_id: str, image: Image,
              now: datetime, faults: Sequence[ModelFault]) -> Outcome:
        fault = _fault(faults, "mark", *key, image_id)
        if fault is None:
            marked = Image(image.folders | {mark_name(now)}, image.files)
            return Outcome(_set(world, key, world[key].with_image(image_id, marked)))
        if fault.kind == "FileAlreadyExists" or not self.faults_end_the_pass:
            return Outcome(world)
        return Outcome(world, "vsphere_fault")

    def _delete(self, world: World, key: tuple[str, str], image_id: str,
                listed: ModelFault | None, faults: Sequence[ModelFault]) -> Outcome:
        if listed is not None:  # refimpl's re-read under the lock failed: not deleted
            return Outcome(world)
        fault = _fault(faults, "delete", *key, image_id)
        if fault is None:
            return Outcome(_set(world, key, world[key].with_image(image_id, None)))
        if not self.faults_end_the_pass or fault.kind in ORIGINAL_TOLERATED_DELETE | {
                "FileNotFound"}:
            return Outcome(world)
        return Outcome(world, "vsphere_fault")


def _distinct(outcomes: list[Outcome]) -> list[Outcome]:
    """The outcomes, each once (several orders often end alike)."""
    seen: dict[object, Outcome] = {}
    for o in outcomes:
        key = (o.error, tuple(sorted(
            (k, tuple(sorted((i, im.folders, im.files) for i, im in b.images.items())), b.files)
            for k, b in o.world.items())))
        seen.setdefault(key, o)
    return list(seen.values())


def _remove(image: Image, names: Iterable[str]) -> Image:
    for name in names:
        image = image.without(name)
    return image


def _original_entries(image: Image) -> list[str]:
    # Files count: the original lists every entry. Sorted: harness.original's
    # choice for "the first" (Nova's is set order; see NOVA).
    return sorted(n for n in image.folders | image.files if n.startswith(PREFIX))


def _original_parse(name: str) -> datetime:
    return datetime.strptime(name.lstrip(PREFIX), _ORIGINAL_TIME).replace(tzinfo=UTC)


def _reference_entries(image: Image) -> list[str]:
    return sorted(n for n in image.folders if n.startswith(PREFIX))


def _newest_valid(image: Image) -> list[str]:
    valid = [n for n in image.folders if mark_time(n) is not None]
    return [max(valid, key=mark_time)] if valid else []


ORIGINAL = Variant(
    # The spec: faults outside four delete faults propagate, from enlist and
    # from a pass (which then ends), as vSphere faults or, for a lost
    # connection, errors.
    name="original", escapes={"open": _LOGIN, "enlist": _LOGIN, "age": _LOGIN},
    isolates=False, claims=False, checks_image_ids=False,
    tolerated_deletes=ORIGINAL_TOLERATED_DELETE | {"FileNotFound"},
    mark_entries=_original_entries, clears_every_mark=False,
    first=lambda entries: entries[:1], decides=lambda image: _original_entries(image)[:1],
    parse=_original_parse, plain_files_are_images=True, faults_end_the_pass=True,
    lists_each_image=True, lock_name_limit=NAME_MAX)
NOVA = replace(ORIGINAL, name="nova", first=lambda entries: entries, decides=_original_entries,
               any_order=True)
REFERENCE = Variant(
    # refimpl's README: enlist raises when it cannot protect the image
    # (MarkNotCleared, a listing fault, a lost connection); a pass records
    # every fault and goes on; naming a cache folder calls nothing.
    name="reference", escapes={"open": _LOGIN, "enlist": _LOGIN}, isolates=True, claims=True,
    checks_image_ids=True, tolerated_deletes=frozenset(), mark_entries=_reference_entries,
    clears_every_mark=True,
    first=lambda entries: entries, decides=_newest_valid, parse=mark_time,
    plain_files_are_images=False, faults_end_the_pass=False, lists_each_image=False)
VARIANTS = {v.name: v for v in (ORIGINAL, NOVA, REFERENCE)}
