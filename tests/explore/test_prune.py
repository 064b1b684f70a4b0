"""Pruning: which parts of a failing document are offered for removal and
in which order, and the loop that keeps each smaller case that still fails
(pure); and a race pruned of its last image or rule, run and written."""

from __future__ import annotations

import itertools

from harness.contention.loader import load_contention
from harness.explore import prune
from harness.explore.properties import Violation
from harness.explore.scheme import REFERENCE
from harness.explore.settings import Settings
from harness.explore.targets.contention import Contention

DOC = {"config": {"age": 0, "nodes": {"node1": {}}},
       "cache": {"ds": {"a": ["m1", "m2"], "b": []}},
       "steps": [{"age": {}}, {"enlist": "a"}]}


def test_a_part_comes_before_what_is_inside_it_and_a_list_from_its_end():
    offered = list(prune.without(DOC, [("steps",), ("cache",)]))
    steps, cache = DOC["steps"], DOC["cache"]
    assert offered == [
        {**DOC, "steps": [{"age": {}}]},  # the last step first
        {**DOC, "steps": [{"enlist": "a"}]},
        # (a step's own entry: the step again, not offered twice)
        {"config": DOC["config"], "steps": steps},  # cache: {} is no layout: gone
        {**DOC, "cache": {"ds": {"b": []}}, "steps": steps},
        {**DOC, "cache": {"ds": {"a": ["m1", "m2"]}}, "steps": steps},
        {**DOC, "cache": {"ds": {"a": ["m1"], "b": []}}, "steps": steps},
        {**DOC, "cache": {"ds": {"a": ["m2"], "b": []}}, "steps": steps},
    ]
    assert DOC["cache"] == cache


def test_an_entry_whose_removal_empties_its_container_takes_the_container_along():
    offered = list(prune.without(DOC, [("config", "nodes")]))
    assert offered == [{**DOC, "config": {"age": 0}}]
    assert list(prune.without({"steps": [1]}, [("steps",)])) == [{}]


def test_pruning_copies_and_skips_what_is_not_there():
    before = repr(DOC)
    offered = list(prune.without(DOC, [("instances",), ("config", "latency"), ("steps", 9)]))
    assert offered == [] and repr(DOC) == before
    for candidate in prune.without(DOC, [("cache",)]):
        candidate.clear()
    assert repr(DOC) == before


def _fails_while(needed: set[str]):
    """A case (a set of parts) fails while it holds every needed part; the
    reason is what it still holds."""
    runs = []

    def fails(case: frozenset[str]) -> frozenset[str] | None:
        runs.append(case)
        return case if needed <= case else None
    return fails, runs


def _one_less(case: frozenset[str], _why: object) -> list[frozenset[str]]:
    return [case - {part} for part in sorted(case)]


def test_the_smallest_case_keeps_exactly_what_the_failure_needs():
    fails, runs = _fails_while({"c", "f"})
    case = frozenset("abcdefgh")
    smallest, why = prune.smallest(case, case, _one_less, fails, lambda: True)
    assert smallest == frozenset("cf") and why == smallest
    # Each pass goes on where the last one took a part out, and one pass
    # from the top at the end: no quadratic restart from the first part.
    assert len(runs) <= 2 * len(case)


def test_a_part_that_others_kept_needed_is_freed_by_the_last_pass():
    """``b`` is needed only while ``e`` is there: the pass that took ``e``
    out began past ``b``, so the pass from the top takes ``b`` out."""
    def fails(case: frozenset[str]) -> frozenset[str] | None:
        return case if "a" in case and ("b" in case or "e" not in case) else None

    case = frozenset("abe")
    assert prune.smallest(case, case, _one_less, fails, lambda: True)[0] == frozenset("a")


def test_pruning_stops_when_told_and_keeps_the_smallest_so_far():
    fails, runs = _fails_while(set())
    allowed = itertools.count()
    case = frozenset("abcdef")
    smallest, _ = prune.smallest(case, case, _one_less, fails, lambda: next(allowed) < 4)
    assert 0 < len(runs) < 6 and smallest == runs[-1] and len(smallest) == 6 - len(runs)


RACE = {"seed": 1, "duration": "1s", "config": {"age": 2},
        "images": {"img1": {"marks_ago": ["30s"]}},
        "faults": [{"fault": "delay", "delay_ms": 5, "path": "[LocalDS_0] *", "count": 1}],
        "actors": [{"ager": {"node": "node1"}}]}


def test_a_race_pruned_of_its_last_image_or_rule_runs_sizes_and_is_written(vcsim, tmp_path):
    """Pruning takes ``images:`` or ``faults:`` out with its last entry (seen:
    a search that crashed while pruning its finding, the finding lost)."""
    target = Contention(Settings("refimpl", vcsim.endpoint, tmp_path, REFERENCE, budget_s=60))
    bare = [c for c in target.smaller(RACE, []) if not {"images", "faults"} <= set(c)]
    assert {key for c in bare for key in ("images", "faults") if key not in c} == \
        {"images", "faults"}
    for candidate in bare:
        assert target.run(candidate, None) == []
        assert target.size(candidate)[:4] == (1, len(candidate.get("images", {})),
                                              len(candidate.get("images", {})),
                                              len(candidate.get("faults", [])))
        written = target.write(candidate, [Violation("I1", "m")], None, 1, RACE)
        assert load_contention(written.replay.file).faults == tuple(candidate.get("faults", []))
        assert written.size.startswith(f"1 actors, {len(candidate.get('faults', []))} rules")
