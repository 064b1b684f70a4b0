"""refimpl against the simulator: the spec's edge cases (numbered as in
docs/spec.md) and refimpl's departures from the original."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest

from refimpl import (
    DatastoreNotFound,
    DatastorePath,
    Instance,
    InvalidArgument,
    MarkNotCleared,
    mark_name,
)
from sim import Simulator

from .conftest import DS0, DS1, START


def uses(*image_ids: str) -> list[Instance]:
    return [Instance(uuid=f"u{i}", name=f"vm{i}", host="node1", image_ref=image_id)
            for i, image_id in enumerate(image_ids)]


MARK0 = mark_name(START)


def test_ec1_unused_image_gets_exactly_one_mark_and_stays(manager, cache):
    cache.image("img1", files=("img1.vmdk",))
    summary = manager().update([], [DS0])
    assert cache.tree() == {"img1": ["img1.vmdk", MARK0 + "/"]}
    assert summary.marked == [(DS0, "img1")] and summary.deleted == []


def test_a_mark_is_named_when_it_is_made_not_when_the_pass_began(manager, cache, clock):
    """A pass that plans, then waits (for the image's lock, held by a slow
    clear), marks with the time it marks at: a mark named at its start would
    be older than it says, and the next pass would delete an image enlisted
    in between (found by the explorer: a generated race, seed 1001)."""
    cache.image("img1", files=("img1.vmdk",))
    # The plan's reading of the clock adds a hook that moves the next one on.
    clock.hooks.append(lambda: clock.hooks.append(lambda: clock.advance(90)))
    manager(age=60).update([], [DS0])
    assert cache.tree() == {"img1": ["img1.vmdk", "ts-2026-03-01-12-01-30/"]}


def test_ec2_mark_exactly_age_old_is_kept_one_second_later_deleted(manager, cache, clock):
    cache.image("img1", MARK0)
    mgr = manager(age=60)
    clock.advance(60)
    mgr.update([], [DS0])
    assert cache.tree() == {"img1": [MARK0 + "/"]}
    clock.advance(1)
    assert mgr.update([], [DS0]).deleted == [(DS0, "img1")]
    assert cache.tree() == {}


def test_ec3_mark_in_the_future_waits_until_the_clock_passes_it(manager, cache, clock):
    future = mark_name(START.replace(hour=13))
    cache.image("img1", future)
    mgr = manager(age=60)
    mgr.update([], [DS0])
    clock.advance(3600 + 60)  # exactly age past the mark: kept
    mgr.update([], [DS0])
    assert cache.tree() == {"img1": [future + "/"]}
    clock.advance(1)
    mgr.update([], [DS0])
    assert cache.tree() == {}


def test_ec4_age_zero_marks_then_deletes_a_second_later(manager, cache, clock):
    cache.image("img1")
    mgr = manager(age=0)
    mgr.update([], [DS0])
    mgr.update([], [DS0])  # same second: 0 s is not older than 0 s
    assert cache.tree() == {"img1": [MARK0 + "/"]}
    clock.advance(1)
    mgr.update([], [DS0])
    assert cache.tree() == {}


def test_ec5_enlist_removes_every_mark(manager, cache):
    # Departure: the original removes one arbitrary mark; a stale one
    # survives and the image can be deleted while in use.
    cache.image("img1", "ts-2026-03-01-10-00-00", "ts-2026-03-01-11-00-00", "ts-junk",
                files=("img1.vmdk",))
    manager().enlist_image("img1", DS0)
    assert cache.tree() == {"img1": ["img1.vmdk"]}


def test_aging_uses_the_newest_of_several_marks(manager, cache, clock):
    cache.image("img1", "ts-2026-03-01-10-00-00", "ts-2026-03-01-11-59-00")
    mgr = manager(age=600)
    summary = mgr.update([], [DS0])  # oldest mark is 2 h old, newest 1 min
    assert summary.deleted == [] and set(cache.tree()) == {"img1"}
    clock.advance(600)
    assert mgr.update([], [DS0]).deleted == [(DS0, "img1")]


@pytest.mark.parametrize("bad", ["ts-foo", "ts-", "ts-2012-01-02-03-04-05-x",
                                 "ts-ts-2012-01-02-03-04-05", "ts-2012-1-2-3-4-5",
                                 "ts-2012-13-02-03-04-05"])
def test_ec6_ec7_malformed_marks_are_ignored_and_the_pass_goes_on(manager, cache, caplog, bad):
    cache.image("a-img", bad)
    cache.image("b-img", "ts-2026-03-01-10-00-00")
    cache.image("c-img")
    with caplog.at_level(logging.WARNING, "refimpl"):
        summary = manager(age=60).update([], [DS0])
    assert f"malformed mark {bad!r} ignored" in caplog.text
    assert cache.tree() == {"a-img": sorted([bad + "/", MARK0 + "/"]), "c-img": [MARK0 + "/"]}
    assert summary.deleted == [(DS0, "b-img")]
    assert (DS0, "a-img") in summary.marked  # only a malformed mark: unmarked


def test_ec8_plain_file_in_base_folder_is_not_an_image(manager, cache, client, base):
    client.put(DS0, f"{base}/stray.txt", b"hello")
    cache.image("img1")
    summary = manager().update([], [DS0])
    assert summary.faults == [] and summary.marked == [(DS0, "img1")]
    assert cache.tree() == {"img1": [MARK0 + "/"], "stray.txt": []}


def test_ec9_marking_never_recreates_a_vanished_image_folder(manager, cache, client, base,
                                                             clock):
    cache.image("img1")
    # Another node deletes the folder after this pass listed it.
    clock.hooks.append(lambda: client.delete(DS0, f"{base}/img1"))
    summary = manager().update([], [DS0])
    assert cache.tree() == {}
    assert summary.marked == []
    assert [s.reason for s in summary.skipped] == ["image folder vanished before marking"]


def test_ec10_mark_created_meanwhile_by_another_node_is_fine(manager, cache, client, base,
                                                             clock):
    cache.image("img1")
    clock.hooks.append(lambda: client.mkdir(DS0, f"{base}/img1/{MARK0}"))
    summary = manager().update([], [DS0])
    assert summary.marked == [(DS0, "img1")] and summary.faults == []
    assert cache.tree() == {"img1": [MARK0 + "/"]}


def test_fault_on_one_image_is_reported_and_the_pass_goes_on(manager, cache, client, base,
                                                            clock):
    cache.image("a-img")
    cache.image("b-img")

    def replace_folder_with_file() -> None:
        client.delete(DS0, f"{base}/a-img")
        client.put(DS0, f"{base}/a-img", b"not a folder")

    clock.hooks.append(replace_folder_with_file)
    summary = manager().update([], [DS0])
    assert [(f.image_id, f.fault) for f in summary.faults] == [("a-img", "CannotCreateFile")]
    assert summary.marked == [(DS0, "b-img")]


def test_listing_fault_on_one_datastore_does_not_stop_the_others(manager, cache, client, base):
    client.put(DS0, base, b"a file where the base folder should be")
    cache.image("img1", datastore=DS1)
    summary = manager().update([], [DS0, DS1])
    assert [(s.datastore, s.image_id, s.fault) for s in summary.faults] == [
        (DS0, None, "InvalidArgument")]
    assert summary.marked == [(DS1, "img1")]


def test_ec12_missing_base_folder_is_an_empty_pass(manager, cache):
    mgr = manager()
    assert str(mgr.update(uses("img1"), [DS0])) == \
        "marked 0, deleted 0, cleared 0, skipped 0 (0 on faults)"
    mgr.enlist_image("img1", DS0)  # not cached: nothing to clear, no error
    assert cache.tree() is None


def test_ec14_image_used_anywhere_is_aged_nowhere_and_marks_are_cleared(manager, cache):
    cache.image("img1", MARK0, datastore=DS0)
    cache.image("img1", "ts-2020-01-01-00-00-00", "ts-bad", datastore=DS1)
    summary = manager(age=0).update(uses("img1"), [DS0, DS1])
    assert cache.tree(DS0) == {"img1": []} and cache.tree(DS1) == {"img1": []}
    assert summary.cleared == [(DS0, "img1"), (DS1, "img1")]


def test_kernel_and_ramdisk_ids_count_as_used(manager, cache):
    for image in ("kernel", "ramdisk", "root", "other"):
        cache.image(image)
    inst = Instance(uuid="u", name="vm", host="n", image_ref="root", kernel_id="kernel",
                    ramdisk_id="ramdisk")
    assert manager().update([inst], [DS0]).marked == [(DS0, "other")]


def test_ec20_linked_clone_copies_go_with_the_image(manager, cache, clock):
    cache.image("img1", MARK0, files=("img1.vmdk", "img1-flat.vmdk", "img1.80.vmdk"))
    clock.advance(61)
    manager(age=60).update([], [DS0])
    assert cache.tree() == {}


def test_ec21_no_datastores_does_nothing(manager, cache):
    cache.image("img1")
    summary = manager().update([], [])
    assert str(summary) == "marked 0, deleted 0, cleared 0, skipped 0 (0 on faults)"
    assert cache.tree() == {"img1": []}


def test_none_means_every_datastore(manager, cache):
    cache.image("img1", datastore=DS0)
    cache.image("img2", datastore=DS1)
    assert manager().update([]).marked == [(DS0, "img1"), (DS1, "img2")]


def test_ec22_similar_image_ids_are_independent(manager, cache, clock):
    cache.image("img1", MARK0)
    cache.image("img10", MARK0)
    mgr = manager(age=60)
    clock.advance(61)
    mgr.enlist_image("img1", DS0)
    mgr.update(uses("img1"), [DS0])
    assert cache.tree() == {"img1": []}


def test_ec18_spawn_between_listing_and_delete_wins(manager, cache, clock, session, base,
                                                    lock_path):
    # Departure: the delete is re-checked under the image's lock. Another
    # node's spawn enlists the image after this pass listed it; the pass's
    # instance list predates the new instance, yet nothing is deleted.
    cache.image("img1", MARK0, files=("img1.vmdk",))
    clock.advance(61)
    other_node = manager(lock_path=lock_path.parent / "node2-locks")
    clock.hooks.append(lambda: other_node.enlist_image("img1", DS0))
    summary = manager(age=60).update([], [DS0])
    assert cache.tree() == {"img1": ["img1.vmdk"]}
    assert summary.deleted == []
    assert [s.reason for s in summary.skipped] == [
        "not deleted: mark was cleared since the listing (image enlisted)"]


def test_get_image_cache_folder(manager, base):
    assert manager().get_image_cache_folder(DS0, "img-1") == f"[{DS0}] {base}/img-1"


@pytest.mark.parametrize("image_id", ["", "a/b", "..", "x..y", "a\\b", "tab\there", None])
def test_bad_image_ids_fail_before_any_call(stopped_session, image_id):
    from refimpl import ImageCacheManager

    mgr = ImageCacheManager(stopped_session, "_base", lock_path="/nonexistent", age_seconds=1)
    with pytest.raises(InvalidArgument, match="image id"):
        mgr.enlist_image(image_id, DS0)
    with pytest.raises(InvalidArgument, match="image id"):
        mgr.get_image_cache_folder(DS0, image_id)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"lock_path": None}, "lock_path is required"),
    ({"lock_path": ""}, "lock_path is required"),
    ({"lock_path": "/x", "age_seconds": -1}, "age_seconds must be an int >= 0"),
    ({"lock_path": "/x", "base_folder": "../up"}, "must be a relative path without '..'"),
])
def test_bad_manager_arguments(stopped_session, kwargs, message):
    from refimpl import ImageCacheManager

    with pytest.raises(InvalidArgument, match=message):
        ImageCacheManager(stopped_session, **kwargs)


def test_unknown_datastore(manager):
    with pytest.raises(DatastoreNotFound, match=r"no datastore 'NoSuchDS' \(known: LocalDS_0, "
                                                r"LocalDS_1\)"):
        manager().enlist_image("img1", "NoSuchDS")
    with pytest.raises(DatastoreNotFound):
        manager().update([], ["NoSuchDS"])


@pytest.fixture
def stopped_session():
    """A session whose simulator is gone: any vSphere call would fail."""
    import refimpl
    from sim import Simulator

    with Simulator("process") as sim:
        session = refimpl.connect(sim.url, insecure=True)
    return session


# -- claims: a pass renames the mark before deleting; no lock spans hosts --

CLAIM = f"deleting-{MARK0}-0123abcd"  # another host's

def at_second_clock_reading(clock, action) -> None:
    """Run ``action`` when the pass reads the clock the second time: after
    its re-read of the image's folder, before it claims the mark."""
    clock.hooks.append(lambda: clock.hooks.append(action))


def test_spawn_on_another_host_after_the_recheck_wins(manager, cache, clock, lock_path):
    cache.image("img1", MARK0, files=("img1.vmdk",))
    clock.advance(61)
    other_host = manager(lock_path=lock_path.parent / "host2-locks")
    at_second_clock_reading(clock, lambda: other_host.enlist_image("img1", DS0))
    summary = manager(age=60).update([], [DS0])
    assert cache.tree() == {"img1": ["img1.vmdk"]}
    assert summary.deleted == []
    assert [s.reason for s in summary.skipped] == [
        "not deleted: its mark was removed before the pass could claim it (image enlisted)"]


def test_a_pass_claims_the_mark_and_then_deletes(manager, cache, clock, vcsim, base):
    cache.image("img1", MARK0)
    clock.advance(61)
    vcsim.control.reset_trace()
    assert manager(age=60).update([], [DS0]).deleted == [(DS0, "img1")]
    calls = [(c.method, c.path) for c in vcsim.control.trace().calls
             if c.method in ("MoveDatastoreFile_Task", "DeleteDatastoreFile_Task")]
    assert calls == [("MoveDatastoreFile_Task", f"[{DS0}] {base}/img1/{MARK0}"),
                     ("DeleteDatastoreFile_Task", f"[{DS0}] {base}/img1")]
    assert cache.tree() == {}


def test_a_failed_delete_gives_the_claim_back(manager, cache, clock, vcsim, base):
    cache.image("img1", MARK0, files=("img1.vmdk",))
    clock.advance(61)
    vcsim.control.add_fault("CannotDeleteFile", method="DeleteDatastoreFile_Task",
                            path=f"[{DS0}] {base}/img1", count=1)
    try:
        summary = manager(age=60).update([], [DS0])
    finally:
        vcsim.control.clear_faults()
    assert [f.fault for f in summary.faults] == ["CannotDeleteFile"]
    assert cache.tree() == {"img1": ["img1.vmdk", MARK0 + "/"]}


def test_of_two_passes_claiming_two_marks_the_older_claim_gives_way(manager, cache, clock):
    # Another host's pass claimed the newest mark; this one claims the next:
    # only one may delete, or the later delete by path can remove the image
    # fetched again meanwhile.
    older = mark_name(START - timedelta(seconds=10))
    newer_claim = f"deleting-{mark_name(START + timedelta(seconds=5))}-0123abcd"
    cache.image("img1", MARK0, older, newer_claim, files=("img1.vmdk",))
    clock.advance(61)
    summary = manager(age=60).update([], [DS0])
    assert summary.deleted == []
    assert [s.reason for s in summary.skipped] == [
        f"not deleted: another pass claimed a newer mark ({newer_claim}) and deletes it"]
    assert cache.tree() == {
        "img1": sorted([newer_claim + "/", MARK0 + "/", older + "/", "img1.vmdk"])}


@pytest.mark.parametrize("seconds", [0, -10], ids=["same-mark", "older-mark"])
def test_a_claim_left_behind_does_not_keep_the_image(manager, cache, clock, seconds):
    # A claim of the same or an older mark is being given back, or its pass
    # died: it deletes nothing any more, so the image ages away.
    stale = f"deleting-{mark_name(START + timedelta(seconds=seconds))}-0123abcd"
    cache.image("img1", MARK0, stale, files=("img1.vmdk",))
    clock.advance(61)
    assert manager(age=60).update([], [DS0]).deleted == [(DS0, "img1")]
    assert cache.tree() == {}


def test_enlist_gives_up_on_a_claim_that_stays_and_names_it(manager, cache):
    cache.image("img1", CLAIM, files=("img1.vmdk",))
    with pytest.raises(MarkNotCleared, match=CLAIM):
        manager(claim_wait_seconds=0.2).enlist_image("img1", DS0)
    assert cache.tree() == {"img1": [CLAIM + "/", "img1.vmdk"]}


class EnlistInThread:
    """An enlist of img1 that waits on a claim, in a thread of its own."""

    def __init__(self, manager) -> None:
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, args=(manager,))
        self.thread.start()
        self.thread.join(0.5)
        assert self.thread.is_alive(), "enlist returned while a pass was deleting the image"

    def _run(self, manager) -> None:
        try:
            manager(claim_wait_seconds=30).enlist_image("img1", DS0)
        except BaseException as exc:  # re-raised in the test's thread
            self.errors.append(exc)

    def finished(self) -> bool:
        self.thread.join(30)
        if self.errors:
            raise self.errors[0]
        return not self.thread.is_alive()


def test_enlist_waits_until_a_claimed_image_is_gone(manager, cache, client, base):
    cache.image("img1", CLAIM, files=("img1.vmdk",))
    enlist = EnlistInThread(manager)
    client.delete(DS0, f"{base}/img1")  # the other pass's delete
    assert enlist.finished()


def test_enlist_starts_over_when_the_claim_is_given_back(manager, cache, client, base):
    cache.image("img1", CLAIM, files=("img1.vmdk",))
    enlist = EnlistInThread(manager)
    client.mkdir(DS0, f"{base}/img1/{MARK0}")  # the other pass's delete failed:
    client.delete(DS0, f"{base}/img1/{CLAIM}")  # it gives the claim back
    assert enlist.finished()
    assert cache.tree() == {"img1": ["img1.vmdk"]}


def test_enlist_looks_again_when_a_mark_it_removes_was_claimed(manager, cache, base):
    # Another host's pass claims the mark just before enlist removes it, its
    # delete fails, and it gives the claim back just after: the mark is back.
    cache.image("img1", MARK0, files=("img1.vmdk",))
    mgr = manager(claim_wait_seconds=30)
    files, real_delete = mgr._files, mgr._files.delete
    interleaved = []

    def delete(ds, path):
        if path.basename != MARK0 or interleaved:
            return real_delete(ds, path)
        claim = DatastorePath(ds.name, f"{base}/img1/{CLAIM}")
        files.move(ds, path, claim)
        interleaved.append(path)
        try:
            return real_delete(ds, path)
        finally:
            files.mkdir(ds, path)
            real_delete(ds, claim)

    files.delete = delete
    mgr.enlist_image("img1", DS0)
    assert interleaved
    assert cache.tree() == {"img1": ["img1.vmdk"]}


class TestASlowDeleteWhoseAnswerIsLost:
    """The delete's task runs 600 ms after its answer is lost: the claim must
    stay until it lands. Given back at once, the restored mark would let an
    enlist return while the folder goes."""

    @pytest.fixture(scope="class")
    @classmethod
    def vcsim(cls):
        # govmomi delays a task by its info.name, which in stock fidelity is
        # not the method's name: the call answers at once, its task runs late.
        with Simulator("process", datastores=2, fidelity="stock",
                       method_delay={"DeleteDatastoreFile": 600, "LockHandoff": 0}) as sim:
            yield sim

    def test_the_pass_waits_for_it_and_never_gives_the_claim_back(self, manager, cache, clock,
                                                                   vcsim):
        cache.image("img1", MARK0, files=("img1.vmdk",))
        clock.advance(61)
        vcsim.control.add_fault("drop_after", method="DeleteDatastoreFile_Task", count=1)
        vcsim.control.reset_trace()
        summary = manager(age=60).update([], [DS0])
        assert summary.deleted == [(DS0, "img1")] and summary.faults == []
        assert cache.tree() == {}
        # Giving back is MakeDirectory of the mark while the delete is pending.
        assert vcsim.control.trace().counts.get("MakeDirectory", 0) == 0


@pytest.mark.parametrize("method", ["MoveDatastoreFile_Task", "DeleteDatastoreFile_Task"])
def test_a_lost_answer_leaves_no_claim(manager, cache, clock, vcsim, base, method):
    # The call runs, its answer is lost: the pass finds out what happened.
    cache.image("img1", MARK0, files=("img1.vmdk",))
    clock.advance(61)
    vcsim.control.add_fault("drop_after", method=method, count=1)
    try:
        summary = manager(age=60).update([], [DS0])
    finally:
        vcsim.control.clear_faults()
    if method == "MoveDatastoreFile_Task":  # claimed, not deleted: given back
        assert cache.tree() == {"img1": ["img1.vmdk", MARK0 + "/"]}
        assert summary.deleted == [] and len(summary.faults) == 1
    else:  # deleted
        assert cache.tree() == {}
        assert summary.deleted == [(DS0, "img1")] and summary.faults == []
