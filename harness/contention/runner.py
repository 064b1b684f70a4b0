"""Running a contention scenario: lay out, start the actors as processes,
merge their history with the simulator's trace, check, draw the timeline.

Seeded (the default): the simulator schedules the actors' calls from the
seed on a virtual clock, so a seed replays its run. Free: the actors run in
parallel in real time, as they would in production, and a seed replays
their random delays only."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sim import Call, Control, Endpoint, ScheduleStatus, Strategy
from sim.cleanup import temporary_directory

from ..adapters import file_label, label_of
from ..adapters.command_adapter import ReplyTimeouts
from ..format.errors import display_path
from ..format.replay import Replay
from ..vsphere.layout import lay_out
from ..vsphere.login import Login
from ..vsphere.marks import left_claim, mark_name
from ..vsphere.run_folder import RunFolder
from ..vsphere.tree import CacheTree, ImageTree
from . import checker, timeline
from .history import Event, merge
from .model import ContentionScenario
from .pool import POOL, ActorProcess, wait

STARTUP_TIMEOUT_S = 120.0  # actors import and connect the implementation first
LEAD_S = 0.2  # from "all ready" to the common start
GRACE_S = 60.0
# Real time an actor may run between two scheduling points before the
# schedule goes on without it (a stall): far above any step's CPU time.
QUIET_MS = 10_000
SCHEDULES = ("seeded", "free")


@dataclass
class Outcome:
    scenario: ContentionScenario
    impl: str
    seed: int
    violations: list[checker.Violation]
    overlapped: int  # operations that overlapped another actor's on the same image
    operations: int
    timeline: Path
    history: Path
    status: ScheduleStatus | None = None  # of a seeded run
    events: list[Event] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)  # the simulator's trace of the run
    folder: str = ""  # the run folder's name: the trace's paths lie below it
    epilogue: Any = None  # what the caller's epilogue returned
    zone: str | None = None  # the implementation's time zone

    @property
    def schedule(self) -> str:
        return "free" if self.status is None else "seeded"

    @property
    def overlap(self) -> float:
        return self.overlapped / self.operations if self.operations else 0.0

    def summary(self) -> str:
        return (f"{len(self.violations)} violation(s) in {self.operations} operations; "
                f"overlap: {self.overlapped} ({self.overlap:.0%}) ran while another actor's "
                f"operation on the same image was in flight; {self.schedule_summary()}")

    def schedule_summary(self) -> str:
        if self.status is None:
            return "free schedule (real time: a replay repeats the delays, not the order)"
        st = self.status
        exact = "exact" if st.exact else (
            f"NOT exact: {st.stalls} stall(s), an actor blocked outside the simulator's view")
        if st.missed:
            exact += f"; {st.missed} switch(es) missed (named an actor not enabled then)"
        strategy = "" if self.scenario.strategy == Strategy() else \
            f", strategy {self.scenario.strategy}"
        return f"seeded schedule{strategy}: {st.steps} steps, order {st.digest}, {exact}"

    def replay(self) -> str:
        """The line that replays this run (its seed, zone and schedule)."""
        return Replay(self.scenario.path, self.impl, self.zone, self.seed,
                      schedule=None if self.schedule == self.scenario.schedule
                      else self.schedule).line()


class ContentionFailure(AssertionError):
    def __init__(self, outcome: Outcome, problem: str) -> None:
        self.outcome, self.problem = outcome, problem
        super().__init__(problem)

    def render(self) -> str:
        o = self.outcome
        lines = [f"{display_path(o.scenario.path)}:{o.scenario.line}: {self.problem}",
                 f"contention {o.scenario.name!r} [{label_of(o.impl)}], seed {o.seed}: "
                 f"{o.scenario.purpose}", o.summary(), ""]
        for v in o.violations:
            lines += [f"{v.invariant}: {v.message}", "  the operations that produced it:"]
            lines += [f"    {line}" for line in v.window] + [""]
        lines += [f"timeline: {o.timeline}", f"history:  {o.history}", f"replay:   {o.replay()}"]
        return "\n".join(lines)


def run_contention(scenario: ContentionScenario, impl: str, endpoint: Endpoint, *,
                   seed: int, reports: Path, root_prefix: str = "",
                   schedule: str | None = None, zone: str | None = None,
                   epilogue: Callable[[RunFolder, str, int], Any] | None = None,
                   timeouts: ReplyTimeouts | None = None, login: Login | None = None
                   ) -> Outcome:
    """Run ``scenario`` once; ``schedule`` (seeded or free) overrides its own;
    the implementation runs in ``zone`` (adapters.zones), a ``cmd:`` peer
    with ``timeouts`` (its reply timeouts, by message).
    ``epilogue(folder, base, run_end)`` runs once the actors are done, the
    cache still there (its result is ``Outcome.epilogue``); ``run_end`` is
    the end of the run on its clock (a seeded run's is virtual), in ns.
    ``login``: the harness's login to share (a search's), else one of its own."""
    schedule = schedule or scenario.schedule
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule {schedule!r}: use one of {', '.join(SCHEDULES)}")
    config = scenario.config
    # Fault probabilities and latency jitter follow the run's seed.
    with RunFolder.new(endpoint, parent=root_prefix, datastores=config.datastores, control=True,
                       who=display_path(scenario.path), seed=seed, login=login) as folder:
        control = folder.control
        base = folder.path(config.base_folder_of(config.nodes[0]))
        # A seeded run starts its virtual clock on a whole second: marks are
        # named by the second, so the same steps give the same names.
        epoch_ns = -(-time.time_ns() // 10**9) * 10**9 if schedule == "seeded" else \
            time.time_ns()
        now = datetime.fromtimestamp(epoch_ns / 1e9, UTC)
        initial = {image: {mark_name(now - ago) for ago in agos}
                   for image, agos in scenario.images.items()}
        tree = CacheTree(images={
            image: ImageTree(marks=[mark_name(now - ago) for ago in agos],
                             folders=[left_claim(mark_name(now - ago))
                                      for ago in scenario.claims.get(image, ())],
                             files=[f"{image}.vmdk"])
            for image, agos in scenario.images.items()})
        for ds in config.datastores:
            lay_out(folder.files, ds, base, tree)
        if config.latency is not None:
            control.set_latency(**config.latency.control_arguments())
        for rule in scenario.faults:
            folder.add_fault(rule)
        control.reset_trace()
        with temporary_directory("contention") as tmp:
            events, run_end, status = _run_actors(
                scenario, impl, endpoint, seed, base, tmp,
                control if schedule == "seeded" else None, epoch_ns, zone, timeouts)
        calls = control.trace().calls
        after = epilogue(folder, base, run_end) if epilogue is not None else None
        run_folder = folder.name
    violations = []
    # A node whose clock runs ahead deletes that much early on the run's clock.
    skew = max((abs(n.clock_offset) for n in config.nodes), default=timedelta(0))
    # A spawn uses its image on its own datastore: the same image on another
    # is another copy, which a pass may age and delete meanwhile.
    spawns_on = {ident: actor.datastore for actor, ident in
                 zip(scenario.actors, scenario.idents, strict=True) if actor.kind == "spawner"}
    locks = {ident: config.node(actor.node).lock_path
             for actor, ident in zip(scenario.actors, scenario.idents, strict=True)}
    for ds in config.datastores:
        here = [e for e in events if spawns_on.get(e.actor, ds) == ds]
        violations += checker.check(here, calls, datastore=ds, base=base,
                                    initial_marks=initial, age=config.age - skew,
                                    run_end=run_end, skew=skew, held_now=schedule == "free",
                                    locks=locks)
    overlapped, total = checker.overlap(events)
    stem = f"{scenario.name}-{file_label(impl)}-seed{seed}"
    pages = reports / "contention"
    pages.mkdir(parents=True, exist_ok=True)
    history = pages / f"{stem}.history.jsonl"
    history.write_text("".join(json.dumps(asdict(e)) + "\n" for e in events))
    ops = checker.file_ops(calls, config.datastores[0], base, initial)
    start = min([e.t for e in events] + [o.start for o in ops], default=run_end)
    order = f"seeded schedule, order {status.digest}" if status else "free schedule"
    page = timeline.render(pages / f"{stem}.html", f"{scenario.name} [{label_of(impl)}] "
                           f"seed {seed}, {order}", events, ops,
                           checker.spans(events, run_end), violations, start, run_end)
    return Outcome(scenario, impl, seed, violations, overlapped, total, page, history, status,
                   events, calls, run_folder, after, zone)


def _run_actors(scenario: ContentionScenario, impl: str, endpoint: Endpoint, seed: int,
                base: str, tmp: Path, scheduler: Control | None, epoch_ns: int,
                zone: str | None, timeouts: ReplyTimeouts | None
                ) -> tuple[list, int, ScheduleStatus | None]:
    """Run the actors to their end; their events, the end of the run on its
    clock, and the schedule's status (with ``scheduler``: a seeded run, its
    virtual clock starting at ``epoch_ns``)."""
    (tmp / "instances").mkdir()
    barrier = tmp / "barrier"
    barrier.mkdir()
    actors, histories = [], []
    idents = scenario.idents
    if scheduler is not None:
        scheduler.start_schedule(idents, seed=seed, epoch_unix_ns=epoch_ns, quiet_ms=QUIET_MS,
                                 strategy=scenario.strategy)
    crashed = []
    try:
        for actor, ident in zip(scenario.actors, idents, strict=True):
            spec = {"id": ident, "url": endpoint.url, "impl": impl, "seed": seed,
                    "schedule": "free" if scheduler is None else "seeded",
                    "barrier": str(barrier), "quiet_ms": QUIET_MS,
                    "duration_s": scenario.duration.total_seconds(), "base_folder": base,
                    "lock_path": str(tmp / "locks" / scenario.config.node(actor.node).lock_path),
                    "clock_offset_s":
                        scenario.config.node(actor.node).clock_offset.total_seconds(),
                    "age_seconds": int(scenario.config.age.total_seconds()), "zone": zone,
                    "timeouts": dict(timeouts) if timeouts is not None else None,
                    "history": str(tmp / f"{ident}.jsonl"), "instances": str(tmp / "instances"),
                    "actor": {k: (list(v) if isinstance(v, tuple) else v)
                              for k, v in asdict(actor).items()}}
            process = POOL.take(impl)
            actors.append((ident, process))
            process.start(spec, tmp / f"{ident}.log")
            histories.append(tmp / f"{ident}.jsonl")
        processes = [process for _, process in actors]
        last = max(((a.start_ms + (a.hold_ms + a.pause_ms + a.jitter_ms) * a.count) / 1000
                    for a in scenario.actors if a.kind == "spawner"), default=0)
        length = max(scenario.duration.total_seconds(), last)
        if scheduler is None:
            deadline = _start_together(processes, barrier, len(scenario.actors)) + length + \
                GRACE_S
        else:
            # Virtual time costs no real time; what a step costs does. The
            # length in real time bounds it: steps are far shorter than latencies.
            deadline = time.time() + STARTUP_TIMEOUT_S + length + GRACE_S
        stopped = scheduler is None
        while time.time() < deadline and any(p.poll() is None for p in processes):
            if not stopped and any(p.poll() not in (None, 0) for p in processes):
                # One crashed, perhaps before joining: the others would wait
                # for it. Stopped, the schedule lets them end at once.
                scheduler.stop_schedule()
                stopped = True
            wait(processes, 0.1)
        for ident, process in actors:
            if process.poll() is None:
                process.kill()  # past the deadline
                process.rc = -9
            if process.rc != 0:
                tail = "\n".join((tmp / f"{ident}.log").read_text(errors="replace")
                                 .splitlines()[-15:])
                crashed.append(f"actor {ident} exited with {process.rc}:\n{tail}")
    finally:
        # Ctrl-C or an error here: no actor outlives the run; those that
        # ended well serve the next one.
        for _, process in actors:
            POOL.give_back(process)
    status = scheduler.stop_schedule() if scheduler is not None else None
    if crashed:
        raise RuntimeError("\n".join(crashed))
    return merge(histories), status.now_unix_ns if status else time.time_ns(), status


def _start_together(processes: list[ActorProcess], barrier: Path, count: int) -> float:
    """Wait until every actor has its implementation open, then give the
    common start time: start-up (imports, logins) never skews the run."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while len(list(barrier.glob("*.ready"))) < count:
        if any(p.poll() is not None for p in processes) or time.monotonic() > deadline:
            break  # a crash or a hang: reported with its log below
        time.sleep(0.01)
    epoch = time.time() + LEAD_S
    tmp = barrier / ".go"
    tmp.write_text(repr(epoch))
    tmp.replace(barrier / "go")
    return epoch


