"""``python -m sim``: build, run and inspect simulators from a shell."""

from __future__ import annotations

import argparse
import logging
import sys

from . import backends, build, docker_engine, inventory, reaper
from .endpoint import Endpoint
from .errors import EndpointError, SimulatorError
from .image import ensure_image
from .readiness import probe
from .simulator import Simulator

# `status` exit code when nothing runs, as `systemctl status` does.
EXIT_NOT_RUNNING = 3
DEFAULT_NAME = "default"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except SimulatorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sim", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    p = sub.add_parser("build", help="build the simulator binary (if its sources changed)")
    p.set_defaults(func=_build)

    p = sub.add_parser("image", help="build the simulator's Docker image (if needed)")
    p.set_defaults(func=_image)

    name_help = f"name of the detached simulator (default: {DEFAULT_NAME})"
    p = sub.add_parser("up", help="start a detached simulator and print its environment")
    p.add_argument("--name", default=DEFAULT_NAME, help=name_help)
    p.add_argument("--backend", choices=[b for b in backends.BACKENDS if b != "url"],
                   default="auto")
    p.add_argument("--port", type=int, default=0, help="loopback port (default: a free one)")
    p.add_argument("--image", help="Docker image to run instead of the harness build, "
                                   "e.g. vmware/vcsim:v0.56.0 (must be present locally)")
    p.add_argument("--ds", type=int, default=1, help="number of datastores")
    p.add_argument("--vm", type=int, default=0, help="VMs per resource pool")
    p.add_argument("--username")
    p.add_argument("--password")
    p.set_defaults(func=_up)

    p = sub.add_parser("down", help="stop a detached simulator started with `up`")
    p.add_argument("--name", default=DEFAULT_NAME, help=name_help)
    p.add_argument("--all", action="store_true", help="stop every detached simulator")
    p.set_defaults(func=_down)

    p = sub.add_parser("status", help="whether a detached simulator runs and answers")
    p.add_argument("--name", default=DEFAULT_NAME, help=name_help)
    p.set_defaults(func=_status)

    p = sub.add_parser("ps", help="list every simulator the harness launched on this machine")
    p.add_argument("--check-leaks", action="store_true",
                   help="exit 1 if any simulator other than a detached one is found "
                        "(run after a test session, when every launcher has ended)")
    p.set_defaults(func=_ps)

    p = sub.add_parser("reap", help="remove simulators and temp trees of crashed runs")
    p.set_defaults(func=_reap)
    return parser


def _build(_args: argparse.Namespace) -> int:
    print(build.ensure_binary())
    return 0


def _image(_args: argparse.Namespace) -> int:
    print(ensure_image(docker_engine.connect()))
    return 0


def _detached(name: str | None) -> list[inventory.Launched]:
    """Detached simulators called ``name`` (every one when None)."""
    return [item for item in inventory.launched()
            if item.detached and name in (None, item.owner.detached_name)]


def _up(args: argparse.Namespace) -> int:
    running = [item for item in _detached(args.name) if item.running]
    if running:
        where = running[0].endpoint()
        raise SimulatorError(
            f"detached simulator {args.name!r} already runs ({running[0].backend} "
            f"{running[0].ident}{', ' + where.redacted() if where else ''}); "
            f"`python -m sim down --name {args.name}` first, or pick another --name")
    sim = Simulator(args.backend, port=args.port, image=args.image, datastores=args.ds,
                    vms=args.vm, username=args.username, password=args.password,
                    detached_name=args.name).start()
    _print_env(sim.endpoint)
    print(f"# {sim.backend} simulator {args.name!r} ready; stop it with: "
          f"python -m sim down --name {args.name}")
    return 0


def _print_env(endpoint: Endpoint) -> None:
    print(f"export VCSIM_URL='{endpoint.url}'")
    print(f"export GOVC_URL='{endpoint.url}'")
    print("export GOVC_INSECURE=1")


def _down(args: argparse.Namespace) -> int:
    found = _detached(None if args.all else args.name)
    for item in found:
        item.remove()
        print(f"stopped {item.backend} simulator {item.owner.detached_name!r} ({item.ident})")
    if not found:
        print("no detached simulator to stop")
    return 0


def _status(args: argparse.Namespace) -> int:
    found = [item for item in _detached(args.name) if item.running]
    for item in found:
        endpoint = item.endpoint()
        state = "no URL printed"
        if endpoint is not None:
            try:
                probe(endpoint)
                state = f"answers at {endpoint.redacted()}"
            except EndpointError as exc:
                state = f"does not answer: {exc}"
        print(f"{args.name}: {item.backend} {item.ident} {state}")
    if not found:
        print(f"detached simulator {args.name!r} does not run")
        return EXIT_NOT_RUNNING
    return 0


def _ps(args: argparse.Namespace) -> int:
    found = inventory.launched()
    for item in found:
        flags = [f for f, on in (("running", item.running), ("stale", item.stale)) if on]
        if item.detached:
            flags.append(f"detached={item.owner.detached_name}")
        print(f"{item.backend} {item.ident} owner={item.owner} {' '.join(flags)}")
    if not found:
        print("no harness-launched simulator on this machine")
    leaks = [item for item in found if not item.detached]
    if args.check_leaks and leaks:
        print(f"error: {len(leaks)} simulator(s) left behind", file=sys.stderr)
        return 1
    return 0


def _reap(_args: argparse.Namespace) -> int:
    removed = reaper.reap()
    for line in removed:
        print(f"removed {line}")
    if not removed:
        print("nothing stale")
    return 0
