"""A contention scenario as the runner sees it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sim import Strategy

from ..format.config import Config


@dataclass(frozen=True)
class Spawner:
    node: str
    image: str
    datastore: str
    start_ms: int = 0
    hold_ms: int = 1000
    pause_ms: int = 0
    count: int = 1
    jitter_ms: int = 0
    kind: str = "spawner"


@dataclass(frozen=True)
class Ager:
    node: str
    sees: str = "all"  # all, own_host, stale
    stale_ms: int = 0
    start_ms: int = 0
    interval_ms: int = 500
    jitter_ms: int = 0
    datastores: tuple[str, ...] = ()
    kind: str = "ager"


Actor = Spawner | Ager


@dataclass(frozen=True)
class ContentionScenario:
    path: Path
    name: str
    purpose: str
    tags: tuple[str, ...]
    edge_cases: tuple[int, ...]
    seed: int
    duration: timedelta
    config: Config
    images: dict[str, tuple[timedelta, ...]]  # image -> marks, by how long ago
    faults: tuple[dict[str, Any], ...]
    actors: tuple[Actor, ...]
    min_overlap: float = 0.0
    schedule: str = "seeded"  # or "free" (runner.SCHEDULES)
    strategy: Strategy = field(default_factory=Strategy)  # how a seeded schedule picks
    line: int = 1
    tier: str = field(default="contention")
    # image -> claims left by a dead pass, by how long ago their mark was made
    claims: dict[str, tuple[timedelta, ...]] = field(default_factory=dict)

    @property
    def idents(self) -> list[str]:
        """The actors' names in the schedule and the history: kind-n@node."""
        return idents((actor.kind, actor.node) for actor in self.actors)


def idents(actors: Iterable[tuple[str, str]]) -> list[str]:
    """The names of actors given as (kind, node), in order: kind-n@node,
    the n-th of its kind."""
    counters: dict[str, int] = {}
    names = []
    for kind, node in actors:
        counters[kind] = counters.get(kind, 0) + 1
        names.append(f"{kind}-{counters[kind]}@{node}")
    return names
