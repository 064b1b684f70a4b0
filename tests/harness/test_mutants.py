"""Every mutant is killed by the explorer without the hand-written corpus,
within the budget ``FOUND_BY`` states (seed 1, stopping at the first
finding, 300 s at most); some also by corpus scenarios written for them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from harness.adapters.mutants import FOUND_BY, MUTANTS
from harness.explore import searches
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


_ALONE_CHECK = """
from harness.adapters import UnknownImplementation, get, run_alone
from harness.adapters.command_adapter import CommandImplementation
import refimpl.manager as m
before = m.ImageCacheManager._remove_marks
assert isinstance(get("mutant:one-mark"), CommandImplementation)  # not declared: a peer
assert m.ImageCacheManager._remove_marks is before
run_alone("mutant:one-mark")
impl = get("mutant:one-mark")
assert impl.in_process and impl.name == "mutant:one-mark" and impl.model == "reference"
assert m.ImageCacheManager._remove_marks is not before
get("original")  # another target is untouched
for other in ("refimpl", "x=refimpl", "harness.adapters.refimpl_adapter:RefimplImplementation"):
    try:
        get(other)
    except UnknownImplementation as exc:
        assert "runs mutant:one-mark, which patched refimpl here" in str(exc), exc
    else:
        raise AssertionError(other + " given with the mutant's patch in")
print("ok")
"""


def test_a_process_that_runs_a_mutant_alone_patches_it_in_and_refuses_its_target():
    done = subprocess.run([sys.executable, "-c", _ALONE_CHECK], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.stdout.strip() == "ok", done.stderr


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
def test_mutant_is_killed_by_the_explorer(tmp_path, mutant):
    """As a user searches: the explorer's command, whose process runs the
    mutant alone and so in process (adapters.run_alone)."""
    mode, budget = FOUND_BY[mutant]
    impl = f"mutant:{mutant}"
    done = shell(f"python -m harness.explore search --impl {impl} --mode {mode} --seed 1 "
                 f"--budget {budget} -x --no-shrink --reports {tmp_path}", timeout=budget + 300)
    summary = tmp_path / "summary.json"
    assert summary.is_file(), done.stdout[-2000:] + done.stderr[-2000:]
    [part] = json.loads(summary.read_text())["parts"]
    assert part["findings"], f"{mutant} survived {part['runs']} {mode} runs in {budget} s"
    # The mutant's own bug: the implementation it mutates passes the replay.
    target = MUTANTS[mutant].target
    replay = part["findings"][0]["replay"].replace(impl, target)
    again = shell(replay)
    assert again.returncode == 0, f"{target} fails the replay too:\n{again.stdout[-2000:]}"
