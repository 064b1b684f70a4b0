"""The contention checker's reading of the trace (pure): when a call took
effect decides which spawn a delete is blamed on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from harness.contention.checker import check
from harness.contention.history import Event
from sim.control import Call

MS = 1_000_000
T0 = 1_800_000_000 * 1_000_000_000  # a whole second
BASE = "10.0.0.5_base"


MARK = "ts-2026-01-01-00-00-00"


def delete(start_ms: int, end_ms: int, applied_ms: int = 0, what: str = "img1",
           session: str = "ager") -> Call:
    return Call(1, "DeleteDatastoreFile_Task", "FileManager:FileManager", "c", 0, 0,
                T0 + start_ms * MS, T0 + end_ms * MS, "ok", path=f"[LocalDS_0] {BASE}/{what}",
                session=session, injected="delay_after" if applied_ms else "",
                applied_unix_ns=T0 + applied_ms * MS if applied_ms else 0)


def spawn(enlisted_ms: int, released_ms: int) -> list[Event]:
    def event(ms: int, op: str, kind: str) -> Event:
        return Event(T0 + ms * MS, 0, "spawner-1@n2", "n2", op, kind, "img1")

    return [event(enlisted_ms - 10, "enlist", "invoke"), event(enlisted_ms, "enlist", "ok"),
            event(released_ms, "release", "invoke")]


def violations(calls: list[Call], events: list[Event]) -> list[str]:
    """The delete of the image, after the spawn's enlist removed its mark."""
    enlisted = min(e.t for e in events if e.type == "ok")
    removed = (enlisted - T0) // MS - 5
    calls = [delete(removed - 1, removed, what=f"img1/{MARK}", session="spawn"), *calls]
    found = check(events, calls, datastore="LocalDS_0", base=BASE,
                  initial_marks={"img1": {MARK}}, age=timedelta(seconds=1),
                  run_end=T0 + 5000 * MS)
    return [v.invariant for v in found]


def test_a_delete_that_spans_a_spawn_is_blamed_on_it():
    assert violations([delete(100, 1600)], spawn(200, 700)) == ["I1"]


def test_a_slow_answer_to_a_delete_that_took_effect_before_the_spawn_is_not():
    assert violations([delete(100, 1600, applied_ms=120)], spawn(200, 700)) == []


def test_a_slow_answer_to_a_delete_inside_the_spawn_still_is():
    # After the enlist removed the mark: in use, and with no mark either.
    assert violations([delete(300, 1800, applied_ms=320)], spawn(200, 700)) == ["I1", "I2"]


def test_the_message_says_when_the_spawn_enlisted_against_the_delete():
    def message(call: Call) -> str:
        found = check(spawn(200, 700), [call], datastore="LocalDS_0", base=BASE,
                      initial_marks={"img1": set()}, age=timedelta(seconds=1),
                      run_end=T0 + 5000 * MS)
        return next(v.message for v in found if v.invariant == "I1")

    assert message(delete(300, 400)).endswith("(enlisted 100 ms before the delete)")
    # A slow delete asked before the enlist returned took effect while in use.
    assert message(delete(100, 1600)).endswith(
        "(enlisted 100 ms after the delete was asked, 1400 ms before it took effect)")


def _claim_then_delete(claimant: str, deleter: str) -> list[str]:
    """A pass claims the image's old mark (renames it) in one session and
    deletes the image in another: the same actor after a log-in again, or
    another actor."""
    old = "ts-2020-01-01-00-00-00"
    claim = Call(1, "MoveDatastoreFile_Task", "FileManager:FileManager", "c", 0, 0,
                 T0 + 100 * MS, T0 + 110 * MS, "ok", path=f"[LocalDS_0] {BASE}/img1/{old}",
                 session="first", actor=claimant)
    gone = Call(2, "DeleteDatastoreFile_Task", "FileManager:FileManager", "c", 0, 0,
                T0 + 300 * MS, T0 + 310 * MS, "ok", path=f"[LocalDS_0] {BASE}/img1",
                session="second", actor=deleter)
    found = check([], [claim, gone], datastore="LocalDS_0", base=BASE,
                  initial_marks={"img1": {old}}, age=timedelta(seconds=1),
                  run_end=T0 + 5000 * MS)
    return [v.invariant for v in found]


def test_a_claim_is_the_actors_across_its_sessions():
    """A session that ended under a pass (NotAuthenticated) and the pass's
    next one are one claimant: its delete has the mark it claimed."""
    assert _claim_then_delete("ager-1@n1", "ager-1@n1") == []
    assert _claim_then_delete("ager-1@n1", "ager-2@n2") == ["I2"]


def _late_mark(named_ms: int, held_now: bool) -> list[str]:
    """A pass starts at 0 and waits; a spawn enlists img1 at 1500 ms and uses
    it; at 1600 ms the pass's mark, named ``named_ms`` into the run, appears."""
    name = f"ts-{datetime.fromtimestamp((T0 + named_ms * MS) / 1e9, UTC):%Y-%m-%d-%H-%M-%S}"
    mark = Call(1, "MakeDirectory", "FileManager:FileManager", "c", 0, 0, T0 + 1590 * MS,
                T0 + 1600 * MS, "ok", path=f"[LocalDS_0] {BASE}/img1/{name}", session="ager")
    events = [Event(T0, 0, "ager-1@n1", "n1", "age", "invoke", None), *spawn(1500, 3000),
              Event(T0 + 1700 * MS, 0, "ager-1@n1", "n1", "age", "ok", None)]
    found = check(events, [mark], datastore="LocalDS_0", base=BASE,
                  initial_marks={"img1": set()}, age=timedelta(seconds=10),
                  run_end=T0 + 5000 * MS, held_now=held_now)
    return [v.invariant for v in found]


def test_a_mark_named_at_its_pass_s_start_is_an_i4_only_where_time_runs_on():
    # Seeded: the pass's clock ran on while it waited; a name of its start is back-dated.
    assert _late_mark(0, held_now=False) == ["I4"]
    # Free: the protocol gives a peer one `now` for the whole pass.
    assert _late_mark(0, held_now=True) == []
    # A name from before the pass began is old either way (a local-time bug, say).
    assert _late_mark(-5000, held_now=True) == ["I4"]


def _remade_during_enlist(named_ms: int) -> list[str]:
    """img1 has a mark named at the run's start. A spawn enlists it from 0 to
    380 ms: its enlist removes the mark at 160 ms; at 370 ms a pass that does
    not see the instance yet makes a mark named ``named_ms`` into the run
    (names go by the second), which is there when the enlist returns."""
    def name(ms: int) -> str:
        return f"ts-{datetime.fromtimestamp((T0 + ms * MS) / 1e9, UTC):%Y-%m-%d-%H-%M-%S}"

    def call(method: str, ms: int, mark: str, session: str) -> Call:
        return Call(1, method, "FileManager:FileManager", "c", 0, 0, T0 + (ms - 10) * MS,
                    T0 + ms * MS, "ok", path=f"[LocalDS_0] {BASE}/img1/{mark}",
                    session=session)

    calls = [call("DeleteDatastoreFile_Task", 160, name(0), "spawn"),
             call("MakeDirectory", 370, name(named_ms), "ager")]
    events = [Event(T0 + 300 * MS, 0, "ager-1@n1", "n1", "age", "invoke", None),
              Event(T0, 0, "spawner-1@n2", "n2", "enlist", "invoke", "img1"),
              Event(T0 + 380 * MS, 0, "spawner-1@n2", "n2", "enlist", "ok", "img1"),
              Event(T0 + 390 * MS, 0, "ager-1@n1", "n1", "age", "ok", None),
              Event(T0 + 3000 * MS, 0, "spawner-1@n2", "n2", "release", "invoke", "img1")]
    found = check(events, calls, datastore="LocalDS_0", base=BASE,
                  initial_marks={"img1": {name(0)}}, age=timedelta(seconds=10),
                  run_end=T0 + 5000 * MS)
    return [v.invariant for v in found]


def test_a_mark_made_again_during_the_enlist_is_another_mark():
    # The same name as the one the enlist removed, made afresh by a pass in
    # the same second: the scheme's own race, not a mark the enlist left.
    assert _remade_during_enlist(0) == []
    # One named older than the enlist (an old mark put back) is left at its return.
    assert _remade_during_enlist(-5000) == ["I4"]


def _slow_mark(locks: dict[str, str], named_s: int = 0,
               other_passes: tuple[tuple[int, int], ...] = ()) -> list[str]:
    """A pass starts at 0 ms and asks for a mark at 1000 ms, named
    ``named_s`` from the pass's start; the call takes effect at 1600 ms,
    after a spawn enlisted img1 at 1500 ms. ``other_passes``: the same
    actor's passes before and after that one, (start, end) in ms."""
    name = f"ts-{datetime.fromtimestamp(T0 / 1e9 + named_s, UTC):%Y-%m-%d-%H-%M-%S}"
    mark = Call(1, "MakeDirectory", "FileManager:FileManager", "c", 0, 0, T0 + 1000 * MS,
                T0 + 1600 * MS, "ok", path=f"[LocalDS_0] {BASE}/img1/{name}", session="ager",
                actor="ager-1@n1")
    events = [Event(T0, 0, "ager-1@n1", "n1", "age", "invoke", None), *spawn(1500, 3000),
              Event(T0 + 1700 * MS, 0, "ager-1@n1", "n1", "age", "ok", None)]
    events += [Event(T0 + ms * MS, 0, "ager-1@n1", "n1", "age", kind, None)
               for start, end in other_passes for ms, kind in ((start, "invoke"), (end, "ok"))]
    events.sort(key=lambda e: e.t)
    found = check(events, [mark], datastore="LocalDS_0", base=BASE,
                  initial_marks={"img1": set()}, age=timedelta(seconds=10),
                  run_end=T0 + 5000 * MS, locks=locks)
    return [v.invariant for v in found]


def test_a_slow_mark_asked_before_the_enlist_counts_only_under_one_lock():
    # Another host's pass: nothing orders its mark and the enlist.
    assert _slow_mark({"ager-1@n1": "host1", "spawner-1@n2": "host2"}) == []
    # One host's lock: the enlist should have waited for the mark, and removed it.
    assert _slow_mark({"ager-1@n1": "host1", "spawner-1@n2": "host1"}) == ["I4"]
    assert _slow_mark({}) == ["I4"]  # not known: they may share one
    # An old mark put back (a claim given back, give-back-late's window) is
    # expired and in use, whatever orders the two.
    assert _slow_mark({"ager-1@n1": "host1", "spawner-1@n2": "host2"}, named_s=-30) == ["I4"]


def test_a_slow_mark_is_new_by_the_start_of_the_pass_that_asked_for_it():
    hosts = {"ager-1@n1": "host1", "spawner-1@n2": "host2"}
    # Named after the actor's previous pass began, but before this one did:
    # an old mark put back, not a new one.
    assert _slow_mark(hosts, named_s=-5, other_passes=((-10_000, -9_000),)) == ["I4"]
    # The actor's next pass, begun after the call was asked, is not its pass.
    assert _slow_mark(hosts, other_passes=((1800, 2500),)) == []
