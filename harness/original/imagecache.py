"""The original image cache manager's decisions (docs/spec.md)."""

from __future__ import annotations

import logging
import os
import posixpath
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path

import fasteners
from pyVmomi import vim

from .session import (
    CannotDeleteFileException,
    FileAlreadyExistsException,
    FileFaultException,
    FileLockedException,
    FileNotFoundException,
    OriginalSession,
)

log = logging.getLogger(__name__)

TIMESTAMP_PREFIX = "ts-"
TIMESTAMP_FORMAT = "%Y-%m-%d-%H-%M-%S"
LOCK_PREFIX = "nova-vmware-ts"


def utcnow() -> datetime:
    """oslo_utils.timeutils.utcnow(): naive UTC (freezegun controls it)."""
    return datetime.utcnow()


def ds_path(datastore: str, *parts: str) -> str:
    rel = posixpath.join(*parts) if parts else ""
    return f"[{datastore}] {rel}" if rel else f"[{datastore}]"


class OriginalImageCacheManager:
    def __init__(self, session: OriginalSession, base_folder: str, lock_path: str | os.PathLike,
                 age_seconds: int, clock: Callable[[], datetime] = utcnow) -> None:
        self._session = session
        self._base_folder = base_folder
        self._lock_path = Path(lock_path)
        self._age = age_seconds
        self._clock = clock
        self._stores: dict[str, tuple[vim.Datacenter, vim.Datastore]] = {}

    # -- the datastore calls of ds_util --------------------------------------

    def _where(self, datastore: str) -> tuple[vim.Datacenter, vim.Datastore]:
        if not self._stores:
            # Through the session, as oslo.vmware reads properties: an expired
            # session is logged in again here too.
            self._stores = self._session.invoke(self._datastores)
        if datastore not in self._stores:
            raise KeyError(f"datastore {datastore!r} not found")
        return self._stores[datastore]

    def _datastores(self) -> dict[str, tuple[vim.Datacenter, vim.Datastore]]:
        stores: dict[str, tuple[vim.Datacenter, vim.Datastore]] = {}
        for dc in self._session.content.rootFolder.childEntity:
            for ds in dc.datastore:
                stores.setdefault(ds.name, (dc, ds))
        return stores

    def _get_sub_folders(self, datastore: str, path: str) -> set[str]:
        """SearchDatastore_Task with no searchSpec; FileNotFound -> empty."""
        _, ds = self._where(datastore)
        try:
            task = self._session.invoke(lambda: ds.browser.SearchDatastore_Task(
                datastorePath=path))
            info = self._session.wait_for_task(task)
        except FileNotFoundException:
            return set()
        return {f.path for f in (getattr(info.result, "file", None) or [])}

    def _mkdir(self, datastore: str, path: str) -> None:
        dc, _ = self._where(datastore)
        fm = self._session.content.fileManager
        self._session.invoke(lambda: fm.MakeDirectory(name=path, datacenter=dc,
                                                      createParentDirectories=True))

    def _file_delete(self, datastore: str, path: str) -> None:
        dc, _ = self._where(datastore)
        fm = self._session.content.fileManager
        task = self._session.invoke(lambda: fm.DeleteDatastoreFile_Task(name=path,
                                                                        datacenter=dc))
        self._session.wait_for_task(task)

    def _folder_delete(self, datastore: str, path: str) -> None:
        try:
            self._file_delete(datastore, path)
        except (CannotDeleteFileException, FileFaultException, FileLockedException) as exc:
            log.warning("Unable to delete %s. Exception: %s", path, exc)
        except FileNotFoundException:
            log.debug("File not found: %s", path)

    def _lock(self, path: str) -> fasteners.InterProcessLock:
        # lockutils.lock(str(path), lock_file_prefix='nova-vmware-ts', external=True)
        self._lock_path.mkdir(parents=True, exist_ok=True)
        return fasteners.InterProcessLock(
            str(self._lock_path / f"{LOCK_PREFIX}-{path.replace(os.sep, '_')}"))

    # -- imagecache ----------------------------------------------------------------

    def _get_timestamp(self, datastore: str, path: str) -> str | None:
        # Arbitrary (set order) in the original; sorted here: the oldest mark.
        return next((f for f in sorted(self._get_sub_folders(datastore, path))
                     if f.startswith(TIMESTAMP_PREFIX)), None)

    def _timestamp_cleanup(self, datastore: str, path: str) -> None:
        ts = self._get_timestamp(datastore, path)
        if ts:
            self._folder_delete(datastore, f"{path}/{ts}")

    def enlist_image(self, image_id: str, datastore: str) -> None:
        path = ds_path(datastore, self._base_folder, image_id)
        with self._lock(path):
            self._timestamp_cleanup(datastore, path)

    def get_image_cache_folder(self, datastore: str, image_id: str) -> str:
        return ds_path(datastore, self._base_folder, image_id)

    def update(self, used_images: Iterable[str], datastores: Iterable[str]) -> None:
        used = set(used_images)
        for datastore in datastores:
            base = ds_path(datastore, self._base_folder)
            originals = self._get_sub_folders(datastore, base)
            self._age_cached_images(datastore, base, originals - used, used)

    def _age_cached_images(self, datastore: str, base: str, unused: set[str],
                           used: set[str]) -> None:
        for image in sorted(unused):
            path = f"{base}/{image}"
            with self._lock(path):
                ts = self._get_timestamp(datastore, path)
                if not ts:
                    now = self._clock().strftime(TIMESTAMP_FORMAT)
                    ts_path = f"{path}/{TIMESTAMP_PREFIX}{now}"
                    try:
                        self._mkdir(datastore, ts_path)
                    except FileAlreadyExistsException:
                        log.debug("Timestamp already exists.")
                    log.info("Image %s is no longer used by this node. Pending deletion!",
                             image)
                else:
                    # lstrip strips characters, not a prefix; strptime may raise
                    # ValueError, which ends the whole pass.
                    dt = datetime.strptime(ts.lstrip(TIMESTAMP_PREFIX), TIMESTAMP_FORMAT)
                    if self._clock() - dt > timedelta(seconds=self._age):
                        log.info("Image %s is no longer used. Deleting!", path)
                        self._folder_delete(datastore, path)
        for image in sorted(used):
            path = f"{base}/{image}"
            with self._lock(path):
                self._timestamp_cleanup(datastore, path)
