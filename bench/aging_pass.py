"""SOAP calls and wall time of one steady-state aging pass, by cache size.

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
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import refimpl
from harness.datastore import DatastoreClient
from harness.vsphere import connect
from sim import Simulator

DATASTORE = "LocalDS_0"
NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)

# name -> (simulator URL, base folder, lock path) -> a function running one pass
Implementation = Callable[[str, str, Path], Callable[[], object]]


def refimpl_pass(url: str, base: str, lock_path: Path) -> Callable[[], object]:
    mgr = refimpl.ImageCacheManager(refimpl.connect(url, insecure=True), base,
                                    lock_path=lock_path, age_seconds=86400, clock=lambda: NOW)
    return lambda: mgr.update([], [DATASTORE])


IMPLEMENTATIONS: dict[str, Implementation] = {"refimpl": refimpl_pass}


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
    with tempfile.TemporaryDirectory(prefix="ich-bench-") as tmp:
        work = Path(tmp)
        with Simulator("process", delay_ms=args.delay_ms) as sim:
            client = DatastoreClient(connect(sim.endpoint), sim.endpoint)
            root = client.local_path(DATASTORE)
            rows = {(name, n): measure(sim, root, n, args.repeat, impl, work)
                    for n in sizes for name, impl in IMPLEMENTATIONS.items()}
    names = list(IMPLEMENTATIONS)
    print(f"one steady-state aging pass, {args.delay_ms} ms per SOAP call "
          f"(median of {args.repeat})")
    header = f"{'N':>6}" + "".join(f"{name + ' calls':>16}{name + ' s':>12}" for name in names)
    print(header)
    for n in sizes:
        cells = "".join(f"{rows[name, n][0]:>16}{rows[name, n][1]:>12.3f}" for name in names)
        print(f"{n:>6}{cells}")


if __name__ == "__main__":
    main()
