"""Laying out a scenario's initial cache through plain pyvmomi calls."""

from __future__ import annotations

from .datastore import DatastoreClient
from .inspector import mark_folder
from .scenario.model import DatastoreState


def lay_out(client: DatastoreClient, datastore: str, folder: str, state: DatastoreState) -> None:
    """Create ``folder`` and the images, marks, folders and files of ``state``."""
    client.mkdir(datastore, folder)
    for image_id, image in state.images.items():
        client.mkdir(datastore, f"{folder}/{image_id}")
        for name in [mark_folder(t) for t in image.marks] + list(image.folders):
            client.mkdir(datastore, f"{folder}/{image_id}/{name}")
        for name in image.files:
            client.put(datastore, f"{folder}/{image_id}/{name}", b"image data")
    for name in state.files:
        client.put(datastore, f"{folder}/{name}", b"stray")
