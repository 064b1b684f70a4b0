"""What a scenario expects of a step, and whether it holds: the cache tree
(compared with what the inspector reads, the difference shown as a tree
diff) and the error an operation raises."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import datetime

from ..adapters import ImplementationError
from ..vsphere.marks import PREFIX, mark_name
from ..vsphere.tree import CacheTree, ImageTree

ANY_MARK = f"{PREFIX}<any time>"


@dataclass(frozen=True)
class ImageExpectation:
    present: bool = True
    marks: int | tuple[datetime, ...] | None = None  # None: not checked
    folders: tuple[str, ...] | None = None
    files: tuple[str, ...] | None = None


@dataclass(frozen=True)
class DatastoreExpectation:
    absent: bool = False  # the base folder must not exist
    folder: str | None = None
    images: dict[str, ImageExpectation] = field(default_factory=dict)
    files: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ErrorExpectation:
    kind: str  # invalid_argument, not_found, vsphere_fault, error, any
    fault: str | None = None
    match: str | None = None

    def describe(self) -> str:
        parts = [self.kind] + [f"{k}={v!r}" for k, v in (("fault", self.fault),
                                                          ("match", self.match)) if v]
        return " ".join(parts)

    def matches(self, err: ImplementationError) -> bool:
        if self.kind != "any" and self.kind != err.kind:
            return False
        if self.fault is not None and self.fault != err.fault:
            return False
        return self.match is None or re.search(self.match, str(err)) is not None


def problems(expect: DatastoreExpectation, actual: CacheTree | None) -> list[str]:
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


def _image_problems(spec: ImageExpectation, image: ImageTree) -> list[str]:
    found = []
    if isinstance(spec.marks, int):
        if len(image.marks) != spec.marks:
            found.append(f"expected {spec.marks} mark(s), found {sorted(image.marks)}")
    elif spec.marks is not None:
        wanted = sorted(mark_name(t) for t in spec.marks)
        if wanted != sorted(image.marks):
            found.append(f"marks: expected {wanted}, found {sorted(image.marks)}")
    for what in ("folders", "files"):
        wanted = getattr(spec, what)
        if wanted is not None and sorted(wanted) != sorted(getattr(image, what)):
            found.append(f"{what}: expected {sorted(wanted)}, "
                         f"found {sorted(getattr(image, what))}")
    return found


def expected_view(expect: DatastoreExpectation, actual: CacheTree | None
                  ) -> CacheTree | None:
    """The expectation as a tree; whatever it leaves unchecked is taken from
    ``actual``, so that a diff shows only real differences."""
    if expect.absent:
        return None
    actual = actual or CacheTree()
    view = CacheTree(files=list(expect.files if expect.files is not None else actual.files))
    for image_id, spec in expect.images.items():
        if not spec.present:
            continue
        have = actual.images.get(image_id, ImageTree())
        if isinstance(spec.marks, int):
            marks = sorted(have.marks)[:spec.marks]
            marks += [ANY_MARK] * (spec.marks - len(marks))
        elif spec.marks is not None:
            marks = [mark_name(t) for t in spec.marks]
        else:
            marks = list(have.marks)
        view.images[image_id] = ImageTree(
            marks=marks,
            folders=list(spec.folders if spec.folders is not None else have.folders),
            files=list(spec.files if spec.files is not None else have.files))
    return view


def render(view: CacheTree | None, root: str) -> list[str]:
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


def tree_diff(expect: DatastoreExpectation, actual: CacheTree | None, root: str) -> str:
    expected = render(expected_view(expect, actual), root)
    return "\n".join(difflib.unified_diff(expected, render(actual, root), "expected", "actual",
                                          lineterm="", n=100))
