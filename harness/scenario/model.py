"""A scenario as the runner sees it: validated, defaults filled in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from .times import format_duration


@dataclass(frozen=True)
class BaseFolderRule:
    """Nova's base folder rule (vmops ``_get_base_folder``)."""

    subdirectory_name: str = "_base"
    cache_prefix: str | None = None
    my_ip: str = "10.0.0.5"
    remove_unused_base_images: bool = True

    def folder(self, my_ip: str | None = None) -> str:
        if self.cache_prefix:
            return self.cache_prefix + self.subdirectory_name
        if self.remove_unused_base_images:
            return (my_ip or self.my_ip) + self.subdirectory_name
        return self.subdirectory_name


@dataclass(frozen=True)
class Node:
    name: str
    lock_path: str  # a label: nodes with the same label share a lock directory
    clock_offset: timedelta = timedelta(0)
    my_ip: str | None = None


@dataclass(frozen=True)
class Latency:
    """What the simulator adds to each SOAP call (control API vocabulary)."""

    default_ms: int = 0
    methods: tuple[tuple[str, int], ...] = ()
    jitter: float = 0.0


@dataclass(frozen=True)
class Config:
    age: timedelta = timedelta(days=1)
    latency: Latency | None = None
    base_folder: BaseFolderRule = BaseFolderRule()
    nodes: tuple[Node, ...] = (Node("node1", "node1"),)
    datastores: tuple[str, ...] = ("LocalDS_0",)

    def node(self, name: str | None) -> Node:
        return self.nodes[0] if name is None else next(n for n in self.nodes if n.name == name)

    def base_folder_of(self, node: Node) -> str:
        return self.base_folder.folder(node.my_ip)


@dataclass(frozen=True)
class ImageState:
    marks: tuple[datetime, ...] = ()
    folders: tuple[str, ...] = ()
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class DatastoreState:
    folder: str | None = None  # None: the configured base folder
    images: dict[str, ImageState] = field(default_factory=dict)
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class Instance:
    uuid: str
    host: str
    name: str
    image_ref: str | None = None
    kernel_id: str | None = None
    ramdisk_id: str | None = None


@dataclass(frozen=True)
class ErrorExpectation:
    kind: str  # invalid_argument, not_found, vsphere_fault, error, any
    fault: str | None = None
    match: str | None = None

    def describe(self) -> str:
        parts = [self.kind] + [f"{k}={v!r}" for k, v in (("fault", self.fault),
                                                          ("match", self.match)) if v]
        return " ".join(parts)


# -- steps ------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    line: int

    def describe(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class ClockStep(Step):
    advance: timedelta | None = None
    back: timedelta | None = None
    set: datetime | None = None

    def describe(self) -> str:
        if self.set is not None:
            return f"clock set {self.set:%Y-%m-%dT%H:%M:%SZ}"
        delta = self.advance if self.advance is not None else self.back
        return f"clock {'advance' if self.advance is not None else 'back'} " \
               f"{format_duration(delta)}"


@dataclass(frozen=True)
class EnlistStep(Step):
    node: str
    datastore: str
    image: str
    expect_error: ErrorExpectation | None = None

    def describe(self) -> str:
        return f"enlist {self.image} on {self.datastore} by {self.node}"


@dataclass(frozen=True)
class AgeStep(Step):
    node: str
    sees: tuple[str, ...] | None = None  # uuids; None = all current instances
    hosts: tuple[str, ...] | None = None
    datastores: tuple[str, ...] = ()
    expect_error: ErrorExpectation | None = None

    def describe(self) -> str:
        view = "" if self.sees is None else f" seeing {list(self.sees)}"
        view += "" if self.hosts is None else f" seeing hosts {list(self.hosts)}"
        return f"age by {self.node} on {list(self.datastores)}{view}"


@dataclass(frozen=True)
class InstancesStep(Step):
    instances: tuple[Instance, ...]

    def describe(self) -> str:
        return f"instances := {[i.uuid for i in self.instances]}"


@dataclass(frozen=True)
class FaultStep(Step):
    """Add a fault rule (the control API's fields, path relative to the scenario)."""

    rule: tuple[tuple[str, object], ...]

    def describe(self) -> str:
        fields = dict(self.rule)
        where = " ".join(f"{k}={fields[k]!r}" for k in ("method", "path") if k in fields)
        return f"fault {fields['fault']} {where}".rstrip()


@dataclass(frozen=True)
class ClearFaultsStep(Step):
    def describe(self) -> str:
        return "faults cleared"


@dataclass(frozen=True)
class TerminateSessionsStep(Step):
    def describe(self) -> str:
        return "sessions terminated"


@dataclass(frozen=True)
class ImageExpectation:
    present: bool = True
    marks: int | tuple[datetime, ...] | None = None  # None: not checked
    folders: tuple[str, ...] | None = None
    files: tuple[str, ...] | None = None


@dataclass(frozen=True)
class DatastoreExpectation:
    absent: bool = False  # the base folder must not exist
    folder: str | None = None
    images: dict[str, ImageExpectation] = field(default_factory=dict)
    files: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ExpectStep(Step):
    datastores: dict[str, DatastoreExpectation]

    def describe(self) -> str:
        return f"expect {list(self.datastores)}"


@dataclass(frozen=True)
class CacheFolderStep(Step):
    node: str
    datastore: str
    image: str
    expected: str | None
    expect_error: ErrorExpectation | None = None

    def describe(self) -> str:
        return f"cache_folder {self.image} on {self.datastore} is {self.expected!r}"


@dataclass(frozen=True)
class Scenario:
    path: Path
    name: str
    purpose: str
    tier: str
    tags: tuple[str, ...]
    edge_cases: tuple[int, ...]
    config: Config
    start: datetime
    cache: dict[str, DatastoreState]
    instances: tuple[Instance, ...]
    steps: tuple[Step, ...]
    line: int = 1  # of the name

    @property
    def uses_control(self) -> bool:
        """Whether it needs the harness simulator's control API."""
        return self.config.latency is not None or any(
            isinstance(s, FaultStep | ClearFaultsStep | TerminateSessionsStep) for s in self.steps)
