"""A run folder's files where the simulator keeps them on this host.

The process simulator holds each datastore in a directory of this machine.
When a run folder made through vSphere shows up in that directory, the
harness lays out, reads and removes the folder there directly: the same
files, at a fraction of the calls. This is only for the harness's own
set-up and inspection. Implementations under test always go through
vSphere, and on a container or a real vCenter the harness does too (the
``DatastoreClient``). ``LocalFiles`` answers what ``DatastoreClient``
answers for those uses, and never touches a path outside its run folder.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from .datastore import Entry, UnknownDatastore

log = logging.getLogger(__name__)


class OutsideRunFolder(ValueError):
    """A path that would leave the run folder (``..``, empty parts)."""


class LocalFiles:
    """The files of run folder ``name`` on datastores kept at ``roots``;
    ``known``: every datastore vSphere has (for the error naming one it has not)."""

    def __init__(self, roots: Mapping[str, Path], name: str, known: Sequence[str] = ()) -> None:
        self._roots, self._name, self._known = dict(roots), name, tuple(known)

    @property
    def datastores(self) -> list[str]:
        return sorted(self._roots)

    def _local(self, datastore: str, path: str) -> Path:
        try:
            root = self._roots[datastore]
        except KeyError:
            if datastore not in self._known:  # as DatastoreClient says it
                raise UnknownDatastore(f"vSphere has no datastore {datastore!r} (it has "
                                       f"{', '.join(sorted(self._known))})") from None
            raise UnknownDatastore(f"datastore {datastore!r} is not one of this run's "
                                   f"({', '.join(self.datastores)})") from None
        parts = path.strip("/").split("/")
        mine = self._name.split("/")
        if parts[:len(mine)] != mine or any(p in ("", ".", "..") for p in parts):
            raise OutsideRunFolder(f"[{datastore}] {path} is not below the run folder "
                                   f"{self._name}")
        return root.joinpath(*parts)

    def mkdir(self, datastore: str, path: str, *, exist_ok: bool = False) -> None:
        """As ``DatastoreClient.mkdir``; an existing ``path`` raises FileExistsError."""
        self._local(datastore, path).mkdir(parents=True, exist_ok=exist_ok)

    def put(self, datastore: str, path: str, data: bytes = b"") -> None:
        self._local(datastore, path).write_bytes(data)

    def tree(self, datastore: str, root: str) -> list[Entry] | None:
        """As ``DatastoreClient.tree``: every file and folder below ``root``."""
        top = self._local(datastore, root)
        if not top.is_dir():
            return None
        entries = []
        for folder, dirs, files in os.walk(top):
            rel = Path(folder).relative_to(top).as_posix()
            prefix = "" if rel == "." else f"{rel}/"
            entries += [Entry(prefix + d, True) for d in dirs]
            entries += [Entry(prefix + f, False) for f in files]
        return sorted(entries, key=lambda e: e.path)

    def remove_folder(self, datastore: str, folder: str) -> None:
        """Delete ``folder`` with everything in it; a missing one is fine, a
        failure is logged (as ``DatastoreClient.remove_folder``)."""
        try:
            shutil.rmtree(self._local(datastore, folder))
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("cleaning up [%s] %s failed: %s", datastore, folder, exc)
