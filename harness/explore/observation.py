"""What a run shows the properties: plain data, made by ``observe`` (the
imperative shell around the simulator) and judged by ``properties`` (pure).

- ``Seen``: one step of a sequential scenario: the trees before and after
  it, what it raised, what it was told;
- ``SequentialRun``: every step of a scenario, and the trees after two more
  passes once its faults were gone;
- ``ContentionRun``: a contention run: the actors' history checked against
  the simulator's trace, the cache when they were done and after two passes;
- ``Predicted``: one step of a generated scenario beside the outcomes the
  model allows for it;
- ``Faulted``: a run under one fault beside the same run without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sim import Call

from ..vsphere.tree import CacheTree
from .scheme import Outcome
from .sites import Injection

# (datastore, base folder) -> the tree there (None: no such folder).
Trees = Mapping[tuple[str, str], CacheTree | None]


@dataclass
class Seen:
    """One step of a run, as the harness saw it."""

    index: int
    op: str  # enlist, age, cache_folder, another step's kind, or open (logging in first)
    describe: str
    before: Trees
    after: Trees
    error: str | None = None  # the error kind it raised
    message: str = ""
    broke: bool = False  # crashed, hung, or broke the protocol
    node_base: str = ""  # the base folder of the node that ran it
    now: datetime | None = None  # the node's clock (age)
    age: timedelta | None = None  # the configured age (age)
    used: frozenset[str] = frozenset()  # what the pass was told is in use (age)
    image: str = ""  # the image (enlist)
    datastores: tuple[str, ...] = ()
    value: str | None = None  # what it returned (a cache folder's name)
    injected: frozenset[Injection] = frozenset()  # the faults injected while it ran

    @property
    def where(self) -> str:
        return f"step {self.index + 1} ({self.describe})"


@dataclass
class SequentialRun:
    """A run of a scenario: its steps, and the trees after the two
    convergence passes."""

    steps: list[Seen] = field(default_factory=list)
    converged: Trees = field(default_factory=dict)


@dataclass
class Settled:
    """A contention run's cache when its actors are done, and after the two
    convergence passes."""

    after: CacheTree | None
    converged: CacheTree | None


@dataclass
class ContentionRun:
    """A contention run (``contention.runner.Outcome``), or how it crashed."""

    outcome: Any = None  # contention.runner.Outcome; None when an actor crashed
    crash: str = ""  # the crash, in a line or a few

    @property
    def calls(self) -> list[Call]:
        return self.outcome.calls if self.outcome is not None else []

    @property
    def settled(self) -> Settled | None:
        return self.outcome.epilogue if self.outcome is not None else None


@dataclass
class Predicted:
    """One step of a generated scenario beside the outcomes the model allows
    (each with its world after the step), and the trees the step left."""

    seen: Seen
    outcomes: list[Outcome]
    trees: Trees  # read back, for every base folder the outcomes name


@dataclass
class Faulted:
    """A run with one fault injected at one call, beside its fault-free twin."""

    run: SequentialRun | ContentionRun
    fault_free: SequentialRun | ContentionRun
    fault: str
    # (datastore, image) the faulted call was about, (datastore, None) for a
    # base folder's listing; None when it names neither.
    hit: tuple[str, str | None] | None = None
    # Images a change to whose entries a fault refused (a mark, a claim).
    spared: frozenset[str] = frozenset()


Observation = Seen | SequentialRun | ContentionRun | Predicted | Faulted
