"""The sequential checker: expected and actual cache trees compared (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from harness.scenario.checker import DatastoreExpectation, ImageExpectation, problems, tree_diff
from harness.vsphere.marks import mark_name, mark_time
from harness.vsphere.tree import CacheTree, ImageTree

T = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
MARK = "ts-2026-03-01-12-00-00"


def view(**images: ImageTree) -> CacheTree:
    return CacheTree(images=dict(images), files=["stray"])


def test_harness_marks_are_strict():
    assert mark_time(MARK) == T and mark_name(T) == MARK
    for bad in ("ts-2026-3-1-12-0-0", "ts-ts-2026-03-01-12-00-00", "ts-2026-02-30-00-00-00",
                "ts-", "ts-foo"):
        assert mark_time(bad) is None


def test_exact_match_has_no_problems():
    actual = view(img1=ImageTree(marks=[MARK], files=["img1.vmdk"]))
    expect = DatastoreExpectation(images={"img1": ImageExpectation(marks=(T,),
                                                                   files=("img1.vmdk",))},
                                  files=("stray",))
    assert problems(expect, actual) == []


def test_unchecked_parts_are_ignored_and_do_not_show_in_the_diff():
    actual = view(img1=ImageTree(marks=[MARK], folders=["ts-foo"], files=["a"]))
    expect = DatastoreExpectation(images={"img1": ImageExpectation(marks=2)})
    assert problems(expect, actual) == [f"image 'img1': expected 2 mark(s), found ['{MARK}']"]
    assert tree_diff(expect, actual, "[ds] b").splitlines()[3:] == [
        " [ds] b/", "   img1/", f"     {MARK}/", "-    ts-<any time>/", "     ts-foo/",
        "     a", "   stray"]


def test_every_kind_of_problem():
    actual = view(img1=ImageTree(), img2=ImageTree(), extra=ImageTree())
    expect = DatastoreExpectation(images={
        "img1": ImageExpectation(present=False), "img2": ImageExpectation(folders=("x",)),
        "img3": ImageExpectation()}, files=())
    assert problems(expect, actual) == [
        "unexpected image folder 'extra'",
        "image 'img1' exists, expected absent",
        "image 'img2': folders: expected ['x'], found []",
        "image 'img3' is missing",
        "files in base folder: expected [], found ['stray']",
    ]


def test_base_folder_presence():
    assert problems(DatastoreExpectation(absent=True), None) == []
    assert problems(DatastoreExpectation(absent=True), view()) == [
        "base folder exists, expected absent"]
    assert problems(DatastoreExpectation(), None) == ["base folder does not exist"]
    assert "(does not exist)" in tree_diff(DatastoreExpectation(), None, "[ds] b")
