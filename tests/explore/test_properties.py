"""What must hold whatever the fault: the pure checks of the sweep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from harness.explore.properties import (
    ORIGINAL_CONTRACT,
    REFERENCE_CONTRACT,
    Run,
    Seen,
    contract_breaches,
    divergence,
    findings,
    invariants,
    leftovers,
)
from harness.explore.sweep import refused_changes
from harness.vsphere.tree import CacheTree, ImageTree
from sim import Call

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
AGE = timedelta(hours=1)
OLD, FRESH = "ts-2026-03-01-10-00-00", "ts-2026-03-01-11-30-00"
KEY = ("LocalDS_0", "_base")


def tree(**images: ImageTree) -> dict:
    return {KEY: CacheTree(images=dict(images))}


def seen(op: str, before: dict, after: dict, **fields) -> Seen:
    return Seen(0, op, op, before, after, node_base="_base", datastores=("LocalDS_0",),
                now=NOW, **fields)


def test_a_pass_deleting_a_used_or_young_image_breaks_i1_and_i2():
    before = tree(used=ImageTree(marks=[OLD]), young=ImageTree(marks=[FRESH]),
                  old=ImageTree(marks=[OLD]))
    after = tree()
    found = invariants(seen("age", before, after, used=frozenset({"used"})), AGE)
    assert found == [
        "I1: [LocalDS_0] used deleted though the pass saw it in use",
        "I2: [LocalDS_0] young deleted with no mark older than 3600 s at 12:00:00 (marks: "
        f"['{FRESH}'])"]


def test_an_enlist_that_returns_with_a_mark_it_saw_breaks_i3():
    before = tree(img=ImageTree(marks=[OLD, FRESH]))
    kept = seen("enlist", before, tree(img=ImageTree(marks=[FRESH])), image="img")
    assert invariants(kept, AGE) == [
        f"I3: enlist of img returned with marks it found still there: ['{FRESH}']"]
    failed = seen("enlist", before, before, image="img", error="vsphere_fault")
    assert invariants(failed, AGE) == []


def test_leftovers_are_what_neither_was_there_nor_is_there_without_the_fault():
    before = tree(img=ImageTree(marks=[OLD], files=["img.vmdk"]))
    clean = seen("age", before, tree())
    claim = seen("age", before, tree(img=ImageTree(folders=["deleting-x"],
                                                   files=["img.vmdk"])))
    assert leftovers(claim, clean) == ["[LocalDS_0] _base/img: left behind ['deleting-x']"]
    reborn = seen("age", tree(), tree(img=ImageTree(marks=[OLD])))
    assert leftovers(reborn, seen("age", tree(), tree())) == [
        "[LocalDS_0] _base/img: an image folder appeared"]
    assert leftovers(clean, clean) == []
    # The fault refused a change to that image's entries: not a leftover of
    # the implementation's making (convergence judges what happens to it).
    assert leftovers(claim, clean, frozenset({"img"})) == []
    assert leftovers(claim, clean, frozenset({"other"})) != []


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


def test_the_contract_says_what_may_escape_under_a_fault():
    clean = seen("age", {}, {})
    raised = seen("age", {}, {}, error="vsphere_fault", message="vsphere_fault: NoPermission")
    assert contract_breaches(raised, clean, ORIGINAL_CONTRACT) == []
    assert contract_breaches(raised, clean, REFERENCE_CONTRACT) == [
        "age raised vsphere_fault (vsphere_fault: NoPermission), which the reference contract "
        "does not allow under a fault"]
    enlist = seen("enlist", {}, {}, error="error", message="error: MarkNotCleared")
    assert contract_breaches(enlist, seen("enlist", {}, {}), REFERENCE_CONTRACT) == []
    broke = seen("age", {}, {}, broke=True, message="crashed\nmore")
    assert contract_breaches(broke, clean, ORIGINAL_CONTRACT) == [
        "the implementation broke: crashed"]


def test_a_run_that_does_not_converge_is_told_apart():
    assert divergence(tree(img=ImageTree()), tree(img=ImageTree())) == []
    assert divergence(tree(img=ImageTree(marks=[OLD])), {KEY: None}) == [
        f"[LocalDS_0] _base: after two more passes images {{'img': ['{OLD}']}}, without the "
        "fault no base folder"]


def test_an_image_a_failed_fetch_never_made_is_no_divergence():
    """Aging passes cannot make an image: one the fault kept from being
    fetched is the failed step's business (the contract's), not convergence's."""
    fetched = seen("fetch", tree(), tree(k=ImageTree(files=["k.vmdk"])))
    failed = seen("open", tree(), tree(), error="vsphere_fault",  # its login refused
                  message="vsphere_fault: CannotAccessFile")
    clean = Run([fetched], tree(k=ImageTree(files=["k.vmdk"])))
    assert findings(Run([failed], tree()), clean, AGE, ORIGINAL_CONTRACT) == []
    # An image the faulted run had and lost is still a divergence.
    lost = seen("fetch", tree(), tree(k=ImageTree(files=["k.vmdk"])))
    assert findings(Run([lost], tree()), clean, AGE, ORIGINAL_CONTRACT) == [
        "[LocalDS_0] _base: after two more passes images {}, without the fault images "
        "{'k': ['k.vmdk']}"]


def test_only_what_the_fault_brings_is_a_finding():
    before = tree(img=ImageTree(marks=[OLD]))
    left = seen("enlist", before, before, image="img")
    run, clean = Run([left], tree()), Run([left], tree())
    assert findings(run, clean, AGE, REFERENCE_CONTRACT) == []  # broken without the fault too
    fixed = Run([seen("enlist", before, tree(img=ImageTree()), image="img")], tree())
    assert findings(run, fixed, AGE, REFERENCE_CONTRACT) == [
        f"step 1 (enlist): I3: enlist of img returned with marks it found still there: "
        f"['{OLD}']"]
    # A listing that says FileNotFound fools any enlist: not its fault.
    assert findings(run, fixed, AGE, REFERENCE_CONTRACT, "FileNotFound") == []
