"""The searches a user starts, each ending in a report part: a generated
sequential search, a generated race search, a sweep of one scenario.

Each takes the implementation, the simulator and a budget, and returns a
``report.Part``; the CLI (``python -m harness.explore``) and the pytest
items (``--explore``, ``--sweep``) both go through here.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path

from sim import Endpoint
from sim.faults import FAULTS

from ..adapters import label_of
from ..contention.loader import load_contention
from ..format.errors import display_path
from ..format.source import YamlError, dump, parse
from ..scenario import load_scenario
from . import generate
from .budget import seed_after_seed
from .model import VARIANTS, Variant
from .properties import CONTRACTS, Contract
from .races import RaceSearch
from .races import search_seed as race_seed
from .report import Found, Part
from .sequential import Search
from .sequential import search_seed as sequential_seed
from .sweep import Site, Sweep, sweep_contention, sweep_scenario
from .zones import ZONES

MODES = ("sequential", "races", "sweeps")
# What a race workload's sweep does at a call: slow it, slow its answer, or
# fail it as a busy or locked file would (a change to undo).
RACE_KINDS = ("delay", "delay_after", "CannotDeleteFile", "FileLocked")
# Pairs of random calls and faults per generated workload, by count (not by
# time): a seed then runs the same pairs on a fast machine and a loaded one.
WORKLOAD_PAIRS = 60
RACE_WORKLOAD_PAIRS = 25  # a race's run takes several times longer
Progress = Callable[[int, int], None]  # (runs, findings) so far


def model_for(impl: str) -> Variant:
    """The model variant an implementation is held to by default: the
    original's for the original and Nova, the reference tier's otherwise."""
    label = label_of(impl)
    target = impl[len(label) + 1:] if label != impl else impl
    if target == "original" or target.startswith("mutant:original-"):
        return VARIANTS["original"]
    return VARIANTS["nova"] if target == "nova" else VARIANTS["reference"]


def contract_for(variant: Variant) -> Contract:
    return CONTRACTS["reference" if variant.name == "reference" else "original"]


Zones = tuple[str | None, ...]  # TZ values taken in turn; None: the process's own
ALL_ZONES: Zones = tuple(ZONES.values())


class _Clock:
    """A search's time: since it began, to its first failing run; and its
    progress passed on."""

    def __init__(self, progress: Progress | None) -> None:
        self.started, self.progress = time.monotonic(), progress
        self.first: float | None = None

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def tick(self, runs: int, findings: int, failing: bool) -> None:
        if failing and self.first is None:
            self.first = self.elapsed()
        if self.progress is not None:
            self.progress(runs, findings)


def sequential(impl: str, endpoint: Endpoint, *, seed: int, budget_s: float, reports: Path,
               variant: Variant | None = None, zones: Zones = ALL_ZONES, shrink: bool = True,
               stop: bool = False, progress: Progress | None = None) -> Part:
    clock = _Clock(progress)
    search = Search(impl, endpoint, variant or model_for(impl), reports, shrink=shrink,
                    zones=zones, on_progress=lambda s: clock.tick(
                        s.runs, len(s.findings), s.first_failing_steps is not None))
    seed_after_seed(search, sequential_seed, seed=seed, budget_s=budget_s, stop=stop)
    return Part("sequential", impl, seed, clock.elapsed(), search.runs,
                [z or "process" for z in zones],
                {"model": search.variant.name, "steps": search.steps_run},
                [Found(f.message, f.replay, display_path(f.path), "",
                       f"{f.steps} steps (first failing: {f.first_steps})", f.report)
                 for f in search.findings], clock.first)


def races(impl: str, endpoint: Endpoint, *, seed: int, budget_s: float, reports: Path,
          zones: Zones = ALL_ZONES, shrink: bool = True, stop: bool = False,
          progress: Progress | None = None) -> Part:
    clock = _Clock(progress)
    search = RaceSearch(impl, endpoint, reports, shrink=shrink, zones=zones,
                        on_progress=lambda s: clock.tick(s.runs, len(s.findings),
                                                         s.first is not None))
    seed_after_seed(search, race_seed, seed=seed, budget_s=budget_s, stop=stop)
    return Part("races", impl, seed, clock.elapsed(), search.runs,
                [z or "process" for z in zones],
                {"interleavings": len(search.interleavings),
                 "images by marks": dict(sorted(search.marks_seen.items()))},
                [Found(f.message, f.replay, display_path(f.path),
                       display_path(f.timeline) if f.timeline else "",
                       f"{f.actors} actors, {f.rules} rules (first failing: {f.first_actors} "
                       f"actors, {f.first_rules} rules)", f.report)
                 for f in search.findings], clock.first)


def is_contention(path: Path) -> bool:
    """A contention scenario has actors (by its content, wherever it lies)."""
    try:
        data = parse(path.read_text()).data
    except (OSError, UnicodeDecodeError, YamlError):
        return False
    return isinstance(data, dict) and "actors" in data


def sweep(path: Path, impl: str, endpoint: Endpoint, *, budget_s: float, reports: Path,
          contract: Contract | None = None, seed: int | None = None,
          only: tuple[Site, str] | None = None,
          zones: Zones = ALL_ZONES, shard: tuple[int, int] = (0, 1), stop: bool = False,
          sample: random.Random | None = None, kinds: tuple[str, ...] = FAULTS,
          strict: bool = False, limit: int | None = None,
          progress: Progress | None = None) -> Part:
    """Sweep one scenario file, sequential or contention (``shard``: its
    k-th of n parts, for xdist workers; ``kinds``: of a contention one, these
    fault kinds only; ``strict``: a property broken without faults is a
    finding too; ``limit``: at most that many pairs)."""
    started = time.monotonic()
    contract = contract or contract_for(model_for(impl))

    def tick(swept: Sweep) -> None:
        if progress is not None:
            progress(swept.runs, len(swept.findings))

    if is_contention(path):
        scenario = load_contention(path)
        run_seed = scenario.seed if seed is None else seed
        result = sweep_contention(scenario, impl, endpoint, contract, seed=run_seed,
                                  reports=reports, budget_s=budget_s, only=only, zones=zones,
                                  shard=shard, stop=stop, sample=sample, kinds=kinds,
                                  strict=strict, limit=limit, on_progress=tick)
    else:
        run_seed = 0
        result = sweep_scenario(load_scenario(path), impl, endpoint, contract,
                                budget_s=budget_s, only=only, zones=zones, shard=shard,
                                stop=stop, sample=sample, strict=strict, limit=limit,
                                on_progress=tick)
    covered: dict[str, object] = {"call sites": len(result.sites), "pairs run": result.done,
                                  "pairs planned": result.planned, "contract": contract.name}
    if result.fault_free:
        covered["broken without faults"] = "; ".join(result.fault_free)
    return Part("sweep", impl, run_seed, time.monotonic() - started, result.runs,
                [z or "process" for z in zones], covered,
                [Found(f.what, f.replay(path, impl), display_path(path), "", "",
                       "\n".join(f.problems)) for f in result.findings])


def sweeps(impl: str, endpoint: Endpoint, *, seed: int, budget_s: float, reports: Path,
           zones: Zones = ALL_ZONES, stop: bool = False, progress: Progress | None = None
           ) -> Part:
    """Fault sweeps of generated workloads, one after the other: each drawn
    from the seed, written to the reports folder, swept for a slice of the
    budget. Every other one is a race workload: a contention scenario whose
    calls are slowed, or their changes failed, one at a time."""
    started = time.monotonic()
    deadline = started + budget_s
    part = Part("sweeps", impl, seed, 0.0, 0, [z or "process" for z in zones])
    swept = sites = pairs = 0
    first = None
    while time.monotonic() < deadline and not (stop and part.findings):
        rng = random.Random(f"{seed}/{swept}")
        racing = swept % 2 == 1
        doc = {"name": f"{'race-' if racing else ''}workload-{seed}-{swept}",
               "purpose": "A generated workload to sweep.", "tags": ["explored"],
               **({} if racing else {"tier": "reference"}),
               **(generate.race_workload(rng) if racing else generate.workload(rng))}
        path = reports / "workloads" / f"{doc['name']}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump(doc))
        runs_before = part.runs

        def tick(runs: int, found: int, before: int = runs_before) -> None:
            if progress is not None:
                progress(before + runs, len(part.findings) + found)

        # Each workload gets a slice of random calls and faults: many workloads,
        # not one swept through.
        result = sweep(path, impl, endpoint, budget_s=deadline - time.monotonic(),
                       reports=reports, zones=zones, stop=stop, sample=rng,
                       kinds=RACE_KINDS if racing else FAULTS, strict=True,
                       limit=RACE_WORKLOAD_PAIRS if racing else WORKLOAD_PAIRS, progress=tick)
        part.runs += result.runs
        part.findings += result.findings
        if result.findings and first is None:
            first = time.monotonic() - started
        swept += 1
        sites += int(result.covered["call sites"])
        pairs += int(result.covered["pairs run"])
    part.seconds = time.monotonic() - started
    part.covered = {"workloads": swept, "call sites": sites, "site x fault pairs": pairs}
    part.first_finding_s = first
    return part
