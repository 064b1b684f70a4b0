#!/usr/bin/env python3
"""An "original-style" image cache peer for imagecache-harness, in Python.

It behaves as docs/spec.md describes Nova's original VMware image cache
(nova/virt/vmwareapi/imagecache.py), known bugs included, and speaks the
harness's line-delimited JSON protocol (docs/protocol.md) on stdin/stdout:

    imagecache-harness run --impl "python-peer=cmd:python examples/python-peer/peer.py" \\
        --expectations examples/python-peer/expectations

Standard library and pyVmomi only. Logs go to stderr; stdout carries replies only.

Planted bug: PEER_LOCAL_TIME=1 names and reads marks in the process's local
time zone instead of UTC (see ``wall_clock``). Off by default.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import logging
import os
import posixpath
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

LOG = logging.getLogger("python-peer")
T = TypeVar("T")

PROTOCOL = 1
MARK_PREFIX = "ts-"
MARK_FORMAT = "%Y-%m-%d-%H-%M-%S"
LOCK_PREFIX = "nova-vmware-ts"  # oslo.concurrency's lock_file_prefix in Nova
# Delete faults the original tolerates, by exact class name (docs/spec.md
# "Deleting and faults"): subclasses such as CannotAccessFile are NOT included.
TOLERATED_DELETE_FAULTS = {"CannotDeleteFile", "FileFault", "FileLocked", "FileNotFound"}

# ---- the planted bug: ONE switch ----------------------------------------
# PEER_LOCAL_TIME=1 makes marks be named and aged in the process's local time
# zone instead of UTC. Wrong on purpose: the harness must catch it in its
# UTC+05:30 and UTC-08:00 zones. Off by default.
LOCAL_TIME_BUG = os.environ.get("PEER_LOCAL_TIME") == "1"


def wall_clock(now: datetime) -> datetime:
    """The naive clock reading marks are named and compared in."""
    if LOCAL_TIME_BUG:
        return datetime.fromtimestamp(now.timestamp())  # BUG: naive local time
    return now.astimezone(UTC).replace(tzinfo=None)  # correct: naive UTC


def mark_name(clock: datetime) -> str:
    """The mark for a clock reading already converted by wall_clock."""
    return MARK_PREFIX + clock.strftime(MARK_FORMAT)


def mark_time(name: str) -> datetime:
    # The original's parsing, bugs included: lstrip removes the characters
    # t, s and - (not a prefix), and strptime takes unpadded fields. A name
    # that does not parse raises ValueError, which ends the operation.
    return datetime.strptime(name.lstrip("ts-"), MARK_FORMAT)


def parse_now(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Clock:
    """The time during one operation (docs/protocol.md, "Time"): the
    request's ``now``, and under a seeded schedule as much later as the
    schedule's clock has run since the request came, so that a pass that
    waited for a lock names its mark with the time it marks at. Read as
    wall_clock gives it."""

    def __init__(self, now: datetime, turns: Any = None) -> None:
        self.read = turns.running(now) if turns is not None else lambda: now

    def __call__(self) -> datetime:
        return wall_clock(self.read())


# ---- errors as the protocol names them ---------------------------------------

class PeerError(Exception):
    kind = "error"


class InvalidArgument(PeerError):
    kind = "invalid_argument"


class NotFound(PeerError):
    kind = "not_found"


class ProtocolError(PeerError):
    kind = "protocol"


def check_image_id(image: str) -> None:
    """The protocol has every peer refuse ids that are not one path component."""
    bad = (not image or "/" in image or "\\" in image or ".." in image
           or any(ord(c) < 32 or ord(c) == 127 for c in image))
    if bad:
        raise InvalidArgument(f"InvalidArgument: image id {image!r} must be one path "
                              "component (no '/', '\\', '..', control characters, not empty)")


def fault_name(exc: BaseException) -> str | None:
    """The vSphere fault's class name, or None for anything else."""
    if isinstance(exc, vmodl.MethodFault):
        return exc._wsdlName
    return None


# ---- locks: Nova's lockutils.lock(name, 'nova-vmware-ts', external=True) -----

_process_locks: dict[str, threading.Lock] = {}


@contextmanager
def image_lock(lock_path: str, name: str) -> Iterator[None]:
    """A process-local lock plus an fcntl lock on a file in lock_path.

    The file name is the prefix and the lock name with os.sep turned into
    '_', as oslo.concurrency makes it (docs/spec.md "Locks"). A name too long
    for the file system fails here, as it does for Nova.
    """
    local = _process_locks.setdefault(name, threading.Lock())
    with local:
        os.makedirs(lock_path, exist_ok=True)
        file_name = f"{LOCK_PREFIX}-{name.replace(os.sep, '_')}"
        with open(os.path.join(lock_path, file_name), "a") as handle:
            delay = 0.01
            while True:  # poll as fasteners does, so that time.sleep can be virtual
                try:
                    fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except (BlockingIOError, PermissionError):
                    time.sleep(delay)  # looked up at call time: virtual_time patches it
                    delay = min(delay * 2, 0.1)
            try:
                yield
            finally:
                fcntl.lockf(handle, fcntl.LOCK_UN)


# ---- vSphere ------------------------------------------------------------------

class Session:
    """A pyVmomi session that logs in again, once, on NotAuthenticated."""

    def __init__(self, url: str, insecure: bool) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "localhost"
        self.port = parts.port or 443
        self.path = parts.path or "/sdk"
        self.user = unquote(parts.username or "")
        self.password = unquote(parts.password or "")
        # The harness's simulator has a self-signed certificate: the harness
        # sends insecure: true for it. SmartConnect negotiates the API version,
        # then logs in.
        self.si = SmartConnect(host=self.host, port=self.port, path=self.path,
                               user=self.user, pwd=self.password,
                               disableSslCertValidation=insecure)
        self.content = self.si.RetrieveContent()

    def login_again(self) -> None:
        LOG.info("session ended (NotAuthenticated): logging in again")
        self.content.sessionManager.Login(self.user, self.password)

    def call(self, fn: Callable[[], T]) -> T:
        """Run one vSphere call; after NotAuthenticated, log in and repeat it once."""
        try:
            return fn()
        except vim.fault.NotAuthenticated:
            self.login_again()
            return fn()

    def run_task(self, start: Callable[[], vim.Task]) -> Any:
        """Start a task and wait for it; raise its fault if it fails."""
        for attempt in (1, 2):
            info = self.wait(self.call(start))
            if info.state == "success":
                return info.result
            # pyVmomi hands the fault itself here (older ones a LocalizedMethodFault).
            error = info.error
            fault = error if isinstance(error, vmodl.MethodFault) else getattr(error, "fault", None)
            if isinstance(fault, vim.fault.NotAuthenticated) and attempt == 1:
                self.login_again()
                continue
            raise fault if isinstance(fault, BaseException) else RuntimeError(str(info.error))
        raise AssertionError("unreachable")

    def wait(self, task: vim.Task) -> vim.TaskInfo:
        # Read info only (state, result, error): see README "Known simulator gaps".
        info = self.call(lambda: task.info)
        while info.state not in ("success", "error"):
            time.sleep(0.1)  # virtual under a seeded schedule
            info = self.call(lambda: task.info)
        return info

    def close(self) -> None:
        with contextlib.suppress(Exception):  # the session may be gone already
            Disconnect(self.si)


class Datastore:
    """One datastore: its reference, its datacenter and (lazily) its browser."""

    def __init__(self, name: str, ref: vim.Datastore, datacenter: vim.Datacenter) -> None:
        self.name, self.ref, self.datacenter = name, ref, datacenter
        self.browser: vim.host.DatastoreBrowser | None = None


# ---- the image cache ----------------------------------------------------------

class ImageCache:
    """Nova's VMwareImageCacheManager as docs/spec.md tells it: enlist and aging passes."""

    def __init__(self, session: Session, base_folder: str, lock_path: str,
                 age_seconds: int) -> None:
        self.session = session
        self.base_folder = base_folder
        self.lock_path = lock_path
        self.age = timedelta(seconds=age_seconds)
        self.datastores: dict[str, Datastore] = {}
        self._find_datastores()

    # -- lookups

    def _find_datastores(self) -> None:
        content, call = self.session.content, self.session.call
        view = call(lambda: content.viewManager.CreateContainerView(
            content.rootFolder, [vim.Datacenter], True))
        try:
            for dc in call(lambda: view.view):
                for ref in call(lambda dc=dc: dc.datastore):
                    name = call(lambda ref=ref: ref.name)
                    self.datastores[name] = Datastore(name, ref, dc)
        finally:
            call(view.Destroy)

    def datastore(self, name: str) -> Datastore:
        if name not in self.datastores:
            self._find_datastores()  # it may have been added since start
        if name not in self.datastores:
            raise NotFound(f"NotFound: datastore {name!r} does not exist")
        return self.datastores[name]

    def path(self, ds: str, *parts: str) -> str:
        """A datastore path, as oslo.vmware's DatastorePath prints it."""
        return f"[{ds}] {posixpath.join(self.base_folder, *parts)}"

    # -- vSphere calls, as Nova's ds_util makes them

    def list_folder(self, ds: Datastore, path: str) -> set[str]:
        """Entry names (folders and files) of a folder; FileNotFound gives an empty set."""
        if ds.browser is None:
            ds.browser = self.session.call(lambda: ds.ref.browser)
        browser = ds.browser
        try:
            result = self.session.run_task(lambda: browser.SearchDatastore_Task(
                datastorePath=path))  # no search spec, as Nova
        except vim.fault.FileNotFound:
            return set()
        return {entry.path for entry in (getattr(result, "file", None) or [])}

    def make_folder(self, ds: Datastore, path: str) -> None:
        manager = self.session.content.fileManager
        self.session.call(lambda: manager.MakeDirectory(
            name=path, datacenter=ds.datacenter, createParentDirectories=True))

    def delete(self, ds: Datastore, path: str) -> bool:
        """Delete a file or folder; False when one of the four tolerated faults answered."""
        manager = self.session.content.fileManager
        try:
            self.session.run_task(lambda: manager.DeleteDatastoreFile_Task(
                name=path, datacenter=ds.datacenter))
            return True
        except vmodl.MethodFault as exc:
            name = fault_name(exc)
            if name not in TOLERATED_DELETE_FAULTS:
                raise  # any other fault ends the operation
            level = logging.DEBUG if name == "FileNotFound" else logging.WARNING
            LOG.log(level, "unable to delete %s: %s", path, name)
            return False

    @staticmethod
    def first_mark(entries: set[str]) -> str | None:
        # "First" has no defined order in the original (a set); we take the
        # first name in sorted order. Only the ts- prefix is checked.
        marks = sorted(e for e in entries if e.startswith(MARK_PREFIX))
        return marks[0] if marks else None

    def remove_one_mark(self, ds: Datastore, folder: str) -> bool:
        """Nova's timestamp_cleanup: remove ONE ts- entry if there is one."""
        mark = self.first_mark(self.list_folder(ds, folder))
        if mark is None:
            return False
        return self.delete(ds, posixpath.join(folder, mark))

    # -- operations

    def enlist(self, ds_name: str, image: str) -> None:
        check_image_id(image)
        ds = self.datastore(ds_name)
        folder = self.path(ds_name, image)
        with image_lock(self.lock_path, folder):
            self.remove_one_mark(ds, folder)

    def cache_folder(self, ds_name: str, image: str) -> str:
        check_image_id(image)
        return self.path(ds_name, image)

    def age_pass(self, ds_names: list[str], instances: list[dict[str, Any]],
                 clock: Clock) -> str:
        # Used set: every image_ref, kernel_id, ramdisk_id that is not None
        # (an empty string counts too).
        used = {inst.get(key) for inst in instances
                for key in ("image_ref", "kernel_id", "ramdisk_id")}
        used.discard(None)
        stores = [self.datastore(name) for name in ds_names]
        counts = {"marked": 0, "deleted": 0, "cleared": 0, "kept": 0, "faults": 0}
        for ds in stores:
            # Every entry of the base folder counts as an image, plain files too.
            cached = self.list_folder(ds, self.path(ds.name))
            for image in sorted(cached - used):
                self._age_one(ds, image, clock, counts)
            # Used images, on every datastore, cached there or not.
            for image in sorted(used):
                folder = self.path(ds.name, image)
                with image_lock(self.lock_path, folder):
                    if self.remove_one_mark(ds, folder):
                        counts["cleared"] += 1
        return ("marked {marked}, deleted {deleted}, cleared {cleared}, kept {kept}, "
                "{faults} delete faults tolerated".format(**counts))

    def _age_one(self, ds: Datastore, image: str, clock: Clock,
                 counts: dict[str, int]) -> None:
        folder = self.path(ds.name, image)
        with image_lock(self.lock_path, folder):
            mark = self.first_mark(self.list_folder(ds, folder))
            now = clock()  # under the lock, as the original reads it
            if mark is None:
                try:
                    self.make_folder(ds, posixpath.join(folder, mark_name(now)))
                except vim.fault.FileAlreadyExists:
                    LOG.debug("mark already exists in %s", folder)
                # Logged even when the mark was already there (edge case 10).
                LOG.info("image %s is no longer used, pending deletion", folder)
                counts["marked"] += 1
            elif now - mark_time(mark) > self.age:  # strictly older
                LOG.info("image %s is no longer used, deleting", folder)
                if self.delete(ds, folder):
                    counts["deleted"] += 1
                else:
                    counts["faults"] += 1
            else:
                counts["kept"] += 1


# ---- the protocol -------------------------------------------------------------

class Peer:
    """One node's implementation behind the protocol: requests in, results out."""

    def __init__(self, turns: Any = None) -> None:
        self.cache: ImageCache | None = None
        self.turns = turns  # the schedule's, under a seeded one

    def handle(self, request: dict[str, Any]) -> Any:
        op = request.get("op")
        if op == "start":
            return self.start(request)
        if op == "stop":
            if self.cache is not None:
                self.cache.session.close()
            return None
        if self.cache is None:
            raise PeerError(f"{op!r} before start")
        now = parse_now(request["now"])
        if op == "enlist":
            self.cache.enlist(request["datastore"], request["image"])
            return None
        if op == "age":
            summary = self.cache.age_pass(request["datastores"], request["instances"],
                                          Clock(now, self.turns))
            return {"summary": summary}
        if op == "cache_folder":
            return {"path": self.cache.cache_folder(request["datastore"], request["image"])}
        raise ProtocolError(f"unknown op {op!r}")

    def start(self, request: dict[str, Any]) -> dict[str, str]:
        if request.get("protocol") != PROTOCOL:
            raise InvalidArgument(f"InvalidArgument: protocol {request.get('protocol')!r} "
                                  f"is not supported (only {PROTOCOL})")
        node = request["node"]
        session = Session(request["vsphere"]["url"], bool(request["vsphere"]["insecure"]))
        self.cache = ImageCache(session, node["base_folder"], node["lock_path"],
                                int(node["age_seconds"]))
        return {"implementation": "python-peer", "version": "1"}


def error_reply(seq: int, exc: BaseException) -> dict[str, Any]:
    fault = fault_name(exc)
    if isinstance(exc, PeerError):
        kind, message = exc.kind, str(exc)
    elif fault is not None:
        kind, message = "vsphere_fault", f"{fault}: {getattr(exc, 'msg', '') or fault}"
    else:
        kind, message = "error", f"{type(exc).__name__}: {exc}"
    return {"seq": seq, "ok": False, "error": {"kind": kind, "fault": fault, "message": message}}


def take_turns() -> Any:
    """Under a seeded contention schedule, act as the harness's actor.

    docs/protocol.md: call install_from_env() of the harness's
    sim/virtual_time.py (standard library only, loadable by path). It tags
    our HTTP requests with X-Ich-Actor and makes time.sleep virtual. The
    actor's turns (their clock), or None outside a schedule.
    """
    if not os.environ.get("ICH_SCHEDULE"):
        return None
    path = Path(__file__).resolve().parents[2] / "sim" / "virtual_time.py"
    if path.exists():
        spec = importlib.util.spec_from_file_location("ich_virtual_time", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:  # outside a checkout: the installed harness carries it as sim.virtual_time
        import sim.virtual_time as module  # type: ignore[no-redef]
    return module.install_from_env()


def main() -> int:
    logging.basicConfig(level=os.environ.get("PEER_LOG_LEVEL", "INFO"), stream=sys.stderr,
                        format="python-peer %(levelname)s %(message)s")
    turns = take_turns()
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing but replies may reach the harness's pipe
    peer = Peer(turns)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            seq = int(request["seq"])
        except (ValueError, KeyError, TypeError) as exc:
            LOG.error("unreadable request %r: %s", line[:200], exc)
            continue  # no seq to answer to
        try:
            reply = {"seq": seq, "ok": True, "result": peer.handle(request)}
        except Exception as exc:  # every failure becomes an error reply
            LOG.warning("seq %s (%s) failed: %s: %s", seq, request.get("op"),
                        type(exc).__name__, exc)
            reply = error_reply(seq, exc)
        out.write(json.dumps(reply) + "\n")
        out.flush()
        if request.get("op") == "stop":
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
