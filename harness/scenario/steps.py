"""The kinds of step a scenario runs, one class each: how it reads from the
file, how it describes itself, and what it does in a run.

A step kind is its schema entry (``scenarios/schema.json``, ``$defs/step``)
and its class here, registered by its key: nothing else names it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, Protocol

from ..adapters import Instance, Node
from ..format.config import Config
from ..format.reader import Reader
from ..format.times import format_duration
from ..vsphere import inspector
from ..vsphere.run_folder import RunFolder
from . import checker
from .checker import DatastoreExpectation, ErrorExpectation, ImageExpectation
from .clock import ScenarioClock

STEPS: dict[str, type[Step]] = {}


class StepRun(Protocol):
    """What a step sees of the run it is part of (``runner.Run``)."""

    config: Config
    clock: ScenarioClock
    folder: RunFolder
    instances: list[Instance]

    def node(self, name: str) -> Node: ...

    def base_folder(self, override: str | None = None, node: str | None = None) -> str:
        """A node's base folder in the run folder (the first node's unless
        named; ``override`` instead, when given)."""

    def call(self, step: Step, expected: ErrorExpectation | None,
             operation: Callable[[], str | None]) -> str:
        """Run an operation of the implementation; its outcome, checked
        against ``expected``."""

    def fail(self, step: Step, message: str, diff: str = "") -> AssertionError: ...


class Loading:
    """A scenario's steps being read, in order: the file, its config, and
    the instances current at each step."""

    def __init__(self, reader: Reader, config: Config) -> None:
        self.reader, self.config = reader, config
        self.current: set[str] = set()

    def step(self, index: int, raw: dict[str, Any]) -> Step:
        (key, spec), = raw.items()
        return STEPS[key].load(spec, ("steps", index, key), self.reader.line(("steps", index)) or 0,
                               self)

    def node(self, at: tuple, name: str | None) -> str:
        return self.reader.node(self.config, at, name)

    def datastore(self, at: tuple, name: str | None) -> str:
        default = self.config.datastores[0]
        return self.reader.datastore(self.config, at, default if name is None else name)

    def instances(self, at: tuple, items: list[dict[str, Any]]) -> tuple[Instance, ...]:
        """An instance list; it becomes the current one."""
        seen: set[str] = set()
        result = []
        for i, spec in enumerate(items):
            if spec["uuid"] in seen:
                raise self.reader.fail((*at, i, "uuid"),
                                       f"duplicate instance uuid {spec['uuid']!r}")
            seen.add(spec["uuid"])
            result.append(Instance(
                uuid=spec["uuid"], host=spec["host"], name=spec.get("name", spec["uuid"]),
                image_ref=spec.get("image_ref"), kernel_id=spec.get("kernel_id"),
                ramdisk_id=spec.get("ramdisk_id")))
        self.current = seen
        return tuple(result)

    @staticmethod
    def error(spec: dict[str, Any] | None) -> ErrorExpectation | None:
        return None if spec is None else ErrorExpectation(
            spec["kind"], spec.get("fault"), spec.get("match"))


@dataclass(frozen=True)
class Step:
    line: int

    key: ClassVar[str]
    uses_control: ClassVar[bool] = False  # needs the harness simulator's control API

    def __init_subclass__(cls, key: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if key:
            cls.key = key
            STEPS[key] = cls

    @classmethod
    def load(cls, spec: Any, at: tuple, line: int, loading: Loading) -> Step:
        """The step from its validated ``spec`` at key path ``at`` (this
        default: a step that takes no arguments)."""
        return cls(line)

    def describe(self) -> str:
        raise NotImplementedError

    def run(self, run: StepRun) -> str:
        """Do the step; what came of it, for the step log."""
        raise NotImplementedError


@dataclass(frozen=True)
class ClockStep(Step, key="clock"):
    advance: timedelta | None = None
    back: timedelta | None = None
    set: datetime | None = None

    @classmethod
    def load(cls, spec: Any, at: tuple, line: int, loading: Loading) -> Step:
        r = loading.reader
        return cls(line, advance=r.duration((*at, "advance")) if "advance" in spec else None,
                   back=r.duration((*at, "back")) if "back" in spec else None,
                   set=r.time((*at, "set")) if "set" in spec else None)

    def describe(self) -> str:
        if self.set is not None:
            return f"clock set {self.set:%Y-%m-%dT%H:%M:%SZ}"
        delta = self.advance if self.advance is not None else self.back
        return f"clock {'advance' if self.advance is not None else 'back'} " \
               f"{format_duration(delta)}"

    def run(self, run: StepRun) -> str:
        if self.set is not None:
            run.clock.set(self.set)
        else:
            sign = 1 if self.advance is not None else -1
            run.clock.advance(sign * (self.advance or self.back or timedelta(0)))
        return f"now {run.clock.now():%Y-%m-%dT%H:%M:%SZ}"


@dataclass(frozen=True)
class EnlistStep(Step, key="enlist"):
    node: str
    datastore: str
    image: str
    expect_error: ErrorExpectation | None = None

    @classmethod
    def load(cls, spec: Any, at: tuple, line: int, loading: Loading) -> Step:
        return cls(line, loading.node((*at, "node"), spec.get("node")),
                   loading.datastore((*at, "datastore"), spec.get("datastore")),
                   spec["image"], loading.error(spec.get("expect_error")))

    def describe(self) -> str:
        return f"enlist {self.image} on {self.datastore} by {self.node}"

    def operate(self, run: StepRun) -> None:
        """Ask the implementation (its errors come through unjudged)."""
        run.node(self.node).enlist(self.datastore, self.image)

    def run(self, run: StepRun) -> str:
        return run.call(self, self.expect_error, lambda: self.operate(run))


@dataclass(frozen=True)
class FetchStep(Step, key="fetch"):
    """What a spawn does after enlisting: fetch the image when its folder is
    missing. The harness does it with its own session, as Nova's spawn
    stands outside the implementation under test."""

    node: str
    datastore: str
    image: str

    @classmethod
    def load(cls, spec: Any, at: tuple, line: int, loading: Loading) -> Step:
        return cls(line, loading.node((*at, "node"), spec.get("node")),
                   loading.datastore((*at, "datastore"), spec.get("datastore")), spec["image"])

    def describe(self) -> str:
        return f"fetch {self.image} to {self.datastore} for {self.node}"

    def run(self, run: StepRun) -> str:
        # The harness's own files, as the layout's: no fault reaches its session.
        files, folder = run.folder.files, f"{run.base_folder(node=self.node)}/{self.image}"
        if files.tree(self.datastore, folder) is not None:
            return "already cached"
        files.mkdir(self.datastore, folder)
        files.put(self.datastore, f"{folder}/{self.image}.vmdk", b"image data")
        return "fetched"


@dataclass(frozen=True)
class AgeStep(Step, key="age"):
    node: str
    sees: tuple[str, ...] | None = None  # uuids; None = all current instances
    hosts: tuple[str, ...] | None = None
    datastores: tuple[str, ...] = ()
    expect_error: ErrorExpectation | None = None

    @classmethod
    def load(cls, spec: Any, at: tuple, line: int, loading: Loading) -> Step:
        for j, uuid in enumerate(spec.get("sees", [])):
            if uuid not in loading.current:
                raise loading.reader.fail((*at, "sees", j),
                                          f"age sees unknown instance {uuid!r} (current: "
                                          f"{sorted(loading.current)})")
        stores = tuple(loading.datastore((*at, "datastores", j), ds)
                       for j, ds in enumerate(spec.get("datastores", loading.config.datastores)))
        return cls(line, loading.node((*at, "node"), spec.get("node")),
                   tuple(spec["sees"]) if "sees" in spec else None,
                   tuple(spec["hosts"]) if "hosts" in spec else None,
                   stores, loading.error(spec.get("expect_error")))

    def describe(self) -> str:
        view = "" if self.sees is None else f" seeing {list(self.sees)}"
        view += "" if self.hosts is None else f" seeing hosts {list(self.hosts)}"
        return f"age by {self.node} on {list(self.datastores)}{view}"

    def view(self, instances: list[Instance]) -> list[Instance]:
        """The instances this pass is given, of the current ones."""
        return [i for i in instances if (self.sees is None or i.uuid in self.sees)
                and (self.hosts is None or i.host in self.hosts)]

    def operate(self, run: StepRun) -> str | None:
        """Ask the implementation (its errors come through unjudged)."""
        return run.node(self.node).age(self.view(run.instances), self.datastores)

    def run(self, run: StepRun) -> str:
        return run.call(self, self.expect_error, lambda: self.operate(run))


@dataclass(frozen=True)
class InstancesStep(Step, key="instances"):
    instances: tuple[Instance, ...]

    @classmethod
    def load(cls, spec: Any, at: tuple, line: int, loading: Loading) -> Step:
        return cls(line, loading.instances(at, spec))

    def describe(self) -> str:
        return f"instances := {[i.uuid for i in self.instances]}"

    def run(self, run: StepRun) -> str:
        run.instances = list(self.instances)
        return f"{len(self.instances)} instance(s)"


@dataclass(frozen=True)
class FaultStep(Step, key="fault"):
    """Add a fault rule (the control API's fields, path relative to the scenario)."""

    rule: tuple[tuple[str, object], ...]
    uses_control: ClassVar[bool] = True

    @classmethod
    def load(cls, spec: Any, at: tuple, line: int, loading: Loading) -> Step:
        return cls(line, tuple(sorted(spec.items())))

    def describe(self) -> str:
        fields = dict(self.rule)
        where = " ".join(f"{k}={fields[k]!r}" for k in ("method", "path") if k in fields)
        return f"fault {fields['fault']} {where}".rstrip()

    def run(self, run: StepRun) -> str:
        return f"rule {run.folder.add_fault(dict(self.rule))['id']} added"


@dataclass(frozen=True)
class ClearFaultsStep(Step, key="faults"):
    uses_control: ClassVar[bool] = True

    def describe(self) -> str:
        return "faults cleared"

    def run(self, run: StepRun) -> str:
        run.folder.control.clear_faults()
        return "no rules"


@dataclass(frozen=True)
class TerminateSessionsStep(Step, key="sessions"):
    uses_control: ClassVar[bool] = True

    def describe(self) -> str:
        return "sessions terminated"

    def run(self, run: StepRun) -> str:
        return f"{run.folder.control.terminate_sessions()} session(s) ended"


@dataclass(frozen=True)
class ExpectStep(Step, key="expect"):
    datastores: dict[str, DatastoreExpectation]

    @classmethod
    def load(cls, spec: Any, at: tuple, line: int, loading: Loading) -> Step:
        return cls(line, {ds: cls._expectation(loading, (*at, ds), value)
                          for ds, value in spec.items()})

    @staticmethod
    def _expectation(loading: Loading, at: tuple, value: Any) -> DatastoreExpectation:
        loading.datastore(at, at[-1])
        if value == "absent":
            return DatastoreExpectation(absent=True)
        images = {}
        for image_id, spec in value.get("images", {}).items():
            if spec in ("present", "absent"):
                images[image_id] = ImageExpectation(present=spec == "present")
                continue
            marks = spec.get("marks")
            if isinstance(marks, list):
                marks = tuple(loading.reader.time((*at, "images", image_id, "marks", i))
                              for i in range(len(marks)))
            images[image_id] = ImageExpectation(
                marks=marks,
                folders=tuple(spec["folders"]) if "folders" in spec else None,
                files=tuple(spec["files"]) if "files" in spec else None)
        return DatastoreExpectation(folder=value.get("folder"), images=images,
                                    files=tuple(value["files"]) if "files" in value else None)

    def describe(self) -> str:
        return f"expect {list(self.datastores)}"

    def run(self, run: StepRun) -> str:
        found, diffs = [], []
        for ds, expect in self.datastores.items():
            folder = run.base_folder(expect.folder)
            actual = inspector.read(run.folder.files, ds, folder)
            problems = checker.problems(expect, actual)
            if problems:
                found += [f"{ds}: {p}" for p in problems]
                diffs.append(checker.tree_diff(expect, actual, f"[{ds}] {folder}"))
        if found:
            raise run.fail(self, "\n".join(found), "\n".join(diffs))
        return "as expected"


@dataclass(frozen=True)
class CacheFolderStep(Step, key="cache_folder"):
    node: str
    datastore: str
    image: str
    expected: str | None
    expect_error: ErrorExpectation | None = None

    @classmethod
    def load(cls, spec: Any, at: tuple, line: int, loading: Loading) -> Step:
        return cls(line, loading.node((*at, "node"), spec.get("node")),
                   loading.datastore((*at, "datastore"), spec.get("datastore")),
                   spec["image"], spec.get("is"), loading.error(spec.get("expect_error")))

    def describe(self) -> str:
        return f"cache_folder {self.image} on {self.datastore} is {self.expected!r}"

    def operate(self, run: StepRun) -> str:
        """Ask the implementation (its errors come through unjudged)."""
        return run.node(self.node).cache_folder(self.datastore, self.image)

    def run(self, run: StepRun) -> str:
        actual = run.call(self, self.expect_error, lambda: self.operate(run))
        if self.expected is None:
            return actual
        expected = run.folder.scoped(self.expected)
        if actual != expected:
            raise run.fail(self, f"cache folder is {actual!r}, expected {expected!r}")
        return actual
