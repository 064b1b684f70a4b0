"""Sweeps through the searches' API, against the simulator."""

from __future__ import annotations

from pathlib import Path

from harness.explore import searches

SCENARIO = Path(__file__).parents[2] / "scenarios" / "faults" / "session-expires-mid-pass.yaml"


def test_a_slice_of_a_sweep_is_counted_in_pairs(vcsim, tmp_path):
    part = searches.sweep(SCENARIO, "refimpl", vcsim.endpoint, budget_s=600, reports=tmp_path,
                          zones=(None,), limit=5)
    assert part.covered["pairs run"] == 5 and part.covered["pairs planned"] == 5
    assert part.runs == 6  # and the fault-free run
    assert part.covered["call sites"] > 5
