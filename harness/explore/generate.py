"""What the sequential explorer draws: a scenario's header (config, cache
layout, instances) and its steps, as the raw data a scenario file holds.

Everything here is a Hypothesis strategy over plain dicts in the scenario
format, so that what is drawn is exactly what is written out and loaded.
Shapes lean towards the fragile spots: marks around the age, several marks,
malformed marks, stray files, odd but legal image ids, two nodes sharing a
cache or not, partial views.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from ..format.times import format_timestamp
from .model import ORIGINAL_TOLERATED_DELETE

START = datetime.fromisoformat("2026-03-01T12:00:00+00:00")
DATASTORES = ("LocalDS_0", "LocalDS_1")
AGES = (0, 60, 3600, 86400)
# Odd but legal: dots, dashes, underscores, a Glance UUID, a prefix of another.
IMAGE_IDS = ("img1", "img10", "a1b2c3d4-1111-4222-8333-944455556666", "ubuntu-22.04.img",
             "win_2019.x", "k")
# refimpl refuses these; the original takes them as paths.
BAD_IMAGE_IDS = ("a/b", "..", "x\\y")
MALFORMED_MARKS = ("ts-foo", "ts-", "ts-2026-3-1-6-0-0", "ts-2026-02-30-00-00-00",
                   "ts-2026-13-01-00-00-00")
NODES = ("node1", "node2")
DELETE_FAULTS = tuple(sorted(ORIGINAL_TOLERATED_DELETE | {"CannotAccessFile", "NoPermission"}))
MARK_FAULTS = ("FileAlreadyExists", "CannotCreateFile", "NoPermission", "FileFault")
LIST_FAULTS = ("FileNotFound", "CannotAccessFile", "NoPermission", "InvalidDatastore")


def _ts(when: datetime) -> str:
    return format_timestamp(when)


@st.composite
def marks(draw: st.DrawFn, age: int) -> tuple[list[str], list[str], list[str]]:
    """(valid mark times, malformed mark folders, mark-like files) of one image."""
    offsets = st.sampled_from([age + 1, age, max(age - 1, 0), 0, 2 * age + 5, -3600, 7 * 86400])
    valid = draw(st.lists(offsets, max_size=3, unique=True))
    malformed = draw(st.lists(st.sampled_from((*MALFORMED_MARKS, f"ts-ts-{_mark(START)}")),
                              max_size=1))
    # A file named like an old mark (no valid mark is 30 days old here).
    files = draw(st.lists(st.just(f"ts-{_mark(START - timedelta(days=30))}"), max_size=1))
    return [_ts(START - timedelta(seconds=s)) for s in valid], malformed, files


def _mark(when: datetime) -> str:
    return when.strftime("%Y-%m-%d-%H-%M-%S")


@st.composite
def image_state(draw: st.DrawFn, image_id: str, age: int) -> dict[str, Any]:
    valid, malformed, mark_files = draw(marks(age))
    folders = malformed + draw(st.lists(st.just("sub"), max_size=1))
    files = draw(st.sampled_from([[f"{image_id}.vmdk"], [f"{image_id}.vmdk",
                                                           f"{image_id}.80.vmdk"], []]))
    state: dict[str, Any] = {}
    if valid:
        state["marks"] = valid
    if folders:
        state["folders"] = folders
    if files + mark_files:
        state["files"] = files + mark_files
    return state


@st.composite
def headers(draw: st.DrawFn) -> dict[str, Any]:
    """A scenario without steps: config, the cache, the first instances."""
    age = draw(st.sampled_from(AGES))
    datastores = draw(st.sampled_from([list(DATASTORES[:1]), list(DATASTORES)]))
    nodes: dict[str, Any] = {"node1": {}}
    base_folder: dict[str, Any] = {}
    if draw(st.booleans()):
        # A second host: sharing the cache through cache_prefix, or with a
        # base folder of its own (its my_ip); maybe a skewed clock.
        shared = draw(st.booleans())
        nodes["node2"] = {"lock_path": "node2", "clock_offset": draw(st.sampled_from([0, -30, 30]))}
        if shared:
            base_folder["cache_prefix"] = "shared-"
        else:
            nodes["node2"]["my_ip"] = "10.0.0.6"
    cache: dict[str, Any] = {}
    for ds in datastores:
        ids = draw(st.lists(st.sampled_from(IMAGE_IDS), min_size=0, max_size=4, unique=True))
        images = {i: draw(image_state(i, age)) for i in ids}
        stray = draw(st.lists(st.sampled_from(["README.txt", "notes"]), max_size=1))
        if images or stray or draw(st.booleans()):
            cache[ds] = {"images": images, **({"files": stray} if stray else {})}
    config: dict[str, Any] = {"age": age, "datastores": datastores, "nodes": nodes}
    if base_folder:
        config["base_folder"] = base_folder
    return {"config": config, "start": _ts(START), "cache": cache,
            "instances": draw(instance_sets(list(nodes)))}


@st.composite
def instance_sets(draw: st.DrawFn, nodes: list[str]) -> list[dict[str, Any]]:
    refs = st.one_of(st.sampled_from(IMAGE_IDS), st.none())
    count = draw(st.integers(0, 3))
    return [{"uuid": f"u{i + 1}", "host": draw(st.sampled_from(nodes)),
             "image_ref": draw(refs),
             **({"kernel_id": draw(refs)} if draw(st.booleans()) else {})}
            for i in range(count)]


def workload(rng: random.Random) -> dict[str, Any]:
    """A small sequential scenario without expectations, for a fault sweep:
    a layout, then passes, spawns and clock moves (a pass always among them).
    Drawn from ``rng`` (not shrunk: a sweep's finding names its call and fault)."""
    age = rng.choice(AGES[1:])
    two = rng.random() < 0.5
    datastores = list(DATASTORES) if two else list(DATASTORES[:1])
    cache = {}
    for ds in datastores:
        images = {}
        for image_id in rng.sample(IMAGE_IDS, rng.randint(2, 3)):
            ago = rng.sample([age + 5, age // 2, 0], rng.randint(0, 2))
            images[image_id] = {"files": [f"{image_id}.vmdk"],
                                **({"marks": [_ts(START - timedelta(seconds=s)) for s in ago]}
                                   if ago else {})}
        cache[ds] = {"images": images}
    used = rng.choice([None, *IMAGE_IDS])
    instances = [{"uuid": "u1", "host": "node1", "image_ref": used}] if used else []
    steps: list[dict[str, Any]] = [{"age": {}}]
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(["age", "enlist", "fetch", "clock"])
        if kind == "clock":
            steps.append({"clock": {"advance": age + 1}})
        elif kind in ("enlist", "fetch"):
            steps.append({kind: {"datastore": rng.choice(datastores),
                                 "image": rng.choice(IMAGE_IDS)}})
        else:
            steps.append({"age": {}})
    rng.shuffle(steps)
    return {"config": {"age": age, "datastores": datastores}, "start": _ts(START),
            "cache": cache, "instances": instances, "steps": steps}


def race_workload(rng: random.Random) -> dict[str, Any]:
    """A small contention scenario for a fault sweep: a pass on one host and a spawn
    of the same image on another sharing the cache (not the lock), the spawn
    starting within a slow call of the pass (the sweep's delay), sometimes a second
    pass on a third host after the spawn, sometimes the pass's delete failing (and
    what recovers from it slow). The sweep then slows each call in turn: the windows
    between a pass's calls open one at a time."""
    nodes: dict[str, Any] = {"n1": {"lock_path": "host1"}, "n2": {"lock_path": "host2"}}
    actors: list[dict[str, Any]] = [
        {"ager": {"node": "n1", "interval": "5s"}},
        {"spawner": {"node": "n2", "image": "img1",
                     "start": f"{rng.choice([0, 100, 200, 300, 500])}ms",
                     "hold": f"{rng.choice([100, 200, 1000])}ms"}}]
    if rng.random() < 0.5:
        nodes["n3"] = {"lock_path": "host3"}
        actors.append({"ager": {"node": "n3", "start": f"{rng.choice([200, 250])}ms",
                                "interval": "5s"}})
    faults = []
    if rng.random() < 0.5:
        faults.append({"method": "DeleteDatastoreFile_Task",
                       "path": "[LocalDS_0] shared-_base/img1",
                       "fault": rng.choice(["CannotDeleteFile", "FileLocked"]), "count": 1})
        if rng.random() < 0.5:  # and its recovery (a mark made again) slow
            faults.append({"method": "MakeDirectory", "path": "[LocalDS_0] shared-_base/img1/*",
                           "fault": "delay", "delay_ms": 700, "count": 1})
    marks = rng.choice([["30s"], ["30s"], ["30s", "20s"], ["30s", "1s"]])
    return {"seed": rng.randint(0, 1000), "duration": "2s",
            "config": {"age": 2, "base_folder": {"cache_prefix": "shared-"}, "nodes": nodes},
            "images": {"img1": {"marks_ago": marks}}, "faults": faults, "actors": actors}
