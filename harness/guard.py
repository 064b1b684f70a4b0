"""The guard on its own, in front of any vSphere client (govc, a script,
another test tool):

    python -m harness.guard --upstream https://USER@HOST/sdk --password-file FILE
        --run-folder NAME [--insecure | --thumbprint SHA256]

prints ``export GUARD_URL=...`` (a loopback URL with throw-away credentials
that only this guard accepts) and fences every call made through it as the
harness fences implementations (``harness/vsphere/guard/``, docs/guard.md),
until SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading

from sim import Endpoint, EndpointError

from .vsphere.credentials import CredentialsError, carries_password, read_password_file
from .vsphere.guard import Guard, below
from .vsphere.guard.properties import Properties


def main(argv: list[str] | None = None, prog: str = "python -m harness.guard") -> int:
    parser = argparse.ArgumentParser(prog=prog,
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, metavar="URL",
                        help="the vCenter to fence: https://user@host:port/sdk")
    parser.add_argument("--password-file", required=True, metavar="FILE",
                        help="the user's password, in a file of mode 0600 (a command line is "
                             "readable by every process of yours)")
    parser.add_argument("--thumbprint", default=None, metavar="SHA256",
                        help="verify TLS against this certificate thumbprint instead")
    parser.add_argument("--run-folder", required=True, metavar="NAME",
                        help="the folder at the root of each datastore that calls may change")
    parser.add_argument("--insecure", action="store_true",
                        help="do not verify the vCenter's TLS certificate")
    parser.add_argument("--allow-property", action="append", default=[], metavar="TYPE.PATH",
                        help="a property read to let through beside the guard's own list "
                             "(docs/guard.md), e.g. Datastore.summary.url; repeatable")
    args = parser.parse_args(argv)
    try:
        properties = Properties.of(args.allow_property)
    except ValueError as exc:
        parser.error(f"--allow-property: {exc}")
    if carries_password(args.upstream):
        parser.error("--upstream: give the URL without its password, which goes in "
                     "--password-file (a command line is readable by every process of yours)")
    try:
        password = read_password_file(args.password_file)
        upstream = Endpoint.from_url(args.upstream, insecure=args.insecure,
                                     thumbprint=args.thumbprint, password=password)
    except CredentialsError as exc:
        parser.error(f"--password-file: {exc}")
    except EndpointError as exc:
        parser.error(f"--upstream: {exc}")
    if below(f"[ds] {args.run_folder}", args.run_folder) is not None or "/" in args.run_folder:
        parser.error(f"--run-folder: {args.run_folder!r} is not one plain folder name")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    guard = Guard(upstream, args.run_folder, properties)
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
