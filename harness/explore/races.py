"""Generated races: contention configurations drawn from a seed, run under
the simulator's seeded schedule and checked against the invariants; a
violation shrinks (fewer actors, images, marks, rules; shorter times) and
comes back as a contention scenario file with its replay line.

The shapes lean towards the known races: one image or two, marks older and
younger than the age (several of them, often), hosts that share a lock
directory or not, contenders starting together, passes with stale
instance lists, and at the calls that order an enlist and a delete a slow
call or answer, a pause, or a failing change whose recovery is slow.
"""

from __future__ import annotations

import hashlib
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from sim import Endpoint
from sim.cleanup import temporary_directory

from ..adapters import file_label, label_of
from ..contention.loader import load_contention
from ..contention.runner import Outcome, run_contention
from ..format.errors import display_path
from ..format.source import dump
from .budget import MAX_EXAMPLES, MIN_SHRINK_SECONDS, BudgetSpent, hypothesis_search
from .zones import process_zone, replay_prefix

IMAGES = ("img1", "img2")
HOSTS = ("host1", "host2", "host3")
# The calls that order an enlist and a delete, and the paths they carry
# ({base}: the base folder, {image}: an image's folder): those that change
# the cache, and those that read it.
CHANGES = (
    ("DeleteDatastoreFile_Task", "{image}"),  # a delete
    ("MakeDirectory", "{image}/ts-*"),  # a mark, or a claim given back
    ("MoveDatastoreFile_Task", "{image}/ts-*"),  # a claim
    ("DeleteDatastoreFile_Task", "{image}/ts-*"),  # a mark removed, a claim given back
)
READS = (
    ("SearchDatastoreSubFolders_Task", "{base}"),  # a pass's listing
    ("SearchDatastore_Task", "{image}"),  # an enlist's listing, a pass's re-read
    (None, "{base}*"),  # anything on the cache
)
# What recovers from a failed change: a claim given back is a mark
# re-created and the claim removed.
RECOVERIES = (CHANGES[1], CHANGES[3])
# Faults that fail a call. FileNotFound and FileAlreadyExists would tell the
# implementation something untrue about the cache, which no implementation
# can see through: races are about order, the sweep tries those.
FILE_FAULTS = ("CannotDeleteFile", "FileLocked", "NoPermission")
SKEW_MS = 200  # how far a node's clock may be off


def _ms(values: list[int]) -> st.SearchStrategy[str]:
    return st.sampled_from(values).map(lambda ms: f"{ms}ms")


def _rule(call: tuple[str | None, str], base: str, image: str, fault: str,
          **more: Any) -> dict[str, Any]:
    method, where = call
    return {"fault": fault, "path": f"[LocalDS_0] {where.format(base=base, image=image)}",
            **({"method": method} if method else {}), **more}


@st.composite
def disturbances(draw: st.DrawFn, base: str, image: str) -> list[dict[str, Any]]:
    """Rules at the calls about one image, one of three shapes (Jepsen's
    nemeses): a slow call or answer; a pause (a long slow answer, during
    which everyone else acts on what the paused actor has yet to hear
    about); a failing change, often with the change that recovers from it
    slow, since recovery paths are where windows open."""
    shape = draw(st.sampled_from(["slow", "pause", "fail", "slow"]))
    if shape == "pause":  # mostly of a read: the paused actor acts on a stale view
        return [_rule(draw(st.sampled_from(READS + READS + CHANGES)), base, image,
                      "delay_after", delay_ms=draw(st.sampled_from([1500, 2500])), count=1)]
    if shape == "fail":  # mostly of a delete: the change nothing undoes
        rules = [_rule(draw(st.sampled_from(CHANGES[:1] + CHANGES)), base, image,
                       draw(st.sampled_from(FILE_FAULTS)), count=1)]
        if draw(st.sampled_from([True, True, False])):
            rules.append(_rule(draw(st.sampled_from(RECOVERIES)), base, image, "delay",
                               delay_ms=draw(st.sampled_from([700, 1500])), count=1))
        return rules
    once = draw(st.sampled_from([{"count": 1}, {"count": 1}, {"probability": 0.3},
                                 {"probability": 0.5}]))
    return [_rule(draw(st.sampled_from(READS + CHANGES)), base, image,
                  draw(st.sampled_from(["delay_after", "delay"])),
                  delay_ms=draw(st.sampled_from([300, 700, 1500])), **once)]


@st.composite
def races(draw: st.DrawFn) -> dict[str, Any]:
    """A contention scenario, as its file holds it."""
    age_s = draw(st.sampled_from([1, 2, 3]))
    node_count = draw(st.sampled_from([2, 2, 3, 1]))
    nodes: dict[str, Any] = {}
    for i in range(node_count):
        node: dict[str, Any] = {"lock_path": draw(st.sampled_from(HOSTS[:node_count]))}
        skew = draw(st.sampled_from([0, 0, 0, SKEW_MS / 1000, -SKEW_MS / 1000]))
        if skew:
            node["clock_offset"] = skew
        nodes[f"n{i + 1}"] = node
    shared = draw(st.booleans())
    base = "shared-_base" if shared else "10.0.0.5_base"
    images = {}
    for image in IMAGES[:draw(st.sampled_from([1, 1, 2]))]:
        # Mostly a mark old enough to delete the image by; several marks are
        # common (two nodes marking in different seconds).
        ago = draw(st.lists(st.sampled_from([30, 20, 2 * age_s, age_s - 1 if age_s > 1 else 0]),
                            min_size=draw(st.sampled_from([0, 1, 1, 2, 2, 3])), max_size=3,
                            unique=True))
        images[image] = {"marks_ago": [f"{s}s" for s in ago]} if ago else {}
    names = list(nodes)
    actors: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 2))):
        actors.append({"spawner": {
            "node": draw(st.sampled_from(names)), "image": draw(st.sampled_from(list(images))),
            # Often together with a pass: the schedule then interleaves
            # their calls one by one.
            "start": draw(_ms([0, 0, 100, 300, 500, 1000, 1500])),
            "hold": draw(_ms([500, 1000, 2000, 2500])),
            "count": draw(st.integers(1, 2)), "pause": draw(_ms([0, 200]))}})
    for _ in range(draw(st.sampled_from([1, 2, 2]))):
        ager: dict[str, Any] = {"node": draw(st.sampled_from(names)),
                                "start": draw(_ms([0, 0, 200, 400])),
                                "interval": draw(_ms([100, 200, 500, 1000, 3000]))}
        # A stale instance list, but blind for less than the age can protect:
        # marks are named by the second, so a mark may be read as up to a
        # second older than it is, and a skewed clock takes its skew more. A
        # pass blind for longer (own_host on a cache other hosts use, edge
        # case 15) deletes the image whatever the implementation does.
        if age_s > 1 and draw(st.booleans()):
            ager["sees"] = {"stale": draw(_ms([200, (age_s - 1) * 1000 - 2 * SKEW_MS]))}
        actors.append({"ager": ager})
    draw(st.randoms()).shuffle(actors)
    spawned = sorted({a["spawner"]["image"] for a in actors if "spawner" in a})
    faults = []
    for _ in range(draw(st.sampled_from([0, 1, 1, 2]))):
        # An image a spawn and a pass contend for.
        image = draw(st.sampled_from(spawned))
        faults += draw(disturbances(base, f"{base}/{image}"))
    config: dict[str, Any] = {"age": age_s, "nodes": nodes}
    if shared:
        config["base_folder"] = {"cache_prefix": "shared-"}
    latency = draw(st.sampled_from([0, 0, 5, 20]))
    if latency:
        config["latency"] = {"default_ms": latency}
    return {"name": "race", "purpose": "Generated by the explorer.", "tags": ["explored"],
            "seed": draw(st.integers(0, 1000)), "duration": f"{draw(st.integers(2, 4))}s",
            "config": config, "images": images, "faults": faults, "actors": actors}


@dataclass
class Crashed:
    """A run whose actor died: a violation of its own."""

    message: str
    status: None = None

    @property
    def violations(self) -> list[Any]:
        return [_Broke(self.message)]

    def summary(self) -> str:
        return f"an actor crashed: {self.message}"


@dataclass
class _Broke:
    message: str
    invariant: str = "broke"


@dataclass
class RaceFinding:
    path: Path
    message: str  # the first violation
    report: str
    seed: int  # the search's
    actors: int  # in the shrunk configuration
    first_actors: int  # in the first violating one
    rules: int
    first_rules: int
    timeline: Path | None
    replay: str


@dataclass
class RaceSearch:
    impl: str
    endpoint: Endpoint
    reports: Path
    shrink: bool = True
    zones: tuple[str, ...] = ()
    zone: str | None = None
    deadline: float = float("inf")
    shrink_until: float = 0.0
    runs: int = 0
    interleavings: set[str] = field(default_factory=set)  # schedule digests seen
    marks_seen: dict[int, int] = field(default_factory=dict)  # marks per image -> images
    findings: list[RaceFinding] = field(default_factory=list)
    on_progress: Callable[[RaceSearch], None] | None = None
    smallest: tuple[tuple[int, ...], Outcome, dict[str, Any]] | None = None
    first: dict[str, Any] | None = None


def _size(doc: dict[str, Any]) -> tuple[int, ...]:
    marks = sum(len(i.get("marks_ago", [])) for i in doc["images"].values())
    return (len(doc["actors"]), len(doc["images"]), marks, len(doc["faults"]),
            len(dump(doc)))


def _run(search: RaceSearch, doc: dict[str, Any], tmp: Path) -> Outcome:
    path = tmp / "race.yaml"
    path.write_text(dump(doc))
    return run_contention(load_contention(path), search.impl, search.endpoint,
                          seed=doc["seed"], reports=tmp, schedule="seeded")


def search_seed(search: RaceSearch, seed: int) -> list[RaceFinding]:
    """One Hypothesis search for a violating configuration, from ``seed``."""
    search.shrink_until, search.smallest, search.first = 0.0, None, None
    search.zone = search.zones[seed % len(search.zones)] if search.zones else None

    with temporary_directory("races") as tmp:
        @given(doc=races())
        def attempt(doc: dict[str, Any]) -> None:
            if time.monotonic() > max(search.deadline, search.shrink_until):
                raise BudgetSpent
            try:
                outcome = _run(search, doc, tmp)
            except RuntimeError as crash:  # an actor died: the implementation broke
                outcome = Crashed(" ".join(str(crash).split())[:400])
            search.runs += 1
            if outcome.status is not None:
                search.interleavings.add(outcome.status.digest)
            for image in doc["images"].values():
                count = len(image.get("marks_ago", []))
                search.marks_seen[count] = search.marks_seen.get(count, 0) + 1
            if search.on_progress is not None:
                search.on_progress(search)
            if outcome.violations:
                if search.first is None:
                    search.first = doc
                    search.shrink_until = time.monotonic() + MIN_SHRINK_SECONDS
                if search.smallest is None or _size(doc) < search.smallest[0]:
                    search.smallest = (_size(doc), outcome, doc)
                raise AssertionError(outcome.summary())

        phases = [Phase.generate] + ([Phase.shrink] if search.shrink else [])
        test = settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, phases=phases,
                        verbosity=Verbosity.quiet, suppress_health_check=list(HealthCheck),
                        print_blob=False, report_multiple_bugs=False)(attempt)
        hypothesis_seed(seed)(test)
        with hypothesis_search(search.deadline, AssertionError), process_zone(search.zone):
            test()
    if search.smallest is None:
        return []
    return [_write(search, seed)]


def _write(search: RaceSearch, seed: int) -> RaceFinding:
    """The smallest violating configuration as a contention scenario,
    replayed once more to draw its timeline where the reports go."""
    assert search.smallest is not None and search.first is not None
    _, outcome, doc = search.smallest
    digest = hashlib.sha256(dump(doc).encode()).hexdigest()[:8]
    name = f"race-{file_label(search.impl)}-{digest}"
    first = f"{outcome.violations[0].invariant}: {outcome.violations[0].message}"
    zone = f", TZ={search.zone}" if search.zone else ""
    doc = {**doc, "name": name,
           "purpose": f"Found by the explorer (seed {seed}{zone}) against "
                      f"{label_of(search.impl)}: {first}"}
    path = search.reports / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump(doc))
    timeline = None
    try:
        with process_zone(search.zone):
            replayed = run_contention(load_contention(path), search.impl, search.endpoint,
                                      seed=doc["seed"], reports=search.reports,
                                      schedule="seeded")
        timeline = replayed.timeline
        report = "\n".join([replayed.summary()] + [f"{v.invariant}: {v.message}"
                                                  for v in replayed.violations])
        if not replayed.violations:
            report = f"{display_path(path)}: no violation when replayed (a flaky finding)\n" \
                     f"{report}"
    except RuntimeError as crash:
        report = f"an actor crashed when replayed: {crash}"
    return RaceFinding(
        path, first, report, seed, len(doc["actors"]), len(search.first["actors"]),
        len(doc["faults"]), len(search.first["faults"]), timeline,
        f"{replay_prefix(search.zone)}make race SCENARIO={shlex.quote(display_path(path))} "
        f"SEED={doc['seed']} IMPL={shlex.quote(search.impl)}")




