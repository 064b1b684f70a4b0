"""refimpl's pure parts: naming, paths, snapshot, planner, fault names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pyVmomi import vim, vmodl

from refimpl import DatastorePath, InvalidArgument, base_folder, mark_name, parse_mark
from refimpl import errors as E
from refimpl.instances import Instance, used_images
from refimpl.naming import claimed_mark
from refimpl.planner import (
    Clear,
    Delete,
    Mark,
    Note,
    claim_wins,
    expired,
    plan_pass,
    recheck_delete,
)
from refimpl.snapshot import CacheSnapshot, image_folder

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


# -- naming -------------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"my_ip": "10.0.0.5"}, "10.0.0.5_base"),
    ({"cache_prefix": "pre", "my_ip": "10.0.0.5"}, "pre_base"),
    ({"cache_prefix": "pre-", "subdirectory_name": "cache"}, "pre-cache"),
    ({"remove_unused_base_images": False, "my_ip": "10.0.0.5"}, "_base"),
    ({"remove_unused_base_images": False, "subdirectory_name": "img/cache"}, "img/cache"),
])
def test_base_folder_follows_novas_rule(kwargs, expected):
    assert base_folder(**kwargs) == expected


def test_base_folder_needs_my_ip_when_removing_unused_images():
    with pytest.raises(InvalidArgument, match="my_ip is required"):
        base_folder()


def test_mark_round_trip_is_utc():
    assert mark_name(T0) == "ts-2026-03-01-12-00-00"
    assert parse_mark("ts-2026-03-01-12-00-00") == T0
    cet = T0.astimezone(__import__("datetime").timezone(timedelta(hours=1)))
    assert mark_name(cet) == "ts-2026-03-01-12-00-00"
    assert mark_name(T0.replace(tzinfo=None)) == "ts-2026-03-01-12-00-00"  # naive = UTC


@pytest.mark.parametrize("name", ["ts-", "ts-foo", "ts-ts-2026-03-01-12-00-00",
                                  "ts-2026-3-1-12-0-0", "ts-2026-03-01-12-00-00-x",
                                  "ts-2026-02-30-12-00-00", "TS-2026-03-01-12-00-00",
                                  "ts-2026-03-01 12-00-00"])
def test_strict_mark_parsing(name):
    assert parse_mark(name) is None


# -- paths --------------------------------------------------------------------

def test_datastore_path_matches_oslo_vmware():
    p = DatastorePath("ds1", "10.0.0.5_base").join("img1")
    assert str(p) == "[ds1] 10.0.0.5_base/img1"
    assert str(DatastorePath("ds1")) == "[ds1]"
    assert DatastorePath.parse("[ds 1] a/b/") == DatastorePath("ds 1", "a/b")
    assert DatastorePath.parse("[ds1]") == DatastorePath("ds1")
    assert p.relative_to(DatastorePath("ds1", "10.0.0.5_base")) == "img1"
    assert p.relative_to(DatastorePath("ds2", "10.0.0.5_base")) is None
    assert DatastorePath("ds1", "10.0.0.5_base10").relative_to(
        DatastorePath("ds1", "10.0.0.5_base")) is None


@pytest.mark.parametrize("text", ["ds1 a/b", "", "ds1]"])
def test_bad_datastore_paths(text):
    with pytest.raises(InvalidArgument):
        DatastorePath.parse(text)


# -- snapshot and planner ----------------------------------------------------

def snapshot(**images: list[str]) -> CacheSnapshot:
    return CacheSnapshot.from_listing("ds", {"": sorted(images), **images})


def test_snapshot_keeps_images_marks_and_malformed_apart():
    snap = snapshot(a=["ts-2026-03-01-11-00-00", "ts-2026-03-01-10-00-00", "ts-x", "sub"], b=[])
    a = snap.images["a"]
    assert a.newest_mark == T0 - timedelta(hours=1)
    assert a.malformed == ("ts-x",)
    assert a.mark_like == ("ts-2026-03-01-10-00-00", "ts-2026-03-01-11-00-00", "ts-x")
    assert snap.images["b"].newest_mark is None


def test_image_without_own_listing_entry_has_no_marks():
    snap = CacheSnapshot.from_listing("ds", {"": ["a"]})
    assert snap.images["a"].marks == {}


def test_plan():
    snap = snapshot(new=[], fresh=["ts-2026-03-01-11-59-00"], old=["ts-2026-03-01-10-00-00"],
                    used=["ts-2026-03-01-10-00-00", "ts-bad"], inuse=[],
                    odd=["ts-odd"])
    plan = plan_pass(snap, {"used", "inuse", "elsewhere"}, T0, 3600)
    assert plan.actions == (  # by image id
        Mark("new"),
        Mark("odd"),
        Delete("old", T0 - timedelta(hours=2)),
        Clear("used", ("ts-2026-03-01-10-00-00", "ts-bad")),
    )
    assert plan.notes == (Note("odd", "malformed mark 'ts-odd' ignored"),
                          Note("used", "malformed mark 'ts-bad' ignored"))


def test_expired_is_strict_and_future_marks_never_expire():
    assert not expired(T0, T0 + timedelta(seconds=60), 60)
    assert expired(T0, T0 + timedelta(seconds=61), 60)
    assert not expired(T0 + timedelta(days=1), T0, 0)
    assert not expired(T0, T0, 0)


def test_recheck_delete():
    assert recheck_delete(None, T0, 60) == "image folder already gone"
    assert recheck_delete(image_folder("a", []), T0, 60).startswith("mark was cleared")
    assert recheck_delete(image_folder("a", ["ts-2026-03-01-11-59-30"]), T0, 60).startswith(
        "newest mark 2026-03-01 11:59:30 is not older")
    assert recheck_delete(image_folder("a", ["ts-2026-03-01-11-00-00"]), T0, 60) is None


def test_claim_wins():
    ours, same, older, newer = ("deleting-ts-2026-03-01-11-00-00-aaaa", "deleting-ts-2026-03-01"
                                "-11-00-00-bbbb", "deleting-ts-2026-03-01-10-00-00-cccc",
                                "deleting-ts-2026-03-01-11-00-01-dddd")
    assert claim_wins(None, ours).startswith("image folder already gone")
    assert claim_wins(image_folder("a", [newer]), ours).startswith(f"its claim {ours} is gone")
    assert claim_wins(image_folder("a", [ours, newer, older]), ours) == \
        f"another pass claimed a newer mark ({newer}) and deletes it"
    for others in ([], [same], [older], [same, older, "deleting-junk"]):
        assert claim_wins(image_folder("a", [ours, *others, "ts-2026-03-01-12-00-00"]),
                          ours) is None


def test_claimed_mark():
    assert claimed_mark("deleting-ts-2026-03-01-11-00-00-0a1b") == T0 - timedelta(hours=1)
    for name in ("deleting-junk", "deleting-ts-2026-03-01-11-00-00", "ts-2026-03-01-11-00-00"):
        assert claimed_mark(name) is None


def test_used_images_counts_every_reference_including_empty():
    instances = [Instance("u1", "a", "h", "img", "k", None), Instance("u2", "b", "h", None, None,
                                                                      "r"),
                 Instance("u3", "c", "h", "", None, None)]
    assert used_images(instances) == {"img", "k", "r", ""}


# -- faults -------------------------------------------------------------------

@pytest.mark.parametrize(("fault", "cls", "name"), [
    (vim.fault.FileNotFound(file="x"), E.FileNotFound, "FileNotFound"),
    (vim.fault.FileLocked(), E.FileLocked, "FileLocked"),
    (vim.fault.CannotDeleteFile(), E.CannotDeleteFile, "CannotDeleteFile"),
    (vim.fault.CannotAccessFile(), E.FileFault, "CannotAccessFile"),
    (vim.fault.DirectoryNotEmpty(), E.FileFault, "DirectoryNotEmpty"),
    (vim.fault.NotAuthenticated(), E.NotAuthenticated, "NotAuthenticated"),
    (vmodl.fault.InvalidArgument(), E.VSphereFault, "InvalidArgument"),
])
def test_fault_translation_by_class_then_ancestors(fault, cls, name):
    err = E.from_vim_fault(fault, "[ds] p")
    assert type(err) is cls and err.fault_name == name
    assert str(err).startswith(f"{name} on [ds] p")
