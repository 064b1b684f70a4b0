"""ImageCacheManager: enlist and age cached images on vSphere datastores."""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from . import discovery, planner
from .datastore_path import DatastorePath
from .errors import (
    CannotDeleteFile,
    ConnectionLost,
    FileAlreadyExists,
    FileFault,
    FileLocked,
    FileNotFound,
    ImageCacheError,
    InvalidArgument,
    MarkNotCleared,
    TaskOutcomeUnknown,
    VSphereFault,
)
from .files import DatastoreFiles
from .instances import Instance, used_images
from .locks import image_lock
from .naming import as_utc, claim_name, mark_name, validate_base_folder, validate_image_id
from .session import Session
from .snapshot import CacheSnapshot, image_folder
from .summary import PassSummary, Skipped

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
# Delete faults the original tolerates (and we report at warning level only).
_TOLERATED_DELETE = (CannotDeleteFile, FileLocked, FileNotFound)
# How long a delete whose answer was lost is given to land before the pass
# gives its claim back.
LOST_DELETE_WAIT_SECONDS = 5.0


def utc_now() -> datetime:
    return datetime.now(UTC)


class ImageCacheManager:
    """Nova's VMware image cache scheme, with the original's races fixed.

    ``base_folder`` is the folder name on every datastore (see
    ``refimpl.base_folder`` for Nova's naming rule), ``lock_path`` the
    folder of the per-image lock files (Nova's ``[oslo_concurrency]
    lock_path``), ``age_seconds`` how long an unused image is kept after it
    was first seen unused, ``clock`` returns the current time (UTC).
    ``claim_wait_seconds`` bounds how long enlist waits for another host's
    pass that is deleting the image.
    """

    def __init__(self, session: Session, base_folder: str = "_base", *,
                 lock_path: str | os.PathLike | None, age_seconds: int = 86400,
                 clock: Clock = utc_now, claim_wait_seconds: float = 60.0) -> None:
        if not lock_path:
            raise InvalidArgument("lock_path is required: the folder for the per-image lock "
                                  "files (Nova's [oslo_concurrency] lock_path)")
        if not isinstance(age_seconds, int) or age_seconds < 0:
            raise InvalidArgument(f"age_seconds must be an int >= 0, got {age_seconds!r}")
        self._session = session
        self._files = DatastoreFiles(session)
        self.base_folder = validate_base_folder(base_folder)
        self.lock_path = os.fspath(lock_path)
        self.age_seconds = age_seconds
        self._clock = clock
        self.claim_wait_seconds = claim_wait_seconds
        self._datastores: list[discovery.Datastore] | None = None

    # -- public API ---------------------------------------------------------

    def get_image_cache_folder(self, datastore: str, image_id: str) -> str:
        """``[datastore] <base>/<image_id>``: where the image is cached."""
        return str(self._image_path(datastore, validate_image_id(image_id)))

    def enlist_image(self, image_id: str, datastore: str, datacenter: str | None = None) -> None:
        """Protect an image about to be used: remove every mark, under its lock.

        If a pass (on a host that shares this cache) has claimed a mark to
        delete the image, wait until the image is gone (the spawn then
        fetches it anew). Raises MarkNotCleared if a mark could not be
        removed, or the claim stays longer than ``claim_wait_seconds``.
        """
        validate_image_id(image_id)
        ds = self._datastore(datastore, datacenter)
        path = self._image_path(ds.name, image_id)
        with image_lock(self.lock_path, str(path)):
            removed = self._enlist_locked(ds, path, image_id)
        log.debug("enlisted %s (removed %d mark(s))", path, removed)

    def _enlist_locked(self, ds: discovery.Datastore, path: DatastorePath, image_id: str) -> int:
        removed, waited, delay = 0, 0.0, 0.05
        while True:
            try:
                folder = image_folder(image_id, self._files.subfolders(ds, path))
            except FileNotFound:
                return removed  # not cached (any more): the spawn fetches it
            if folder.claims:
                # A pass is deleting it: wait until it is gone, or until the
                # claim is given back (its delete failed), then look again.
                if waited >= self.claim_wait_seconds:
                    raise MarkNotCleared(
                        f"enlisting {path}: a pass is deleting it (claim {folder.claims[0]}) "
                        f"and has not finished after {waited:.0f} s; if no host is deleting "
                        "it, remove that folder")
                time.sleep(delay)  # slept time: freezegun may be freezing the clocks
                waited, delay = waited + delay, min(delay * 2, 0.5)
                continue
            if not folder.mark_like:
                return removed
            try:
                gone = self._remove_marks(ds, path, folder.mark_like)
            except ImageCacheError as exc:
                raise MarkNotCleared(f"enlisting {path}: cannot remove its marks: {exc}") \
                    from exc
            removed += len(folder.mark_like) - len(gone)
            if not gone:
                # We removed every mark we saw, so a pass claiming one of them
                # now fails; a mark we did not see is no older than our
                # listing (a claim given back was in it, and we waited).
                return removed
            # A mark had gone meanwhile, maybe claimed by a pass: look again.

    def update(self, instances: Iterable[Instance],
               datastores: Iterable[str] | None = None) -> PassSummary:
        """One aging pass over ``datastores`` (names; None = every accessible one).

        ``instances`` must be every instance that may use these caches, on all
        hosts that share them. A fault on one image or datastore is logged
        and recorded in the summary; the pass goes on with the rest.
        """
        used = used_images(instances)
        targets = self._targets(datastores)
        summary = PassSummary()
        for ds in targets:
            if not ds.accessible:
                summary.skipped.append(Skipped(ds.name, None, "datastore not accessible"))
                continue
            try:
                self._age_datastore(ds, used, summary)
            except ImageCacheError as exc:
                log.error("aging %s: listing failed: %s", ds.name, exc)
                summary.skipped.append(Skipped(ds.name, None, f"listing failed: {exc}",
                                               _fault_name(exc)))
        log.info("aging pass: %s", summary)
        return summary

    # -- one datastore -------------------------------------------------------

    def _age_datastore(self, ds: discovery.Datastore, used: frozenset[str],
                       summary: PassSummary) -> None:
        base = DatastorePath(ds.name, self.base_folder)
        try:
            tree = self._files.tree(ds, base)
        except FileNotFound:
            tree = {}
        plan = planner.plan_pass(CacheSnapshot.from_listing(ds.name, tree), used, self._now(),
                                 self.age_seconds)
        for note in plan.notes:
            log.warning("%s: %s", base.join(note.image_id), note.reason)
            summary.skipped.append(Skipped(ds.name, note.image_id, note.reason))
        for action in plan.actions:
            path = base.join(action.image_id)
            try:
                with image_lock(self.lock_path, str(path)):
                    self._execute(ds, path, action, summary)
            except ImageCacheError as exc:
                tolerated = isinstance(action, planner.Delete) and \
                    isinstance(exc, (*_TOLERATED_DELETE, FileFault))
                log.log(logging.WARNING if tolerated else logging.ERROR,
                        "%s: %s failed: %s", path, type(action).__name__.lower(), exc)
                summary.skipped.append(Skipped(
                    ds.name, action.image_id, f"{type(action).__name__.lower()} failed: {exc}",
                    _fault_name(exc)))

    def _execute(self, ds: discovery.Datastore, path: DatastorePath, action: planner.Action,
                 summary: PassSummary) -> None:
        if isinstance(action, planner.Mark):
            name = mark_name(self._now())  # now, under the lock: see planner.Mark
            try:
                self._files.mkdir(ds, path.join(name))
            except FileAlreadyExists:
                log.debug("%s already marked %s", path, name)
            except FileNotFound:
                # Deleted since the listing; never re-create it for a mark.
                summary.skipped.append(Skipped(ds.name, action.image_id,
                                               "image folder vanished before marking"))
                return
            log.info("%s is no longer used; marked %s", path, name)
            summary.marked.append((ds.name, action.image_id))
        elif isinstance(action, planner.Clear):
            self._remove_marks(ds, path, action.names)
            summary.cleared.append((ds.name, action.image_id))
        else:
            self._delete_if_still_expired(ds, path, action, summary)

    def _remove_marks(self, ds: discovery.Datastore, path: DatastorePath,
                      names: Iterable[str]) -> list[str]:
        """Remove marks; those that were gone already (removed or claimed
        by someone else)."""
        gone = []
        for name in names:
            try:
                self._files.delete(ds, path.join(name))
            except FileNotFound:
                gone.append(name)
        return gone

    def _delete_if_still_expired(self, ds: discovery.Datastore, path: DatastorePath,
                                 action: planner.Delete, summary: PassSummary) -> None:
        try:
            fresh = image_folder(action.image_id, self._files.subfolders(ds, path, "ts-*"))
        except FileNotFound:
            fresh = None
        reason = planner.recheck_delete(fresh, self._now(), self.age_seconds)
        if reason is None:
            mark = path.join(fresh.newest_mark_name)
            claim = path.join(claim_name(mark.basename, secrets.token_hex(4)))
            try:
                self._files.move(ds, mark, claim)
            except FileNotFound:
                reason = "its mark was removed before the pass could claim it (image enlisted)"
            except ImageCacheError:
                self._settle(ds, path, mark, claim)  # the rename may have happened
                raise
            else:
                reason = self._check_claim(ds, path, mark, claim)
        if reason is not None:
            log.info("%s: not deleted: %s", path, reason)
            summary.skipped.append(Skipped(ds.name, action.image_id, f"not deleted: {reason}"))
            return
        try:
            self._files.delete(ds, path)
        except ImageCacheError as exc:
            # FileNotFound included: only a listing tells whether the image
            # is gone; if not, our claim must not stay behind.
            if isinstance(exc, ConnectionLost | TaskOutcomeUnknown):
                self._let_it_land(ds, path)
            if not self._settle(ds, path, mark, claim):
                raise
            log.debug("%s: deleted, though the answer was lost", path)
        log.info("%s has been unused longer than %d s; deleted", path, self.age_seconds)
        summary.deleted.append((ds.name, action.image_id))

    def _let_it_land(self, ds: discovery.Datastore, path: DatastorePath) -> None:
        """After a lost answer our delete may still run. Giving the claim back
        at once would let an enlist return on the restored mark while the
        folder goes; deleting again by path could hit the folder a spawn
        fetched anew once the first delete landed. So wait, the claim in
        place (enlists wait on it), until the folder is gone or
        ``LOST_DELETE_WAIT_SECONDS`` have passed."""
        waited, delay = 0.0, 0.05
        while waited < LOST_DELETE_WAIT_SECONDS:
            try:
                self._files.subfolders(ds, path)
            except FileNotFound:
                return
            except ImageCacheError:
                return  # _settle's listing tells, or says it cannot
            time.sleep(delay)  # slept time: freezegun may be freezing the clocks
            waited, delay = waited + delay, min(delay * 2, 0.5)

    def _check_claim(self, ds: discovery.Datastore, path: DatastorePath, mark: DatastorePath,
                     claim: DatastorePath) -> str | None:
        """Read the image's folder again after claiming it: None if our claim
        wins; otherwise our claim (if there) is given back, and why not."""
        try:
            fresh = image_folder(path.basename, self._files.subfolders(ds, path))
        except FileNotFound:
            fresh = None
        except ImageCacheError:
            self._settle(ds, path, mark, claim)
            raise
        reason = planner.claim_wins(fresh, claim.basename)
        if fresh is not None and claim.basename in fresh.claims and reason is not None:
            self._give_back(ds, mark, claim)
        return reason

    def _give_back(self, ds: discovery.Datastore, mark: DatastorePath,
                   claim: DatastorePath) -> None:
        """The mark first, then the claim away: an enlist waiting on the
        claim finds the mark to remove, never neither."""
        self._files.mkdir(ds, mark)
        self._files.delete(ds, claim)

    def _settle(self, ds: discovery.Datastore, path: DatastorePath, mark: DatastorePath,
                claim: DatastorePath) -> bool:
        """After a failed rename or delete (the call may still have run):
        whether the image is gone; if not, no claim of ours is left — the
        mark is back as it was, for an enlist waiting on the claim to remove."""
        try:
            names = self._files.subfolders(ds, path)
            if claim.basename in names:
                self._give_back(ds, mark, claim)
        except FileNotFound:
            return True
        except ImageCacheError as exc:
            log.error("%s: cannot tell whether claim %s is left (enlists of the image wait "
                      "for it, then fail naming it): %s", path, claim.basename, exc)
        return False

    # -- helpers ---------------------------------------------------------------

    def _now(self) -> datetime:
        return as_utc(self._clock())

    def _image_path(self, datastore: str, image_id: str) -> DatastorePath:
        return DatastorePath(datastore, self.base_folder).join(image_id)

    def _known_datastores(self, refresh: bool = False) -> list[discovery.Datastore]:
        if self._datastores is None or refresh:
            self._datastores = discovery.discover(self._session)
        return self._datastores

    def _datastore(self, name: str, datacenter: str | None = None) -> discovery.Datastore:
        """Look ``name`` up, re-reading the datastores once if it is unknown."""
        try:
            return discovery.select(self._known_datastores(), name, datacenter)
        except ImageCacheError:
            return discovery.select(self._known_datastores(refresh=True), name, datacenter)

    def _targets(self, names: Iterable[str] | None) -> list[discovery.Datastore]:
        if names is None:
            return self._known_datastores(refresh=True)
        return [self._datastore(name) for name in names]


def _fault_name(exc: BaseException) -> str | None:
    return exc.fault_name if isinstance(exc, VSphereFault) else type(exc).__name__
