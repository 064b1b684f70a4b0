"""Random search over seeds: run a contention scenario with seed after seed
until an invariant breaks or the time budget is spent.

    python -m harness.contention.search SCENARIO.yaml [--impl original] [--budget 120]
        [--start 1] [--searches 1] [--schedule seeded|free]

Prints each seed's outcome, and for the first violation the line to replay
it. With --searches N it repeats the search N times from different starting
seeds and reports the median number of seeds tried until the first find.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from sim import Simulator, SimulatorError
from sim.environment import own_simulator

from .loader import load_contention
from .runner import SCHEDULES, run_contention


def search(scenario_path: Path, impl: str, budget: float, start: int, sim: Simulator,
           reports: Path, schedule: str | None = None) -> tuple[int | None, int]:
    """(first violating seed or None, seeds tried)."""
    scenario = load_contention(scenario_path)
    deadline = time.monotonic() + budget
    seed, tried = start, 0
    while time.monotonic() < deadline:
        outcome = run_contention(scenario, impl, sim.endpoint, seed=seed, reports=reports,
                                 schedule=schedule)
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
    parser = argparse.ArgumentParser(prog=prog,
                                     description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--impl", default="original")
    parser.add_argument("--budget", type=float, default=120.0, help="seconds per search")
    parser.add_argument("--start", type=int, default=1, help="first seed")
    parser.add_argument("--searches", type=int, default=1)
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    parser.add_argument("--schedule", choices=SCHEDULES, default=None,
                        help="default: the scenario's own")
    args = parser.parse_args(argv)
    try:
        sim = own_simulator(datastores=2)
    except SimulatorError as exc:
        parser.error(str(exc))
    with sim:
        counts = []
        for i in range(args.searches):
            found, tried = search(args.scenario, args.impl, args.budget,
                                  args.start + 1000 * i, sim, args.reports, args.schedule)
            result = f"found at seed {found}" if found is not None else "nothing found"
            print(f"search {i + 1}: {result} after {tried} seed(s)", flush=True)
            if found is not None:
                counts.append(tried)
        if args.searches > 1:
            median = statistics.median(counts) if counts else None
            print(f"{len(counts)} of {args.searches} searches found a violation; median seeds "
                  f"tried until the first: {median}")
    return 0 if counts or args.searches == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
