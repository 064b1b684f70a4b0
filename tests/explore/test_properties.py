"""The registry of properties (pure): each check over its observation, the
faults that excuse a violation, and what each model predicts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from harness.contention.checker import Violation as Broken
from harness.explore.observation import (
    ContentionRun,
    Faulted,
    Predicted,
    Seen,
    SequentialRun,
    Settled,
)
from harness.explore.properties import BY_ID, PROPERTIES, judge
from harness.explore.scheme import NOVA, ORIGINAL, REFERENCE, Base, Image, Outcome
from harness.explore.sites import Injection, refused_changes
from harness.format.config import BaseFolderRule, Config, Node
from harness.vsphere.tree import CacheTree, ImageTree
from sim import Call
from sim.faults import UNTRUE

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
AGE = timedelta(hours=1)
OLD, FRESH = "ts-2026-03-01-10-00-00", "ts-2026-03-01-11-30-00"
KEY = ("LocalDS_0", "_base")
ROOT = Path(__file__).resolve().parents[2]


def tree(**images: ImageTree) -> dict:
    return {KEY: CacheTree(images=dict(images))}


def seen(op: str, before: dict, after: dict, **fields) -> Seen:
    return Seen(0, op, op, before, after, node_base="_base", datastores=("LocalDS_0",),
                now=NOW, age=AGE, **fields)


def ids(violations) -> list[str]:
    return [f"{v.property} {v.image}" for v in violations]


# -- invariants of a step -----------------------------------------------------------

def test_a_pass_deleting_a_used_or_young_image_breaks_i1_and_i2():
    before = tree(used=ImageTree(marks=[OLD]), young=ImageTree(marks=[FRESH]),
                  old=ImageTree(marks=[OLD]))
    found = judge(seen("age", before, tree(), used=frozenset({"used"})), REFERENCE)
    assert [str(v) for v in found] == [
        "step 1 (age): I1: [LocalDS_0] used deleted though the pass saw it in use",
        "step 1 (age): I2: [LocalDS_0] young deleted with no mark older than 3600 s at "
        f"12:00:00 (marks: ['{FRESH}'])"]


def test_an_enlist_that_returns_with_a_mark_it_saw_breaks_i3():
    before = tree(img=ImageTree(marks=[OLD]))
    kept = seen("enlist", before, before, image="img")
    assert ids(judge(kept, REFERENCE)) == ["I3 img"]
    failed = seen("enlist", before, before, image="img", error="vsphere_fault")
    assert judge(failed, REFERENCE) == []


def test_the_original_model_predicts_an_enlist_leaving_one_mark_of_several():
    """Edge case 5: against the original (or Nova), a mark left of several is
    its own behaviour, no finding; against the reference, it is; one mark
    left of one is a finding under every model."""
    two = tree(img=ImageTree(marks=[OLD, FRESH]))
    one_left = seen("enlist", two, tree(img=ImageTree(marks=[FRESH])), image="img")
    assert judge(one_left, ORIGINAL) == judge(one_left, NOVA) == []
    assert ids(judge(one_left, REFERENCE)) == ["I3 img"]
    assert BY_ID["I3"].predicted(ORIGINAL, judge(one_left, REFERENCE)[0], one_left)
    single = seen("enlist", tree(img=ImageTree(marks=[OLD])), tree(img=ImageTree(marks=[OLD])),
                  image="img")
    assert ids(judge(single, ORIGINAL)) == ["I3 img"]


@pytest.mark.parametrize("kind", sorted(UNTRUE))
def test_an_untrue_answer_about_the_image_excuses_what_believing_it_breaks(kind):
    before = tree(img=ImageTree(marks=[OLD]))
    fooled = seen("enlist", before, before, image="img",
                  injected=frozenset({Injection(kind, "SearchDatastore_Task", "img", False)}))
    assert judge(fooled, REFERENCE) == []
    # About another image, or a refusal that is true: no excuse.
    other = seen("enlist", before, before, image="img",
                 injected=frozenset({Injection(kind, "SearchDatastore_Task", "img2", False)}))
    refused = seen("enlist", before, before, image="img", injected=frozenset(
        {Injection("FileLocked", "SearchDatastore_Task", "img", False)}))
    assert ids(judge(other, REFERENCE)) == ids(judge(refused, REFERENCE)) == ["I3 img"]


def test_a_crash_breaks_the_contract_under_every_model():
    broke = seen("age", {}, {}, broke=True, message="crashed\nmore")
    for model in (ORIGINAL, NOVA, REFERENCE):
        assert [str(v) for v in judge(broke, model)] == [
            "step 1 (age): contract: the implementation broke: crashed"]


# -- a faulted run against its twin --------------------------------------------------

def faulted(steps: list[Seen], twin: list[Seen], converged: dict | None = None,
            clean: dict | None = None, **more) -> Faulted:
    return Faulted(SequentialRun(steps, converged if converged is not None else tree()),
                   SequentialRun(twin, clean if clean is not None else tree()),
                   more.pop("fault", "FileLocked"), **more)


def test_leftovers_are_what_neither_was_there_nor_is_there_without_the_fault():
    before = tree(img=ImageTree(marks=[OLD], files=["img.vmdk"]))
    clean = seen("age", before, tree())
    claim = seen("age", before, tree(img=ImageTree(folders=["deleting-x"],
                                                   files=["img.vmdk"])))
    assert [str(v) for v in judge(faulted([claim], [clean]), REFERENCE,
                                  [BY_ID["leftovers"]])] == [
        "step 1 (age): leftovers: [LocalDS_0] _base/img: left behind ['deleting-x']"]
    reborn = seen("age", tree(), tree(img=ImageTree(marks=[OLD])))
    assert ids(judge(faulted([reborn], [seen("age", tree(), tree())]), REFERENCE,
                     [BY_ID["leftovers"]])) == ["leftovers img"]
    # The fault refused a change to that image's entries: not a leftover of
    # the implementation's making (convergence judges what happens to it).
    assert judge(faulted([claim], [clean], spared=frozenset({"img"})), REFERENCE,
                 [BY_ID["leftovers"]]) == []
    # Told the image folder is gone, a pass has no claim left to give back.
    for kind, excused in (("FileNotFound", True), ("FileLocked", False)):
        told = seen("age", before, claim.after,
                    injected=frozenset({Injection(kind, "SearchDatastore_Task", "img", False)}))
        found = judge(faulted([told], [clean], fault=kind), REFERENCE, [BY_ID["leftovers"]])
        assert ids(found) == ([] if excused else ["leftovers img"]), kind


def test_images_whose_entries_a_fault_kept_from_changing_are_named():
    def change(method: str, path: str, injected: str) -> Call:
        return Call(0, method, "", "", 0, 0, 0, 0, "ok", path=path, injected=injected)

    calls = [change("DeleteDatastoreFile_Task", "[ds] r/_base/a/deleting-x", "FileLocked"),
             change("MakeDirectory", "[ds] r/_base/b/ts-1", "CannotCreateFile"),
             change("DeleteDatastoreFile_Task", "[ds] r/_base/c/ts-1", "delay_after"),
             change("MoveDatastoreFile_Task", "[ds] r/_base/d/ts-2", ""),
             change("DeleteDatastoreFile_Task", "[ds] r/_base/e", "FileLocked"),  # the image
             change("SearchDatastore_Task", "[ds] r/_base/f/x", "FileLocked"),  # no change
             change("MoveDatastoreFile_Task", "[ds] r/_base/g/ts-3", "drop"),
             # The call ran, its answer was lost: the change happened.
             change("MoveDatastoreFile_Task", "[ds] r/_base/i/ts-3", "drop_after"),
             change("MakeDirectory", "[ds] r/10.0.0.5_base/h/ts-1", "FileLocked")]  # another base
    assert refused_changes(calls, ["_base"]) == {"a", "b", "g"}


def test_the_model_says_what_may_escape_under_a_fault():
    clean = seen("age", {}, {})
    raised = seen("age", {}, {}, error="vsphere_fault", message="vsphere_fault: NoPermission")
    contract = [BY_ID["contract"]]
    assert judge(faulted([raised], [clean]), ORIGINAL, contract) == []
    assert [str(v) for v in judge(faulted([raised], [clean]), REFERENCE, contract)] == [
        "step 1 (age): contract: age raised vsphere_fault (vsphere_fault: NoPermission), "
        "which the reference model does not allow under a fault"]
    enlist = seen("enlist", {}, {}, error="error", message="error: MarkNotCleared")
    assert judge(faulted([enlist], [seen("enlist", {}, {})]), REFERENCE, contract) == []


def test_a_run_that_does_not_converge_is_told_apart():
    convergence = [BY_ID["convergence"]]
    same = faulted([seen("age", {}, {})], [seen("age", {}, {})],
                   tree(img=ImageTree()), tree(img=ImageTree()))
    assert judge(same, REFERENCE, convergence) == []
    apart = faulted([seen("age", {}, {})], [seen("age", {}, {})],
                    tree(img=ImageTree(marks=[OLD])), {KEY: None})
    assert [str(v) for v in judge(apart, REFERENCE, convergence)] == [
        f"convergence: [LocalDS_0] _base: after two more passes images {{'img': ['{OLD}']}}, "
        "without the fault no base folder"]


def test_an_image_a_failed_fetch_never_made_is_no_divergence():
    """Aging passes cannot make an image: one the fault kept from being
    fetched is the failed step's business (the contract's), not convergence's."""
    fetched = seen("fetch", tree(), tree(k=ImageTree(files=["k.vmdk"])))
    failed = seen("open", tree(), tree(), error="vsphere_fault",  # its login refused
                  message="vsphere_fault: CannotAccessFile")
    made = tree(k=ImageTree(files=["k.vmdk"]))
    assert judge(faulted([failed], [fetched], tree(), made), ORIGINAL) == []
    # An image the faulted run had and lost is still a divergence.
    lost = seen("fetch", tree(), made)
    assert ids(judge(faulted([lost], [fetched], tree(), made), ORIGINAL)) == \
        ["convergence "]


def test_only_what_the_fault_brings_is_a_finding():
    before = tree(img=ImageTree(marks=[OLD]))
    left = seen("enlist", before, before, image="img")
    assert judge(faulted([left], [left]), REFERENCE) == []  # broken without the fault too
    fixed = seen("enlist", before, tree(img=ImageTree()), image="img")
    assert ids(judge(faulted([left], [fixed]), REFERENCE)) == ["I3 img"]


def test_isolation_is_the_reference_models_promise_only():
    before = tree(a=ImageTree(marks=[OLD]), b=ImageTree(marks=[OLD]))
    clean = seen("age", before, tree())
    spoiled = seen("age", before, tree(a=ImageTree(marks=[OLD])))  # a fault on b kept a
    run = faulted([spoiled], [clean], tree(), tree(), hit=("LocalDS_0", "b"))
    assert ids(judge(run, REFERENCE, [BY_ID["isolation"]])) == ["isolation a"]
    assert judge(run, ORIGINAL, [BY_ID["isolation"]]) == []


# -- a contention run ------------------------------------------------------------------

@dataclass
class _Outcome:
    """What the properties read of a contention run."""

    violations: list
    nodes: tuple
    calls: list = field(default_factory=list)
    events: list = field(default_factory=list)
    epilogue: Settled | None = None
    folder: str = "ich-1"

    @property
    def scenario(self):
        return SimpleNamespace(config=Config(nodes=self.nodes, base_folder=BaseFolderRule(
            cache_prefix="shared-")))


def contention(violation: Broken, *, shared_lock: bool, calls: list | None = None
               ) -> ContentionRun:
    nodes = (Node("n1", lock_path="host1"),
             Node("n2", lock_path="host1" if shared_lock else "host2"))
    return ContentionRun(_Outcome([violation], nodes, calls or []))


I1 = Broken("I1", "img1", 0, "image folder 'img1' deleted while spawner-1@n1 used it",
            user="spawner-1@n1", by="ager-1@n2", marks=1)


def test_the_original_model_predicts_a_delete_by_a_host_outside_the_lock():
    """Edge case 16: no lock spans two hosts, and the original has no claims."""
    apart = contention(I1, shared_lock=False)
    assert judge(apart, ORIGINAL) == judge(apart, NOVA) == []
    assert ids(judge(apart, REFERENCE)) == ["I1 img1"]
    together = contention(I1, shared_lock=True)
    assert ids(judge(together, ORIGINAL)) == ["I1 img1"]


def test_the_original_model_predicts_a_delete_by_a_mark_an_enlist_left():
    several = contention(Broken("I1", "img1", 0, "deleted while in use", user="spawner-1@n1",
                                by="ager-1@n2", marks=2), shared_lock=True)
    assert judge(several, ORIGINAL) == []
    assert ids(judge(several, REFERENCE)) == ["I1 img1"]


def test_a_listing_that_lied_excuses_i1_in_a_contention_run():
    """The false finding on refimpl: FileNotFound for an image folder that is
    there; the enlist answered 'not cached', as any implementation would."""
    lied = Call(0, "SearchDatastore_Task", "", "", 0, 0, 0, 0, "FileNotFound",
                path="[LocalDS_0] ich-1/shared-_base/img1", injected="FileNotFound")
    assert judge(contention(I1, shared_lock=True, calls=[lied]), REFERENCE) == []
    locked = Call(0, "SearchDatastore_Task", "", "", 0, 0, 0, 0, "FileLocked",
                  path="[LocalDS_0] ich-1/shared-_base/img1", injected="FileLocked")
    assert ids(judge(contention(I1, shared_lock=True, calls=[locked]), REFERENCE)) == \
        ["I1 img1"]


@pytest.mark.parametrize("kind", sorted(UNTRUE))
def test_what_follows_from_believing_a_lie_is_excused_and_a_delete_without_a_mark_is_not(kind):
    """Told the image is not there, an enlist protects nothing: a pass's mark
    on the image in use (I4) follows. No answer is a reason to delete an
    image without an old mark (I2)."""
    lied = Call(0, "SearchDatastore_Task", "", "", 0, 0, 0, 0, kind,
                path="[LocalDS_0] ich-1/shared-_base/img1", injected=kind)
    marked = Broken("I4", "img1", 0, "mark ts-x (older than spawner-1@n1's enlist) appeared",
                    user="spawner-1@n1")
    assert judge(contention(marked, shared_lock=True, calls=[lied]), REFERENCE) == []
    young = Broken("I2", "img1", 0, "image folder 'img1' deleted with no mark older than 2 s")
    assert ids(judge(contention(young, shared_lock=True, calls=[lied]), REFERENCE)) == \
        ["I2 img1"]
    other = Call(0, "SearchDatastore_Task", "", "", 0, 0, 0, 0, kind,
                 path="[LocalDS_0] ich-1/shared-_base/img2", injected=kind)
    assert ids(judge(contention(marked, shared_lock=True, calls=[other]), REFERENCE)) == \
        ["I4 img1"]  # a lie about another image excuses nothing here


def test_the_original_model_predicts_a_mark_left_by_a_delete_fault_it_tolerates():
    """Edge case 11: the original takes FileLocked deleting a mark in its
    stride, and the mark stays; refimpl raises instead."""
    locked = Call(0, "DeleteDatastoreFile_Task", "", "", 0, 0, 0, 0, "FileLocked",
                  path="[LocalDS_0] ich-1/shared-_base/img1/ts-2026-03-01-11-00-00",
                  injected="FileLocked")
    left = Broken("I3", "img1", 0, "enlist returned with marks it found still there",
                  user="spawner-1@n1", marks=1)
    run = contention(left, shared_lock=True, calls=[locked])
    assert judge(run, ORIGINAL) == []
    assert ids(judge(run, REFERENCE)) == ["I3 img1"]
    denied = Call(0, "DeleteDatastoreFile_Task", "", "", 0, 0, 0, 0, "NoPermission",
                  path=locked.path, injected="NoPermission")  # not tolerated: no excuse
    assert ids(judge(contention(left, shared_lock=True, calls=[denied]), ORIGINAL)) == \
        ["I3 img1"]


def test_a_crashed_actor_breaks_the_contract():
    assert [str(v) for v in judge(ContentionRun(crash="actor x exited with 1"), ORIGINAL)] == \
        ["contract: an actor crashed: actor x exited with 1"]


# -- a step against the model -------------------------------------------------------------

def world(**images: Image) -> dict:
    return {KEY: Base(images=dict(images))}


def test_conformance_is_the_step_ending_as_the_model_allows():
    marked = world(img=Image(frozenset({OLD})))
    step = seen("enlist", tree(img=ImageTree(marks=[OLD])), tree(img=ImageTree()), image="img")
    cleared = Outcome(world(img=Image()))
    assert judge(Predicted(step, [cleared], step.after), REFERENCE) == []
    # The tree differs from every outcome the model allows.
    [v] = judge(Predicted(step, [Outcome(marked)], step.after), REFERENCE,
                [BY_ID["conformance"]])
    assert v.message == (f"[LocalDS_0] _base: images {{'img': []}}, the reference model: "
                         f"images {{'img': ['{OLD}']}}")
    # An error the model does not allow there.
    raised = seen("enlist", tree(), tree(), image="img", error="error", message="error: boom")
    [v] = judge(Predicted(raised, [Outcome({})], {}), REFERENCE)
    assert v.message == "raised error: boom; the reference model allows success"
    # A cache folder of another name.
    named = seen("cache_folder", {}, {}, image="img", value="[LocalDS_0] x/img")
    [v] = judge(Predicted(named, [Outcome({}, value="[LocalDS_0] _base/img")], {}), REFERENCE)
    assert v.message == "returned '[LocalDS_0] x/img'; the reference model says " \
                        "'[LocalDS_0] _base/img'"


# -- the registry and its page ---------------------------------------------------------------

def test_every_property_and_every_excuse_is_on_the_explorers_page():
    page = (ROOT / "docs" / "explore.md").read_text()
    for prop in PROPERTIES:
        assert re.search(rf"\*\*{re.escape(prop.id)}\*\*", page), prop.id
        for kind in prop.excuses:
            assert kind in page, (prop.id, kind)


def test_an_invariant_a_step_breaks_as_its_model_allows_is_no_finding():
    """The original deletes an image by a stray folder lstrip reads as an
    old mark (edge case 7): I2 by the harness's reading of marks, but the
    original's model allows the step's outcome, so no finding against it;
    against the reference the same step breaks I2 and conformance."""
    stray = "ts-ts-2026-02-01-00-00-00"
    step = seen("age", tree(img=ImageTree(folders=[stray])), tree())
    deleted = Outcome(world())
    kept = Outcome(world(img=Image(frozenset({stray}))))
    assert judge(Predicted(step, [deleted], step.after), ORIGINAL) == []
    assert ids(judge(Predicted(step, [kept], step.after), REFERENCE)) == \
        ["I2 img", "conformance "]
