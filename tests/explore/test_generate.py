"""What the explorer draws is what the loaders accept: every generated
scenario, contention scenario and workload is a valid file of its kind."""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import HealthCheck, given, settings

from harness.contention.loader import load_contention
from harness.explore import generate
from harness.format.source import dump, parse
from harness.scenario import load_scenario

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


@SETTINGS
@given(header=generate.headers())
def test_generated_headers_make_valid_scenarios(tmp_path_factory, header):
    doc = {"name": "g", "purpose": "p", "tier": "reference", **header,
           "steps": [{"age": {}}]}
    scenario = load_scenario(tmp_path_factory.mktemp("g") / "g.yaml", dump(doc))
    assert set(scenario.config.datastores) <= set(generate.DATASTORES)
    assert all(len(image.marks) <= 3 for state in scenario.cache.values()
               for image in state.images.values())


@SETTINGS
@given(doc=generate.scenarios())
def test_a_generated_scenario_loads_from_its_data_as_from_its_file(tmp_path_factory, doc):
    # The search loads each case from its data and writes a file only for a
    # finding: the two must be one scenario, or a finding would not replay.
    named = {"name": "g", "purpose": "p", "tier": "reference", **doc}
    path = tmp_path_factory.mktemp("g") / "g.yaml"
    assert parse(dump(named)).data == named
    from_file = load_scenario(path, dump(named))
    # Only the lines differ: data has none to name.
    assert load_scenario(path, data=named) == replace(
        from_file, steps=tuple(replace(step, line=0) for step in from_file.steps))


@SETTINGS
@given(doc=generate.scenarios())
def test_generated_scenarios_are_valid_and_their_steps_fit_their_layout(tmp_path_factory, doc):
    named = {"name": "g", "purpose": "p", "tier": "reference", **doc}
    scenario = load_scenario(tmp_path_factory.mktemp("g") / "g.yaml", dump(named))
    assert 1 <= len(scenario.steps) <= generate.MAX_STEPS + generate.MAX_STEPS
    known = {n.name for n in scenario.config.nodes}
    assert all(getattr(s, "node", None) in (None, *known) for s in scenario.steps)
    # A cache folder step names what every model names a valid id's folder.
    for step in scenario.steps:
        if step.key == "cache_folder" and "/" not in step.image and "\\" not in step.image \
                and ".." not in step.image:
            node = scenario.config.node(step.node)
            assert step.expected == \
                f"[{step.datastore}] {scenario.config.base_folder_of(node)}/{step.image}"


@SETTINGS
@given(doc=generate.contention())
def test_generated_contention_scenarios_are_valid(tmp_path_factory, doc):
    path = tmp_path_factory.mktemp("r") / "r.yaml"
    path.write_text(dump({"name": "r", "purpose": "p", **doc}))
    scenario = load_contention(path)
    assert 2 <= len(scenario.actors) <= 4
    assert {a.kind for a in scenario.actors} == {"spawner", "ager"}
    # A pass is never blind to an instance for longer than a mark of the age
    # can protect it: the age, less the second marks are rounded to, less
    # twice the largest skew (the marking node's and the deleting node's).
    skew = max(abs(n.clock_offset.total_seconds()) for n in scenario.config.nodes) * 1000
    limit = (scenario.config.age.total_seconds() - 1) * 1000 - 2 * skew
    assert all(a.stale_ms <= limit for a in scenario.actors if a.kind == "ager" and a.stale_ms)
    # A claim left is of one mark, drawn among the image's marks' ages.
    assert all(len(claims) == 1 and image in scenario.images
               for image, claims in scenario.claims.items())


def test_generated_races_draw_every_schedule_strategy(tmp_path):
    """Uniform, PCT of each depth, and one or two preemptions, as the loader
    reads them."""
    drawn = []

    @settings(max_examples=300, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(doc=generate.contention())
    def draw(doc):
        path = tmp_path / "r.yaml"
        path.write_text(dump({"name": "r", "purpose": "p", **doc}))
        scenario = load_contention(path)
        drawn.append(scenario.strategy)

    draw()
    assert {s.name for s in drawn} == {"uniform", "pct", "preemptions"}
    assert {s.depth for s in drawn if s.name == "pct"} == {1, 2, 3}
    assert {len(s.points) for s in drawn if s.name == "preemptions"} == {1, 2}
    assert max(p for s in drawn for p in s.points) > 10  # every span drawn


def test_generated_workloads_are_valid_and_age_at_least_once(tmp_path):
    for i in range(50):
        doc = {"name": "w", "purpose": "p", "tier": "reference",
               **generate.workload(random.Random(i))}
        scenario = load_scenario(tmp_path / "w.yaml", dump(doc))
        assert any(s.key == "age" for s in scenario.steps)


def test_race_workloads_are_valid_and_draw_every_schedule_strategy(tmp_path):
    strategies = set()
    for i in range(40):
        path = tmp_path / "w.yaml"
        path.write_text(dump({"name": "w", "purpose": "p",
                              **generate.race_workload(random.Random(i))}))
        scenario = load_contention(path)
        assert {"ager", "spawner"} <= {a.kind for a in scenario.actors}
        strategies.add(scenario.strategy.name)
    assert strategies == {"uniform", "pct", "preemptions"}


def test_half_the_generated_spawns_start_with_a_pass():
    """A spawn races the claim protocol only if it starts with a pass (a pass
    deletes an unused image at once): about half do, not only by chance
    (one in seven, both drawn at 0 ms)."""
    spawns = together = 0

    @settings(max_examples=200, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(doc=generate.contention())
    def draw(doc):
        nonlocal spawns, together
        starts = {a["ager"]["start"] for a in doc["actors"] if "ager" in a}
        for actor in doc["actors"]:
            if "spawner" in actor:
                spawns += 1
                together += actor["spawner"]["start"] in starts

    draw()
    assert 0.4 <= together / spawns <= 0.75, (together, spawns)
