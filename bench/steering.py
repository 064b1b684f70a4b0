"""Generated races steered towards call orders not seen yet, against the
same search unsteered: the call orders each reaches in the same budget,
seed by seed, in one run.

    .venv/bin/python -m bench.steering [--seeds 3] [--budget 60] [--impl refimpl]

A call order is a pair of call kinds of two actors meeting on one image
(``sites.orders``). Steered, each run scores its new orders and its orders
in all, and Hypothesis's ``target`` climbs them; unsteered, the same
target scores nothing. The two searches of a seed run one after the
other against one simulator, alternating which goes first.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from harness.explore import engine
from harness.explore.settings import Settings, model_for
from harness.explore.targets.contention import Contention
from sim import Simulator


class Unsteered(Contention):
    def scores(self) -> dict[str, float]:
        return {}


def reached(target: Contention, settings: Settings) -> tuple[int, int]:
    """The call orders the search reached, and its runs."""
    part = engine.search(target, settings)
    return part.covered["call orders"], part.runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--impl", default="refimpl")
    args = parser.parse_args()
    rows, steered, unsteered = [], [], []
    with Simulator("process", datastores=2) as sim, \
            tempfile.TemporaryDirectory(prefix="bench-steering-") as tmp:
        for seed in range(1, args.seeds + 1):
            settings = Settings(args.impl, sim.endpoint, Path(tmp) / str(seed),
                                model_for(args.impl), seed=seed, budget_s=args.budget)
            kinds = [Contention, Unsteered] if seed % 2 else [Unsteered, Contention]
            got = {kind: reached(kind(settings), settings) for kind in kinds}
            steered.append(got[Contention][0])
            unsteered.append(got[Unsteered][0])
            rows.append(f"| {seed} | {got[Contention][0]} ({got[Contention][1]} runs) | "
                        f"{got[Unsteered][0]} ({got[Unsteered][1]} runs) |")
    print(f"# Call orders reached in {args.budget:g} s of generated races ({args.impl})\n")
    print("| seed | steered | unsteered |\n|---:|---:|---:|")
    print("\n".join(rows))
    s, u = statistics.median(steered), statistics.median(unsteered)
    print(f"| median | {s:g} | {u:g} |\n\nsteered / unsteered: {s / u:.2f}" if u else "")


if __name__ == "__main__":
    main()
