"""Sweeps through the searches' API, against the simulator."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from harness.contention.loader import load_contention
from harness.explore import searches
from harness.explore.replay import replay
from harness.explore.scheme import REFERENCE
from harness.explore.settings import Settings
from harness.format.replay import Replay

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


TWO_ACTORS = """\
name: small
purpose: A spawn and a pass on two hosts meet on one old image.
seed: 1
duration: 2s
config:
  age: 1s
  base_folder: {cache_prefix: shared-}
  nodes:
    ager-host: {lock_path: host1}
    spawn-host: {lock_path: host2}
images:
  img1: {marks_ago: [30s]}
actors:
  - spawner: {node: spawn-host, image: img1, hold: 1s}
  - ager: {node: ager-host, start: 0ms, interval: 5s}
"""


def test_every_schedule_within_one_preemption_of_refimpl_is_run_and_passes(vcsim, tmp_path):
    """A two-actor scenario has few enough schedules to run them all: each
    gave an order of its own, and the contract holds in every one."""
    path = tmp_path / "two.yaml"
    path.write_text(TWO_ACTORS)
    settings = Settings("refimpl", vcsim.endpoint, tmp_path / "r", REFERENCE, budget_s=300,
                        zones=("UTC",))
    part = searches.schedules(path, settings, 1)
    covered = part.covered
    assert covered["all enumerated"] and covered["left"] == 0 and covered["inexact runs"] == 0
    assert covered["orders"] == covered["schedules run"] == part.runs > 10
    assert part.findings == []


def test_a_claim_bug_is_found_by_enumeration_and_replays_exactly(vcsim, tmp_path):
    """no-claim deletes an image a spawn enlisted between the pass's look
    and its delete: two preemptions find it. The finding is the scenario with
    its schedule written in; it fails again, and refimpl passes it."""
    path = tmp_path / "two.yaml"
    path.write_text(TWO_ACTORS)
    settings = Settings("mutant:no-claim", vcsim.endpoint, tmp_path / "r", REFERENCE,
                        budget_s=300, zones=("UTC",), stop=True)
    part = searches.schedules(path, settings, 2)
    assert len(part.findings) == 1 and not part.covered["all enumerated"]
    finding = part.findings[0]
    assert finding.kind == "schedules" and finding.holds and finding.property == "I1"
    written = load_contention(Path(finding.file))
    assert written.strategy.name == "switches" and written.strategy.switches
    assert "--impl mutant:no-claim --zone UTC --seed 1" in finding.replay
    spec = Replay(Path(finding.file), "refimpl", "UTC", 1, model=REFERENCE.name)
    again = replay(spec, vcsim.endpoint, tmp_path / "again")
    assert not again.failed, again.report
    assert replay(replace(spec, impl="mutant:no-claim"), vcsim.endpoint, tmp_path / "m").failed
