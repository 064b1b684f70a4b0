"""Sweeps through the searches' API, against the simulator."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from harness.explore import searches
from harness.explore.scheme import REFERENCE
from harness.explore.settings import Settings

SCENARIO = Path(__file__).parents[2] / "scenarios" / "faults" / "session-expires-mid-pass.yaml"


def test_a_shard_of_a_sweep_is_counted_in_pairs(vcsim, tmp_path):
    """A sweep cut in shards (xdist workers) runs every n-th pair of its own."""
    settings = Settings("refimpl", vcsim.endpoint, tmp_path, REFERENCE, budget_s=600,
                        zones=("UTC",))
    whole = searches.sweep(SCENARIO, replace(settings, budget_s=0))
    sites = whole.covered["call sites"]
    assert sites > 5 and whole.covered["pairs run"] == 0
    part = searches.sweep(SCENARIO, replace(settings, shard=(3, sites * 3)))
    assert part.covered["pairs planned"] == part.covered["pairs run"] == \
        len(range(3, sites * 14, sites * 3))
    assert part.runs == part.covered["pairs run"] and part.findings == []
