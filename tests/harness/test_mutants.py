"""Every mutant of refimpl is caught by the scenarios meant to catch it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from harness.adapters.mutants import MUTANTS

CORPUS = Path(__file__).resolve().parents[2] / "scenarios"
CATCHERS = {
    "no-claim": ["contention/two-hosts-enlist-during-a-slow-delete-check.yaml"],
    "no-recheck": ["contention/enlist-during-a-slow-listing.yaml"],
    "one-mark": ["enlist/enlist-removes-every-mark.yaml",
                 "contention/stale-pass-after-enlist-with-two-marks.yaml"],
    "non-strict-age": ["aging/exact-age-is-kept.yaml"],
}


def test_every_mutant_has_a_catcher():
    assert set(CATCHERS) == set(MUTANTS)


@pytest.mark.parametrize("mutant", sorted(CATCHERS))
def test_mutant_is_caught(pytester, mutant):
    files = [str(CORPUS / f) for f in CATCHERS[mutant]]
    result = pytester.runpytest_subprocess(
        "-p", "harness.plugin", "--vcsim=process", *files, f"--expectations={pytester.path}",
        "--impl", f"{mutant}=cmd:{sys.executable} -m harness.adapters.mutants {mutant}")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == len(files), result.stdout.str()[-3000:]
