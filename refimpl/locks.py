"""Per-image locks, compatible with Nova's.

Nova takes ``lockutils.lock(str(path), lock_file_prefix='nova-vmware-ts',
external=True)``: an in-process lock, then a POSIX lock (fasteners, fcntl
``lockf``) on ``<lock_path>/nova-vmware-ts-<name with os.sep -> '_'>``. Using
the same file and the same primitive, refimpl and Nova on one host exclude
each other. Nothing spans hosts, as in Nova.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import fasteners

LOCK_FILE_PREFIX = "nova-vmware-ts"

_internal: dict[str, threading.Lock] = {}
_internal_guard = threading.Lock()


NAME_MAX = 255  # bytes in one file name, on Linux file systems


def lock_file_path(lock_path: str | os.PathLike, name: str) -> Path:
    """oslo.concurrency's lock file for ``name`` under ``lock_path``.

    A name too long for the file system (a long image id or base folder)
    makes oslo.concurrency, hence Nova, fail with ENAMETOOLONG; refimpl cuts
    it and appends a digest of the whole name instead. No Nova process can
    hold such a lock, so compatibility is not lost.
    """
    file_name = f"{LOCK_FILE_PREFIX}-{name.replace(os.sep, '_')}"
    encoded = os.fsencode(file_name)
    if len(encoded) > NAME_MAX:
        digest = hashlib.sha256(encoded).hexdigest()
        head = encoded[:NAME_MAX - len(digest) - 1].decode(errors="ignore")
        file_name = f"{head}-{digest}"
    return Path(lock_path) / file_name


@contextmanager
def image_lock(lock_path: str | os.PathLike, name: str) -> Iterator[None]:
    """Hold the lock ``name`` (``str`` of the image's datastore path).

    POSIX record locks do not exclude threads of one process, hence the
    in-process lock first. It is keyed by the lock file, not by name alone
    as in oslo, so managers with different lock paths in one process (the
    harness's simulated hosts) do not block each other.
    """
    path = lock_file_path(lock_path, name)
    with _internal_guard:
        internal = _internal.setdefault(str(path), threading.Lock())
    with internal:
        path.parent.mkdir(parents=True, exist_ok=True)
        with fasteners.InterProcessLock(str(path)):
            yield
