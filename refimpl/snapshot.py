"""A snapshot of one datastore's image cache, built from one recursive listing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .naming import is_claim, is_mark_like, parse_mark


@dataclass(frozen=True)
class ImageFolder:
    """``<base>/<image_id>/`` and the mark folders found in it."""

    image_id: str
    marks: Mapping[str, datetime] = field(default_factory=dict)  # name -> UTC time
    malformed: tuple[str, ...] = ()  # ts-... names that are not a valid mark
    claims: tuple[str, ...] = ()  # deleting-...: a pass is deleting the image

    @property
    def newest_mark(self) -> datetime | None:
        return max(self.marks.values(), default=None)

    @property
    def newest_mark_name(self) -> str | None:
        return max(self.marks, key=self.marks.__getitem__, default=None)

    @property
    def mark_like(self) -> tuple[str, ...]:
        """Every ``ts-`` folder, well-formed or not: what clearing removes."""
        return (*sorted(self.marks), *self.malformed)


def image_folder(image_id: str, subfolders: list[str] | tuple[str, ...]) -> ImageFolder:
    marks: dict[str, datetime] = {}
    malformed, claims = [], []
    for name in subfolders:
        if is_claim(name):
            claims.append(name)
        if not is_mark_like(name):
            continue
        when = parse_mark(name)
        if when is None:
            malformed.append(name)
        else:
            marks[name] = when
    return ImageFolder(image_id, marks, tuple(sorted(malformed)), tuple(sorted(claims)))


@dataclass(frozen=True)
class CacheSnapshot:
    """The image folders of one datastore's base folder (empty if it is missing)."""

    datastore: str
    images: Mapping[str, ImageFolder]

    @classmethod
    def from_listing(cls, datastore: str, folders: Mapping[str, list[str]]) -> CacheSnapshot:
        """Build from ``{folder relative to base: [its subfolder names]}``;
        ``""`` is the base folder itself. Plain files are not listed, so a
        stray file in the base folder is never taken for an image."""
        images = {
            image_id: image_folder(image_id, folders.get(image_id, []))
            for image_id in folders.get("", [])
        }
        return cls(datastore, images)
