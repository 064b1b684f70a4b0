"""Generated workloads, each swept: a small scenario drawn from the seed,
written to the reports folder, then swept for a slice of random call
sites and faults (``sweep.Sweep``). Every other one is a race workload: a
contention scenario whose calls are slowed, or their changes failed, one
at a time. Generated workloads are swept strictly: nothing in them is known
to fail, so a property their fault-free run breaks is a finding too.
"""

from __future__ import annotations

import random
from typing import Any

from sim.faults import FAULTS, kinds

from ...format.source import dump
from .. import generate
from ..cases import Enumerated, Written
from ..properties import Violation
from ..settings import Settings
from .sweep import Pair, Sweep

# What a race workload's sweep does at a call: slow it, slow its answer, or
# fail it as a busy or locked file would (a change to undo).
RACE_KINDS = kinds(["delay", "delay_after", "CannotDeleteFile", "FileLocked"])
# Pairs of random calls and faults per workload, by count (not by time): a
# seed then runs the same pairs on a fast machine and a loaded one.
WORKLOAD_PAIRS = 60
RACE_WORKLOAD_PAIRS = 25  # a race's run takes several times longer


class Workloads:
    kind = "sweeps"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sweep: Sweep | None = None
        self.workloads = self.sites = self.pairs = 0

    def cases(self, seed: int) -> Enumerated | None:
        self._count()
        n = seed - self.settings.seed  # workloads swept before this one
        rng = random.Random(f"{self.settings.seed}/{n}")
        racing = n % 2 == 1
        doc = {"name": f"{'race-' if racing else ''}workload-{self.settings.seed}-{n}",
               "purpose": "A generated workload to sweep.", "tags": ["explored"],
               **({} if racing else {"tier": "reference"}),
               **(generate.race_workload(rng) if racing else generate.workload(rng))}
        path = self.settings.reports / "workloads" / f"{doc['name']}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump(doc))
        self.sweep = Sweep(self.settings, path, kinds=RACE_KINDS if racing else FAULTS,
                           strict=True, shuffle=rng,
                           limit=RACE_WORKLOAD_PAIRS if racing else WORKLOAD_PAIRS)
        self.workloads += 1
        return self.sweep.cases(seed)

    def run(self, pair: Pair, zone: str | None) -> list[Violation]:
        assert self.sweep is not None
        return self.sweep.run(pair, zone)

    def write(self, pair: Pair, violations: list[Violation], zone: str | None, seed: int,
              first: Any) -> Written:
        assert self.sweep is not None
        return self.sweep.write(pair, violations, zone, seed, first)

    def _count(self) -> None:
        """Add up what the last workload's sweep covered."""
        if self.sweep is not None:
            self.sites += len(self.sweep.sites)
            self.pairs += self.sweep.swept
            self.sweep = None

    def covered(self) -> dict[str, Any]:
        self._count()
        return {"model": self.settings.model.name, "workloads": self.workloads,
                "call sites": self.sites, "site x fault pairs": self.pairs}
