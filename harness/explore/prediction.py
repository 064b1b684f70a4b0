"""The model run over a sequential scenario's steps: what each step should
do to the cache trees, and whether it should fail (the model's side of
``scenario/runner.py``).

A step kind the model does not know, or a fault rule outside its fault
vocabulary, makes the rest of the scenario unpredictable (``Unpredictable``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..adapters import Instance
from ..adapters.protocol import valid_image_id
from ..format.config import Config
from ..scenario import checker
from ..scenario import steps as s
from ..scenario.model import Scenario
from ..vsphere.marks import mark_name
from ..vsphere.run_folder import NAME_LENGTH
from .scheme import Base, Image, ModelFault, Outcome, Variant, World, fetch

# The datastores of the harness's simulator (the worker's, and the explorer's).
SIMULATOR_DATASTORES = frozenset({"LocalDS_0", "LocalDS_1"})
RUN_FOLDER_SHAPE = "x" * NAME_LENGTH  # lock names carry the run folder: its length matters


class Unpredictable(Exception):
    """The model cannot say what this step does."""


def initial_world(scenario: Scenario) -> World:
    """The cache as the scenario lays it out (base folders of the first node
    unless a datastore's ``folder`` says otherwise)."""
    default = scenario.config.base_folder_of(scenario.config.nodes[0])
    return {(ds, state.folder or default): Base(
        images={image_id: Image(frozenset(map(mark_name, image.marks)) | frozenset(image.folders),
                                frozenset(image.files))
                for image_id, image in state.images.items()},
        files=frozenset(state.files))
        for ds, state in scenario.cache.items()}


def fault_of(rule: Mapping[str, Any]) -> ModelFault:
    """The model's reading of a fault rule, as ``ModelFault.rule`` writes it."""
    known = {k: v for k, v in rule.items() if k not in ("fault", "method", "path")}
    path = rule.get("path", "")
    if known or not path.startswith("[") or "] " not in path:
        raise Unpredictable(f"fault rule {dict(rule)} is outside the model's vocabulary")
    datastore, rest = path[1:].split("] ", 1)
    parts = rest.split("/")
    method = rule.get("method")
    if method == "MakeDirectory" and len(parts) >= 3 and parts[-1] == "ts-*":
        candidate = ModelFault(rule["fault"], "mark", datastore, "/".join(parts[:-2]), parts[-2])
    elif method == "DeleteDatastoreFile_Task":
        candidate = ModelFault(rule["fault"], "delete", datastore, "/".join(parts[:-1]),
                               parts[-1])
    elif method == "SearchDatastore_Task":
        candidate = ModelFault(rule["fault"], "list", datastore, "/".join(parts[:-1]),
                               parts[-1])
    else:
        candidate = ModelFault(rule["fault"], "list", datastore, rest)
    if candidate.rule() != dict(rule):
        raise Unpredictable(f"fault rule {dict(rule)} is outside the model's vocabulary")
    return candidate


@dataclass
class Prediction:
    """The model's run of one scenario: world, clock, instances, faults."""

    variant: Variant
    config: Config
    world: World
    now: datetime
    instances: list[Instance] = field(default_factory=list)
    faults: list[ModelFault] = field(default_factory=list)
    datastores: frozenset[str] = SIMULATOR_DATASTORES
    root: str = RUN_FOLDER_SHAPE

    @classmethod
    def of(cls, scenario: Scenario, variant: Variant,
           datastores: frozenset[str] = SIMULATOR_DATASTORES) -> Prediction:
        return cls(variant, scenario.config, initial_world(scenario), scenario.start,
                   list(scenario.instances), datastores=datastores)

    def base(self, node: str | None = None) -> str:
        return self.config.base_folder_of(self.config.node(node))

    def node_now(self, node: str) -> datetime:
        return self.now + self.config.node(node).clock_offset

    def apply(self, step: s.Step) -> list[Outcome]:
        """The possible outcomes of ``step``; the caller picks the one that
        happened (``follow``). Steps without a choice return one."""
        if isinstance(step, s.ClockStep):
            self.now = step.set if step.set is not None else \
                self.now + (step.advance or timedelta(0)) - (step.back or timedelta(0))
        elif isinstance(step, s.InstancesStep):
            self.instances = list(step.instances)
        elif isinstance(step, s.FaultStep):
            self.faults.append(fault_of(dict(step.rule)))
        elif isinstance(step, s.ClearFaultsStep):
            self.faults.clear()
        elif isinstance(step, s.FetchStep):
            self.world = fetch(self.world, step.datastore, self.base(step.node), step.image)
        elif isinstance(step, s.EnlistStep):
            return self._enlist(step)
        elif isinstance(step, s.AgeStep):
            return self._age(step)
        elif isinstance(step, s.CacheFolderStep):
            return self._cache_folder(step)
        elif not isinstance(step, s.TerminateSessionsStep | s.ExpectStep):
            raise Unpredictable(f"the model does not know {type(step).__name__}")
        return [Outcome(self.world)]

    def follow(self, outcome: Outcome) -> None:
        self.world = outcome.world

    def _refused(self, image_id: str, outcomes: Callable[[], list[Outcome]]) -> list[Outcome]:
        """A malformed image id may be refused with invalid_argument under
        every variant, as docs/protocol.md asks; a variant that does not
        check ids may also do what it does with any other."""
        if valid_image_id(image_id):
            return outcomes()
        refused = Outcome(self.world, "invalid_argument")
        return [refused] if self.variant.checks_image_ids else [refused, *outcomes()]

    def _enlist(self, step: s.EnlistStep) -> list[Outcome]:
        def enlisted() -> list[Outcome]:
            if step.datastore not in self.datastores:
                return [Outcome(self.world, "not_found")]
            return self.variant.enlist(self.world, step.datastore, self.base(step.node),
                                       step.image, self.faults, self.root)

        return self._refused(step.image, enlisted)

    def _age(self, step: s.AgeStep) -> list[Outcome]:
        used = used_images(step.view(self.instances))
        known = [ds for ds in step.datastores if ds in self.datastores]
        if len(known) < len(step.datastores) and not self.variant.lists_each_image:
            return [Outcome(self.world, "not_found")]  # refimpl looks every one up first
        outcomes = self.variant.age(self.world, known[:_first_unknown(step.datastores, known)],
                                    self.base(step.node), used, self.node_now(step.node),
                                    int(self.config.age.total_seconds()), self.faults,
                                    self.root)
        if len(known) < len(step.datastores):  # the original fails at the unknown one
            return [o if o.error else Outcome(o.world, "not_found") for o in outcomes]
        return outcomes

    def _cache_folder(self, step: s.CacheFolderStep) -> list[Outcome]:
        """The cache folder's name is the outcome's ``value``."""
        return self._refused(step.image, lambda: [Outcome(
            self.world, value=f"[{step.datastore}] {self.base(step.node)}/{step.image}")])


def _first_unknown(asked: tuple[str, ...], known: list[str]) -> int:
    """How many of ``asked`` come before the first unknown datastore."""
    return next((i for i, ds in enumerate(asked) if ds not in known), len(asked))


def disagreements(scenario: Scenario, variant: Variant,
                  datastores: frozenset[str] = SIMULATOR_DATASTORES) -> list[str]:
    """Where the model's run of ``scenario`` contradicts its expectations
    (empty: the variant behaves as the scenario says). Unpredictable when a
    step is outside the model."""
    prediction = Prediction.of(scenario, variant, datastores)
    for index, step in enumerate(scenario.steps, 1):
        where = f"step {index} (line {step.line}, {step.describe()})"
        if isinstance(step, s.ExpectStep):
            for ds, expect in step.datastores.items():
                base = prediction.world.get((ds, expect.folder or prediction.base()))
                found = checker.problems(expect, None if base is None else base.tree())
                if found:
                    return [f"{where}: {ds}: {p}" for p in found]
            continue
        outcomes = prediction.apply(step)
        expected = getattr(step, "expect_error", None)
        fitting = [o for o in outcomes if _error_problem(expected, o.error) is None]
        if isinstance(step, s.CacheFolderStep) and step.expected is not None:
            named = [o for o in fitting if o.error is not None or o.value == step.expected]
            if fitting and not named:
                return [f"{where}: cache folder {fitting[0].value!r}"]
            fitting = named
        if not fitting:
            return [f"{where}: {_error_problem(expected, outcomes[0].error)}"]
        prediction.follow(fitting[0])
    return []


def _error_problem(expected: checker.ErrorExpectation | None, error: str | None) -> str | None:
    if expected is None:
        return None if error is None else f"raises {error}"
    if error is None:
        return f"succeeds, expected {expected.describe()}"
    if expected.kind not in ("any", error):
        return f"raises {error}, expected {expected.describe()}"
    return None


def used_images(instances: list[Instance]) -> frozenset[str]:
    """Every image an instance uses, as image, kernel or ramdisk (``''`` counts)."""
    return frozenset(ref for i in instances for ref in (i.image_ref, i.kernel_id, i.ramdisk_id)
                     if ref is not None)
