"""The sweep of one scenario: run it once without faults (in every zone),
then once per call site x fault kind, injecting exactly at that call (the
rule's ``skip`` and ``count`` on its method and path), and judge each run
against its fault-free twin (``properties``).

A sequential scenario's steps are observed one by one (its own
expectations do not apply under a fault); a contention scenario runs under
its seeded schedule. The runs without faults are cases too: one in another
zone is judged against the first zone's, and a strict sweep (a generated
workload, of which no failure is known) judges the first on its own.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.faults import FAULTS

from ...contention.loader import load_contention
from ...format.kind import is_contention
from ...format.replay import Replay
from ...scenario import load_scenario
from .. import observe
from ..cases import Enumerated, Written
from ..observation import ContentionRun, Faulted, SequentialRun
from ..properties import Violation, judge
from ..settings import Settings
from ..sites import Site, base_folders, call_sites, pairs_in_order, refused_changes


@dataclass(frozen=True)
class Pair:
    """A call site and the fault injected there; no site: the run without
    faults, in the case's zone."""

    site: Site | None = None
    fault: str = ""


class Sweep:
    kind = "sweep"

    def __init__(self, settings: Settings, path: Path, *, seed: int | None = None,
                 only: tuple[Site, str] | None = None, kinds: tuple[str, ...] = FAULTS,
                 strict: bool = False, limit: int | None = None,
                 shuffle: random.Random | None = None) -> None:
        """``seed``: a contention scenario's schedule (default its own);
        ``only``: that one site and fault (a replay); ``kinds``: the fault
        kinds tried; ``strict``: the run without faults is judged on its own
        too; ``limit``: at most that many pairs; ``shuffle``: the pairs in
        this random order (the many small sweeps of generated workloads)."""
        self.settings, self.path = settings, path
        self.contention = is_contention(path)
        self.scenario: Any = load_contention(path) if self.contention else load_scenario(path)
        self.seed = (self.scenario.seed if seed is None else seed) if self.contention else None
        self.only, self.kinds, self.strict = only, kinds, strict
        self.limit, self.shuffle = limit, shuffle
        self.baseline: dict[str | None, SequentialRun | ContentionRun] = {}
        self.sites: list[Site] = []
        self.planned = self.swept = 0
        self.broken_without_faults: list[str] = []
        self._roots: dict[str | None, str] = {}  # a sequential run's folder, per zone
        self._done = False

    # -- the cases ---------------------------------------------------------------

    def cases(self, seed: int) -> Enumerated | None:
        if self._done:
            return None
        self._done = True
        zones = self.settings.zones or (None,)
        calls: list[Any] = []
        for zone in zones:
            self.baseline[zone], found = self._observe(zone, None)
            calls = calls or found
        root = self._root(zones[0])
        self.sites = call_sites(calls, root, self._bases())
        self.broken_without_faults = [str(v) for v in judge(self.baseline[zones[0]],
                                                            self.settings.model)]
        items: list[tuple[Pair, str | None]] = [(Pair(), zones[0])] if self.strict else []
        items += [(Pair(), zone) for zone in zones[1:]]
        paid = len(items)
        k, n = self.settings.shard
        pairs = [self.only] if self.only is not None else \
            pairs_in_order(self.sites, self.shuffle, self.kinds)[k::n][:self.limit]
        self.planned = len(pairs)
        items += [(Pair(site, fault), zones[i % len(zones)])
                  for i, (site, fault) in enumerate(pairs)]
        return Enumerated(items, paid)

    def run(self, pair: Pair, zone: str | None) -> list[Violation]:
        model = self.settings.model
        first = (self.settings.zones or (None,))[0]
        if pair.site is None:
            if zone == first:  # strict: the run without faults on its own
                return judge(self.baseline[zone], model)
            return judge(Faulted(self.baseline[zone], self.baseline[first], ""), model)
        self.swept += 1
        observation, calls = self._observe(zone, pair.site.rule(pair.fault))
        bases = [folder for _, folder in self._bases_by_datastore()]
        return judge(Faulted(observation, self.baseline[zone], pair.fault,
                             None if self.contention else pair.site.hit(
                                 self._bases_by_datastore()),
                             refused_changes(calls, bases)), model)

    def _observe(self, zone: str | None, rule: dict[str, Any] | None
                 ) -> tuple[SequentialRun | ContentionRun, list[Any]]:
        s = self.settings
        if self.contention:
            run = observe.contention(self.scenario, s.impl, s.endpoint, seed=self.seed or 0,
                                     reports=s.reports, zone=zone, rule=rule, settle=True,
                                     login=s.login)
            return run, run.calls
        run, calls, root = observe.sequential(self.scenario, s.impl, s.endpoint, zone=zone,
                                              rule=rule, login=s.login)
        self._roots[zone] = root
        return run, calls

    def _root(self, zone: str | None) -> str:
        if self.contention:
            run = self.baseline[zone]
            assert isinstance(run, ContentionRun)
            return run.outcome.folder if run.outcome is not None else ""
        return self._roots.get(zone, "")

    def _bases(self) -> list[str]:
        return sorted({folder for _, folder in self._bases_by_datastore()})

    def _bases_by_datastore(self) -> list[tuple[str, str]]:
        if self.contention:
            config = self.scenario.config
            return sorted({(ds, config.base_folder_of(n)) for ds in config.datastores
                           for n in config.nodes})
        return base_folders(self.scenario)

    # -- the rest of the bargain ---------------------------------------------------

    def write(self, pair: Pair, violations: list[Violation], zone: str | None, seed: int,
              first: Any) -> Written:
        return Written(Replay(self.path, self.settings.impl, zone, self.seed,
                              str(pair.site) if pair.site else None, pair.fault or None,
                              strict=pair.site is None, model=self.settings.model.name))

    def covered(self) -> dict[str, Any]:
        covered: dict[str, Any] = {"call sites": len(self.sites), "pairs run": self.swept,
                                   "pairs planned": self.planned,
                                   "model": self.settings.model.name}
        if self.broken_without_faults:
            covered["broken without faults"] = "; ".join(self.broken_without_faults)
        return covered
