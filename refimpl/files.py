"""Datastore folder operations: the thin I/O layer under the manager."""

from __future__ import annotations

from pyVmomi import vim

from .datastore_path import DatastorePath
from .discovery import Datastore
from .session import Session

_Browser = vim.host.DatastoreBrowser


def _folders_only(pattern: str) -> _Browser.SearchSpec:
    # matchPattern is always explicit: an empty one matches nothing on the
    # simulator, a missing spec crashes it (and Nova sends none).
    return _Browser.SearchSpec(query=[_Browser.FolderQuery()], matchPattern=[pattern])


class DatastoreFiles:
    """Folder listing, creation, renaming and deletion on one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def tree(self, ds: Datastore, root: DatastorePath) -> dict[str, list[str]]:
        """Every folder under ``root`` (recursively) with its subfolder names,
        keyed by path relative to ``root`` (``""`` for root): one call."""
        results = self._session.run_task(
            lambda: ds.browser.SearchDatastoreSubFolders_Task(
                datastorePath=str(root), searchSpec=_folders_only("*")), str(root))
        tree: dict[str, list[str]] = {}
        for result in results or []:
            rel = DatastorePath.parse(result.folderPath).relative_to(root)
            if rel is not None:
                tree[rel] = sorted(f.path for f in (result.file or []))
        return tree

    def subfolders(self, ds: Datastore, folder: DatastorePath, pattern: str = "*") -> list[str]:
        """Names of the folders in ``folder`` matching ``pattern``: one call."""
        result = self._session.run_task(
            lambda: ds.browser.SearchDatastore_Task(
                datastorePath=str(folder), searchSpec=_folders_only(pattern)), str(folder))
        return sorted(f.path for f in (result.file or [])) if result else []

    def mkdir(self, ds: Datastore, folder: DatastorePath) -> None:
        """Create ``folder``; its parent must exist (no createParentDirectories)."""
        fm = self._session.content.fileManager
        self._session.invoke(
            lambda: fm.MakeDirectory(name=str(folder), datacenter=ds.datacenter,
                                     createParentDirectories=False), str(folder))

    def move(self, ds: Datastore, source: DatastorePath, destination: DatastorePath) -> None:
        """Rename ``source``; atomic on the datastore. ``destination`` must
        not exist (on the simulator an existing one hides a missing source)."""
        fm = self._session.content.fileManager
        self._session.run_task(
            lambda: fm.MoveDatastoreFile_Task(
                sourceName=str(source), sourceDatacenter=ds.datacenter,
                destinationName=str(destination), destinationDatacenter=ds.datacenter,
                force=False),
            str(source))

    def delete(self, ds: Datastore, path: DatastorePath) -> None:
        """Delete a file or a folder with everything in it."""
        fm = self._session.content.fileManager
        self._session.run_task(
            lambda: fm.DeleteDatastoreFile_Task(name=str(path), datacenter=ds.datacenter),
            str(path))
