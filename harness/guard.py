"""The guard on its own, in front of any vSphere client (govc, a script,
another test tool):

    python -m harness.guard --upstream URL --run-folder NAME [--insecure]

prints ``export GUARD_URL=...`` (a loopback URL with throw-away credentials
that only this guard accepts) and fences every call made through it as the
harness fences implementations (``harness/vsphere/guard.py``), until SIGINT
or SIGTERM.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading

from sim import Endpoint, EndpointError

from .vsphere.guard import Guard, below


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.guard",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, metavar="URL",
                        help="the vCenter to fence: https://user:pass@host:port/sdk")
    parser.add_argument("--run-folder", required=True, metavar="NAME",
                        help="the folder at the root of each datastore that calls may change")
    parser.add_argument("--insecure", action="store_true",
                        help="do not verify the vCenter's TLS certificate")
    args = parser.parse_args(argv)
    try:
        upstream = Endpoint.from_url(args.upstream, insecure=args.insecure)
    except EndpointError as exc:
        parser.error(f"--upstream: {exc}")
    if below(f"[ds] {args.run_folder}", args.run_folder) is not None or "/" in args.run_folder:
        parser.error(f"--run-folder: {args.run_folder!r} is not one plain folder name")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    guard = Guard(upstream, args.run_folder, verify_tls=not args.insecure)
    endpoint = guard.start()
    try:
        print(f"export GUARD_URL={shlex.quote(endpoint.url)}", flush=True)
        stop.wait()
    finally:
        guard.stop()
    print(f"guard: {len(guard.refused)} call(s) refused", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
