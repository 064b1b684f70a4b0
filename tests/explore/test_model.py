"""The executable model against the hand-written corpus (pure, no
simulator): each variant does what the scenarios say its implementation
does, including the original's known failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.explore.prediction import Unpredictable, disagreements
from harness.explore.scheme import NOVA, ORIGINAL, REFERENCE, VARIANTS
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

    from harness.explore.scheme import Base, Image, ModelFault

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


def test_the_original_takes_the_lock_of_every_used_image_with_no_base_folder_there():
    """The base folder is not there: the original and Nova list it as empty
    and still clean each used image under its lock, so a used image whose
    lock name is too long for a file fails the pass (a finding against the
    original, unmodified, before the model knew); refimpl skips the
    datastore."""
    from datetime import UTC, datetime

    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    for used, fails in (("x" * 250, True), ("img", False)):
        for variant in (ORIGINAL, NOVA):
            outcomes = variant.age({}, ["ds"], "_base", frozenset({used}), now, 0, (),
                                   root="ich-1234")
            assert {o.error for o in outcomes} == {"error" if fails else None}, variant.name
            assert all(o.world == {} for o in outcomes)
        [reference] = REFERENCE.age({}, ["ds"], "_base", frozenset({used}), now, 0, (),
                                    root="ich-1234")
        assert reference.error is None and reference.world == {}


@pytest.mark.parametrize("variant", [ORIGINAL, NOVA, REFERENCE], ids=lambda v: v.name)
def test_refusing_a_malformed_image_id_is_never_a_deviation(variant, tmp_path):
    """docs/protocol.md asks every peer to refuse such ids with
    invalid_argument: every model allows it; the original's also allows
    taking the id as any other, as its module does."""
    from harness.explore.prediction import Prediction

    path = tmp_path / "s.yaml"
    path.write_text("name: s\npurpose: p\ntier: must\nsteps:\n"
                    "  - enlist: {image: a/b, expect_error: {kind: invalid_argument}}\n"
                    "  - cache_folder: {image: '..', expect_error: {kind: invalid_argument}}\n")
    scenario = load_scenario(path)
    assert disagreements(scenario, variant) == []
    prediction = Prediction.of(scenario, variant)
    errors = [sorted(str(o.error) for o in prediction.apply(step)) for step in scenario.steps]
    refuses_only = variant is REFERENCE
    assert errors == ([["invalid_argument"]] * 2 if refuses_only else
                      [["None", "invalid_argument"]] * 2)


def test_the_models_a_file_may_name_are_the_variants():
    """The schema's replay.model and the manifests' model: name a variant."""
    import json

    from harness.format.shipped import SCENARIO_SCHEMA

    schema = json.loads(SCENARIO_SCHEMA.read_text())
    assert schema["$defs"]["replay"]["properties"]["model"]["enum"] == list(VARIANTS)
