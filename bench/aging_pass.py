"""SOAP calls and wall time of one steady-state aging pass, by cache size:
refimpl and the original scheme (harness.original) side by side.

    .venv/bin/python -m bench.aging_pass [--sizes 10,100,1000] [--delay-ms 20] [--repeat 3]

Steady state: N cached images, none in use, each already marked and not yet
old enough, so a pass changes nothing; what it costs is listing. The
simulator (process backend) adds ``--delay-ms`` to every SOAP method to
emulate a vCenter's round trip. Calls are counted by the simulator's call
trace (its control API); wall time is the median of ``--repeat`` passes.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import refimpl
from harness.original import OriginalImageCacheManager, OriginalSession
from harness.vsphere.datastore import DatastoreClient
from harness.vsphere.session import connect
from sim import Endpoint, Simulator
from sim.cleanup import temporary_directory

DATASTORE = "LocalDS_0"
NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)

# name -> (simulator URL, base folder, lock path) -> a function running one pass
Implementation = Callable[[str, str, Path], Callable[[], object]]


def refimpl_pass(url: str, base: str, lock_path: Path) -> Callable[[], object]:
    mgr = refimpl.ImageCacheManager(refimpl.connect(url, insecure=True), base,
                                    lock_path=lock_path, age_seconds=86400, clock=lambda: NOW)
    return lambda: mgr.update([], [DATASTORE])


def original_pass(url: str, base: str, lock_path: Path) -> Callable[[], object]:
    mgr = OriginalImageCacheManager(OriginalSession(Endpoint.from_url(url)), base, lock_path,
                                    age_seconds=86400, clock=lambda: NOW.replace(tzinfo=None))
    return lambda: mgr.update([], [DATASTORE])


IMPLEMENTATIONS: dict[str, Implementation] = {"refimpl": refimpl_pass, "original": original_pass}


def measure(sim: Simulator, root: Path, n: int, repeat: int,
            implementation: Implementation, work: Path) -> tuple[int, float]:
    base = f"bench-{n}-{time.monotonic_ns()}"
    mark = refimpl.mark_name(NOW)
    for i in range(n):
        (root / base / f"img-{i:05d}" / mark).mkdir(parents=True)
    one_pass = implementation(sim.url, base, work / base)
    one_pass()  # warm-up: connections, inventory
    sim.control.reset_trace()
    one_pass()
    calls = sum(sim.control.trace().counts.values())
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        one_pass()
        times.append(time.perf_counter() - began)
    return calls, statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--delay-ms", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with temporary_directory("bench") as work, \
            Simulator("process", delay_ms=args.delay_ms) as sim:
        client = DatastoreClient(connect(sim.endpoint), sim.endpoint)
        root = client.local_path(DATASTORE)
        rows = {(name, n): measure(sim, root, n, args.repeat, impl, work)
                for n in sizes for name, impl in IMPLEMENTATIONS.items()}
    names = list(IMPLEMENTATIONS)
    print(f"one steady-state aging pass, {args.delay_ms} ms per SOAP call "
          f"(median of {args.repeat})")
    header = f"{'N':>6}" + "".join(f"{name + ' calls':>16}{name + ' s':>12}" for name in names)
    if len(names) == 2:
        header += f"{'calls ratio':>14}{'time ratio':>12}"
    print(header)
    for n in sizes:
        cells = "".join(f"{rows[name, n][0]:>16}{rows[name, n][1]:>12.3f}" for name in names)
        if len(names) == 2:
            (c0, t0), (c1, t1) = rows[names[0], n], rows[names[1], n]
            cells += f"{c1 / c0:>14.1f}{t1 / t0:>12.1f}"
        print(f"{n:>6}{cells}")
    if len(names) == 2:
        print(f"ratios: {names[1]} / {names[0]}")


if __name__ == "__main__":
    main()
