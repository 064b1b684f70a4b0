"""The explorer against the mutants: time to first finding per mutant
(median of several seeds), runs per minute per mode, shrunk sizes.

    .venv/bin/python -m bench.explorer [--seeds 5] [--jobs 2] [--mutants a,b]
        [--rate 60] [--out reports/bench-explorer.md]

Each mutant is searched by the mode that kills it (``FOUND_BY`` in
``harness/adapters/mutants.py``) through the public CLI, ``python -m
harness.explore search -x``, once per seed within its stated budget: seed
1 shrinks its finding (for the sizes), the others stop at the first finding
without shrinking. ``--rate`` also runs each mode against refimpl for that
many seconds, for runs per minute. Searches run ``--jobs`` at a time, each
with a simulator of its own: the times are those of a loaded machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from harness.adapters.mutants import FOUND_BY, MUTANTS
from harness.explore.searches import MODES


@dataclass
class Search:
    impl: str
    mode: str
    budget_s: float
    seed: int
    shrink: bool
    first_s: float | None = None
    runs: int = 0
    seconds: float = 0.0
    size: str = ""


def run(search: Search) -> Search:
    with tempfile.TemporaryDirectory(prefix="bench-explorer-") as tmp:
        command = [sys.executable, "-m", "harness.explore", "search", "--impl", search.impl,
                   "--mode", search.mode, "--seed", str(search.seed),
                   "--budget", str(search.budget_s), "--reports", tmp]
        if search.impl.startswith("mutant:"):
            command.append("-x")
        if not search.shrink:
            command.append("--no-shrink")
        subprocess.run(command, capture_output=True, text=True, check=False)
        summary = Path(tmp) / "summary.json"
        if not summary.is_file():
            return search
        [part] = json.loads(summary.read_text())["parts"]
    search.first_s, search.runs, search.seconds = (part["first_finding_s"], part["runs"],
                                                   part["seconds"])
    search.size = part["findings"][0]["size"] if part["findings"] else ""
    return search


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--mutants", default=",".join(MUTANTS))
    parser.add_argument("--rate", type=float, default=60.0,
                        help="seconds per mode against refimpl, for runs per minute (0: none)")
    parser.add_argument("--out", type=Path, default=Path("reports") / "bench-explorer.md")
    args = parser.parse_args()
    names = args.mutants.split(",")
    for name in names:
        if name not in MUTANTS:
            parser.error(f"--mutants: no mutant {name!r} (known: {', '.join(MUTANTS)})")
    # Those the explorer does not find yet are the corpus's (FOUND_BY None).
    kills = {name: kill for name in names if (kill := FOUND_BY[name]) is not None}
    names = list(kills)
    searches = [Search(f"mutant:{name}", *kill, seed, shrink=seed == 1)
                for name, kill in kills.items() for seed in range(1, args.seeds + 1)]
    if args.rate:
        searches += [Search("refimpl", mode, args.rate, 1, shrink=True) for mode in MODES]
    with ThreadPoolExecutor(args.jobs) as pool:
        done = list(pool.map(run, searches))

    lines = [f"# The explorer against the mutants ({args.seeds} seeds, {args.jobs} searches "
             "at a time)", "",
             "| mutant | killed by | budget s | first finding s, per seed | median s | "
             "killed | shrunk (seed 1) |", "|---|---|---|---|---|---|---|"]
    for name in names:
        mine = [s for s in done if s.impl == f"mutant:{name}"]
        times = [s.first_s for s in mine]
        found = [t for t in times if t is not None]
        # A seed that found nothing counts as its whole budget: the median is then a floor.
        median = statistics.median(t if t is not None else s.budget_s
                                   for t, s in zip(times, mine, strict=True))
        lines.append(f"| {name} | {mine[0].mode} | {mine[0].budget_s:.0f} | "
                     f"{' '.join(_cell(t) for t in times)} | {median:.0f} | "
                     f"{len(found)}/{len(mine)} | {mine[0].size} |")
    rates = [s for s in done if s.impl == "refimpl"]
    if rates:
        lines += ["", "| mode (refimpl) | runs | seconds | runs per minute | findings |",
                  "|---|---|---|---|---|"]
        lines += [f"| {s.mode} | {s.runs} | {s.seconds:.0f} | "
                  f"{s.runs / s.seconds * 60 if s.seconds else 0:.0f} | "
                  f"{'none' if s.first_s is None else 'YES'} |" for s in rates]
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
