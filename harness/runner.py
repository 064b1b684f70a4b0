"""Running one scenario against one implementation on one simulator."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from pyVmomi import vim

from sim import Control, ControlError, Endpoint
from sim.registry import temporary_directory

from . import expectations, inspector
from .adapters import (
    Implementation,
    ImplementationBroken,
    ImplementationError,
    Node,
    NodeSetup,
)
from .clock import ScenarioClock, frozen_at
from .datastore import DatastoreClient
from .layout import lay_out
from .scenario import model as m
from .vsphere import TaskError, connect, disconnect

log = logging.getLogger(__name__)


@dataclass
class StepRecord:
    index: int
    step: m.Step
    outcome: str


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class ScenarioFailure(AssertionError):
    """A step did not do what the scenario expects; ``render()`` is the report."""

    def __init__(self, scenario: m.Scenario, step: m.Step, index: int, message: str,
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
    """State of one scenario run: clock, nodes, current instances."""

    def __init__(self, scenario: m.Scenario, implementation: Implementation,
                 endpoint: Endpoint, client: DatastoreClient, control: Control, root: str,
                 lock_root: Path, clock: ScenarioClock) -> None:
        self.scenario, self.impl, self.endpoint = scenario, implementation, endpoint
        self.client, self.root, self.lock_root, self.clock = client, root, lock_root, clock
        self.instances = list(scenario.instances)
        self.control = control
        self.nodes: dict[str, Node] = {}
        self.records: list[StepRecord] = []

    def folder(self, node: m.Node, override: str | None = None) -> str:
        """Where a base folder lives on the datastore: under this run's root."""
        return f"{self.root}/{override or self.scenario.config.base_folder_of(node)}"

    def node(self, name: str) -> Node:
        if name not in self.nodes:
            spec = self.scenario.config.node(name)
            self.nodes[name] = self.impl.open_node(NodeSetup(
                name=name, endpoint=self.endpoint, base_folder=self.folder(spec),
                lock_path=self.lock_root / spec.lock_path,
                age_seconds=int(self.scenario.config.age.total_seconds()),
                clock=self.clock.reader(spec.clock_offset)))
        return self.nodes[name]

    # -- steps -----------------------------------------------------------------

    def run(self) -> list[StepRecord]:
        for index, step in enumerate(self.scenario.steps):
            outcome = self.execute(index, step)
            self.records.append(StepRecord(index, step, outcome))
        return self.records

    def fail(self, index: int, step: m.Step, message: str, diff: str = "") -> ScenarioFailure:
        return ScenarioFailure(self.scenario, step, index, message, self.records, diff)

    def execute(self, index: int, step: m.Step) -> str:
        if isinstance(step, m.ClockStep):
            if step.set is not None:
                self.clock.set(step.set)
            else:
                sign = 1 if step.advance is not None else -1
                self.clock.advance(sign * (step.advance or step.back or timedelta(0)))
            return f"now {self.clock.now():%Y-%m-%dT%H:%M:%SZ}"
        if isinstance(step, m.InstancesStep):
            self.instances = list(step.instances)
            return f"{len(self.instances)} instance(s)"
        if isinstance(step, m.EnlistStep):
            return self.call(index, step, step.expect_error,
                             lambda: self.node(step.node).enlist(step.datastore, step.image))
        if isinstance(step, m.AgeStep):
            seen = [i for i in self.instances
                    if (step.sees is None or i.uuid in step.sees)
                    and (step.hosts is None or i.host in step.hosts)]
            return self.call(index, step, step.expect_error,
                             lambda: self.node(step.node).age(seen, step.datastores))
        if isinstance(step, m.CacheFolderStep):
            return self.check_cache_folder(index, step)
        if isinstance(step, m.FaultStep):
            rule = dict(step.rule)
            if "path" in rule:
                rule["path"] = self.scoped(rule["path"])
            added = self.control.add_fault(**rule)
            return f"rule {added['id']} added"
        if isinstance(step, m.ClearFaultsStep):
            self.control.clear_faults()
            return "no rules"
        if isinstance(step, m.TerminateSessionsStep):
            return f"{self.control.terminate_sessions()} session(s) ended"
        assert isinstance(step, m.ExpectStep)
        return self.check_tree(index, step)

    def call(self, index: int, step: m.Step, expected: m.ErrorExpectation | None,
             operation: Callable[[], str | None]) -> str:
        try:
            result = operation()
        except ImplementationBroken as err:
            raise self.fail(index, step, f"the implementation broke: {err}") from err
        except ImplementationError as err:
            described = f"{err.kind}{'/' + err.fault if err.fault else ''}: {err}"
            if expected is not None and _matches(expected, err):
                return f"failed as expected ({described})"
            raise self.fail(index, step, f"raised {described}") from err
        if expected is not None:
            raise self.fail(index, step, f"expected an error ({expected.describe()}), "
                                         "but the step succeeded")
        return result or "ok"

    def scoped(self, path: str) -> str:
        return scoped(path, self.root)

    def check_cache_folder(self, index: int, step: m.CacheFolderStep) -> str:
        actual = self.call(index, step, step.expect_error,
                           lambda: self.node(step.node).cache_folder(step.datastore, step.image))
        if step.expected is None:
            return actual
        expected = self.scoped(step.expected)
        if actual != expected:
            raise self.fail(index, step, f"cache folder is {actual!r}, expected {expected!r}")
        return actual

    def check_tree(self, index: int, step: m.ExpectStep) -> str:
        found, diffs = [], []
        default = self.scenario.config.nodes[0]
        for ds, expect in step.datastores.items():
            folder = self.folder(default, expect.folder)
            actual = inspector.read(self.client, ds, folder)
            problems = expectations.problems(expect, actual)
            if problems:
                found += [f"{ds}: {p}" for p in problems]
                diffs.append(expectations.tree_diff(expect, actual, f"[{ds}] {folder}"))
        if found:
            raise self.fail(index, step, "\n".join(found), "\n".join(diffs))
        return "as expected"


def _matches(expected: m.ErrorExpectation, err: ImplementationError) -> bool:
    if expected.kind != "any" and expected.kind != err.kind:
        return False
    if expected.fault is not None and expected.fault != err.fault:
        return False
    return expected.match is None or re.search(expected.match, str(err)) is not None


def run_scenario(scenario: m.Scenario, implementation: Implementation,
                 endpoint: Endpoint, root_prefix: str = "") -> list[StepRecord]:
    """Lay out, run every step, clean up; ScenarioFailure on the first miss.

    The scenario lives in its own folder on each datastore (below
    ``root_prefix``, the run folder on a real vCenter), so scenarios can run
    side by side on one simulator.
    """
    # Short: the root is part of every lock file name, which has a length limit.
    root = f"ich-{uuid.uuid4().hex[:8]}"
    if root_prefix:
        root = f"{root_prefix}/{root}"
    si = connect(endpoint)
    client = DatastoreClient(si, endpoint)
    control = Control(endpoint)
    if scenario.uses_control:
        _fresh_control(control, scenario)
        # The inspector must see the datastore as it is, faults or not.
        control.exempt_session(si._stub.cookie)
    try:
        with temporary_directory("locks") as locks, \
                frozen_at(scenario.start) as clock:
            run = Run(scenario, implementation, endpoint, client, control, root, Path(locks),
                      clock)
            default = scenario.config.nodes[0]
            for ds, state in scenario.cache.items():
                lay_out(client, ds, run.folder(default, state.folder), state)
            try:
                return run.run()
            finally:
                for node in run.nodes.values():
                    node.close()
    finally:
        if scenario.uses_control:
            control.reset()
        for ds in scenario.config.datastores:
            remove_folder(client, ds, root)
        disconnect(si)


def _fresh_control(control: Control, scenario: m.Scenario) -> None:
    """No rules or latency left from earlier scenarios; this one's latency."""
    try:
        control.reset()
    except ControlError as exc:
        raise ControlError(f"{display_path(scenario.path)} uses faults, latency or sessions: "
                           f"{exc}") from exc
    latency = scenario.config.latency
    if latency is not None:
        control.set_latency(latency.default_ms, dict(latency.methods), latency.jitter)


def scoped(path: str, root: str) -> str:
    """A scenario's ``[ds] rest`` as it lies on the datastore: below the run's root."""
    match = re.fullmatch(r"\[([^\]]+)\] (.*)", path)
    return f"[{match.group(1)}] {root}/{match.group(2)}" if match else path


def remove_folder(client: DatastoreClient, datastore: str, folder: str) -> None:
    """Delete ``folder`` with everything in it; a missing one is fine."""
    if datastore not in client.datastores:
        return  # a scenario may name a datastore that does not exist
    try:
        client.delete(datastore, folder)
    except TaskError as exc:
        if not isinstance(exc.fault, vim.fault.FileNotFound):  # nothing was laid out there
            log.warning("cleaning up [%s] %s failed: %s", datastore, folder, exc)
