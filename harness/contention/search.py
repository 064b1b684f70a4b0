"""imagecache-harness race: one contention scenario, seed after seed, until an
invariant breaks or the time budget is spent.

    imagecache-harness race SCENARIO|NAME [--impl original] [--budget 120]
        [--seed 1] [--searches 1] [--schedule seeded|free] [--zone Z]

Prints each seed's outcome, and for the first violation the line that
replays it. With --searches N it repeats the search N times from different
starting seeds and reports the median number of seeds tried until the first
find. Exits 1 when a violation was found, 0 when not, 2 on bad usage.
(The explorer's ``contention`` mode is the other thing: generated contention
scenarios.)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from sim import Simulator, SimulatorError
from sim.environment import own_simulator

from ..adapters import ZONES, UnknownImplementation
from ..adapters import get as get_implementation
from ..format.errors import ScenarioError
from ..format.kind import is_contention
from ..format.shipped import find_scenario
from .loader import load_contention
from .model import ContentionScenario
from .runner import SCHEDULES, run_contention

FOUND, NOTHING, USAGE = 1, 0, 2


def search(scenario: ContentionScenario, impl: str, budget: float, start: int,
           sim: Simulator, reports: Path, schedule: str | None = None,
           zone: str | None = None) -> tuple[int | None, int]:
    """(first violating seed or None, seeds tried): the first seed always,
    then one after another until the budget is spent."""
    deadline = time.monotonic() + budget
    seed, tried = start, 0
    while tried == 0 or time.monotonic() < deadline:  # the first seed at least
        outcome = run_contention(scenario, impl, sim.endpoint, seed=seed, reports=reports,
                                 schedule=schedule, zone=zone)
        tried += 1
        print(f"seed {seed}: {outcome.summary()}", flush=True)
        if outcome.violations:
            for v in outcome.violations:
                print(f"  {v.invariant}: {v.message}")
            print(f"  timeline: {outcome.timeline}\n  replay:   {outcome.replay()}", flush=True)
            return seed, tried
        seed += 1
    return None, tried


def main(argv: list[str] | None = None,
         prog: str = "python -m harness.contention.search") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("scenario",
                        help="a contention scenario file, or a corpus scenario's name")
    parser.add_argument("--impl", default="original",
                        help="the implementation (refimpl, original, nova, cmd:..., "
                             "mutant:...; default: %(default)s)")
    parser.add_argument("--budget", type=float, default=120.0, help="seconds per search")
    parser.add_argument("--seed", type=int, default=1,
                        help="the first seed tried (default: %(default)s); with --budget 0 "
                             "--searches 1, only it")
    parser.add_argument("--searches", type=int, default=1,
                        help="searches from seeds 1000 apart, for the median (default: 1)")
    parser.add_argument("--reports", type=Path, default=Path("reports"),
                        help="where timelines go (default: %(default)s)")
    parser.add_argument("--schedule", choices=SCHEDULES, default=None,
                        help="default: the scenario's own")
    parser.add_argument("--zone", choices=tuple(ZONES), default=None,
                        help="the time zone the implementation runs in (default: this "
                             "process's own)")
    args = parser.parse_args(argv)
    path = Path(args.scenario)
    if not path.is_file():
        found = find_scenario(args.scenario)
        if found is None:
            parser.error(f"{args.scenario}: no such file, and no scenario of the corpus by "
                         "that name")
        path = found
    if not is_contention(path):
        parser.error(f"{path}: not a contention scenario (it has no actors)")
    try:
        scenario = load_contention(path)
        get_implementation(args.impl)
        sim = own_simulator(datastores=2)
    except (ScenarioError, UnknownImplementation, SimulatorError) as exc:
        parser.error(str(exc))
    counts = []
    with sim:
        for i in range(args.searches):
            found_at, tried = search(scenario, args.impl, args.budget, args.seed + 1000 * i,
                                     sim, args.reports, args.schedule, args.zone)
            result = f"found at seed {found_at}" if found_at is not None else "nothing found"
            print(f"search {i + 1}: {result} after {tried} seed(s)", flush=True)
            if found_at is not None:
                counts.append(tried)
    if args.searches > 1:
        median = statistics.median(counts) if counts else None
        print(f"{len(counts)} of {args.searches} searches found a violation; median seeds "
              f"tried until the first: {median}")
    return FOUND if counts else NOTHING


if __name__ == "__main__":
    sys.exit(main())
