"""Scenario files: the schema, the loader, and errors that name file and line."""

from __future__ import annotations

import json
import re
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest

from harness.format.config import Config
from harness.format.shipped import SCENARIO_SCHEMA
from harness.format.times import format_duration, milliseconds, parse_duration
from harness.scenario import ScenarioError, load_scenario
from harness.scenario.checker import ErrorExpectation, ImageExpectation
from harness.scenario.steps import STEPS, AgeStep, FetchStep

GOOD = """\
name: good
purpose: A complete scenario using every kind of step.
tier: reference
tags: [demo, lstrip]
edge_cases: [1, 7]
config:
  age: 1d2h
  base_folder: {cache_prefix: p-, subdirectory_name: _base}
  nodes:
    node-a: {lock_path: host1, clock_offset: -30, my_ip: 10.1.1.1}
    node-b: {lock_path: host1}
  datastores: [LocalDS_0, LocalDS_1]
start: 2026-05-01T00:00:00Z
cache:
  LocalDS_0:
    images:
      img1: {marks: [2026-04-30T00:00:00Z], folders: [ts-foo], files: [img1.vmdk]}
    files: [stray]
  LocalDS_1:
    folder: old_base
instances:
  - {uuid: u1, host: node-a, image_ref: img1, kernel_id: k, ramdisk_id: null}
steps:
  - clock: {advance: 90s}
  - clock: {back: 10m}
  - clock: {set: 2026-05-02T00:00:00Z}
  - enlist: {node: node-b, datastore: LocalDS_1, image: img1}
  - enlist: {image: a/b, expect_error: {kind: invalid_argument, match: image id}}
  - age: {node: node-a, sees: [u1], datastores: [LocalDS_0]}
  - age: {hosts: [node-a], datastores: []}
  - instances: []
  - expect:
      LocalDS_0:
        images:
          img1: {marks: 1, folders: [ts-foo], files: [img1.vmdk]}
          img2: absent
        files: [stray]
      LocalDS_1: absent
  - cache_folder: {image: img1, is: "[LocalDS_0] p-_base/img1"}
"""


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(json.loads(SCENARIO_SCHEMA.read_text()))


def test_a_complete_scenario_loads_with_defaults_and_lines(tmp_path):
    s = load_scenario(write(tmp_path, GOOD))
    assert (s.name, s.tier, s.tags, s.edge_cases) == ("good", "reference", ("demo", "lstrip"),
                                                      (1, 7))
    assert s.config.age == timedelta(days=1, hours=2)
    assert s.config.base_folder_of(s.config.node("node-a")) == "p-_base"
    assert [n.name for n in s.config.nodes] == ["node-a", "node-b"]
    assert s.config.nodes[0].clock_offset == timedelta(seconds=-30)
    assert s.start == datetime(2026, 5, 1, tzinfo=UTC)
    assert s.cache["LocalDS_0"].images["img1"].marks == (datetime(2026, 4, 30, tzinfo=UTC),)
    assert s.cache["LocalDS_1"].folder == "old_base"
    assert [type(step).__name__ for step in s.steps] == [
        "ClockStep", "ClockStep", "ClockStep", "EnlistStep", "EnlistStep", "AgeStep",
        "AgeStep", "InstancesStep", "ExpectStep", "CacheFolderStep"]
    assert [step.line for step in s.steps] == [24, 25, 26, 27, 28, 29, 30, 31, 32, 39]
    enlist = s.steps[4]
    assert (enlist.node, enlist.datastore) == ("node-a", "LocalDS_0")  # defaults
    assert enlist.expect_error == ErrorExpectation("invalid_argument", None, "image id")
    assert s.steps[6].datastores == ()  # [] means no datastores
    expect = s.steps[8].datastores
    assert expect["LocalDS_1"].absent
    assert expect["LocalDS_0"].images["img2"] == ImageExpectation(present=False)


def test_every_step_kind_has_a_schema_entry_and_a_class():
    schema = json.loads(SCENARIO_SCHEMA.read_text())
    assert set(schema["$defs"]["step"]["properties"]) == set(STEPS)
    assert all(cls.key == key for key, cls in STEPS.items())


def test_a_fetch_step_defaults_to_the_first_node_and_datastore(tmp_path):
    s = load_scenario(write(tmp_path, """\
        name: fetching
        purpose: p
        tier: must
        config: {datastores: [LocalDS_0, LocalDS_1], nodes: {a: {}, b: {}}}
        steps:
          - fetch: {image: img1}
          - fetch: {node: b, datastore: LocalDS_1, image: img2}
    """))
    assert s.steps == (FetchStep(6, "a", "LocalDS_0", "img1"),
                       FetchStep(7, "b", "LocalDS_1", "img2"))
    assert s.steps[1].describe() == "fetch img2 to LocalDS_1 for b"


def test_minimal_scenario_defaults(tmp_path):
    s = load_scenario(write(tmp_path, """\
        name: minimal
        purpose: p
        tier: must
        steps: [{age: {}}]
    """))
    assert s.config == Config()
    assert s.config.base_folder_of(s.config.nodes[0]) == "10.0.0.5_base"
    assert s.steps[0] == AgeStep(4, "node1", None, None, ("LocalDS_0",))


@pytest.mark.parametrize(("text", "line", "fragment"), [
    ("name: x\npurpose: [unclosed\n", 3, "not valid YAML"),
    ("- just\n- a list\n", 1, "must be a YAML mapping"),
    ("purpose: p\ntier: must\nsteps: [{age: {}}]\n", 1, "'name' is a required property"),
    ("name: x\nnmae: y\npurpose: p\ntier: must\nsteps: [{age: {}}]\n", 2,
     "unknown key 'nmae' in (top level)"),
    ("name: x\npurpose: p\ntier: must\nconfig:\n  agee: 5\nsteps: [{age: {}}]\n", 5,
     "unknown key 'agee' in config"),
    ("name: x\npurpose: p\ntier: must\nconfig: {age: five minutes}\nsteps: [{age: {}}]\n", 4,
     'config.age = "five minutes"'),
    ("name: x\npurpose: p\ntier: must\nconfig:\n  age: -5\nsteps: [{age: {}}]\n", 5,
     "config.age = -5"),
    ("name: x\npurpose: p\ntier: should\nsteps: [{age: {}}]\n", 3,
     "tier = \"should\": must be one of must, reference"),
    ("name: x\npurpose: p\ntier: must\nsteps:\n  - age: {}\n  - sleep: 5\n", 6,
     "unknown key 'sleep' in steps.1"),
    ("name: x\npurpose: p\ntier: must\nsteps:\n  - {age: {}, enlist: {image: a}}\n", 5,
     "a step has exactly one action"),
    ("name: x\npurpose: p\ntier: must\nsteps:\n  - enlist: {node: node1}\n", 5,
     "'image' is a required property"),
    ("name: x\npurpose: p\ntier: must\nstart: 2026-03-01 12:00\nsteps: [{age: {}}]\n", 4,
     'start = "2026-03-01 12:00"'),
    ("name: x\npurpose: p\ntier: must\nstart: 2026-02-30T12:00:00Z\nsteps: [{age: {}}]\n", 4,
     "is not a real date and time"),
    ("name: x\npurpose: p\ntier: must\nsteps:\n  - age: {}\n  - age: {node: node9}\n", 6,
     "unknown node 'node9'"),
    ("name: x\npurpose: p\ntier: must\nsteps:\n  - enlist: {image: a, datastore: DS9}\n", 5,
     "datastore 'DS9' is not in config.datastores"),
    ("name: x\npurpose: p\ntier: must\ntier: reference\nsteps: [{age: {}}]\n", 4,
     "duplicate key 'tier'"),
    ("name: x\npurpose: p\ntier: must\ninstances:\n  - {uuid: u1, host: h}\n"
     "  - {uuid: u1, host: h}\nsteps: [{age: {}}]\n", 6, "duplicate instance uuid 'u1'"),
    ("name: x\npurpose: p\ntier: must\nsteps:\n  - age: {sees: [ghost]}\n", 5,
     "age sees unknown instance 'ghost'"),
    ("name: x\npurpose: p\ntier: must\ntags: [Marking]\nsteps: [{age: {}}]\n", 4,
     'tags.0 = "Marking"'),
    ("name: x\npurpose: p\ntier: must\ncache:\n  LocalDS_0:\n    images:\n"
     "      img1: {marks: 2026-03-01T00:00:00Z}\nsteps: [{age: {}}]\n", 7,
     "cache.LocalDS_0.images.img1.marks"),
    ("name: x\npurpose: p\ntier: must\nsteps:\n  - expect:\n      LocalDS_0:\n"
     "        images: {img1: gone}\n", 7, "images.img1"),
    ("name: x\npurpose: p\ntier: must\nsteps:\n  - clock: {advance: 5, back: 5}\n", 5,
     "steps.0.clock"),
    ("name: x\npurpose: p\ntier: must\ncache:\n  LocalDS_0:\n    images:\n"
     "      a/b: {}\nsteps: [{age: {}}]\n", 7, "key 'a/b' in cache.LocalDS_0.images"),
    ("name: x\npurpose: p\ntier: must\nsteps: []\n", 4, "steps = list"),
    ("name: x\npurpose: p\ntier: must\ncache:\n  LocalDS_9: {}\nsteps: [{age: {}}]\n", 5,
     "datastore 'LocalDS_9' is not in config.datastores"),
    ("name: x\npurpose: p\ntier: must\nsteps:\n  - enlist: {image: a, expect_error: "
     "{kind: oops}}\n", 5, "must be one of invalid_argument, not_found"),
    ("name: Bad Name\npurpose: p\ntier: must\nsteps: [{age: {}}]\n", 1, 'name = "Bad Name"'),
    ("name: x\npurpose: p\ntier: must\ninstances:\n  - {uuid: u1}\nsteps: [{age: {}}]\n", 5,
     "'host' is a required property"),
    ("name: x\npurpose: p\ntier: must\nsteps:\n  - fault: {fault: delay_after}\n", 5,
     "'delay_ms' is a required property"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 40 and "\n" not in v else None)
def test_malformed_scenarios_name_file_line_and_key(tmp_path, text, line, fragment):
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value).startswith(f"{path}:{line}: "), str(err.value)
    assert fragment in str(err.value)


@pytest.mark.parametrize(("text", "seconds"), [(0, 0), (90, 90), ("90s", 90), ("10m", 600),
                                               ("25h", 90000), ("1d2h3m4s", 93784)])
def test_durations(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)
    assert parse_duration(format_duration(timedelta(seconds=seconds))) == \
        timedelta(seconds=seconds)


@pytest.mark.parametrize(("text", "ms"), [(250, 250), ("250ms", 250), ("2s", 2000), ("1m", 60000),
                                          ("1m30s", 90000), ("1s500ms", 1500)])
def test_one_grammar_for_milliseconds_too(text, ms):
    assert milliseconds(text) == ms
    assert parse_duration(format_duration(timedelta(milliseconds=ms))) == timedelta(
        milliseconds=ms)


@pytest.mark.parametrize("text", ["", "5x", "10ms5s", "1h1d", "m", "-5s"])
def test_what_is_not_a_duration(text):
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["", "5x", "10ms5s", "1h1d", "m", "-5s", "90", "90s", "10m",
                                  "1d2h3m4s", "250ms", "1m30s", "2m500ms", "5mss"])
def test_the_schema_accepts_exactly_the_durations_the_code_parses(text):
    pattern = json.loads(SCENARIO_SCHEMA.read_text())["$defs"]["duration_text"]["pattern"]
    try:
        parse_duration(text)
        parsed = True
    except ValueError:
        parsed = False
    assert (re.search(pattern, text) is not None) == parsed
