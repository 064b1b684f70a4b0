"""Reading a datastore's cache back, independently of the implementation
under test: plain pyvmomi listing, the harness's own notion of a mark."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .datastore import DatastoreClient

_MARK = re.compile(r"ts-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}")
MARK_FORMAT = "ts-%Y-%m-%d-%H-%M-%S"


def mark_time(name: str) -> datetime | None:
    """The time of a well-formed mark folder name, else None."""
    if not _MARK.fullmatch(name):
        return None
    try:
        return datetime.strptime(name, MARK_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def mark_folder(when: datetime) -> str:
    return when.astimezone(UTC).strftime(MARK_FORMAT)


@dataclass
class ImageView:
    marks: list[str] = field(default_factory=list)  # well-formed ts- folders
    folders: list[str] = field(default_factory=list)  # other folders
    files: list[str] = field(default_factory=list)


@dataclass
class DatastoreView:
    """One base folder: image folders and stray files."""

    images: dict[str, ImageView] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


def read(client: DatastoreClient, datastore: str, folder: str) -> DatastoreView | None:
    """The cache in ``[datastore] folder``; None if that folder does not exist."""
    entries = client.tree(datastore, folder)
    if entries is None:
        return None
    view = DatastoreView()
    for entry in entries:
        parts = entry.path.split("/")
        if len(parts) == 1:
            if entry.is_dir:
                view.images.setdefault(parts[0], ImageView())
            else:
                view.files.append(parts[0])
        elif len(parts) == 2:
            image = view.images.setdefault(parts[0], ImageView())
            name = parts[1]
            if not entry.is_dir:
                image.files.append(name)
            elif mark_time(name) is not None:
                image.marks.append(name)
            else:
                image.folders.append(name)
    return view
