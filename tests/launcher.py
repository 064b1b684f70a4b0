"""A launcher process for the teardown tests: starts a simulator, reports
what it left on the machine as one JSON line, then waits to be killed.

    python -m tests.launcher BACKEND [context|plain]
"""

import json
import sys
import time

from sim import Simulator

from .leaks import traces


def main() -> None:
    backend, style = sys.argv[1], sys.argv[2]
    sim = Simulator(backend)
    if style == "context":
        with sim:
            _report(sim)
            time.sleep(600)
    else:
        sim.start()
        _report(sim)
        time.sleep(600)


def _report(sim: Simulator) -> None:
    print(json.dumps({k: str(v) if v is not None else None
                      for k, v in traces(sim).items()} | {"url": sim.url}), flush=True)


if __name__ == "__main__":
    main()
