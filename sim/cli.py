"""``python -m sim``: build, run and inspect simulators from a shell."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys

from . import backends, build, docker_engine, environment, launched, reaper
from .control import Control
from .endpoint import Endpoint
from .errors import EndpointError, SimulatorError
from .faults import FAULTS
from .image import ensure_image
from .readiness import probe
from .simulator import Simulator

# `status` exit code when nothing runs, as `systemctl status` does.
EXIT_NOT_RUNNING = 3
DEFAULT_NAME = "default"


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    args = _parser(prog).parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except SimulatorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _parser(prog: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__)
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
                   default="auto", help="docker, process, or auto: docker when an engine "
                                        "answers, else a process (default: auto)")
    p.add_argument("--port", type=int, default=0, help="loopback port (default: a free one)")
    p.add_argument("--image", help="Docker image to run instead of the harness build, "
                                   "e.g. vmware/vcsim:v0.56.0 (must be present locally)")
    p.add_argument("--ds", type=int, default=1, help="number of datastores")
    p.add_argument("--vm", type=int, default=0, help="VMs per resource pool")
    p.add_argument("--username", help="the user clients log in as (default: vcsim's)")
    p.add_argument("--password", help="its password (default: vcsim's)")
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

    _control_commands(sub, name_help)
    return parser


def _control_commands(sub, name_help: str) -> None:
    """fault / latency / trace / sessions: the simulator's control API."""
    target = argparse.ArgumentParser(add_help=False)
    target.add_argument("--url", default=os.environ.get(environment.URL),
                        help="simulator URL (default: $VCSIM_URL, else the detached --name)")
    target.add_argument("--thumbprint", default=os.environ.get(environment.THUMBPRINT) or None,
                        help="its certificate's SHA-256, to verify TLS against (default: "
                             "$VCSIM_THUMBPRINT)")
    target.add_argument("--name", default=DEFAULT_NAME, help=name_help)

    fault = sub.add_parser("fault", help="fault-injection rules").add_subparsers(
        required=True, metavar="ACTION")
    p = fault.add_parser("add", parents=[target], help="add a rule; prints it with its id")
    p.add_argument("--fault", required=True, choices=FAULTS,
                   help="the fault kind (GET /harness/fault-kinds says what each does)")
    p.add_argument("--method", help="SOAP method, e.g. DeleteDatastoreFile_Task (default: any)")
    p.add_argument("--path", help="glob on the datastore path argument; * matches anything")
    p.add_argument("--count", type=int, default=0, help="fire at most N times (0: always)")
    p.add_argument("--skip", type=int, default=0, help="let N matching calls pass first")
    p.add_argument("--probability", type=float, help="fire with this probability (seeded)")
    p.add_argument("--delay-ms", type=int, default=0, help="wait before the fault")
    p.add_argument("--sync", action="store_true",
                   help="_Task methods: fail the call instead of the task")
    p.set_defaults(func=_fault_add)
    for action, helptext, func in (("list", "list rules with seen/hit counts", _fault_list),
                                   ("clear", "remove every rule", _fault_clear)):
        fault.add_parser(action, parents=[target], help=helptext).set_defaults(func=func)
    p = fault.add_parser("rm", parents=[target], help="remove one rule")
    p.add_argument("id", type=int, help="the rule's id, as add and list print it")
    p.set_defaults(func=_fault_rm)

    p = sub.add_parser("latency", parents=[target],
                       help="show, or set with options, the per-call latency")
    p.add_argument("--default-ms", type=int, help="milliseconds added to every call")
    p.add_argument("--method", action="append", default=[], metavar="METHOD=MS",
                   help="milliseconds added to one method's calls instead (repeatable)")
    p.add_argument("--jitter", type=float, help="coefficient of variation (seeded)")
    p.set_defaults(func=_latency)

    p = sub.add_parser("trace", parents=[target], help="calls the simulator served")
    p.add_argument("--since", type=int, default=0, help="only calls after this id")
    p.add_argument("--counts", action="store_true", help="only the counts per method")
    p.add_argument("--reset", action="store_true", help="forget the recorded calls")
    p.set_defaults(func=_trace)

    p = sub.add_parser("sessions", parents=[target], help="end every session now")
    p.add_argument("action", choices=["terminate"], help="terminate: end them all")
    p.set_defaults(func=_sessions)


def _control(args: argparse.Namespace) -> Control:
    if args.url:
        return Control(Endpoint.from_url(args.url, thumbprint=args.thumbprint))
    running = [item for item in _detached(args.name) if item.running]
    endpoint = running[0].endpoint() if running else None
    if endpoint is None:
        raise SimulatorError(f"no --url, no $VCSIM_URL, and detached simulator {args.name!r} "
                             "does not run (`python -m sim up` starts one)")
    return Control(endpoint)


def _fault_add(args: argparse.Namespace) -> int:
    rule = _control(args).add_fault(
        args.fault, method=args.method, path=args.path, count=args.count, skip=args.skip,
        probability=args.probability, delay_ms=args.delay_ms, sync=args.sync)
    print(json.dumps(rule))
    return 0


def _fault_list(args: argparse.Namespace) -> int:
    for rule in _control(args).faults():
        print(json.dumps(rule))
    return 0


def _fault_clear(args: argparse.Namespace) -> int:
    _control(args).clear_faults()
    return 0


def _fault_rm(args: argparse.Namespace) -> int:
    _control(args).remove_fault(args.id)
    return 0


def _latency(args: argparse.Namespace) -> int:
    control = _control(args)
    if args.default_ms is not None or args.method or args.jitter is not None:
        methods = {}
        for item in args.method:
            method, _, ms = item.partition("=")
            if not method or not ms.isdigit():
                raise SimulatorError(f"--method {item!r} is not METHOD=MS")
            methods[method] = int(ms)
        control.set_latency(args.default_ms or 0, methods, args.jitter or 0.0)
    print(json.dumps(control.latency()))
    return 0


def _trace(args: argparse.Namespace) -> int:
    control = _control(args)
    trace = control.trace(args.since)
    if args.counts:
        for method, count in sorted(trace.counts.items()):
            print(f"{count:8d}  {method}")
    else:
        for call in trace.calls:
            print(json.dumps(dataclasses.asdict(call)))
    if args.reset:
        control.reset_trace()
    return 0


def _sessions(args: argparse.Namespace) -> int:
    print(f"terminated {_control(args).terminate_sessions()} session(s)")
    return 0


def _build(_args: argparse.Namespace) -> int:
    print(build.ensure_binary())
    return 0


def _image(_args: argparse.Namespace) -> int:
    print(ensure_image(docker_engine.connect()))
    return 0


def _detached(name: str | None) -> list[launched.Launched]:
    """Detached simulators called ``name`` (every one when None)."""
    return [item for item in launched.find()
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
    print(f"export {environment.URL}='{endpoint.url}'")
    if endpoint.thumbprint:  # proves to the harness that this is its simulator
        print(f"export {environment.THUMBPRINT}='{endpoint.thumbprint}'")
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
    found = launched.find()
    for item in found:
        flags = [f for f, on in (("running", item.running), ("stale", item.stale)) if on]
        if item.detached:
            flags.append(f"detached={item.owner.detached_name}")
        print(f"{item.backend} {item.kind} {item.ident} owner={item.owner} {' '.join(flags)}")
    if not found:
        print("no harness-launched simulator or temporary folder on this machine")
    leaks = [item for item in found if not item.detached]
    if args.check_leaks and leaks:
        print(f"error: {len(leaks)} simulator(s) or folder(s) left behind", file=sys.stderr)
        return 1
    return 0


def _reap(_args: argparse.Namespace) -> int:
    removed = reaper.reap()
    for line in removed:
        print(f"removed {line}")
    if not removed:
        print("nothing stale")
    return 0
