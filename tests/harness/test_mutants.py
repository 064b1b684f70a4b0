"""Every mutant is killed by the explorer without the hand-written corpus,
within the budget ``FOUND_BY`` states (seed 1, stopping at the first
finding, 300 s at most); some also by corpus scenarios written for them."""

from __future__ import annotations

import sys

import pytest

from harness.adapters.mutants import FOUND_BY, MUTANTS
from harness.explore import searches
from harness.explore.settings import Settings, model_for
from tests.shell import ROOT, shell

CORPUS = ROOT / "scenarios"
CATCHERS = {
    "no-claim": ["contention/two-hosts-enlist-during-a-slow-delete-check.yaml"],
    "no-recheck": ["contention/enlist-during-a-slow-listing.yaml"],
    "one-mark": ["enlist/enlist-removes-every-mark.yaml",
                 "contention/stale-pass-after-enlist-with-two-marks.yaml"],
    "non-strict-age": ["aging/exact-age-is-kept.yaml"],
    "recheck-ignores-age": ["contention/stale-listing-meets-a-fresh-mark.yaml"],
    "give-back-late": ["contention/give-back-before-a-spawn-looks.yaml"],
    "enlist-does-not-look-again": ["contention/a-claim-between-enlist-look-and-removal.yaml"],
    "enlist-ignores-claims": ["contention/a-claim-between-enlist-look-and-removal.yaml"],
}


def test_every_mutant_has_a_stated_kill_by_the_explorer_within_300_s():
    assert set(FOUND_BY) == set(MUTANTS)
    assert set(CATCHERS) <= set(MUTANTS)
    for mode, budget in FOUND_BY.values():
        assert mode in searches.MODES and 0 < budget <= 300


def test_every_mutant_is_one_line_of_its_target():
    for mutant in MUTANTS.values():
        assert "\n" not in mutant.old and "\n" not in mutant.new and mutant.old != mutant.new
        assert mutant.target in ("refimpl", "original")


@pytest.mark.parametrize("mutant", sorted(CATCHERS))
def test_mutant_is_caught_by_the_corpus(pytester, mutant):
    files = [str(CORPUS / f) for f in CATCHERS[mutant]]
    result = pytester.runpytest_subprocess(
        "-p", "harness.plugin", "--vcsim=process", *files, f"--expectations={pytester.path}",
        "--impl", f"{mutant}=cmd:{sys.executable} -m harness.adapters.mutants {mutant}")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == len(files), result.stdout.str()[-3000:]


# Searches stated to take longer than this run in `make mutants`, not in
# `make test`: the CI job stays short, and no budget there is tight.
QUICK_S = 90


@pytest.mark.parametrize("mutant", [
    pytest.param(m, marks=[pytest.mark.long_search] if found[1] > QUICK_S else [])
    for m, found in sorted(FOUND_BY.items())])
def test_mutant_is_killed_by_the_explorer(vcsim, tmp_path, mutant):
    mode, budget = FOUND_BY[mutant]
    impl = f"mutant:{mutant}"
    part = searches.search(mode, Settings(impl, vcsim.endpoint, tmp_path, model_for(impl),
                                          budget_s=budget, stop=True, shrink=False))
    assert part.findings, f"{mutant} survived {part.runs} {mode} runs in {budget} s"
    # The mutant's own bug: the implementation it mutates passes the replay.
    target = MUTANTS[mutant].target
    replay = part.findings[0].replay.replace(f"mutant:{mutant}", target)
    done = shell(replay)
    assert done.returncode == 0, f"{target} fails the replay too:\n{done.stdout[-2000:]}"
