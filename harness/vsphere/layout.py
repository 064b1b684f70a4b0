"""Laying out a cache tree: through plain pyvmomi calls, or in a run folder's
local files."""

from __future__ import annotations

from .datastore import Files
from .tree import CacheTree


def lay_out(client: Files, datastore: str, folder: str, tree: CacheTree) -> None:
    """Create ``folder`` and the images, marks, folders and files of ``tree``."""
    client.mkdir(datastore, folder)
    for image_id, image in tree.images.items():
        client.mkdir(datastore, f"{folder}/{image_id}")
        for name in [*image.marks, *image.folders]:
            client.mkdir(datastore, f"{folder}/{image_id}/{name}")
        for name in image.files:
            client.put(datastore, f"{folder}/{image_id}/{name}", b"image data")
    for name in tree.files:
        client.put(datastore, f"{folder}/{name}", b"stray")
