"""python -m harness.explore: search for bugs nobody wrote a scenario for,
and replay what was found.

    python -m harness.explore search --impl SPEC [--budget 120] [--seed 1]
        [--mode sequential|contention|sweeps|all] [--model original|nova|reference]
        [--zones all|UTC|UTC+05:30|UTC-08:00] [--no-shrink] [-x] [--reports DIR]
    python -m harness.explore sweep SCENARIO --impl SPEC [--budget S] [--strict] [-x]
    python -m harness.explore replay FILE|NAME [--impl SPEC] [--zone Z] [--seed N]
        [--site 'METHOD PATH #N' --fault KIND] [--strict] [--model M]
    python -m harness.explore merge SUMMARY.json ... [--reports DIR]

Each starts a simulator process of its own (or uses the harness's simulator
that VCSIM_URL and VCSIM_THUMBPRINT name). A search shows one live progress
line, writes summary.md and summary.json in the reports folder, and exits 1
when it found something, 0 when not, 2 on bad usage; a replay exits 1 when
the failure or violation comes back, 0 when it does not.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from sim import SimulatorError
from sim.environment import own_simulator
from sim.faults import FAULTS

from ..adapters import ZONES, UnknownImplementation, run_alone
from ..adapters import get as get_implementation
from ..format.errors import ScenarioError
from ..format.kind import is_contention
from ..format.replay import Replay
from ..format.shipped import find_scenario
from ..format.source import YamlError, read
from ..manifest import ManifestError, manifest_directories
from . import report, searches
from .replay import replay
from .scheme import VARIANTS
from .settings import ModelError, Settings, model_for
from .sites import Site

IMPL_HELP = ("the implementation: refimpl, original, nova, module:factory, cmd:<command "
             "line> or mutant:<name>, optionally as LABEL=SPEC")
OK, FOUND, USAGE = 0, 1, 2


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    search = sub.add_parser("search", help="generated scenarios, contention and sweeps")
    search.add_argument("--budget", type=float, default=120.0, help="seconds in all")
    search.add_argument("--seed", type=int, default=1,
                        help="the first seed (each further one is the next)")
    search.add_argument("--mode", choices=(*searches.MODES, "all"), default="all",
                        help="sequential: generated scenarios against the model; contention: "
                             "generated contention scenarios; sweeps: generated workloads "
                             "swept with faults (default: all, the budget shared)")
    search.add_argument("--no-shrink", action="store_true",
                        help="write the failing run as found (faster; a longer file)")
    sweep = sub.add_parser("sweep", help="every fault at every call of one scenario")
    sweep.add_argument("scenario", help="a scenario file, or a corpus scenario's name")
    sweep.add_argument("--budget", type=float, default=float("inf"), help="seconds")
    sweep.add_argument("--seed", type=int, default=None,
                       help="a contention scenario's schedule (default: its own)")
    sweep.add_argument("--strict", action="store_true",
                       help="a property broken without faults is a finding too")
    sweep.add_argument("--preemptions", type=_count, default=None, metavar="K",
                       help="a contention scenario: run every schedule of it with at most K "
                            "preemptions (fewest first) instead of every fault at every call")
    again = sub.add_parser("replay", help="replay a finding, a failing scenario, a line")
    again.add_argument("scenario", help="a scenario or finding file, or a corpus scenario's "
                                        "name")
    again.add_argument("--zone", choices=tuple(ZONES), default=None,
                       help="the time zone the implementation runs in (default: the file's, "
                            "else the process's own)")
    again.add_argument("--seed", type=int, default=None,
                       help="a contention run's seed (default: the file's)")
    again.add_argument("--site", default=None, help="a sweep finding's call: 'METHOD PATH #N'")
    again.add_argument("--fault", choices=FAULTS, default=None,
                       help="the fault injected at --site")
    again.add_argument("--strict", action="store_true",
                       help="a sweep finding without faults: the run without faults judged")
    again.add_argument("--schedule", choices=("seeded", "free"), default=None,
                       help="a contention run's schedule (default: the file's)")
    merge = sub.add_parser("merge", help="merge the summaries of several shards")
    merge.add_argument("summaries", type=Path, nargs="+",
                       help="the summary.json files of the shards")
    for command in (search, sweep, merge, again):
        command.add_argument("--reports", type=Path, default=None,
                             help="where findings, timelines and the summary go (default: a "
                                  "new folder in the system's temporary folder, printed)")
    for command in (search, sweep, again):
        command.add_argument("--impl", required=command is not again, help=IMPL_HELP)
        command.add_argument("--model", choices=sorted(VARIANTS), default=None,
                             help="the model the implementation is held to (default: its "
                                  "manifest's model:, else its adapter's, else reference)")
        command.add_argument("--expectations", type=Path, default=None, metavar="DIR",
                             help="your manifests (for a model: key), over the shipped ones")
    for command in (search, sweep):
        command.add_argument("--zones", choices=("all", *ZONES), default="all",
                             help="run the implementation in UTC, UTC+05:30 and UTC-08:00 in "
                                  "turn (all), or in one of them")
        command.add_argument("-x", "--exitfirst", action="store_true",
                             help="stop at the first finding (as pytest -x does)")
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "python -m harness.explore") -> int:
    parser = _parser(prog)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.CRITICAL)  # implementations' own logs: not ours to show
    logging.getLogger("harness.explore").setLevel(logging.WARNING)  # the explorer's own: shown
    if args.reports is None:  # never, unasked, the folder the user runs in
        args.reports = Path(tempfile.mkdtemp(prefix="imagecache-explore-"))
    if args.command == "merge":
        parts = report.merge(args.summaries)
        print(f"wrote {', '.join(map(str, report.write(parts, args.reports)))}")
        return FOUND if any(p.findings for p in parts) else OK
    if args.command == "replay":
        return _replay(parser, args)
    # A search or sweep runs one implementation: a mutant runs in this
    # process (adapters.run_alone), at an in-process implementation's rate.
    run_alone(args.impl)
    try:
        get_implementation(args.impl)
        model = model_for(args.impl, override=args.model,
                          manifests=manifest_directories(args.expectations))
    except (UnknownImplementation, ModelError, ManifestError) as exc:
        parser.error(str(exc))
    path = _scenario(parser, args.scenario) if args.command == "sweep" else None
    if path is not None and args.preemptions is not None and not is_contention(path):
        parser.error(f"--preemptions: {path} is no contention scenario (it has no actors)")
    zones = tuple(ZONES) if args.zones == "all" else (args.zones,)
    line = report.ProgressLine(args.budget)
    try:
        sim = own_simulator(datastores=2)
    except SimulatorError as exc:
        parser.error(str(exc))
    with sim:
        settings = Settings(args.impl, sim.endpoint, args.reports, model,
                            seed=args.seed if args.seed is not None else 1,
                            budget_s=args.budget, zones=zones, stop=args.exitfirst,
                            shrink=not getattr(args, "no_shrink", False),
                            progress=lambda runs, found: line.show(runs, found))
        if path is not None and args.preemptions is not None:
            parts = [searches.schedules(path, settings, args.preemptions, seed=args.seed)]
        elif path is not None:
            parts = [searches.sweep(path, settings, seed=args.seed, strict=args.strict)]
        else:
            modes = tuple(searches.MODES) if args.mode == "all" else (args.mode,)
            parts = []
            for mode in modes:
                if args.exitfirst and any(p.findings for p in parts):
                    break
                share = replace(settings, budget_s=args.budget / len(modes))
                parts.append(searches.search(mode, share))
    line.show(sum(p.runs for p in parts), sum(len(p.findings) for p in parts), final=True)
    md, js = report.write(parts, args.reports)
    for part in parts:
        for found in part.findings:
            print(f"FOUND ({part.kind}) {found.what}\n"
                  f"  file:   {found.file}\n  replay: {found.replay}")
    print(f"summary: {md} ({js})")
    return FOUND if any(p.findings for p in parts) else OK


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number >= 0")
    return value


def _scenario(parser: argparse.ArgumentParser, given: str) -> Path:
    """A scenario file by path, or a corpus scenario by its name."""
    path = Path(given)
    if path.is_file():
        return path
    found = find_scenario(given)
    if found is None:
        parser.error(f"{given}: no such file, and no scenario of the corpus by that name")
    return found


def _replay(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    path = _scenario(parser, args.scenario)
    try:
        data = read(path).data
    except YamlError as exc:
        parser.error(f"{path}:{exc.line or '?'}: {exc}")
    stored = data.get("replay") if isinstance(data, dict) else None
    spec = Replay.of(path, stored if isinstance(stored, dict) else None, impl=args.impl,
                     zone=args.zone, seed=args.seed, site=args.site, fault=args.fault,
                     strict=args.strict, model=args.model, schedule=args.schedule)
    if not spec.impl:
        parser.error(f"{path}: no implementation: give --impl (the file names none)")
    if (spec.site is None) != (spec.fault is None):
        parser.error("--site and --fault go together")
    run_alone(spec.impl)
    try:
        get_implementation(spec.impl)
        if spec.site is not None:
            Site.parse(spec.site)
    except UnknownImplementation as exc:
        parser.error(str(exc))
    except ValueError:
        parser.error(f"--site {spec.site!r}: give 'METHOD PATH #N', as a finding prints it")
    try:
        sim = own_simulator(datastores=2)
    except SimulatorError as exc:
        parser.error(str(exc))
    with sim:
        try:
            verdict = replay(spec, sim.endpoint, args.reports)
        except ScenarioError as exc:
            print(f"{exc.path}:{exc.line or '?'}: {exc.message}", file=sys.stderr)
            return USAGE
    print(verdict.report)
    if verdict.order:
        print(f"order: {verdict.order}")
    if verdict.timeline:
        print(f"timeline: {verdict.timeline}")
    print(f"replay: {'FAILED' if verdict.failed else 'passed'} ({spec.line()})")
    return FOUND if verdict.failed else OK


if __name__ == "__main__":
    sys.exit(main())
