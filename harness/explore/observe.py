"""Running scenarios for the properties to judge: the imperative shell
around the simulator. Each function runs something once and returns what
was seen (``observation.py``); nothing here decides a verdict.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sim import Endpoint
from sim.cleanup import temporary_directory
from sim.virtual_time import Turns, install, uninstall

from ..adapters import (
    Implementation,
    ImplementationBroken,
    ImplementationError,
    NodeSetup,
    open_node,
)
from ..adapters import get as get_implementation
from ..contention.model import ContentionScenario
from ..contention.runner import run_contention
from ..format.config import Config
from ..scenario import steps as s
from ..scenario.model import Scenario
from ..scenario.runner import Run, open_run
from ..vsphere import inspector
from ..vsphere.login import Login
from ..vsphere.run_folder import RunFolder
from . import sites
from .observation import ContentionRun, Seen, SequentialRun, Settled, Trees
from .prediction import used_images

# A sequential run on the simulator's clock: its one actor, and the real
# time it may run between two calls before the schedule calls it stalled
# (harmless with no other actor: the run goes on the same).
SEQUENTIAL_ACTOR = "sequential"
SEQUENTIAL_QUIET_MS = 60_000


def read(run: Run, keys: list[tuple[str, str]]) -> Trees:
    """The trees of these (datastore, base folder) pairs, as they are now."""
    files = run.folder.files
    return {(ds, folder): inspector.read(files, ds, run.base_folder(folder))
            if ds in files.datastores else None for ds, folder in keys}


# Steps that call no implementation and change no datastore (the harness's
# clock, its instance list, its simulator's rules and sessions): the trees
# after them are the trees before, and nothing was injected.
QUIET = (s.ClockStep, s.InstancesStep, s.FaultStep, s.ClearFaultsStep,
         s.TerminateSessionsStep)


class Stepper:
    """Steps of one open run, each observed: the trees before and after it,
    what it raised, the faults injected while it ran."""

    def __init__(self, run: Run, keys: list[tuple[str, str]], *, ruled: bool = False) -> None:
        self.run, self.keys = run, keys
        self.trees = read(run, keys)
        self._trace_from = 0
        # Whether a fault rule may be in force: only then can a call have
        # been injected, and the trace be worth asking for.
        self._ruled = ruled

    def take(self, step: s.Step, index: int) -> Seen:
        run = self.run
        seen = Seen(index, step.key, step.describe(), self.trees, self.trees,
                    age=run.config.age)
        if isinstance(step, s.FaultStep | s.ClearFaultsStep):
            self._ruled = isinstance(step, s.FaultStep)
        node = getattr(step, "node", None)
        if node is not None:
            seen.node_base = run.config.base_folder_of(run.config.node(node))
        if isinstance(step, s.EnlistStep | s.CacheFolderStep):
            seen.image, seen.datastores = step.image, (step.datastore,)
        elif isinstance(step, s.AgeStep):
            seen.used = used_images(step.view(run.instances))
            seen.datastores = step.datastores
            seen.now = run.clock.reader(run.config.node(step.node).clock_offset)()
        try:
            if node is not None:
                try:
                    run.node(node)  # opened before its first operation: no part of it
                except Exception:
                    seen.op = "open"
                    raise
            # An operation unjudged; any other step as it runs (clock, faults, fetch...).
            operate = getattr(step, "operate", step.run)
            result = operate(run)
            if isinstance(step, s.CacheFolderStep):
                seen.value = sites.unscoped(result, run.folder.name)
        except Exception as exc:
            _failed(seen, exc)
        if not isinstance(step, QUIET):
            seen.after = self.trees = read(run, self.keys)
            seen.injected = self._injected()
        return seen

    def _injected(self) -> frozenset[sites.Injection]:
        folder = self.run.folder
        if not folder.controlled or not self._ruled:
            return frozenset()
        calls = folder.control.trace(since=self._trace_from).calls
        if calls:
            self._trace_from = calls[-1].id
        return sites.injected(calls, folder.name, self.keys)


def _failed(seen: Seen, exc: Exception) -> None:
    if isinstance(exc, ImplementationError):
        seen.error, seen.message = exc.kind, f"{exc.kind}: {exc}"
        return
    # ImplementationBroken, or what an in-process implementation lets escape
    # outside the interface's errors (a raw pyVmomi fault, say).
    seen.broke = True
    text = str(exc) if isinstance(exc, ImplementationBroken) else \
        f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"
    seen.message = " ".join(text.split())[:300]


def sequential(scenario: Scenario, impl: str, endpoint: Endpoint, *, zone: str | None,
               rule: dict[str, Any] | None = None, login: Login | None = None
               ) -> tuple[SequentialRun, list[Any], str]:
    """Run the scenario's operations (its expectations aside) with ``rule``
    injected, the trees read after each, then clear the faults and run the
    two convergence passes. The run, the calls, and the run folder's name."""
    keys = sites.base_folders(scenario)
    result = SequentialRun()
    implementation = get_implementation(impl)
    with open_run(scenario, implementation, endpoint, control=True, zone=zone,
                  login=login) as run:
        control = run.folder.control
        control.reset_trace()
        if rule is not None:
            run.folder.add_fault(rule)
        with _virtual_time(run, implementation):
            stepper = Stepper(run, keys, ruled=rule is not None)
            operations = [step for step in scenario.steps
                          if not isinstance(step, s.ExpectStep)]
            for index, step in enumerate(operations):
                result.steps.append(stepper.take(step, index))
            calls = control.trace().calls
            control.clear_faults()
            result.converged = _converge(run, scenario.config, keys)
        return result, calls, run.folder.name


@contextlib.contextmanager
def _virtual_time(run: Run, implementation: Implementation) -> Iterator[None]:
    """An implementation whose calls leave from this process takes its turns
    as the one actor of a schedule: its sleeps (polling a task, waiting for a
    lost delete to land) and the latency and delays of its calls pass on the
    simulator's virtual clock, at no real cost. It makes one call at a time,
    so the run is the run on the wall's clock, bar the time it takes. (The
    scenario's own clock is frozen as ever: the marks do not see this one.)"""
    if not getattr(implementation, "in_process", False):
        yield
        return
    control = run.folder.control
    control.start_schedule([SEQUENTIAL_ACTOR], seed=0, quiet_ms=SEQUENTIAL_QUIET_MS)
    turns = Turns(run.folder.endpoint.url, SEQUENTIAL_ACTOR)
    try:
        install(turns)
        turns.join()
        yield
    finally:
        # Stopping the schedule ends the actor's part: no leave to ask for.
        uninstall()
        turns.close()
        control.stop_schedule()


def _converge(run: Run, config: Config, keys: list[tuple[str, str]]) -> Trees:
    """Two passes by the first node seeing every current instance, the second
    one age and a second later: what any fault should have given way to."""
    for advance in (timedelta(0), config.age + timedelta(seconds=1)):
        run.clock.advance(advance)
        # A pass that fails leaves the trees to say what it did.
        with contextlib.suppress(Exception):
            run.node(config.nodes[0].name).age(run.instances, config.datastores)
    return read(run, keys)


def contention(scenario: ContentionScenario, impl: str, endpoint: Endpoint, *, seed: int,
               reports: Path, zone: str | None, rule: dict[str, Any] | None = None,
               settle: bool = False, login: Login | None = None) -> ContentionRun:
    """One run under its seeded schedule (``rule``: one more fault rule;
    ``settle``: read the cache when the actors are done and after two more
    passes, as a sweep compares them)."""
    swept = replace(scenario, faults=(*scenario.faults, rule)) if rule is not None \
        else scenario
    try:
        return ContentionRun(run_contention(
            swept, impl, endpoint, seed=seed, reports=reports, schedule="seeded", zone=zone,
            epilogue=_settle(impl, scenario.config, zone) if settle else None, login=login))
    except RuntimeError as crash:  # an actor died: the implementation broke
        return ContentionRun(crash=" ".join(str(crash).split())[:400])


def _settle(impl: str, config: Any, zone: str | None
            ) -> Callable[[RunFolder, str, int], Settled]:
    """The epilogue of a swept contention run: read the cache, clear the
    faults, run the two convergence passes (nothing is in use any more).
    They start where the run ended on its own clock, and as far ahead as
    its fastest node: a seeded run's clock is virtual and may be ahead of
    the wall's, and a mark made at its end must not look young to them."""

    def epilogue(folder: RunFolder, base: str, run_end: int) -> Settled:
        files = folder.files
        datastore = config.datastores[0]
        after = inspector.read(files, datastore, base)
        folder.control.clear_faults()
        ahead = max((n.clock_offset for n in config.nodes), default=timedelta(0))
        clock = [max(datetime.now(UTC), datetime.fromtimestamp(run_end / 1e9, UTC) +
                     max(ahead, timedelta(0)) + timedelta(seconds=1))]
        with _converging_node(impl, folder, base, config, clock, zone) as node:
            for advance in (timedelta(0), config.age + timedelta(seconds=1)):
                clock[0] += advance
                with contextlib.suppress(Exception):
                    node.age([], config.datastores)
        return Settled(after, inspector.read(files, datastore, base))

    return epilogue


@contextlib.contextmanager
def _converging_node(impl: str, folder: RunFolder, base: str, config: Any,
                     clock: list[datetime], zone: str | None) -> Iterator[Any]:
    with temporary_directory("converge") as locks:
        node = open_node(get_implementation(impl), NodeSetup(
            name="converge", endpoint=folder.endpoint, base_folder=base,
            lock_path=Path(locks), age_seconds=int(config.age.total_seconds()),
            clock=lambda: clock[0], zone=zone))
        try:
            yield node
        finally:
            node.close()
