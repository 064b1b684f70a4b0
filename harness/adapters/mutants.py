"""Mutants: refimpl and the original, each with one realistic one-line bug.
The harness must catch every one (``tests/harness/test_mutants.py``: some by
the hand-written corpus, all by the explorer without it). They run as
processes of their own speaking the protocol, so their patches never reach
the implementations in the harness's own process; a process that runs one
implementation only (a contention actor's, an explorer command's:
``adapters.run_alone``) patches its own.

    python -m harness.adapters.mutants NAME
    pytest scenarios --impl mutant:no-claim      # the same, by its registered spec

A mutant is data: the function it changes and the one line it changes,
applied to the function's source, so that its diff is what a developer
would have written.
"""

from __future__ import annotations
import __future__

import importlib
import inspect
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_APPLIED: set[str] = set()  # in this process


def applied() -> tuple[Mutant, ...]:
    """The mutants applied in this process."""
    return tuple(MUTANTS[name] for name in sorted(_APPLIED))


@dataclass(frozen=True)
class Mutant:
    name: str
    target: str  # the implementation it mutates: refimpl or original
    category: str
    description: str
    function: str  # module:qualified.name
    old: str  # the line as it is (stripped; it must occur once)
    new: str  # the line as the mutant has it
    # Modules that imported the function by name and must see the mutant too.
    rebind: tuple[str, ...] = field(default=())

    def apply_once(self) -> None:
        """Apply it in this process unless it is applied already."""
        if self.name not in _APPLIED:
            self.apply()
            _APPLIED.add(self.name)

    def diff(self) -> str:
        return f"{self.function}\n- {self.old}\n+ {self.new}"

    def apply(self) -> None:
        module_name, qualname = self.function.split(":")
        module = importlib.import_module(module_name)
        *owners, name = qualname.split(".")
        owner = module
        for part in owners:
            owner = getattr(owner, part)
        current = inspect.getattr_static(owner, name)
        wrapper = type(current) if isinstance(current, property | classmethod | staticmethod) \
            else None
        function = current.fget if isinstance(current, property) else \
            current.__func__ if wrapper is not None else current
        source = textwrap.dedent(inspect.getsource(function))
        lines = [line for line in source.splitlines() if line.strip() == self.old]
        if len(lines) != 1:
            raise ValueError(f"mutant {self.name}: {self.old!r} occurs {len(lines)} times in "
                             f"{self.function}")
        indent = lines[0][:len(lines[0]) - len(lines[0].lstrip())]
        source = source.replace(lines[0], indent + self.new, 1)
        source = "\n".join(line for line in source.splitlines()
                           if not line.lstrip().startswith("@"))  # decorators re-applied below
        namespace: dict[str, object] = {}
        # The module's own future import: annotations stay strings, as there.
        code = compile(source, f"<mutant {self.name}>", "exec",
                       flags=__future__.annotations.compiler_flag, dont_inherit=True)
        exec(code, function.__globals__, namespace)  # the point of a mutant
        mutated = namespace[name]
        setattr(owner, name, wrapper(mutated) if wrapper is not None else mutated)
        for other in self.rebind:
            setattr(importlib.import_module(other), name, mutated)


def _refimpl(name: str, category: str, description: str, function: str, old: str, new: str,
             rebind: tuple[str, ...] = ()) -> Mutant:
    return Mutant(name, "refimpl", category, description, function, old, new, rebind)


def _original(name: str, category: str, description: str, function: str, old: str,
              new: str) -> Mutant:
    return Mutant(name, "original", category, description, function, old, new)


_M = "refimpl.manager:ImageCacheManager"
_O = "harness.original.imagecache:OriginalImageCacheManager"
CATALOGUE: tuple[Mutant, ...] = (
    # -- refimpl: the four the hand-written corpus catches ------------------
    _refimpl("no-claim", "claim protocol: claim", "deletes without claiming the mark first "
             "(the re-read under the lock stays)", f"{_M}._delete_if_still_expired",
             "if reason is None:", "if False:"),
    _refimpl("one-mark", "clearing marks", "enlist and cleanup remove one mark, not all",
             f"{_M}._remove_marks", "for name in names:", "for name in list(names)[:1]:"),
    _refimpl("no-recheck", "the re-check under the lock",
             "deletes on the listing's evidence: no re-read, no claim", f"{_M}._execute",
             "self._delete_if_still_expired(ds, path, action, summary)",
             "self._files.delete(ds, path); summary.deleted.append((ds.name, action.image_id))"),
    _refimpl("non-strict-age", "age", "deletes a mark exactly age old (>= instead of >)",
             "refimpl.planner:expired", "return now - mark > timedelta(seconds=age_seconds)",
             "return now - mark >= timedelta(seconds=age_seconds)"),
    # -- refimpl: what the explorer must find by itself ------------------------
    _refimpl("future-mark-expires", "age", "a mark in the future (clock moved back) counts as "
             "old: its distance is taken, not its sign", "refimpl.planner:expired",
             "return now - mark > timedelta(seconds=age_seconds)",
             "return abs(now - mark) > timedelta(seconds=age_seconds)"),
    _refimpl("lenient-mark-parse", "mark parsing", "an unpadded ts-2026-3-1-6-0-0 is read as "
             "a valid mark (strptime alone)", "refimpl.naming:parse_mark",
             "match = _MARK.fullmatch(name)",
             "match = re.fullmatch(r'ts-(.*)', name)", rebind=("refimpl.snapshot",)),
    _refimpl("marks-in-local-time", "time zones", "marks are read as the host's local time",
             "refimpl.naming:parse_mark",
             "return datetime.strptime(match.group(1), MARK_FORMAT).replace(tzinfo=UTC)",
             "return datetime.strptime(match.group(1), MARK_FORMAT).astimezone(UTC)",
             rebind=("refimpl.snapshot",)),
    _refimpl("oldest-mark-decides", "newest-mark choice", "with several marks the oldest "
             "decides", "refimpl.snapshot:ImageFolder.newest_mark",
             "return max(self.marks.values(), default=None)",
             "return min(self.marks.values(), default=None)"),
    _refimpl("kernel-not-used", "the used set", "an image used only as kernel or ramdisk "
             "counts as unused", "refimpl.instances:used_images",
             "for ref in (inst.image_ref, inst.kernel_id, inst.ramdisk_id)",
             "for ref in (inst.image_ref,)", rebind=("refimpl.manager",)),
    _refimpl("clear-skips-malformed", "snapshot building", "clearing removes the valid marks "
             "only: a malformed ts- folder outlives enlist",
             "refimpl.snapshot:ImageFolder.mark_like",
             "return (*sorted(self.marks), *self.malformed)", "return tuple(sorted(self.marks))"),
    _refimpl("enlist-does-not-look-again", "claim protocol: enlist looking again",
             "enlist returns when a mark it removed was already gone (claimed), instead of "
             "looking again", f"{_M}._enlist_locked", "if not gone:", "if True:"),
    _refimpl("enlist-ignores-claims", "claim protocol: enlist waiting",
             "enlist does not wait for a claimed image", f"{_M}._enlist_locked",
             "if folder.claims:", "if folder.claims and folder.mark_like:"),
    _refimpl("give-back-late", "claim protocol: give back",
             "a failed delete removes the claim before re-creating the mark: for a moment "
             "neither is there", f"{_M}._give_back", "self._files.mkdir(ds, mark)",
             "self._files.delete(ds, claim); self._files.mkdir(ds, mark); return"),
    _refimpl("no-settle-after-lost-claim", "claim protocol: settling a lost answer",
             "a rename whose answer is lost is not settled: its claim may stay",
             f"{_M}._delete_if_still_expired", "self._settle(ds, path, mark, claim)  # the "
             "rename may have happened", "pass"),
    _refimpl("recheck-ignores-age", "the re-check under the lock",
             "the re-read before deleting checks that a mark is there, not its age",
             "refimpl.planner:recheck_delete", "if not expired(newest, now, age_seconds):",
             "if False:"),
    _refimpl("image-fault-ends-datastore", "fault isolation per image",
             "a fault on one image other than a file fault ends the datastore's pass",
             f"{_M}._age_datastore", "except ImageCacheError as exc:",
             "except (*_TOLERATED_DELETE, FileFault) as exc:"),
    _refimpl("listing-drop-ends-pass", "fault isolation per datastore",
             "a dropped connection while listing one datastore ends the pass for the others",
             f"{_M}.update", "except ImageCacheError as exc:", "except VSphereFault as exc:"),
    _refimpl("no-relogin-in-task-wait", "session re-login during task waits",
             "a session that expires while a task is awaited is not logged in again",
             "refimpl.session:Session.run_task",
             "props = self.invoke(lambda: self._task_props(task), path)",
             "props = self._task_props(task)"),
    _refimpl("enlist-lock-name-differs", "lock naming",
             "enlist locks the image under another name than the pass (a trailing slash)",
             f"{_M}.enlist_image", "with image_lock(self.lock_path, str(path)):",
             "with image_lock(self.lock_path, str(path) + '/'):"),
    _refimpl("cache-folder-without-base", "folder naming",
             "the cache folder of an image leaves out the base folder",
             f"{_M}.get_image_cache_folder",
             "return str(self._image_path(datastore, validate_image_id(image_id)))",
             "return str(DatastorePath(datastore, validate_image_id(image_id)))"),
    # -- the original (harness.original, per the spec) -------------------------
    _original("original-non-strict-age", "age", "deletes a mark exactly age old",
              f"{_O}._age_cached_images",
              "if self._clock() - dt > timedelta(seconds=self._age):",
              "if self._clock() - dt >= timedelta(seconds=self._age):"),
    _original("original-last-mark", "which mark decides", "takes the last ts- entry, not the "
              "first", f"{_O}._get_timestamp",
              "return next((f for f in sorted(self._get_sub_folders(datastore, path))",
              "return next((f for f in sorted(self._get_sub_folders(datastore, path), "
              "reverse=True)"),
    _original("original-mark-exists-fails", "fault handling", "FileAlreadyExists on making a "
              "mark ends the pass", f"{_O}._age_cached_images",
              "except FileAlreadyExistsException:", "except FileNotFoundException:"),
    _original("original-kernel-not-used", "the used set", "kernel and ramdisk images count as "
              "unused", "harness.adapters.original_adapter:OriginalNode.age",
              "used = [ref for i in instances for ref in (i.image_ref, i.kernel_id, "
              "i.ramdisk_id)", "used = [ref for i in instances for ref in (i.image_ref,)"),
    _original("original-no-used-cleanup", "clearing marks", "the marks of used images are "
              "left", f"{_O}._age_cached_images",
              "self._timestamp_cleanup(datastore, path)", "pass"),
    _original("original-tolerates-every-delete-fault", "fault handling", "every delete fault "
              "is tolerated, not the four the spec names", f"{_O}._folder_delete",
              "except (CannotDeleteFileException, FileFaultException, FileLockedException) "
              "as exc:", "except Exception as exc:"),
    _original("original-marks-in-local-time", "time zones", "marks are named in the host's "
              "local time", "harness.adapters.original_adapter:OriginalNode.__init__",
              "clock=lambda: clock().replace(tzinfo=None))  # naive UTC, as timeutils.utcnow()",
              "clock=lambda: clock().astimezone().replace(tzinfo=None))"),
    _original("original-missing-base-raises", "listing", "a missing folder is not an empty "
              "listing", f"{_O}._get_sub_folders", "except FileNotFoundException:",
              "except FileLockedException:"),
)
MUTANTS: dict[str, Mutant] = {m.name: m for m in CATALOGUE}

# How the explorer kills each mutant without the hand-written corpus: the
# mode, and the budget it is given (seconds; seed 1, stopping at the first
# finding; those of 90 s or less are checked by make test, the rest by make
# mutants), 300 s at most.
# tests/harness/test_mutants.py holds the explorer to it; bench/explorer.py
# measures it over several seeds.
FOUND_BY: dict[str, tuple[str, float]] = {
    "no-claim": ("contention", 120),
    "one-mark": ("sequential", 60),
    "no-recheck": ("sequential", 90),
    "non-strict-age": ("sequential", 60),
    "future-mark-expires": ("sequential", 60),
    "lenient-mark-parse": ("sequential", 90),
    "marks-in-local-time": ("sequential", 60),
    "oldest-mark-decides": ("sequential", 60),
    "kernel-not-used": ("sequential", 60),
    "clear-skips-malformed": ("sequential", 60),
    "enlist-does-not-look-again": ("contention", 300),
    "enlist-ignores-claims": ("contention", 300),
    "give-back-late": ("sweeps", 300),
    "recheck-ignores-age": ("contention", 300),
    "no-settle-after-lost-claim": ("sweeps", 90),
    "image-fault-ends-datastore": ("sweeps", 60),
    "listing-drop-ends-pass": ("sweeps", 90),
    "no-relogin-in-task-wait": ("sweeps", 60),
    "enlist-lock-name-differs": ("contention", 300),
    "cache-folder-without-base": ("sequential", 60),
    "original-non-strict-age": ("sequential", 60),
    "original-last-mark": ("sequential", 60),
    "original-mark-exists-fails": ("sequential", 300),
    "original-kernel-not-used": ("sequential", 90),
    "original-no-used-cleanup": ("sequential", 60),
    "original-tolerates-every-delete-fault": ("sequential", 120),
    "original-marks-in-local-time": ("sequential", 60),
    "original-missing-base-raises": ("sequential", 60),
}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in MUTANTS:
        print(f"usage: python -m harness.adapters.mutants {{{','.join(MUTANTS)}}}",
              file=sys.stderr)
        return 2
    mutant = MUTANTS[argv[0]]
    serve = _servers()[mutant.target]
    mutant.apply_once()
    from sim.virtual_time import install_from_env

    turns = install_from_env()  # a contention actor's child takes its turns
    return serve(turns)


def _servers() -> dict[str, Callable[[Any], int]]:
    from refimpl.serve import serve as serve_refimpl

    from .original_adapter import OriginalImplementation
    from .peer import serve as serve_peer

    return {"refimpl": lambda turns: serve_refimpl(turns=turns),
            "original": lambda turns: serve_peer(OriginalImplementation(), turns=turns)}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
