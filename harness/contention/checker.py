"""Checking a contention run's history against the image cache's invariants.

Pure functions over the merged actor events and the simulator's calls on
the run's folder (one host: wall-clock nanoseconds compare across both):

- I1 no image folder is deleted while an instance that enlisted it is in
  use (from enlist's return to its release);
- I2 an image folder is deleted only when a mark older than the age is
  there, on the harness clock;
- I3 after enlist returns, no mark that was there when it started is left
  (one removed and made again meanwhile is another mark, judged by I4);
- I4 while an image is in use, or during its enlist and left at its return,
  no mark older than the enlist appears on it (an old mark put back: the
  next pass that does not see the instance yet deletes the image by it). A
  fresh mark by a pass that does not see the instance yet is the scheme's
  own race, no violation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sim import Call

from ..vsphere.marks import looks_like_mark, mark_time
from .history import Event

FILE_METHODS = ("MakeDirectory", "DeleteDatastoreFile_Task", "MoveDatastoreFile_Task")


@dataclass(frozen=True)
class FileOp:
    """A successful file call on the run's folder, by image."""

    kind: str  # mark+, mark-, mark~ (renamed away), image+, image-, entry- (another entry)
    image: str
    name: str  # the mark's name, the image id, or the entry's name
    start: int
    end: int  # by when it had taken effect (a slow answer comes later)
    session: str
    actor: str = ""  # the actor whose call it was


@dataclass(frozen=True)
class Span:
    actor: str
    image: str
    enlist_invoke: int
    start: int  # enlist returned
    end: int  # release began (or the end of the run)


@dataclass
class Violation:
    invariant: str
    image: str
    time: int
    message: str
    window: list[str] = field(default_factory=list)
    # Who: the actor that used (or enlisted) the image, and the actor whose
    # call broke the invariant (the delete, the mark); what the enlist
    # found: so that a model can say whether it predicts the violation.
    user: str = ""
    by: str = ""
    marks: int = 0


def file_ops(calls: Iterable[Call], datastore: str, base: str,
             images: Iterable[str] = ()) -> list[FileOp]:
    """MakeDirectory / DeleteDatastoreFile_Task calls that changed something below
    ``base``. The trace has the outcome of the call, not of its task: a delete
    of a folder that is already gone (its task fails with FileNotFound) is
    recognised by replaying which image folders exist (``images`` at first)."""
    prefix = f"[{datastore}] {base}/"
    ops = []
    for call in calls:
        if call.method not in FILE_METHODS or call.outcome != "ok" or \
                not call.path.startswith(prefix):
            continue
        parts = call.path[len(prefix):].rstrip("/").split("/")
        made, moved = call.method == "MakeDirectory", call.method == "MoveDatastoreFile_Task"
        if len(parts) == 1 and not moved:
            kind, name = ("image+" if made else "image-"), parts[0]
        elif len(parts) == 2 and looks_like_mark(parts[1]):
            kind, name = ("mark+" if made else "mark~" if moved else "mark-"), parts[1]
        elif len(parts) == 2 and not made and not moved:
            kind, name = "entry-", parts[1]
        else:
            continue
        ops.append(FileOp(kind, parts[0], name, call.start_unix_ns, call.effect_unix_ns,
                          call.session, call.actor))
    existing = set(images)
    effective = []
    for op in sorted(ops, key=lambda o: o.end):
        if op.kind == "image+":
            existing.add(op.image)
        elif op.image not in existing:
            continue  # nothing there to delete or to mark
        elif op.kind == "image-":
            existing.discard(op.image)
        effective.append(op)
    return effective


def spans(events: list[Event], run_end: int) -> list[Span]:
    """In-use intervals: from enlist's return to the release."""
    result = []
    open_: dict[tuple[str, str], tuple[int, int]] = {}
    invoked: dict[tuple[str, str], int] = {}
    for e in events:
        key = (e.actor, e.image or "")
        if e.op == "enlist" and e.type == "invoke":
            invoked[key] = e.t
        elif e.op == "enlist" and e.type == "ok":
            open_[key] = (invoked.get(key, e.t), e.t)
        elif e.op == "release" and e.type == "invoke" and key in open_:
            first, start = open_.pop(key)
            result.append(Span(e.actor, e.image or "", first, start, e.t))
    result += [Span(a, i, first, start, run_end) for (a, i), (first, start) in open_.items()]
    return result


class Marks:
    """Which marks an image carries at any time, replayed from the file ops."""

    def __init__(self, initial: dict[str, set[str]], ops: list[FileOp]) -> None:
        self.initial, self.ops = initial, ops

    def made(self, image: str, names: Iterable[str], default: int) -> int:
        """When the first of these marks was made (``default`` if before the run)."""
        times = [op.end for op in self.ops
                 if op.kind == "mark+" and op.image == image and op.name in set(names)]
        return min(times, default=default)

    def at(self, image: str, t: int) -> set[str]:
        marks = set(self.initial.get(image, ()))
        for op in self.ops:
            if op.end > t or op.image != image:
                continue
            if op.kind == "mark+":
                marks.add(op.name)
            elif op.kind in ("mark-", "mark~"):
                marks.discard(op.name)
            elif op.kind == "image-":
                marks.clear()
        return marks

    def kept(self, image: str, start: int, end: int) -> set[str]:
        """The marks there at ``start`` and never taken away until ``end``:
        one removed and made again meanwhile, under the same name (names go
        by the second), is another mark."""
        marks = self.at(image, start)
        for op in self.ops:
            if op.image == image and start < op.end <= end:
                if op.kind in ("mark-", "mark~"):
                    marks.discard(op.name)
                elif op.kind == "image-":
                    marks.clear()
        return marks

    def claimed(self, by: FileOp) -> set[str]:
        """Marks renamed in the image's folder (claimed, in refimpl's words)
        by the actor of ``by`` before it (or by its session, where the trace
        names no actor) and still held: a renamed mark still stands for the
        time it names until its folder, or the renamed entry, is deleted. An
        actor that logged in again (a session ended under it) holds what it
        claimed before. A rename racing another session's delete of the mark
        counts when the renaming actor deletes the image: it could only do
        so if its rename won."""
        held: list[str] = []
        for op in self.ops:
            if op.end > by.start or op.image != by.image:
                continue
            if op.kind == "mark~" and _same_claimant(op, by):
                held.append(op.name)
            elif op.kind == "entry-" and _same_claimant(op, by) and held:
                held.pop(0)  # the claim, deleted (given back)
            elif op.kind == "image-":
                held.clear()
        return set(held)


def _same_claimant(a: FileOp, b: FileOp) -> bool:
    return a.actor == b.actor if a.actor and b.actor else a.session == b.session


def check(events: list[Event], calls: list[Call], *, datastore: str, base: str,
          initial_marks: dict[str, set[str]], age: timedelta, run_end: int,
          skew: timedelta = timedelta(0), held_now: bool = False,
          locks: dict[str, str] | None = None) -> list[Violation]:
    """Every violation of I1-I4 in the run; ``skew``: how far a node's clock
    may be off (a mark is named by the second, and by its node's clock).
    ``held_now``: a pass's time holds from its start to its end (a free run:
    a peer gets one ``now`` per operation, docs/protocol.md, "Time"), so a
    mark named as late as the start of a pass then in flight is no I4.
    ``locks``: each actor's lock directory. A new mark (named as its pass
    began) asked for before an enlist began, by a pass that does not share
    the enlist's lock, and taking effect after it (a slow call) is no I4:
    nothing orders the two, the scheme's own race across hosts; under one
    lock the enlist must have waited for it. An old mark put back (a claim
    given back) is one whatever the locks: it is expired, and in use."""
    ops = file_ops(calls, datastore, base, initial_marks)
    marks = Marks(initial_marks, ops)
    in_use = spans(events, run_end)
    found: list[Violation] = []
    for op in (o for o in ops if o.kind == "image-"):
        for span in in_use:
            if span.image == op.image and span.start < op.end and op.start < span.end:
                since = marks.made(op.image, marks.at(op.image, op.start), span.enlist_invoke)
                found.append(Violation(
                    "I1", op.image, op.start,
                    f"image folder {op.image!r} deleted while {span.actor} used it "
                    f"({_enlisted(span.start, op.start, op.end)})",
                    window(events, ops, op.image, min(since, span.enlist_invoke), op.end),
                    user=span.actor, by=op.actor,
                    marks=len(marks.at(op.image, span.enlist_invoke))))
        present = marks.at(op.image, op.start) | marks.claimed(op)
        now = datetime.fromtimestamp(op.start / 1e9, UTC)
        if not any((t := mark_time(m)) is not None and now - t > age for m in present):
            start = min((o.end for o in ops if o.image == op.image), default=op.start)
            found.append(Violation(
                "I2", op.image, op.start,
                f"image folder {op.image!r} deleted at {now:%H:%M:%S.%f} with no mark older "
                f"than {age.total_seconds():g} s (marks: {sorted(present) or 'none'})",
                window(events, ops, op.image, min(start, op.start), op.end), by=op.actor))
    for span in in_use:
        before = marks.at(span.image, span.enlist_invoke)
        # A mark made again during the enlist is judged by its age below.
        left = marks.kept(span.image, span.enlist_invoke, span.start) & \
            marks.at(span.image, span.start)
        if left:
            since = marks.made(span.image, left, span.enlist_invoke)
            found.append(Violation(
                "I3", span.image, span.start,
                f"{span.actor}'s enlist of {span.image!r} returned with marks it found "
                f"still there: {sorted(left)}",
                window(events, ops, span.image, min(since, span.enlist_invoke), span.start),
                user=span.actor, marks=len(before)))
    # Any mark made now names a time within a second (and the skew) of now.
    slack = int((timedelta(seconds=1) + skew).total_seconds() * 1e9)
    for span in in_use:
        for op in ops:
            # Made while the image was in use, or during its enlist and
            # still there when the enlist returned.
            if op.kind != "mark+" or op.image != span.image or \
                    not span.enlist_invoke < op.end < span.end or \
                    (op.end <= span.start and op.name not in marks.at(span.image, span.start)):
                continue
            named = mark_time(op.name)
            if named is None:
                continue
            named_ns = named.timestamp() * 1e9
            # A new mark from a pass nothing orders with the enlist.
            if op.start < span.enlist_invoke and _unordered(op.actor, span.actor, locks) and \
                    named_ns >= _pass_start(events, op, op.start) - slack:
                continue
            since = span.enlist_invoke
            if held_now:
                since = min(since, _first_pass_in_flight(events, op.start, since))
            if named_ns < since - slack:
                found.append(Violation(
                    "I4", span.image, op.end,
                    f"mark {op.name} (older than {span.actor}'s enlist) appeared on "
                    f"{span.image!r} while it was in use",
                    window(events, ops, span.image, span.enlist_invoke, op.end),
                    user=span.actor, by=op.actor))
    return sorted(found, key=lambda v: v.time)


def _unordered(a: str, b: str, locks: dict[str, str] | None) -> bool:
    """Whether nothing orders two actors' operations: they hold different
    locks (unknown: they may share one)."""
    return locks is not None and a in locks and b in locks and locks[a] != locks[b]


def _pass_start(events: list[Event], op: FileOp, default: int) -> int:
    """When the aging pass that asked for ``op`` started: its actor's, or
    (a free run's trace names none) the earliest in flight."""
    if not op.actor:
        return _first_pass_in_flight(events, op.start, default)
    starts = [e.t for e in events if e.actor == op.actor and e.op == "age"
              and e.type == "invoke" and e.t <= op.start]
    return max(starts, default=default)


def _first_pass_in_flight(events: list[Event], t: int, default: int) -> int:
    """When the earliest aging pass still running at ``t`` started. The trace
    of a free run names no actor, so any pass in flight may have made the call."""
    started: dict[str, int] = {}
    for e in sorted((e for e in events if e.op == "age"), key=lambda e: e.t):
        if e.t > t:
            break
        if e.type == "invoke":
            started[e.actor] = e.t
        else:
            started.pop(e.actor, None)
    return min([default, *started.values()])


def window(events: list[Event], ops: list[FileOp], image: str, start: int, end: int
           ) -> list[str]:
    """The operations on ``image`` between start and end: what produced a violation."""
    lines = [(e.t, f"{e.actor:<18} {e.op} {e.type}{' ' + e.detail if e.detail else ''}")
             for e in events
             if start <= e.t <= end and (e.image == image or e.op == "age")]
    lines += [(o.end, f"{'vSphere':<18} {o.kind} {o.name} (session {o.session or '-'}, "
                      f"{(o.end - o.start) / 1e6:.1f} ms)")
              for o in ops if o.image == image and start <= o.end <= end]
    lines.sort()
    return [f"+{(t - start) / 1e6:9.1f} ms  {text}" for t, text in lines]


def overlap(events: list[Event]) -> tuple[int, int]:
    """(operations that ran while another actor's operation on the same image
    was in flight, operations). An aging pass works on every image; a run
    whose actors were serialized has no overlap at all."""
    ops: list[tuple[int, int, str, str | None]] = []
    started: dict[tuple[str, str], int] = {}
    for e in events:
        if e.op not in ("enlist", "age"):
            continue
        if e.type == "invoke":
            started[(e.actor, e.op)] = e.t
        elif (e.actor, e.op) in started:
            ops.append((started.pop((e.actor, e.op)), e.t, e.actor, e.image))
    overlapped = sum(
        1 for start, end, actor, image in ops
        if any(o_actor != actor and o_start < end and start < o_end
               and (image is None or o_image is None or image == o_image)
               for o_start, o_end, o_actor, o_image in ops))
    return overlapped, len(ops)


def _enlisted(enlisted: int, asked: int, done: int) -> str:
    """When the image was enlisted, against its delete (asked, taken effect)."""
    if enlisted <= asked:
        return f"enlisted {_ms(enlisted, asked)} before the delete"
    return (f"enlisted {_ms(asked, enlisted)} after the delete was asked, "
            f"{_ms(enlisted, done)} before it took effect")


def _ms(a: int, b: int) -> str:
    return f"{(b - a) / 1e6:.0f} ms"
