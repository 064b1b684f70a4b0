"""The history of a contention run, Jepsen-style: each actor appends events
(invoke, ok, fail, info) to its own JSON-lines file; the runner merges them
by the run's clock with the simulator's call trace: wall-clock time (one
host, one clock), or the schedule's virtual time, which the trace uses too."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Event:
    t: int  # the run's clock in ns: comparable across processes and with the trace
    mono: int  # time.monotonic_ns() of the recording process
    actor: str  # e.g. "spawner-1@a"
    node: str
    op: str  # enlist, fetch, use, release, age
    type: str  # invoke, ok, fail, info
    image: str | None = None
    detail: str = ""


class Recorder:
    """Appends one actor's events to its history file."""

    def __init__(self, path: Path, actor: str, node: str,
                 now_ns: Callable[[], int] = time.time_ns) -> None:
        self._file = open(path, "a", buffering=1)  # noqa: SIM115 - closed in close()
        self.actor, self.node, self.now_ns = actor, node, now_ns

    def record(self, op: str, type_: str, image: str | None = None, detail: str = "") -> Event:
        event = Event(self.now_ns(), time.monotonic_ns(), self.actor, self.node, op, type_,
                      image, detail)
        self._file.write(json.dumps(asdict(event)) + "\n")
        return event

    def close(self) -> None:
        self._file.close()


def merge(paths: Iterable[Path]) -> list[Event]:
    """Every actor's events, ordered by time."""
    events = []
    for path in paths:
        if path.exists():
            events += [Event(**json.loads(line)) for line in path.read_text().splitlines()
                       if line.strip()]
    return sorted(events, key=lambda e: (e.t, e.actor))
