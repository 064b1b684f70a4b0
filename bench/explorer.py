"""The explorer against the mutants: time to first finding per mutant
(median of several seeds), runs per minute per mode, shrunk sizes; with
``--baseline``, the same beside another revision, in one run.

    .venv/bin/python -m bench.explorer [--seeds 5] [--jobs 2] [--mutants a,b]
        [--rate 60] [--baseline DIR] [--out reports/bench-explorer.md]

Each mutant is searched by the mode that kills it (``FOUND_BY`` in
``harness/adapters/mutants.py``) through the public CLI, ``python -m
harness.explore search -x``, once per seed within its stated budget: seed
1 shrinks its finding (for the sizes), the others stop at the first finding
without shrinking. ``--rate`` also runs each mode against refimpl for that
many seconds, for runs per minute. Searches run ``--jobs`` at a time, each
with a simulator of its own: the times are those of a loaded machine.

``--baseline DIR`` is a checkout of another revision (``git worktree add
/tmp/before REV``): every search runs there too, with its own ``FOUND_BY``
and modes, the two trees' searches side by side in one pool so that both
see the same load; the tables then give both and their ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# A mode's name in older trees: a mode keeps its row whatever it was called.
FORMERLY = {"races": "contention"}
# What a tree's explorer states, asked in that tree.
_ASK = ("import json; from harness.adapters.mutants import FOUND_BY; "
        "from harness.explore.searches import MODES; "
        "print(json.dumps({'found_by': FOUND_BY, 'modes': list(MODES)}))")


@dataclass(frozen=True)
class Tree:
    """A checkout whose explorer is measured: its mutants' kills and modes."""

    label: str
    path: Path
    found_by: dict[str, tuple[str, float] | None] = field(default_factory=dict)
    modes: tuple[str, ...] = ()

    @classmethod
    def of(cls, label: str, path: Path) -> Tree:
        done = subprocess.run([sys.executable, "-c", _ASK], cwd=path, capture_output=True,
                              text=True, check=True)
        stated = json.loads(done.stdout)
        return cls(label, path, {name: tuple(kill) if kill else None
                                 for name, kill in stated["found_by"].items()},
                   tuple(stated["modes"]))


@dataclass
class Search:
    tree: Tree
    impl: str
    mode: str  # the tree's own name for it
    budget_s: float
    seed: int
    shrink: bool
    first_s: float | None = None
    runs: int = 0
    seconds: float = 0.0
    size: str = ""
    crash: str = ""  # the last line a search that wrote no summary left

    @property
    def row(self) -> str:
        return FORMERLY.get(self.mode, self.mode)


def run(search: Search) -> Search:
    with tempfile.TemporaryDirectory(prefix="bench-explorer-") as tmp:
        # python -m: the tree's own harness comes first on the path.
        command = [sys.executable, "-m", "harness.explore", "search", "--impl", search.impl,
                   "--mode", search.mode, "--seed", str(search.seed),
                   "--budget", str(search.budget_s), "--reports", tmp]
        if search.impl.startswith("mutant:"):
            command.append("-x")
        if not search.shrink:
            command.append("--no-shrink")
        done = subprocess.run(command, capture_output=True, text=True, check=False,
                              cwd=search.tree.path)
        summary = Path(tmp) / "summary.json"
        if not summary.is_file():
            search.crash = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
            _tell(search, f"CRASHED: {search.crash}")
            return search
        [part] = json.loads(summary.read_text())["parts"]
    search.first_s, search.runs, search.seconds = (part["first_finding_s"], part["runs"],
                                                   part["seconds"])
    search.size = part["findings"][0]["size"] if part["findings"] else ""
    _tell(search, f"first finding {_cell(search.first_s)} s, {search.runs} runs")
    return search


def _tell(search: Search, what: str) -> None:
    # A five-seed run takes an hour: say what each search gave as it ends.
    print(f"{search.tree.label}: {search.impl} {search.mode} seed {search.seed}: {what}",
          file=sys.stderr, flush=True)


def plan(tree: Tree, names: list[str], seeds: int, rate: float) -> list[Search]:
    searches = [Search(tree, f"mutant:{name}", *kill, seed, shrink=seed == 1)
                for name in names if (kill := tree.found_by.get(name)) is not None
                for seed in range(1, seeds + 1)]
    if rate:
        searches += [Search(tree, "refimpl", mode, rate, 1, shrink=True) for mode in tree.modes]
    return searches


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _first(search: Search) -> str:
    return "crash" if search.crash else _cell(search.first_s)


def _median(mine: list[Search]) -> float:
    # A seed that found nothing counts as its whole budget: the median is then a floor.
    return statistics.median(s.first_s if s.first_s is not None else s.budget_s for s in mine)


def _ratio(before: float | None, after: float | None) -> str:
    return f"{after / before:.2f}" if before and after is not None else "-"


def mutant_rows(trees: list[Tree], names: list[str], done: list[Search]) -> list[str]:
    lines = ["| mutant | tree | killed by | budget s | first finding s, per seed | median s | "
             "killed | shrunk (seed 1) |", "|---|---|---|---|---|---|---|---|"]
    for name in names:
        for tree in trees:
            mine = [s for s in done if s.tree == tree and s.impl == f"mutant:{name}"]
            if not mine:
                lines.append(f"| {name} | {tree.label} | not found by the explorer "
                             "(FOUND_BY None) | | | | | |")
                continue
            found = [s for s in mine if s.first_s is not None]
            lines.append(f"| {name} | {tree.label} | {mine[0].row} | {mine[0].budget_s:.0f} | "
                         f"{' '.join(_first(s) for s in mine)} | {_median(mine):.0f} | "
                         f"{len(found)}/{len(mine)} | {mine[0].size} |")
    return lines


def rate_rows(trees: list[Tree], done: list[Search]) -> list[str]:
    rates = {(s.tree.label, s.row): s for s in done if s.impl == "refimpl"}
    if not rates:
        return []
    per_minute = {key: s.runs / s.seconds * 60 if s.seconds else None
                  for key, s in rates.items()}
    labels = [t.label for t in trees]
    lines = ["", "| mode (refimpl) | " + " | ".join(f"{label}: runs, s, runs/min, findings"
                                                    for label in labels)
             + (" | after / before |" if len(trees) == 2 else " |"),
             "|---|" + "---|" * (len(labels) + (len(trees) == 2))]
    for row in dict.fromkeys(r for _, r in rates):
        cells = []
        for label in labels:
            s = rates.get((label, row))
            cells.append("-" if s is None else
                         f"{s.runs}, {s.seconds:.0f}, {_cell(per_minute[(label, row)])}, "
                         f"{'none' if s.first_s is None else 'YES'}")
        if len(trees) == 2:
            cells.append(_ratio(per_minute.get((labels[0], row)),
                                per_minute.get((labels[1], row))))
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--mutants", default=None,
                        help="comma-separated names (default: all; '' for none)")
    parser.add_argument("--rate", type=float, default=60.0,
                        help="seconds per mode against refimpl, for runs per minute (0: none)")
    parser.add_argument("--baseline", type=Path, default=None, metavar="DIR",
                        help="a checkout of another revision, measured beside this one")
    parser.add_argument("--out", type=Path, default=Path("reports") / "bench-explorer.md")
    args = parser.parse_args()
    trees = ([Tree.of("before", args.baseline.resolve())] if args.baseline else []) + \
        [Tree.of("after" if args.baseline else "this tree", ROOT)]
    known = trees[-1].found_by
    names = list(known) if args.mutants is None else [n for n in args.mutants.split(",") if n]
    for name in names:
        if name not in known:
            parser.error(f"--mutants: no mutant {name!r} (known: {', '.join(known)})")
    plans = [plan(tree, names, args.seeds, args.rate) for tree in trees]
    # The trees' searches interleaved: each pair runs under the same load.
    searches = [s for pair in zip(*plans, strict=False) for s in pair] + \
        [s for p in plans for s in p[min(map(len, plans)):]]
    with ThreadPoolExecutor(args.jobs) as pool:
        done = list(pool.map(run, searches))

    title = " and ".join(f"{t.label} ({t.path})" for t in trees)
    lines = [f"# The explorer against the mutants: {title}; {args.seeds} seeds, {args.jobs} "
             "searches at a time", ""]
    lines += mutant_rows(trees, names, done) + rate_rows(trees, done)
    crashed = [s for s in done if s.crash]
    if crashed:  # counted as not found above: a crash is not a survival
        lines += ["", "Searches that crashed (no summary):", ""]
        lines += [f"- {s.tree.label}: {s.impl} {s.mode} seed {s.seed}: {s.crash}"
                  for s in crashed]
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
