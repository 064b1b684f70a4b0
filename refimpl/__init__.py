"""refimpl: the reference implementation of Nova's VMware image cache aging.

Nova's on-datastore layout and lock files, decisions made by a pure planner
over one listing per datastore, and the original's races fixed (see
``refimpl/README.md``). A library on its own: it knows nothing of the harness.

    from refimpl import connect, ImageCacheManager, Instance
    session = connect("https://user:pass@127.0.0.1:8989/sdk", insecure=True)
    mgr = ImageCacheManager(session, base_folder="_base", lock_path="/var/lock/x",
                            age_seconds=86400)
    mgr.enlist_image("img-1", "LocalDS_0")
    summary = mgr.update([Instance(uuid="u1", name="vm1", host="node1",
                                   image_ref="img-1")])
"""

from .datastore_path import DatastorePath
from .errors import (
    CannotDeleteFile,
    ConnectionLost,
    DatastoreNotFound,
    FileAlreadyExists,
    FileFault,
    FileLocked,
    FileNotFound,
    ImageCacheError,
    InvalidArgument,
    MarkNotCleared,
    NotAuthenticated,
    TaskOutcomeUnknown,
    VSphereFault,
)
from .instances import Instance, used_images
from .manager import ImageCacheManager
from .naming import base_folder, mark_name, parse_mark
from .session import Session, connect
from .summary import PassSummary, Skipped

__all__ = [
    "CannotDeleteFile",
    "ConnectionLost",
    "DatastoreNotFound",
    "DatastorePath",
    "FileAlreadyExists",
    "FileFault",
    "FileLocked",
    "FileNotFound",
    "ImageCacheError",
    "ImageCacheManager",
    "Instance",
    "InvalidArgument",
    "MarkNotCleared",
    "NotAuthenticated",
    "PassSummary",
    "Session",
    "Skipped",
    "TaskOutcomeUnknown",
    "VSphereFault",
    "base_folder",
    "connect",
    "mark_name",
    "parse_mark",
    "used_images",
]
