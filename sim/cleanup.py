"""Clean-up at exit: the simulators this process runs, stopped at exit and on
SIGTERM/SIGHUP, and the harness's temporary folders, removed.

``-stdinexit`` already ends a simulator whose launcher dies; this makes the
ordinary endings (interpreter exit, a polite kill) stop it in order.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from .ownership import TEMP_PREFIX, Owner, write_owner

log = logging.getLogger(__name__)


class Stoppable(Protocol):
    def stop(self) -> None: ...


_live: list[Stoppable] = []
_lock = threading.Lock()
_installed = False


def track(sim: Stoppable) -> None:
    with _lock:
        _live.append(sim)
        _install_once()


def untrack(sim: Stoppable) -> None:
    with _lock:
        if sim in _live:
            _live.remove(sim)


def stop_all() -> None:
    while True:
        with _lock:
            if not _live:
                return
            sim = _live[-1]
        try:
            sim.stop()
        except Exception:
            log.exception("stopping %r at exit failed", sim)
        untrack(sim)


def _install_once() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    atexit.register(stop_all)
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        # Only where nobody else (pytest, an application) took the signal.
        if signal.getsignal(sig) is signal.SIG_DFL:
            signal.signal(sig, _stop_and_die)


def _stop_and_die(signum: int, _frame: object) -> None:
    stop_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


class _Folder:
    def __init__(self, path: Path) -> None:
        self.path = path

    def stop(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


@contextmanager
def temporary_directory(prefix: str) -> Iterator[Path]:
    """A temporary folder removed on exit, also on SIGTERM/SIGHUP; it carries
    its owner, so that ``python -m sim reap`` removes it after a SIGKILL."""
    path = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{prefix}-"))
    write_owner(path, Owner.current(), None)
    folder = _Folder(path)
    track(folder)
    try:
        yield path
    finally:
        untrack(folder)
        folder.stop()
