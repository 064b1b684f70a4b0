"""Comparing an expected cache state with the actual one, and showing the
difference as a tree diff."""

from __future__ import annotations

import difflib

from .inspector import DatastoreView, ImageView, mark_folder
from .scenario.model import DatastoreExpectation, ImageExpectation

ANY_MARK = "ts-<any time>"


def problems(expect: DatastoreExpectation, actual: DatastoreView | None) -> list[str]:
    """What differs, one line each; empty if the expectation holds."""
    if expect.absent:
        return [] if actual is None else ["base folder exists, expected absent"]
    if actual is None:
        return ["base folder does not exist"]
    found = []
    for image_id in sorted(set(actual.images) - set(expect.images)):
        found.append(f"unexpected image folder {image_id!r}")
    for image_id, spec in sorted(expect.images.items()):
        image = actual.images.get(image_id)
        if not spec.present:
            if image is not None:
                found.append(f"image {image_id!r} exists, expected absent")
            continue
        if image is None:
            found.append(f"image {image_id!r} is missing")
            continue
        found += [f"image {image_id!r}: {p}" for p in _image_problems(spec, image)]
    if expect.files is not None and sorted(expect.files) != sorted(actual.files):
        found.append(f"files in base folder: expected {sorted(expect.files)}, "
                     f"found {sorted(actual.files)}")
    return found


def _image_problems(spec: ImageExpectation, image: ImageView) -> list[str]:
    found = []
    if isinstance(spec.marks, int):
        if len(image.marks) != spec.marks:
            found.append(f"expected {spec.marks} mark(s), found {sorted(image.marks)}")
    elif spec.marks is not None:
        wanted = sorted(mark_folder(t) for t in spec.marks)
        if wanted != sorted(image.marks):
            found.append(f"marks: expected {wanted}, found {sorted(image.marks)}")
    for what in ("folders", "files"):
        wanted = getattr(spec, what)
        if wanted is not None and sorted(wanted) != sorted(getattr(image, what)):
            found.append(f"{what}: expected {sorted(wanted)}, "
                         f"found {sorted(getattr(image, what))}")
    return found


def expected_view(expect: DatastoreExpectation, actual: DatastoreView | None
                  ) -> DatastoreView | None:
    """The expectation as a tree; whatever it leaves unchecked is taken from
    ``actual``, so that a diff shows only real differences."""
    if expect.absent:
        return None
    actual = actual or DatastoreView()
    view = DatastoreView(files=list(expect.files if expect.files is not None else actual.files))
    for image_id, spec in expect.images.items():
        if not spec.present:
            continue
        have = actual.images.get(image_id, ImageView())
        if isinstance(spec.marks, int):
            marks = sorted(have.marks)[:spec.marks]
            marks += [ANY_MARK] * (spec.marks - len(marks))
        elif spec.marks is not None:
            marks = [mark_folder(t) for t in spec.marks]
        else:
            marks = list(have.marks)
        view.images[image_id] = ImageView(
            marks=marks,
            folders=list(spec.folders if spec.folders is not None else have.folders),
            files=list(spec.files if spec.files is not None else have.files))
    return view


def render(view: DatastoreView | None, root: str) -> list[str]:
    if view is None:
        return [f"{root}  (does not exist)"]
    lines = [f"{root}/"]
    for image_id in sorted(view.images):
        image = view.images[image_id]
        lines.append(f"  {image_id}/")
        lines += [f"    {n}/" for n in sorted(image.marks + image.folders)]
        lines += [f"    {n}" for n in sorted(image.files)]
    lines += [f"  {n}" for n in sorted(view.files)]
    return lines


def tree_diff(expect: DatastoreExpectation, actual: DatastoreView | None, root: str) -> str:
    expected = render(expected_view(expect, actual), root)
    return "\n".join(difflib.unified_diff(expected, render(actual, root), "expected", "actual",
                                          lineterm="", n=100))
