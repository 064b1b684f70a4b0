"""Start-to-ready time of the simulator, per backend, side by side.

    .venv/bin/python -m bench.simulator_start [--runs 10] [--backends process,docker]

"Ready" is what ``Simulator.start()`` waits for: the URL line printed and a
RetrieveServiceContent answered. Times include launching the process or
creating and starting the container (the image already built).
"""

from __future__ import annotations

import argparse
import statistics
import time

from sim import Simulator, docker_engine
from sim.build import ensure_binary
from sim.image import ensure_image


def measure(backend: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        sim = Simulator(backend).start()
        times.append(time.perf_counter() - began)
        sim.stop()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--backends", default="process,docker")
    args = parser.parse_args()
    ensure_binary()
    backends = args.backends.split(",")
    if "docker" in backends:
        ensure_image(docker_engine.connect())
    rows = {b: measure(b, args.runs) for b in backends}
    print(f"simulator start-to-ready, {args.runs} runs each (seconds)")
    print(f"{'backend':<10}{'median':>10}{'min':>10}{'max':>10}")
    for backend, times in rows.items():
        print(f"{backend:<10}{statistics.median(times):>10.3f}{min(times):>10.3f}"
              f"{max(times):>10.3f}")
    if len(rows) == 2:
        a, b = (statistics.median(t) for t in rows.values())
        print(f"ratio {backends[1]}/{backends[0]} (median): {b / a:.2f}")


if __name__ == "__main__":
    main()
