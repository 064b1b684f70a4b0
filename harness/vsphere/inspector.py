"""Reading a datastore's cache back, independently of the implementation
under test: one plain pyvmomi listing (or the run folder's local files, the
same files), the harness's own notion of a mark."""

from __future__ import annotations

from .datastore import Files
from .marks import mark_time
from .tree import CacheTree, ImageTree


def read(client: Files, datastore: str, folder: str) -> CacheTree | None:
    """The cache in ``[datastore] folder``; None if that folder does not exist."""
    entries = client.tree(datastore, folder)
    if entries is None:
        return None
    tree = CacheTree()
    for entry in entries:
        parts = entry.path.split("/")
        if len(parts) == 1:
            if entry.is_dir:
                tree.images.setdefault(parts[0], ImageTree())
            else:
                tree.files.append(parts[0])
        elif len(parts) == 2:
            image = tree.images.setdefault(parts[0], ImageTree())
            name = parts[1]
            if not entry.is_dir:
                image.files.append(name)
            elif mark_time(name) is not None:
                image.marks.append(name)
            else:
                image.folders.append(name)
    return tree
