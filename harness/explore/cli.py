"""python -m harness.explore: search for bugs nobody wrote a scenario for.

    python -m harness.explore search --impl SPEC [--budget 120] [--seed 1]
        [--mode sequential|races|all] [--model original|nova|reference]
        [--zones all|UTC] [--no-shrink] [-x] [--reports DIR]
    python -m harness.explore sweep SCENARIO --impl SPEC [--budget S] [-x]
        [--contract reference|original] [--site 'METHOD PATH #N' --fault KIND]
    python -m harness.explore merge SUMMARY.json ... [--reports DIR]

Each starts a simulator process of its own (or uses the harness's simulator
that VCSIM_URL and VCSIM_THUMBPRINT name), shows one
live progress line, writes summary.md and summary.json in the reports
folder, and exits 1 when it found something, 0 when not, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

from sim import SimulatorError
from sim.environment import own_simulator

from ..adapters import UnknownImplementation
from ..adapters import get as get_implementation
from . import report, searches
from .model import VARIANTS
from .properties import CONTRACTS
from .sweep import Site
from .zones import ZONES


def main(argv: list[str] | None = None, prog: str = "python -m harness.explore") -> int:
    parser = argparse.ArgumentParser(prog=prog,
                                     description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    search = sub.add_parser("search", help="generated sequential scenarios and races")
    search.add_argument("--impl", required=True)
    search.add_argument("--budget", type=float, default=120.0, help="seconds in all")
    search.add_argument("--seed", type=int, default=1)
    search.add_argument("--mode", choices=(*searches.MODES, "all"), default="all")
    search.add_argument("--model", choices=sorted(VARIANTS), default=None,
                        help="the model the implementation is held to (default: by --impl)")
    search.add_argument("--no-shrink", action="store_true",
                        help="write the failing run as found (faster; a longer file)")
    sweep = sub.add_parser("sweep", help="every fault at every call of one scenario")
    sweep.add_argument("scenario", type=Path)
    sweep.add_argument("--impl", required=True)
    sweep.add_argument("--budget", type=float, default=float("inf"))
    sweep.add_argument("--contract", choices=sorted(CONTRACTS), default=None)
    sweep.add_argument("--site", default=None, help="only this call site (a replay)")
    sweep.add_argument("--fault", default=None, help="only this fault kind (with --site)")
    sweep.add_argument("--seed", type=int, default=None, help="contention: the schedule's seed")
    sweep.add_argument("--strict", action="store_true",
                       help="a property broken without faults is a finding too")
    merge = sub.add_parser("merge", help="merge the summaries of several shards")
    merge.add_argument("summaries", type=Path, nargs="+")
    for command in (search, sweep, merge):
        command.add_argument("--reports", type=Path, default=None,
                             help="where findings and the summary go (default: a new "
                                  "folder in the system's temporary folder, printed)")
    for command in (search, sweep):
        command.add_argument("--zones", choices=("all", "UTC", "none"), default="all",
                             help="run the implementation in UTC, UTC+05:30 and UTC-08:00 in "
                                  "turn (all), in UTC only, or in this process's own zone "
                                  "(none; a replay line sets TZ)")
        command.add_argument("-x", "--exitfirst", action="store_true",
                             help="stop at the first finding (as pytest -x does)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.CRITICAL)  # implementations' own logs: not ours to show
    logging.getLogger("harness.explore").setLevel(logging.WARNING)  # the explorer's own: shown
    if args.reports is None:  # never, unasked, the folder the user runs in
        args.reports = Path(tempfile.mkdtemp(prefix="imagecache-explore-"))
    if args.command == "merge":
        parts = report.merge(args.summaries)
        print(f"wrote {', '.join(map(str, report.write(parts, args.reports)))}")
        return 1 if any(p.findings for p in parts) else 0
    try:
        get_implementation(args.impl)
    except UnknownImplementation as exc:
        parser.error(str(exc))
    if args.command == "sweep" and (args.site is None) != (args.fault is None):
        parser.error("--site and --fault go together")
    zones: tuple[str | None, ...] = {"all": tuple(ZONES.values()), "UTC": (ZONES["UTC"],),
                                     "none": (None,)}[args.zones]
    line = report.ProgressLine(args.budget)
    progress = lambda runs, found: line.show(runs, found)  # noqa: E731
    try:
        sim = own_simulator(datastores=2)
    except SimulatorError as exc:
        parser.error(str(exc))
    with sim:
        endpoint = sim.endpoint
        if args.command == "sweep":
            only = (Site.parse(args.site), args.fault) if args.site else None
            contract = CONTRACTS[args.contract] if args.contract else None
            parts = [searches.sweep(args.scenario, args.impl, endpoint, budget_s=args.budget,
                                    reports=args.reports, contract=contract, seed=args.seed,
                                    only=only, zones=zones, stop=args.exitfirst,
                                    strict=args.strict, progress=progress)]
        else:
            modes = searches.MODES if args.mode == "all" else (args.mode,)
            share = args.budget / len(modes)
            parts = []
            for mode in modes:
                if args.exitfirst and any(p.findings for p in parts):
                    break
                options: dict[str, object] = {}
                if mode != "sweeps":
                    options["shrink"] = not args.no_shrink
                if mode == "sequential" and args.model:
                    options["variant"] = VARIANTS[args.model]
                parts.append(getattr(searches, mode)(
                    args.impl, endpoint, seed=args.seed, budget_s=share, reports=args.reports,
                    zones=zones, stop=args.exitfirst, progress=progress, **options))
    line.show(sum(p.runs for p in parts), sum(len(p.findings) for p in parts), final=True)
    md, js = report.write(parts, args.reports)
    for part in parts:
        for found in part.findings:
            print(f"FOUND ({part.kind}) {found.what}\n  file:   {found.file}\n"
                  f"  replay: {found.replay}")
    print(f"summary: {md} ({js})")
    return 1 if any(p.findings for p in parts) else 0


if __name__ == "__main__":
    sys.exit(main())
