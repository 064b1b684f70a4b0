"""What must hold whatever fault vSphere answers with: pure checks of one
run of a sequential scenario, compared with its fault-free run.

A fault changes the outcome, so the scenario's own expectations no longer
apply. These do:

- (a) invariants: no image deleted that the pass saw in use, nor one without
  a mark older than the age on the pass's clock; no mark left by an enlist
  that returned;
- (b) no leftovers: after a step, no image folder and no entry in one that
  neither was there before nor is after the same step without the fault (a
  claim left behind, a folder re-created empty), unless the fault refused a
  change to that image's entries;
- (c) convergence: once the fault is gone, two more passes give the tree of
  the fault-free run (images the faulted run never had aside);
- (d) the error contract: what an operation may raise under a fault, and as
  which kind;
- (e) isolation, where the contract promises it (refimpl's): a fault at a
  call about one image, or one datastore's listing, changes nothing else.

Only what the fault brings is a finding: a property the fault-free run
breaks too is reported with the fault-free run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from ..vsphere.marks import mark_time
from ..vsphere.tree import CacheTree

# (datastore, base folder) -> the tree there (None: no such folder).
Trees = Mapping[tuple[str, str], CacheTree | None]


@dataclass(frozen=True)
class Contract:
    """What may escape each operation when vSphere faults, by error kind,
    and whether a fault stays with the image (or datastore) it hit."""

    name: str
    allowed: Mapping[str, frozenset[str]]
    isolates: bool = False

    def allows(self, op: str, kind: str) -> bool:
        return kind in self.allowed.get(op, frozenset())


# refimpl's README: enlist raises when it cannot protect the image
# (MarkNotCleared, a listing fault, a lost connection); a pass records every
# fault and goes on; naming a cache folder calls nothing.
_LOGIN = frozenset({"vsphere_fault", "error"})  # logging in fails: vSphere said no, or is gone
REFERENCE_CONTRACT = Contract("reference", {"open": _LOGIN,
                                            "enlist": frozenset({"vsphere_fault", "error"})},
                               isolates=True)
# The spec: faults outside four delete faults propagate, from enlist and from
# a pass (which then ends), as vSphere faults or, for a lost connection, errors.
ORIGINAL_CONTRACT = Contract("original", {"open": _LOGIN,
                                          "enlist": frozenset({"vsphere_fault", "error"}),
                                          "age": frozenset({"vsphere_fault", "error"})})
CONTRACTS = {c.name: c for c in (REFERENCE_CONTRACT, ORIGINAL_CONTRACT)}


@dataclass
class Seen:
    """One step of a run, as the harness saw it."""

    index: int
    op: str  # enlist, age, cache_folder, another step's kind, or open (logging in first)
    describe: str
    before: Trees
    after: Trees
    error: str | None = None  # the error kind it raised
    message: str = ""
    broke: bool = False  # crashed, hung, or broke the protocol
    node_base: str = ""  # the base folder of the node that ran it
    now: datetime | None = None  # the node's clock (age)
    used: frozenset[str] = frozenset()  # what the pass was told is in use (age)
    image: str = ""  # the image (enlist)
    datastores: tuple[str, ...] = ()


@dataclass
class Run:
    """A run of a scenario: its steps, and the trees after the two
    convergence passes."""

    steps: list[Seen] = field(default_factory=list)
    converged: Trees = field(default_factory=dict)


def invariants(seen: Seen, age: timedelta) -> list[str]:
    """(a) on one step."""
    found = []
    if seen.op == "age":
        for ds in seen.datastores:
            before = seen.before.get((ds, seen.node_base))
            after = seen.after.get((ds, seen.node_base))
            for image_id in sorted(before.images if before else {}):
                if after is not None and image_id in after.images:
                    continue
                if image_id in seen.used:
                    found.append(f"I1: [{ds}] {image_id} deleted though the pass saw it in use")
                marks = [mark_time(m) for m in before.images[image_id].marks]
                if seen.now is not None and not any(t is not None and seen.now - t > age
                                                    for t in marks):
                    found.append(f"I2: [{ds}] {image_id} deleted with no mark older than "
                                 f"{age.total_seconds():g} s at {seen.now:%H:%M:%S} (marks: "
                                 f"{before.images[image_id].marks or 'none'})")
    if seen.op == "enlist" and seen.error is None and not seen.broke:
        key = (seen.datastores[0], seen.node_base)
        before, after = seen.before.get(key), seen.after.get(key)
        if before and after and seen.image in before.images and seen.image in after.images:
            left = set(before.images[seen.image].marks) & set(after.images[seen.image].marks)
            if left:
                found.append(f"I3: enlist of {seen.image} returned with marks it found still "
                             f"there: {sorted(left)}")
    return found


def leftovers(seen: Seen, fault_free: Seen, spared: frozenset[str] = frozenset()) -> list[str]:
    """(b) on one step: what is there after it that neither was before nor
    is after it without the fault. ``spared``: images a change to whose
    entries the fault refused (a claim that stands in for a mark the fault
    kept from coming back, a mark it kept from going: the fault's doing;
    whether it goes later is convergence's question)."""
    found = []
    for key, after in seen.after.items():
        if after is None:
            continue
        before, expected = seen.before.get(key), fault_free.after.get(key)
        for image_id, image in sorted(after.images.items()):
            had = before.images.get(image_id) if before else None
            would = expected.images.get(image_id) if expected else None
            if had is None and would is None:
                found.append(f"[{key[0]}] {key[1]}/{image_id}: an image folder appeared")
                continue
            known = set()
            for tree in (had, would):
                if tree is not None:
                    known |= set(tree.folders) | set(tree.files)
            new = (set(image.folders) | set(image.files)) - known
            if new and image_id not in spared:
                found.append(f"[{key[0]}] {key[1]}/{image_id}: left behind {sorted(new)}")
    return found


def contract_breaches(seen: Seen, fault_free: Seen, contract: Contract) -> list[str]:
    """(d) on one step: an error the fault-free run does not raise must be
    one the contract allows there."""
    if seen.broke:
        return [f"the implementation broke: {seen.message.splitlines()[0]}"]
    if seen.error is None or seen.error == fault_free.error:
        return []
    if contract.allows(seen.op, seen.error):
        return []
    return [f"{seen.op} raised {seen.error} ({seen.message.splitlines()[0]}), which the "
            f"{contract.name} contract does not allow under a fault"]


def spread(seen: Seen, fault_free: Seen, hit: tuple[str, str | None]) -> list[str]:
    """(e) on one step: a fault that hit one image (``(datastore, image)``) or
    one datastore's listing (``(datastore, None)``) left every other image as
    it is without the fault."""
    found = []
    for key in sorted(set(seen.after) | set(fault_free.after)):
        if key[0] == hit[0] and hit[1] is None:
            continue
        faulted, clean = seen.after.get(key), fault_free.after.get(key)
        images = set(faulted.images if faulted else ()) | set(clean.images if clean else ())
        for image_id in sorted(images - ({hit[1]} if key[0] == hit[0] else set())):
            mine = faulted.images.get(image_id) if faulted else None
            theirs = clean.images.get(image_id) if clean else None
            if mine != theirs:
                target = f"[{hit[0]}] {hit[1] or '(its listing)'}"
                found.append(f"a fault on {target} changed [{key[0]}] {key[1]}/{image_id}: "
                             f"{_image(mine)}, without the fault {_image(theirs)}")
    return found


def _image(tree: object) -> str:
    if tree is None:
        return "no folder"
    return str(sorted(tree.marks + tree.folders + tree.files))  # type: ignore[attr-defined]


def divergence(converged: Trees, fault_free: Trees,
               unborn: Mapping[tuple[str, str], set[str]] | None = None) -> list[str]:
    """(c): the trees after the convergence passes, against the fault-free
    run's. ``unborn``: images the faulted run never had (a fetch the fault
    failed); aging passes cannot make them, so they are left out."""
    found = []
    for key in sorted(set(converged) | set(fault_free)):
        gone = (unborn or {}).get(key, set())
        if _without(converged.get(key), gone) != _without(fault_free.get(key), gone):
            found.append(f"[{key[0]}] {key[1]}: after two more passes "
                         f"{show(converged.get(key))}, without the fault "
                         f"{show(fault_free.get(key))}")
    return found


def _without(tree: CacheTree | None, images: set[str]) -> CacheTree | None:
    if tree is None or not images:
        return tree
    return replace(tree, images={i: t for i, t in tree.images.items() if i not in images})


def unborn(run: Run, fault_free: Run) -> dict[tuple[str, str], set[str]]:
    """Images the fault-free run made that the faulted run never had."""
    def images(r: Run, key: tuple[str, str]) -> set[str]:
        return {i for seen in r.steps for trees in (seen.before, seen.after)
                if (tree := trees.get(key)) is not None for i in tree.images}

    keys = {k for seen in fault_free.steps for k in seen.after}
    return {key: images(fault_free, key) - images(run, key) for key in keys}


def show(tree: CacheTree | None) -> str:
    if tree is None:
        return "no base folder"
    images = {i: sorted(t.marks + t.folders + t.files) for i, t in sorted(tree.images.items())}
    return f"images {images}" + (f", files {sorted(tree.files)}" if tree.files else "")


# Faults that tell the implementation something untrue about the cache: a
# listing answered FileNotFound, a mark that "already exists". An enlist that
# believes the folder is gone cannot clear its marks; the other properties
# still hold.
UNTRUE = frozenset({"FileNotFound", "FileAlreadyExists"})


def findings(run: Run, fault_free: Run, age: timedelta, contract: Contract,
             fault: str = "", hit: tuple[str, str | None] | None = None,
             spared: frozenset[str] = frozenset()) -> list[str]:
    """Everything the fault brought, step by step, then the convergence.
    ``hit``: the image or datastore listing the fault's call was about, when
    the call names one (for the contract's isolation); ``spared``: as for
    ``leftovers``."""
    found = []
    for seen, clean in zip(run.steps, fault_free.steps, strict=False):
        baseline = set(invariants(clean, age))
        where = f"step {seen.index + 1} ({seen.describe})"
        found += [f"{where}: {p}" for p in invariants(seen, age) if p not in baseline
                  and not (fault in UNTRUE and p.startswith("I3"))]
        found += [f"{where}: {p}" for p in leftovers(seen, clean, spared)]
        found += [f"{where}: {p}" for p in contract_breaches(seen, clean, contract)]
        if contract.isolates and hit is not None:
            found += [f"{where}: {p}" for p in spread(seen, clean, hit)]
    found += divergence(run.converged, fault_free.converged, unborn(run, fault_free))
    return found
