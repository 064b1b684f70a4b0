"""The explorer's sequential runs on the simulator's clock (``observe.py``):
an implementation calling from the harness's process takes its turns as
the one actor of a schedule, and its run is the run on the wall's clock."""

from __future__ import annotations

import sys
from pathlib import Path

from harness.explore import observe
from harness.scenario import load_scenario

SCENARIO = Path(__file__).parents[2] / "scenarios" / "faults" / "delete-connection-dropped.yaml"
# refimpl's peer: its calls name no actor, so they take the wall's time.
PEER = f"cmd:{sys.executable} -m refimpl.serve"
DELAY_MS = 2000


def test_an_in_process_run_on_the_virtual_clock_is_the_run_on_the_walls(vcsim):
    """The scenario's lost delete answer makes refimpl wait for the folder
    to go (real seconds for the peer), and a slow answer on top: the
    in-process run sees the same steps, trees and convergence, its calls
    made as the one actor, the slow answer passing on the virtual clock."""
    scenario = load_scenario(SCENARIO)
    rule = {"fault": "delay_after", "method": "MakeDirectory", "count": 1,
            "delay_ms": DELAY_MS}
    runs = {impl: observe.sequential(scenario, impl, vcsim.endpoint, zone=None, rule=rule)
            for impl in ("refimpl", PEER)}
    seen = {impl: repr(result).replace(folder, "RUN")
            for impl, (result, _, folder) in runs.items()}
    assert seen["refimpl"] == seen[PEER]
    calls = {impl: [c for c in found if not c.exempt] for impl, (_, found, _) in runs.items()}
    assert {c.actor for c in calls["refimpl"]} == {observe.SEQUENTIAL_ACTOR}
    assert {c.actor for c in calls[PEER]} == {""}
    for impl in runs:
        [slow] = [c for c in calls[impl] if c.injected == "delay_after"]
        assert slow.end_unix_ns - slow.start_unix_ns >= DELAY_MS * 10**6, impl
    # The same calls, bar how often a task was polled: a task of the wall's
    # clock may still be running at its first poll.
    made = {impl: [c.method for c in found if c.method != "RetrievePropertiesEx"]
            for impl, found in calls.items()}
    assert made["refimpl"] == made[PEER]
