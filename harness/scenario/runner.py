"""Running one sequential scenario against one implementation on one simulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sim import Endpoint
from sim.cleanup import temporary_directory

from ..adapters import (
    Implementation,
    ImplementationBroken,
    ImplementationError,
    Instance,
    Node,
    NodeSetup,
    open_node,
)
from ..format.errors import display_path
from ..vsphere.layout import lay_out
from ..vsphere.login import Login
from ..vsphere.run_folder import RunFolder
from .checker import ErrorExpectation
from .clock import ScenarioClock, frozen_at
from .model import Scenario
from .steps import Step


@dataclass
class StepRecord:
    index: int
    step: Step
    outcome: str


class ScenarioFailure(AssertionError):
    """A step did not do what the scenario expects; ``render()`` is the report."""

    def __init__(self, scenario: Scenario, step: Step, index: int, message: str,
                 records: list[StepRecord], diff: str = "") -> None:
        self.scenario, self.step, self.index = scenario, step, index
        self.message, self.records, self.diff = message, list(records), diff
        super().__init__(f"{display_path(scenario.path)}:{step.line}: {message}")

    def render(self) -> str:
        s = self.scenario
        first, *rest = self.message.splitlines()
        lines = [f"{display_path(s.path)}:{self.step.line}: step {self.index + 1} "
                 f"({self.step.describe()}): {first}"]
        lines += [f"  {line}" for line in rest]
        lines += [f"scenario {s.name!r} ({s.tier}): {s.purpose}"]
        if self.diff:
            lines += ["", "cache tree, expected vs actual:", self.diff]
        lines += ["", "steps run so far:"]
        lines += [f"  {r.index + 1}. line {r.step.line}: {r.step.describe()} -> {r.outcome}"
                  for r in self.records] or ["  (none)"]
        return "\n".join(lines)


class Run:
    """State of one scenario run: clock, nodes, current instances (what
    ``steps.StepRun`` promises the steps)."""

    def __init__(self, scenario: Scenario, implementation: Implementation, folder: RunFolder,
                 lock_root: Path, clock: ScenarioClock, zone: str | None = None) -> None:
        self.scenario, self.impl, self.folder, self.zone = scenario, implementation, folder, zone
        self.config, self.lock_root, self.clock = scenario.config, lock_root, clock
        self.instances: list[Instance] = list(scenario.instances)
        self.nodes: dict[str, Node] = {}
        self.records: list[StepRecord] = []
        self._index = 0

    def base_folder(self, override: str | None = None, node: str | None = None) -> str:
        """Where a base folder lives on the datastore: in the run folder."""
        return self.folder.path(override or self.config.base_folder_of(self.config.node(node)))

    def node(self, name: str) -> Node:
        """The node, started at its first operation. An error it answers the
        start with (vSphere refused the login, say) is that operation's
        outcome; a start that breaks (hangs, crashes) is said to be one."""
        if name not in self.nodes:
            spec = self.config.node(name)
            try:
                self.nodes[name] = open_node(self.impl, NodeSetup(
                    name=name, endpoint=self.folder.endpoint,
                    base_folder=self.base_folder(node=name),
                    lock_path=self.lock_root / spec.lock_path,
                    age_seconds=int(self.config.age.total_seconds()),
                    clock=self.clock.reader(spec.clock_offset), zone=self.zone))
            except ImplementationBroken as exc:
                raise ImplementationBroken(f"starting node {name!r}, before the step's "
                                           f"operation: {exc}") from exc
        return self.nodes[name]

    def run(self) -> list[StepRecord]:
        for step in self.scenario.steps:
            self.step(step)
        return self.records

    def step(self, step: Step) -> StepRecord:
        """Run one more step; ScenarioFailure if it does not do what it says."""
        self._index = len(self.records)
        return self.record(step, step.run(self))

    def record(self, step: Step, outcome: str) -> StepRecord:
        """Log a step run by someone else (the explorer's judge, say)."""
        self._index = len(self.records)
        record = StepRecord(self._index, step, outcome)
        self.records.append(record)
        return record

    def fail(self, step: Step, message: str, diff: str = "") -> ScenarioFailure:
        return ScenarioFailure(self.scenario, step, self._index, message, self.records, diff)

    def call(self, step: Step, expected: ErrorExpectation | None,
             operation: Callable[[], str | None]) -> str:
        try:
            result = operation()
        except ImplementationBroken as err:
            raise self.fail(step, f"the implementation broke: {err}") from err
        except ImplementationError as err:
            described = f"{err.kind}{'/' + err.fault if err.fault else ''}: {err}"
            if expected is not None and expected.matches(err):
                return f"failed as expected ({described})"
            raise self.fail(step, f"raised {described}") from err
        if expected is not None:
            raise self.fail(step, f"expected an error ({expected.describe()}), "
                                  "but the step succeeded")
        return result or "ok"


def run_scenario(scenario: Scenario, implementation: Implementation,
                 endpoint: Endpoint, root_prefix: str = "", *, zone: str | None = None
                 ) -> list[StepRecord]:
    """Lay out, run every step (the implementation in ``zone``), clean up;
    ScenarioFailure on the first miss."""
    with open_run(scenario, implementation, endpoint, root_prefix, zone=zone) as run:
        return run.run()


@contextmanager
def open_run(scenario: Scenario, implementation: Implementation, endpoint: Endpoint,
             root_prefix: str = "", *, control: bool | None = None,
             zone: str | None = None, login: Login | None = None) -> Iterator[Run]:
    """A run with the scenario's cache laid out and its clock frozen, ready
    for its steps (``Run.run``) or for steps one at a time (``Run.step``).

    The scenario lives in a run folder of its own on each datastore (below
    ``root_prefix``, the session's run folder on a real vCenter), so
    scenarios can run side by side on one simulator. ``control``: whether
    the run uses the control API (default: whether the scenario's steps do);
    ``zone``: the time zone the implementation runs in (adapters.zones);
    ``login``: the harness's login to share (a search's), else one of its own.
    """
    uses_control = scenario.uses_control if control is None else control
    # Seeded alike every time: a rule's probability draws replay exactly.
    with RunFolder.new(endpoint, parent=root_prefix, datastores=scenario.config.datastores,
                       control=uses_control, who=display_path(scenario.path),
                       seed=0 if uses_control else None, login=login) as folder, \
            temporary_directory("locks") as locks, frozen_at(scenario.start) as clock:
        if scenario.config.latency is not None:
            folder.control.set_latency(**scenario.config.latency.control_arguments())
        run = Run(scenario, implementation, folder, Path(locks), clock, zone)
        for ds, state in scenario.cache.items():
            lay_out(folder.files, ds, run.base_folder(state.folder), state.tree())
        try:
            yield run
        finally:
            for node in run.nodes.values():
                node.close()
