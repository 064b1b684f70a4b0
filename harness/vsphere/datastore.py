"""Files and folders on datastores, through plain pyvmomi calls and the
datastore HTTP interface (never the implementation under test)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, urlencode

from pyVmomi import vim

from sim import Endpoint
from sim.transport import open_connection

from .session import TaskError, cookie, wait_for_task

log = logging.getLogger(__name__)

_Browser = vim.host.DatastoreBrowser


class UnknownDatastore(LookupError):
    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Entry:
    """One file or folder, by path relative to the tree's root."""

    path: str
    is_dir: bool


class Files(Protocol):
    """What the harness's set-up and inspection need of a datastore: a
    ``DatastoreClient`` through vSphere, or a run folder's ``LocalFiles``."""

    @property
    def datastores(self) -> list[str]: ...

    def mkdir(self, datastore: str, path: str, *, exist_ok: bool = False) -> None: ...

    def put(self, datastore: str, path: str, data: bytes = b"") -> None: ...

    def tree(self, datastore: str, root: str) -> list[Entry] | None: ...

    def remove_folder(self, datastore: str, folder: str) -> None: ...


class DatastoreClient:
    """Files and folders on the datastores of one simulator or vCenter."""

    def __init__(self, si: vim.ServiceInstance, endpoint: Endpoint) -> None:
        self.si = si
        self.endpoint = endpoint
        content = si.RetrieveContent()
        self._fm = content.fileManager
        self._collector = content.propertyCollector
        # Each property read is a call to vSphere: what does not change is
        # read once.
        self._browsers: dict[str, vim.host.DatastoreBrowser] = {}
        self._dc_names: dict[vim.Datacenter, str] = {}
        self._stores: dict[str, tuple[vim.Datacenter, vim.Datastore]] = {}
        for dc in content.rootFolder.childEntity:
            if isinstance(dc, vim.Datacenter):
                for ds in dc.datastore:
                    self._stores.setdefault(ds.name, (dc, ds))

    def _name(self, dc: vim.Datacenter) -> str:
        if dc not in self._dc_names:
            self._dc_names[dc] = dc.name
        return self._dc_names[dc]

    @property
    def datastores(self) -> list[str]:
        return sorted(self._stores)

    def _where(self, datastore: str) -> tuple[vim.Datacenter, vim.Datastore]:
        try:
            return self._stores[datastore]
        except KeyError:
            raise UnknownDatastore(
                f"vSphere has no datastore {datastore!r} (it has {', '.join(self.datastores)})"
            ) from None

    def local_path(self, datastore: str) -> Path | None:
        """The datastore's directory on this host, when it is one (process
        backend): bulk set-up can then write it directly."""
        _, ds = self._where(datastore)
        url = ds.summary.url
        path = Path(url.removeprefix("file://")) if url else None
        return path if path is not None and path.is_dir() else None

    def mkdir(self, datastore: str, path: str, *, exist_ok: bool = False) -> None:
        """Create folder ``path`` and its parents (existing parents are fine;
        an existing ``path`` raises FileAlreadyExists, as on vCenter, unless
        ``exist_ok``)."""
        dc, _ = self._where(datastore)
        try:
            self._fm.MakeDirectory(name=f"[{datastore}] {path}", datacenter=dc,
                                   createParentDirectories=True)
        except vim.fault.FileAlreadyExists:
            if not exist_ok:
                raise

    def put(self, datastore: str, path: str, data: bytes = b"") -> None:
        """Write a file through the datastore HTTP interface (``/folder``)."""
        dc, _ = self._where(datastore)
        query = urlencode({"dcPath": self._name(dc), "dsName": datastore})
        conn = open_connection(self.endpoint, timeout=30)
        try:
            conn.request("PUT", f"/folder/{quote(path)}?{query}", body=data, headers={
                "Cookie": cookie(self.si),  # the session, for a real vCenter
                "Content-Type": "application/octet-stream"})
            response = conn.getresponse()
            response.read()
        finally:
            conn.close()
        if response.status not in (200, 201, 204):
            raise OSError(f"PUT [{datastore}] {path}: HTTP {response.status} {response.reason}")

    def delete(self, datastore: str, path: str) -> None:
        dc, _ = self._where(datastore)
        wait_for_task(self.si, self._fm.DeleteDatastoreFile_Task(
            name=f"[{datastore}] {path}", datacenter=dc), collector=self._collector)

    def remove_folder(self, datastore: str, folder: str) -> None:
        """Delete ``folder`` with everything in it; a missing one (or a
        missing datastore) is fine, a failure is logged."""
        if datastore not in self._stores:
            return  # a scenario may name a datastore that does not exist
        try:
            self.delete(datastore, folder)
        except TaskError as exc:
            if not isinstance(exc.fault, vim.fault.FileNotFound):  # nothing was laid out there
                log.warning("cleaning up [%s] %s failed: %s", datastore, folder, exc)

    def tree(self, datastore: str, root: str) -> list[Entry] | None:
        """Every file and folder below ``root`` (sorted), None if root is missing."""
        _, ds = self._where(datastore)
        if datastore not in self._browsers:
            self._browsers[datastore] = ds.browser
        spec = _Browser.SearchSpec(query=[_Browser.FolderQuery(), _Browser.Query()],
                                   matchPattern=["*"],
                                   details=_Browser.FileInfo.Details(fileType=True))
        prefix = f"[{datastore}] {root}".rstrip("/")
        try:
            task = self._browsers[datastore].SearchDatastoreSubFolders_Task(
                datastorePath=prefix, searchSpec=spec)
            results = wait_for_task(self.si, task, collector=self._collector)
        except TaskError as exc:
            if isinstance(exc.fault, vim.fault.FileNotFound):
                return None
            raise
        entries = []
        for result in results:
            folder = result.folderPath.rstrip("/")
            rel = folder[len(prefix):].lstrip("/") if folder.startswith(prefix) else None
            if rel is None:
                continue
            for f in result.file or []:
                path = f"{rel}/{f.path}" if rel else f.path
                entries.append(Entry(path, isinstance(f, _Browser.FolderInfo)))
        return sorted(set(entries), key=lambda e: e.path)
