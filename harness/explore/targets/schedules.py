"""The schedules of one contention scenario, enumerated: every schedule
with at most ``bound`` preemptions (``preemption``), fewest switches
first, each run under the simulator's ``switches`` strategy and judged by
the properties. A run that breaks one comes back as the scenario with its
schedule written in (``strategy: {switches: ...}``), which replays exactly.

The summary says how many schedules ran, and whether that was all of them
within the bound or the budget ended the enumeration first.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from sim import Strategy, Switch
from sim.strategy import SWITCHES

from ...adapters import file_label
from ...contention.loader import load_contention
from ...format.replay import Replay
from ...format.source import dump, read
from .. import observe, preemption
from ..cases import Enumerated, Written, written_name
from ..properties import Violation, judge
from ..settings import Settings


class Schedules:
    kind = "schedules"

    def __init__(self, settings: Settings, path: Path, bound: int, *,
                 seed: int | None = None) -> None:
        self.settings, self.path, self.bound = settings, path, bound
        self.scenario = load_contention(path)
        self.seed = self.scenario.seed if seed is None else seed
        self.pending: list[tuple[Switch, ...]] = [()]
        self.unrun = 0  # of the batch the engine has
        self.enumerated = self.inexact = 0
        self.orders: set[str] = set()

    def cases(self, seed: int) -> Enumerated | None:
        if not self.pending:
            return None
        # Fewest switches first; every schedule in one zone, as the choices
        # it branches on came from there.
        batch, self.pending, self.unrun = self.pending, [], len(self.pending)
        zone = self.settings.zones[0] if self.settings.zones else None
        return Enumerated([(switches, zone) for switches in batch])

    def run(self, switches: tuple[Switch, ...], zone: str | None) -> list[Violation]:
        s = self.settings
        run = observe.contention(self._scheduled(switches), s.impl, s.endpoint, seed=self.seed,
                                 reports=s.reports, zone=zone, login=s.login)
        self.enumerated, self.unrun = self.enumerated + 1, self.unrun - 1
        status = run.outcome.status if run.outcome is not None else None
        # A missed switch means this run did not take the prefix its
        # parent took: what it would branch on is unsure.
        if status is not None and status.exact and not status.missed:
            self.orders.add(status.digest)
            self.pending += preemption.branches(status.choices, switches,
                                                self.scenario.idents, self.bound)
        else:
            self.inexact += 1  # a crash, a stall, a missed switch
        return judge(run, s.model)

    def _scheduled(self, switches: tuple[Switch, ...]) -> Any:
        return replace(self.scenario, strategy=Strategy(SWITCHES, switches=switches))

    def write(self, switches: tuple[Switch, ...], violations: list[Violation],
              zone: str | None, seed: int, first: Any) -> Written:
        s = self.settings
        doc = dict(read(self.path).data)
        doc.pop("replay", None)
        doc["strategy"] = {SWITCHES: [{"step": sw.step, "to": sw.actor} for sw in switches]}
        name = written_name("schedule", file_label(s.impl), dump(doc))
        path = s.reports / f"{name}.yaml"
        replay = Replay(path, s.impl, zone, self.seed, model=s.model.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump({
            **doc, "name": name,
            "purpose": f"{self.scenario.name} under a schedule with "
                       f"{len(switches)} switch(es), found by enumerating every schedule "
                       f"with at most {self.bound} preemption(s) (model: {s.model.name}): "
                       f"{violations[0].property}: {violations[0].message}",
            "replay": replay.stored()}))
        return Written(replay, f"{len(switches)} switch(es)")

    def covered(self) -> dict[str, Any]:
        return {"model": self.settings.model.name, "preemption bound": self.bound,
                "schedules run": self.enumerated, "orders": len(self.orders),
                "all enumerated": not self.pending and not self.unrun,
                "left": len(self.pending) + self.unrun,
                "inexact runs": self.inexact}
