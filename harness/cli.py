"""imagecache-harness: the harness as one command, for a CI of one's own.

    imagecache-harness run --impl "mine=cmd:./my-impl" [--scenarios DIR]...
        [--expectations DIR] [--tier must] [-n auto] [--report DIR]
        [--junit FILE] [--vcsim-url URL ...] [-- PYTEST ARGS]
    imagecache-harness protocol-check [--vcsim-url URL] -- ./my-impl [ARGS]
    imagecache-harness new-scenario FILE [--contention]
    imagecache-harness sim up|down|status|fault|...      (python -m sim)
    imagecache-harness replay FILE|NAME [--impl SPEC] [--zone Z] [--seed N] ...
                                                         (a finding, a failing scenario:
                                                          the line each failure prints)
    imagecache-harness explore search|sweep|merge ...    (python -m harness.explore)
    imagecache-harness race SCENARIO ...                 (one contention scenario, seed
                                                          after seed: python -m
                                                          harness.contention.search)
    imagecache-harness guard --upstream URL ...          (python -m harness.guard)
    imagecache-harness with-docker-engine CMD ...        (an engine for CMD, started if
                                                          none answers, stopped after)

Exit codes: 0 everything as expected, 1 unexpected results (a failure, a
finding, a protocol check that failed), 2 usage or setup errors.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

import sim
from sim import Simulator, SimulatorError
from sim.cli import main as sim_main

from . import guard
from .adapters import ZONES, ImplementationBroken, ImplementationError, NodeSetup
from .adapters.command_adapter import CommandImplementation
from .contention import search as race
from .explore import cli as explore
from .format.shipped import CORPUS

OK, UNEXPECTED, USAGE = 0, 1, 2
# pytest's exit codes, as a CI reads them: only failed tests are results.
_EXIT = {pytest.ExitCode.OK: OK, pytest.ExitCode.TESTS_FAILED: UNEXPECTED}
TIERS = ("must", "reference", "contention")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    delegated: dict[str, Callable[[list[str], str], int]] = {
        "sim": lambda rest, prog: sim_main(rest, prog=prog),
        "explore": lambda rest, prog: explore.main(rest, prog=prog),
        "replay": lambda rest, prog: explore.main(["replay", *rest], prog="imagecache-harness"),
        "race": lambda rest, prog: race.main(rest, prog=prog),
        "guard": lambda rest, prog: guard.main(rest, prog=prog),
        "with-docker-engine": lambda rest, prog: _with_docker_engine(rest),
    }
    if argv and argv[0] in delegated:
        return delegated[argv[0]](argv[1:], f"imagecache-harness {argv[0]}")
    parser = argparse.ArgumentParser(prog="imagecache-harness",
                                     description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[2:]))
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text in (("sim", "the simulator (python -m sim)"),
                            ("explore", "search for bugs (python -m harness.explore)"),
                            ("replay", "replay a finding or a failing scenario"),
                            ("race", "search seeds of a contention scenario"),
                            ("guard", "fence any vSphere client to a run folder"),
                            ("with-docker-engine", "run a command with a Docker engine")):
        sub.add_parser(name, help=help_text, add_help=False)
    _run_parser(sub.add_parser("run", help="run the corpus against implementations"))
    check = sub.add_parser("protocol-check", help="a smoke test of a peer's protocol")
    check.add_argument("--vcsim-url", default=None, metavar="URL",
                       help="a running simulator of the harness (default: start one)")
    check.add_argument("peer", nargs=argparse.REMAINDER, help="-- the peer's command line")
    new = sub.add_parser("new-scenario", help="write a scenario template to start from")
    new.add_argument("file", type=Path, help="the scenario file to write (.yaml)")
    new.add_argument("--contention", action="store_true",
                     help="a contention scenario (actors on several hosts)")
    args, extra = parser.parse_known_args(argv)
    if args.command != "run" and extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "run":
        return run(args, extra)
    if args.command == "protocol-check":
        command = args.peer[1:] if args.peer[:1] == ["--"] else args.peer
        if not command:
            parser.error("protocol-check: give the peer's command line after --")
        return protocol_check(command, args.vcsim_url)
    return new_scenario(args.file, args.contention)


def _with_docker_engine(command: list[str]) -> int:
    """The shipped engine wrapper (Debian's docker.io, dockerd started for
    the command's length when none answers)."""
    if not command:
        print("with-docker-engine: give the command to run", file=sys.stderr)
        return USAGE
    script = Path(sim.__file__).parent / "with-docker-engine"
    return subprocess.run(["bash", str(script), *command], check=False).returncode


def _run_parser(run_parser: argparse.ArgumentParser) -> None:
    run_parser.add_argument("--impl", action="append", required=True, metavar="SPEC",
                            help="LABEL=cmd:<command line>, refimpl, original, ... (repeatable)")
    run_parser.add_argument("--zones", choices=("name", "all", *ZONES), default="name",
                            help="the time zone each scenario runs its implementation in: "
                                 "picked by its name (default), all three, or one for all")
    run_parser.add_argument("--scenarios", action="append", default=[], type=Path,
                            metavar="DIR", help="scenarios of your own, run with the corpus")
    run_parser.add_argument("--no-corpus", action="store_true",
                            help="run only the --scenarios given")
    run_parser.add_argument("--expectations", type=Path, default=None, metavar="DIR",
                            help="manifests of your own; they add to the shipped ones")
    run_parser.add_argument("--tier", action="append", choices=TIERS, default=[],
                            help="only this tier (repeatable; default: all)")
    run_parser.add_argument("-n", dest="workers", default=None, metavar="N",
                            help="xdist workers (a number or auto)")
    run_parser.add_argument("--report", type=Path, default=None, metavar="DIR",
                            help="summary.md, summary.json, conformance.html and "
                                 "timelines")
    run_parser.add_argument("--junit", type=Path, default=None, metavar="FILE",
                            help="a JUnit XML file of the run (a failure's replay line in it)")
    run_parser.add_argument("--peer-timeout", action="append", default=[],
                            metavar="KIND=SECONDS",
                            help="how long a peer may take to answer start, enlist, age, "
                                 "cache_folder or stop (repeatable)")


def run(args: argparse.Namespace, extra: list[str]) -> int:
    """The corpus (and the user's scenarios) through pytest, this package's
    plugin only: the user's own pytest configuration stays out."""
    paths = ([] if args.no_corpus else [str(CORPUS)]) + [str(p) for p in args.scenarios]
    if not paths:
        print("imagecache-harness run: --no-corpus needs --scenarios DIR", file=sys.stderr)
        return USAGE
    missing = [p for p in args.scenarios if not p.is_dir()]
    if missing:
        print(f"imagecache-harness run: --scenarios {missing[0]}: no such folder",
              file=sys.stderr)
        return USAGE
    pytest_args = ["-p", "harness.plugin", "-p", "no:cacheprovider", "-c", str(_no_ini()),
                   "--rootdir", str(Path.cwd()), *paths]
    pytest_args += [f"--scenario-dir={p}" for p in args.scenarios]
    pytest_args += [f"--impl={spec}" for spec in args.impl]
    pytest_args.append(f"--zones={args.zones}")
    if args.expectations is not None:
        pytest_args.append(f"--expectations={args.expectations}")
    if args.tier:
        pytest_args += ["-m", " or ".join(args.tier)]
    if args.workers is not None:
        pytest_args += ["-n", args.workers]
    if args.report is not None:
        pytest_args.append(f"--scenario-report={args.report}")
    if args.junit is not None:
        pytest_args.append(f"--junitxml={args.junit}")
    pytest_args += [f"--peer-timeout={timeout}" for timeout in args.peer_timeout]
    pytest_args += extra[1:] if extra[:1] == ["--"] else extra
    # A process of its own: pytest then loads (and rewrites) its plugins first.
    done = subprocess.run([sys.executable, "-m", "pytest", *pytest_args], check=False)
    return _EXIT.get(done.returncode, USAGE)


def _no_ini() -> Path:
    """An empty ini file: the user's pytest.ini or pyproject settings (its
    addopts, its testpaths) must not reach this run."""
    path = Path(tempfile.gettempdir()) / "imagecache-harness-empty.ini"
    if not path.exists():
        path.write_text("[pytest]\n")
    return path


def protocol_check(command: list[str], url: str | None) -> int:
    """Take a peer through each message once, on a simulator, and say in
    plain words what it got wrong."""
    try:
        sim = Simulator("url", url=url) if url else Simulator("process")
        sim.start()
    except SimulatorError as exc:
        print(f"protocol-check: no simulator: {exc}", file=sys.stderr)
        return USAGE
    failed = 0

    def check(what: str, step: Callable[[], object]) -> object:
        nonlocal failed
        try:
            result = step()
        except (ImplementationBroken, ImplementationError, AssertionError) as exc:
            failed += 1
            print(f"FAILED {what}: {exc}")
            return None
        print(f"ok     {what}")
        return result

    try:
        with tempfile.TemporaryDirectory(prefix="ich-protocol-check-") as locks:
            setup = NodeSetup("node1", sim.endpoint, "protocol-check", Path(locks), 60,
                              lambda: datetime.now(UTC))
            implementation = CommandImplementation(shlex.join(command))
            node = check("start: the peer answers the start message",
                         lambda: implementation.open_node(setup))
            if node is None:
                return UNEXPECTED
            try:
                folder = check("cache_folder: a path for img1 on LocalDS_0",
                               lambda: node.cache_folder("LocalDS_0", "img1"))
                if folder is not None:
                    check("cache_folder: the path ends in the image id", lambda: _ends(
                        str(folder), "img1"))
                check("enlist: an image not cached is no error",
                      lambda: node.enlist("LocalDS_0", "img1"))
                check("age: a pass over an empty cache", lambda: node.age([], ["LocalDS_0"]))
                check("age: an unknown datastore is a not_found error",
                      lambda: _raises("not_found", lambda: node.age([], ["Nope"])))
            finally:
                check("stop: the peer answers and exits", node.close)
    finally:
        sim.stop()
    print(f"protocol-check: {'all ok' if not failed else f'{failed} check(s) failed'}")
    return UNEXPECTED if failed else OK


def _ends(path: str, image: str) -> None:
    assert path.rstrip("/").endswith(f"/{image}") or path.endswith(f"] {image}"), \
        f"{path!r} does not end in the image id"


def _raises(kind: str, call: Callable[[], object]) -> None:
    try:
        call()
    except ImplementationError as exc:
        assert exc.kind == kind, f"raised {exc.kind}, expected {kind}"
        return
    raise AssertionError(f"succeeded; expected a {kind} error")


SCENARIO = """\
# A scenario of your own: `imagecache-harness run --scenarios DIR` runs it
# with the corpus. The format: the corpus's README.md (scenarios/README.md).
name: {name}
purpose: What this scenario checks, in one sentence.
tier: must
tags: [marking]
config:
  age: 1d
cache:
  LocalDS_0:
    images:
      img1: {{files: [img1.vmdk]}}
steps:
  - age: {{}}
  - expect:
      LocalDS_0:
        images:
          img1: {{marks: [2026-03-01T12:00:00Z], files: [img1.vmdk]}}  # marked at the start
"""

CONTENTION = """\
# A contention scenario of your own: actors on hosts that share a cache.
# The format: the corpus's contention/README.md.
name: {name}
purpose: What this race checks, in one sentence.
tags: [race]
seed: 1
duration: 2s
config:
  age: 1s
  nodes:
    host1: {{lock_path: host1}}
    host2: {{lock_path: host2}}
images:
  img1: {{marks_ago: [10s]}}
actors:
  - spawner: {{node: host1, image: img1, hold: 300ms, pause: 200ms, count: 2}}
  - ager: {{node: host2, start: 100ms, interval: 300ms}}
"""


def new_scenario(path: Path, contention: bool) -> int:
    if path.exists():
        print(f"new-scenario: {path} exists; pick another name", file=sys.stderr)
        return USAGE
    if path.suffix not in (".yaml", ".yml"):
        print(f"new-scenario: {path}: a scenario file ends in .yaml", file=sys.stderr)
        return USAGE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text((CONTENTION if contention else SCENARIO).format(name=path.stem))
    print(f"wrote {path}; run it: imagecache-harness run --impl SPEC --no-corpus "
          f"--scenarios {path.parent}")
    return OK
