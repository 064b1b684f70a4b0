"""The executable model against the hand-written corpus (pure, no
simulator): each variant does what the scenarios say its implementation
does, including the original's known failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.explore.model import ORIGINAL, REFERENCE
from harness.explore.prediction import Unpredictable, disagreements
from harness.manifest import MANIFEST_DIR, expected_failures
from harness.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted(p for p in (ROOT / "scenarios").glob("*/*.yaml")
                   if p.parent.name not in ("contention", "expectations"))


def predictable(variant, tiers):
    """(scenario, its disagreements) for every scenario of these tiers the model can run."""
    found = []
    for path in SCENARIOS:
        scenario = load_scenario(path)
        if scenario.tier not in tiers:
            continue
        try:
            found.append((scenario, disagreements(scenario, variant)))
        except Unpredictable:
            continue
    return found


def test_the_reference_variant_does_what_every_scenario_says():
    results = predictable(REFERENCE, ("must", "reference"))
    assert len(results) >= 55, "the model should cover most of the corpus"
    assert {s.name: d for s, d in results if d} == {}


def test_the_original_variant_fails_exactly_the_original_s_expected_failures():
    expected = expected_failures("original", (MANIFEST_DIR,))
    results = predictable(ORIGINAL, ("must", "reference"))
    assert len(results) >= 55
    assert sum(s.name in expected for s, _ in results) >= 8
    wrong = {s.name: d or "passes" for s, d in results if bool(d) != (s.name in expected)}
    assert wrong == {}


@pytest.mark.parametrize("variant", [ORIGINAL, REFERENCE], ids=lambda v: v.name)
def test_a_rule_outside_the_vocabulary_makes_the_rest_unpredictable(variant, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: s\npurpose: p\ntier: must\nsteps:\n"
                    "  - fault: {fault: drop, method: DeleteDatastoreFile_Task}\n")
    with pytest.raises(Unpredictable, match="outside the model's vocabulary"):
        disagreements(load_scenario(path), variant)


def test_the_original_cleans_used_images_when_the_listing_says_not_found():
    """The original takes a base listing's FileNotFound for an empty folder
    and still cleans every used image; refimpl skips the datastore."""
    from datetime import UTC, datetime

    from harness.explore.model import Base, Image, ModelFault

    mark = "ts-2026-03-01-11-00-00"
    world = {("ds", "_base"): Base(images={"used": Image(folders=frozenset({mark})),
                                           "other": Image(folders=frozenset({mark}))})}
    fault = ModelFault("FileNotFound", "list", "ds", "_base", None)
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    [original] = ORIGINAL.age(world, ["ds"], "_base", frozenset({"used"}), now, 86400, [fault])
    assert original.world[("ds", "_base")].images == {
        "used": Image(), "other": Image(folders=frozenset({mark}))}
    [reference] = REFERENCE.age(world, ["ds"], "_base", frozenset({"used"}), now, 86400, [fault])
    assert reference.world == world
