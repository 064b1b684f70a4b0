"""The registry of properties: every verdict the explorer gives, in one place.

Each property has an id, what it means, a check over one observation
(``observation.py``; a check is registered per kind of observation), the
fault kinds that excuse a violation and why, and what a model predicts of
it: a behaviour the implementation's own model predicts is never a finding
against it (the original's enlist leaves one mark of several, edge case 5).

``judge`` applies them all. A run under a fault is judged against its
fault-free twin: a property that judges each run on its own counts only
what the fault brought; one that compares the two (leftovers, convergence,
the contract, isolation) says so itself.

Adding a property is one ``Property`` here, its checks registered below
it, and a line in ``docs/explore.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from sim.faults import UNTRUE

from ..vsphere.marks import mark_time
from ..vsphere.tree import CacheTree
from . import sites
from .observation import (
    ContentionRun,
    Faulted,
    Observation,
    Predicted,
    Seen,
    SequentialRun,
    Trees,
)
from .scheme import Base, Variant
from .sites import Injection


@dataclass(frozen=True)
class Violation:
    """One property broken, where and by whom."""

    property: str
    message: str
    image: str = ""
    where: str = ""  # the step, in a sequential run
    step: int | None = None
    window: tuple[str, ...] = ()  # a contention run: the operations that produced it
    # For the model's predictions: the actor that used the image, the actor
    # whose call broke the property, the marks the enlist found.
    user: str = ""
    by: str = ""
    marks: int = 0

    @property
    def key(self) -> tuple[str, str, int | None]:
        """The same violation in another run of the same steps (a contention
        run's messages carry times, which differ)."""
        return self.property, self.image, self.step

    def __str__(self) -> str:
        return f"{self.where + ': ' if self.where else ''}{self.property}: {self.message}"


Check = Callable[[Any, Variant], list[Violation]]
Prediction = Callable[[Variant, Violation, Observation], "str | None"]
Obs = TypeVar("Obs")


@dataclass
class Property:
    id: str
    meaning: str
    # Fault kinds under which a violation is no finding, and why.
    excuses: Mapping[str, str] = field(default_factory=dict)
    # What the model predicts: why it does, or None.
    predicts: Prediction | None = None
    # Judges a faulted run against its fault-free twin itself (otherwise
    # each run is judged on its own and only what the fault brought counts).
    compares: bool = False
    _checks: dict[type, Check] = field(default_factory=dict)

    def checks(self, kind: type[Obs]) -> Callable[[Callable[[Obs, Variant], list[Violation]]],
                                                Callable[[Obs, Variant], list[Violation]]]:
        """Register the check of this property over one kind of observation."""
        def register(check: Callable[[Obs, Variant], list[Violation]]
                     ) -> Callable[[Obs, Variant], list[Violation]]:
            self._checks[kind] = check
            return check
        return register

    def check(self, observation: Observation, model: Variant) -> list[Violation]:
        own = self._checks.get(type(observation))
        if own is not None:
            return own(observation, model)
        if isinstance(observation, Predicted):
            return self.check(observation.seen, model)
        if isinstance(observation, SequentialRun):
            return [v for seen in observation.steps for v in self.check(seen, model)]
        if isinstance(observation, Faulted) and not self.compares:
            known = {v.key for v in self.check(observation.fault_free, model)}
            return [v for v in self.check(observation.run, model) if v.key not in known]
        return []

    def excused(self, violation: Violation, observation: Observation) -> str | None:
        kinds = {i.kind for i in injected(observation, violation)}
        return next((why for kind, why in self.excuses.items() if kind in kinds), None)

    def predicted(self, model: Variant, violation: Violation,
                  observation: Observation) -> str | None:
        return self.predicts(model, violation, observation) if self.predicts else None


def injected(observation: Observation, violation: Violation) -> set[Injection]:
    """The faults injected at calls about the violation's image, in the part
    of the run it concerns."""
    if isinstance(observation, Predicted):
        return injected(observation.seen, violation)
    if isinstance(observation, Seen):
        return {i for i in observation.injected if i.image == violation.image}
    if isinstance(observation, SequentialRun):
        steps = observation.steps if violation.step is None else \
            observation.steps[violation.step:violation.step + 1]
        return {i for seen in steps for i in injected(seen, violation)}
    if isinstance(observation, Faulted):
        return injected(observation.run, violation)
    if observation.outcome is None:
        return set()
    config = observation.outcome.scenario.config
    bases = {(ds, config.base_folder_of(n)) for ds in config.datastores for n in config.nodes}
    return {i for i in sites.injected(observation.calls, observation.outcome.folder, bases)
            if i.image == violation.image}


def judge(observation: Observation, model: Variant,
          properties: Iterable[Property] | None = None) -> list[Violation]:
    """Every violation of ``properties`` (default: all) in the observation
    that no fault excuses and the model does not predict."""
    return [v for prop in (PROPERTIES if properties is None else properties)
            for v in prop.check(observation, model)
            if not prop.excused(v, observation) and not prop.predicted(model, v, observation)]


# -- what the models predict ------------------------------------------------------


def _a_mark_left(model: Variant, v: Violation, observation: Observation) -> str | None:
    """A mark the model's enlist leaves: one of several (edge case 5), or one
    whose delete failed with a fault it tolerates (edge case 11)."""
    if not model.clears_every_mark and v.marks > 1:
        return (f"the {model.name} model's enlist removes one mark of several "
                "(docs/spec.md, edge case 5)")
    tolerated = [i.kind for i in injected(observation, v)
                 if i.entry and i.method == "DeleteDatastoreFile_Task"
                 and i.kind in model.tolerated_deletes]
    if tolerated:
        return (f"the {model.name} model tolerates {tolerated[0]} deleting a mark, which "
                "stays (docs/spec.md, edge case 11)")
    return None


def _no_lock_across_hosts(model: Variant, v: Violation, observation: Observation
                          ) -> str | None:
    if model.claims:
        return None
    run = observation.run if isinstance(observation, Faulted) else observation
    if isinstance(run, ContentionRun) and run.outcome is not None and \
            _crosses_locks(run.outcome.scenario.config, v):
        return (f"no lock spans two hosts, and the {model.name} model has no claims "
                "(docs/spec.md, edge case 16)")
    return None


def _crosses_locks(config: Any, v: Violation) -> bool:
    """Whether the actor that broke the property and the one it hurt (or any
    other, when the trace does not name them) hold different locks."""
    def lock(actor: str) -> str | None:
        node = actor.rpartition("@")[2]
        return next((n.lock_path for n in config.nodes if n.name == node), None)

    mine, theirs = lock(v.by), lock(v.user)
    if mine is not None and theirs is not None:
        return mine != theirs
    return len({n.lock_path for n in config.nodes}) > 1


def _conforms(model: Variant, v: Violation, observation: Observation) -> str | None:
    """A step the model was asked about and whose outcome it allows: what
    the step did is the model's own prediction (the original deleting by a
    mark ``lstrip`` reads, edge case 7), whatever an invariant says."""
    if isinstance(observation, Predicted) and not _conformance(observation, model):
        return f"the {model.name} model allows this step's outcome"
    return None


def _either(*predictions: Prediction) -> Prediction:
    def predicts(model: Variant, v: Violation, observation: Observation) -> str | None:
        return next((why for p in predictions if (why := p(model, v, observation))), None)
    return predicts


# An untrue answer excuses what follows from believing it (sim/faults.py).
def _untrue(why: str) -> dict[str, str]:
    return {kind: why for kind in sorted(UNTRUE)}


# -- the properties ---------------------------------------------------------------

I1 = Property(
    "I1", "no image folder is deleted while an instance uses it (a pass's own "
    "used set included)",
    excuses=_untrue("told the image folder is not there (or a mark is), an enlist reports "
                    "the image not cached and protects nothing; the spawn fetches it anew"),
    predicts=_either(_conforms, _a_mark_left, _no_lock_across_hosts))
I2 = Property(
    "I2", "an image folder is deleted only when a mark older than the age is there",
    predicts=_either(_conforms, _no_lock_across_hosts))
I3 = Property(
    "I3", "after an enlist returns, no mark it found is left",
    excuses=_untrue("told the image folder is not there, an enlist has no mark to clear"),
    predicts=_either(_conforms, _a_mark_left))
I4 = Property(
    "I4", "while an image is in use, no mark older than its enlist appears on it",
    excuses=_untrue("told the image folder is not there, an enlist protects nothing: a "
                    "pass's mark on it, or the mark a pass gives back, is what follows"))
CONTRACT = Property(
    "contract", "what escapes an operation under a fault is an error kind the model "
    "allows there; a crash, a hang, a broken protocol or a raw library exception never",
    compares=True)
LEFTOVERS = Property(
    "leftovers", "a fault leaves nothing behind in an image folder (a claim) and makes no "
    "image folder out of nothing", compares=True,
    excuses=_untrue("told the image folder is gone, a pass has no claim left to give back; "
                    "convergence judges what becomes of it"))
CONVERGENCE = Property(
    "convergence", "once the fault is gone, two more passes give the tree of the "
    "fault-free run", compares=True)
ISOLATION = Property(
    "isolation", "a fault about one image, or one datastore's listing, changes no other "
    "image (where the model promises it: the reference)", compares=True)
CONFORMANCE = Property(
    "conformance", "each step ends with an outcome the model allows: the error it raises, "
    "the tree it leaves, the name it returns")
PROPERTIES: tuple[Property, ...] = (I1, I2, I3, I4, CONTRACT, LEFTOVERS, CONVERGENCE,
                                    ISOLATION, CONFORMANCE)
BY_ID = {p.id: p for p in PROPERTIES}


# -- invariants of one step -------------------------------------------------------

def _deleted(seen: Seen) -> Iterable[tuple[str, str, CacheTree]]:
    """(datastore, image, its tree before) of the images a pass deleted."""
    if seen.op != "age":
        return
    for ds in seen.datastores:
        before = seen.before.get((ds, seen.node_base))
        after = seen.after.get((ds, seen.node_base))
        for image_id in sorted(before.images if before else {}):
            if after is None or image_id not in after.images:
                yield ds, image_id, before.images[image_id]


def _at(seen: Seen, prop: str, image: str, message: str, **facts: Any) -> Violation:
    return Violation(prop, message, image, seen.where, seen.index, **facts)


@I1.checks(Seen)
def _i1_step(seen: Seen, _: Variant) -> list[Violation]:
    return [_at(seen, "I1", image, f"[{ds}] {image} deleted though the pass saw it in use")
            for ds, image, _tree in _deleted(seen) if image in seen.used]


@I2.checks(Seen)
def _i2_step(seen: Seen, _: Variant) -> list[Violation]:
    found = []
    for ds, image, tree in _deleted(seen):
        marks = [mark_time(m) for m in tree.marks]
        if seen.now is not None and seen.age is not None and \
                not any(t is not None and seen.now - t > seen.age for t in marks):
            found.append(_at(seen, "I2", image,
                             f"[{ds}] {image} deleted with no mark older than "
                             f"{seen.age.total_seconds():g} s at {seen.now:%H:%M:%S} "
                             f"(marks: {tree.marks or 'none'})"))
    return found


@I3.checks(Seen)
def _i3_step(seen: Seen, _: Variant) -> list[Violation]:
    if seen.op != "enlist" or seen.error is not None or seen.broke:
        return []
    key = (seen.datastores[0], seen.node_base)
    before, after = seen.before.get(key), seen.after.get(key)
    if not (before and after and seen.image in before.images and seen.image in after.images):
        return []
    found = before.images[seen.image].marks
    left = set(found) & set(after.images[seen.image].marks)
    if not left:
        return []
    return [_at(seen, "I3", seen.image, f"enlist of {seen.image} returned with marks it "
                                        f"found still there: {sorted(left)}",
                marks=len(found))]


@CONTRACT.checks(Seen)
def _broke(seen: Seen, _: Variant) -> list[Violation]:
    if not seen.broke:
        return []
    return [_at(seen, "contract", seen.image,
                f"the implementation broke: {seen.message.splitlines()[0]}")]


# -- invariants of a contention run ----------------------------------------------

def _invariant(prop: Property) -> None:
    @prop.checks(ContentionRun)
    def check(run: ContentionRun, _: Variant) -> list[Violation]:
        if run.outcome is None:
            return []
        return [Violation(v.invariant, v.message, v.image, window=tuple(v.window),
                          user=v.user, by=v.by, marks=v.marks)
                for v in run.outcome.violations if v.invariant == prop.id]


for _prop in (I1, I2, I3, I4):
    _invariant(_prop)


@CONTRACT.checks(ContentionRun)
def _crashed(run: ContentionRun, _: Variant) -> list[Violation]:
    return [Violation("contract", f"an actor crashed: {run.crash}")] if run.crash else []


# -- a faulted run against its twin ----------------------------------------------

def _sequential(observation: Faulted) -> tuple[SequentialRun, SequentialRun]:
    assert isinstance(observation.run, SequentialRun)
    assert isinstance(observation.fault_free, SequentialRun)
    return observation.run, observation.fault_free


def _faulted_check(prop: Property, sequential: Check, contention: Check) -> None:
    @prop.checks(Faulted)
    def check(observation: Faulted, model: Variant) -> list[Violation]:
        if isinstance(observation.run, SequentialRun):
            return sequential(observation, model)
        return contention(observation, model)


def _contract_sequential(observation: Faulted, model: Variant) -> list[Violation]:
    run, clean = _sequential(observation)
    found = []
    for seen, twin in zip(run.steps, clean.steps, strict=False):
        if seen.broke:
            found += _broke(seen, model)
        elif seen.error is not None and seen.error != twin.error and \
                not model.allows(seen.op, seen.error):
            found.append(_at(seen, "contract", seen.image,
                             f"{seen.op} raised {seen.error} ({seen.message.splitlines()[0]}), "
                             f"which the {model.name} model does not allow under a fault"))
    return found


def _contract_contention(observation: Faulted, model: Variant) -> list[Violation]:
    run, clean = observation.run, observation.fault_free
    assert isinstance(run, ContentionRun) and isinstance(clean, ContentionRun)
    found = _crashed(run, model)
    if run.outcome is None or clean.outcome is None:
        return found
    known = {(e.op, _kind(e.detail)) for e in clean.outcome.events if e.type == "fail"}
    for e in run.outcome.events:
        if e.type == "fail" and (e.op, _kind(e.detail)) not in known and \
                not model.allows(e.op, _kind(e.detail)):
            found.append(Violation("contract", f"{e.actor}: {e.op} raised "
                                               f"{e.detail.splitlines()[0][:200]}, which the "
                                               f"{model.name} model does not allow under a "
                                               "fault", e.image or ""))
    return found


def _kind(detail: str) -> str:
    """The error kind an actor recorded (``kind: message``)."""
    return detail.split(":", 1)[0]


_faulted_check(CONTRACT, _contract_sequential, _contract_contention)


def _leftovers_sequential(observation: Faulted, _: Variant) -> list[Violation]:
    run, clean = _sequential(observation)
    found = []
    for seen, twin in zip(run.steps, clean.steps, strict=False):
        for key, after in seen.after.items():
            if after is None:
                continue
            before, expected = seen.before.get(key), twin.after.get(key)
            for image_id, image in sorted(after.images.items()):
                had = before.images.get(image_id) if before else None
                would = expected.images.get(image_id) if expected else None
                if had is None and would is None:
                    found.append(_at(seen, "leftovers", image_id,
                                     f"[{key[0]}] {key[1]}/{image_id}: an image folder "
                                     "appeared"))
                    continue
                known = {n for tree in (had, would) if tree is not None
                         for n in (*tree.folders, *tree.files)}
                new = set(image.folders) | set(image.files)
                if new - known and image_id not in observation.spared:
                    found.append(_at(seen, "leftovers", image_id,
                                     f"[{key[0]}] {key[1]}/{image_id}: left behind "
                                     f"{sorted(new - known)}"))
    return found


def _leftovers_contention(observation: Faulted, _: Variant) -> list[Violation]:
    settled = observation.run.settled  # type: ignore[union-attr]
    clean = observation.fault_free.settled  # type: ignore[union-attr]
    if settled is None or clean is None:
        return []
    found = []
    for image_id, image in sorted((settled.after.images if settled.after else {}).items()):
        expected = clean.after.images.get(image_id) if clean.after else None
        allowed = {*expected.folders, *expected.files} if expected else set()
        junk = {*image.folders, *image.files} - allowed - {f"{image_id}.vmdk"}
        if junk and image_id not in observation.spared:
            found.append(Violation("leftovers", f"{image_id}: left behind {sorted(junk)}",
                                   image_id))
    return found


_faulted_check(LEFTOVERS, _leftovers_sequential, _leftovers_contention)


def _convergence_sequential(observation: Faulted, _: Variant) -> list[Violation]:
    run, clean = _sequential(observation)
    unborn = _unborn(run, clean)
    found = []
    for key in sorted(set(run.converged) | set(clean.converged)):
        gone = unborn.get(key, set())
        mine, theirs = _without(run.converged.get(key), gone), \
            _without(clean.converged.get(key), gone)
        if mine != theirs:
            found.append(Violation("convergence", f"[{key[0]}] {key[1]}: after two more "
                                                  f"passes {show(mine)}, without the fault "
                                                  f"{show(theirs)}"))
    return found


def _convergence_contention(observation: Faulted, _: Variant) -> list[Violation]:
    settled = observation.run.settled  # type: ignore[union-attr]
    clean = observation.fault_free.settled  # type: ignore[union-attr]
    if settled is None or clean is None or settled.converged == clean.converged:
        return []
    return [Violation("convergence", f"after two more passes {show(settled.converged)}, "
                                     f"without the fault {show(clean.converged)}")]


_faulted_check(CONVERGENCE, _convergence_sequential, _convergence_contention)


def _without(tree: CacheTree | None, images: set[str]) -> CacheTree | None:
    if tree is None or not images:
        return tree
    return replace(tree, images={i: t for i, t in tree.images.items() if i not in images})


def _unborn(run: SequentialRun, fault_free: SequentialRun) -> dict[tuple[str, str], set[str]]:
    """Images the fault-free run made that the faulted run never had (a fetch
    the fault failed): aging passes cannot make them, so convergence leaves
    them out."""
    def images(r: SequentialRun, key: tuple[str, str]) -> set[str]:
        return {i for seen in r.steps for trees in (seen.before, seen.after)
                if (tree := trees.get(key)) is not None for i in tree.images}

    keys = {k for seen in fault_free.steps for k in seen.after}
    return {key: images(fault_free, key) - images(run, key) for key in keys}


@ISOLATION.checks(Faulted)
def _isolation(observation: Faulted, model: Variant) -> list[Violation]:
    if not model.isolates or observation.hit is None or \
            not isinstance(observation.run, SequentialRun):
        return []
    run, clean = _sequential(observation)
    hit_ds, hit_image = observation.hit
    found = []
    for seen, twin in zip(run.steps, clean.steps, strict=False):
        for key in sorted(set(seen.after) | set(twin.after)):
            if key[0] == hit_ds and hit_image is None:
                continue
            faulted, plain = seen.after.get(key), twin.after.get(key)
            images = set(faulted.images if faulted else ()) | set(plain.images if plain else ())
            for image_id in sorted(images - ({hit_image} if key[0] == hit_ds else set())):
                mine = faulted.images.get(image_id) if faulted else None
                theirs = plain.images.get(image_id) if plain else None
                if mine != theirs:
                    target = f"[{hit_ds}] {hit_image or '(its listing)'}"
                    found.append(_at(seen, "isolation", image_id,
                                     f"a fault on {target} changed [{key[0]}] {key[1]}/"
                                     f"{image_id}: {_image(mine)}, without the fault "
                                     f"{_image(theirs)}"))
    return found


# -- a step against the model ----------------------------------------------------

@CONFORMANCE.checks(Predicted)
def _conformance(observation: Predicted, model: Variant) -> list[Violation]:
    seen = observation.seen
    if seen.broke:
        return []  # the contract's to report
    errors = [o for o in observation.outcomes if o.error == seen.error]
    if not errors:
        allowed = sorted({o.error or "success" for o in observation.outcomes})
        did = f"raised {seen.message.splitlines()[0]}" if seen.error else "succeeded"
        return [_at(seen, "conformance", seen.image,
                    f"{did}; the {model.name} model allows {', '.join(allowed)}")]
    named = [o for o in errors if o.value is None or o.value == seen.value]
    if not named:
        return [_at(seen, "conformance", seen.image,
                    f"returned {seen.value!r}; the {model.name} model says "
                    f"{errors[0].value!r}")]
    if any(agrees(o.world, observation.trees) for o in named):
        return []
    expected = named[0].world
    differ = [key for key in sorted(observation.trees)
              if observation.trees[key] != _tree(expected.get(key))]
    return [_at(seen, "conformance", seen.image,
                "; ".join(f"[{ds}] {base}: {show(observation.trees[(ds, base)])}, the "
                          f"{model.name} model: {show(_tree(expected.get((ds, base))))}"
                          for ds, base in differ))]


def agrees(world: Mapping[tuple[str, str], Base], trees: Trees) -> bool:
    """Whether the trees read back are the world's, key by key."""
    return all(tree == _tree(world.get(key)) for key, tree in trees.items())


def _tree(base: Base | None) -> CacheTree | None:
    return None if base is None else base.tree()


# -- how trees are shown ----------------------------------------------------------

def _image(tree: object) -> str:
    if tree is None:
        return "no folder"
    return str(sorted(tree.marks + tree.folders + tree.files))  # type: ignore[attr-defined]


def show(tree: CacheTree | None) -> str:
    if tree is None:
        return "no base folder"
    images = {i: sorted(t.marks + t.folders + t.files) for i, t in sorted(tree.images.items())}
    return f"images {images}" + (f", files {sorted(tree.files)}" if tree.files else "")
