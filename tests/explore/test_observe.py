"""The explorer's sequential runs on the simulator's clock (``observe.py``):
an implementation calling from the harness's process takes its turns as
the one actor of a schedule, and its run is the run on the wall's clock."""

from __future__ import annotations

import sys
from pathlib import Path

import sim
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


RULED = """\
name: ruled
purpose: a rule in force for one pass of three
tier: reference
config: {age: 1h}
cache:
  LocalDS_0:
    images:
      a-img: {marks: [2026-03-01T10:00:00Z]}
steps:
  - age: {}
  - fault: {method: SearchDatastoreSubFolders_Task, fault: delay, delay_ms: 10, count: 1}
  - age: {}
  - faults: clear
  - age: {}
"""


def test_the_trace_is_read_after_a_step_while_a_rule_may_be_in_force(vcsim, tmp_path,
                                                                     monkeypatch):
    """A call is injected only while a rule is in force: from a fault step
    (or the run's own rule) to a clear, the trace is read after each step
    and the injection seen; before and after, it is not asked for (only
    once, at the end, for the run's calls)."""
    scenario = load_scenario(tmp_path / "ruled.yaml", RULED)
    reads = []
    trace = sim.Control.trace

    def counted(self, *args, **kwargs):
        reads.append(kwargs.get("since"))
        return trace(self, *args, **kwargs)

    monkeypatch.setattr(sim.Control, "trace", counted)
    result, _, _ = observe.sequential(scenario, "refimpl", vcsim.endpoint, zone=None)
    assert [bool(seen.injected) for seen in result.steps] == [False, False, True, False, False]
    assert [seen.op for seen in result.steps] == ["age", "fault", "age", "faults", "age"]
    assert len(reads) == 2  # after the ruled pass; the run's calls at its end
    reads.clear()
    rule = {"fault": "delay", "method": "SearchDatastoreSubFolders_Task", "delay_ms": 10,
            "count": 1}
    result, _, _ = observe.sequential(scenario, "refimpl", vcsim.endpoint, zone=None,
                                      rule=rule)
    assert [bool(seen.injected) for seen in result.steps] == [True, False, True, False, False]
    assert len(reads) == 3
