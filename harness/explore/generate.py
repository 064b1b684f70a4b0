"""What the explorer draws, as the raw data a scenario file holds: so that
what is drawn is exactly what is written out and loaded.

- ``scenarios()``: a sequential scenario, its header (config, cache layout,
  instances) and its steps; shapes lean towards the fragile spots: marks
  around the age, several marks, malformed marks, stray files, odd but
  legal image ids, two nodes sharing a cache or not, partial views, the
  faults the model knows;
- ``contention()``: a contention scenario: hosts, images, marks, actors,
  latency, and disturbances at the calls about a contended image;
- ``workload(rng)`` and ``race_workload(rng)``: small scenarios for a fault
  sweep, drawn from a random generator (a sweep's finding names its call
  and fault: nothing to shrink).

Every step is drawn from the scenario's own layout, never from what an
implementation did: Hypothesis replays a case draw for draw.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from sim.faults import kinds
from sim.strategy import PCT, PREEMPTIONS, UNIFORM

from ..format.config import BaseFolderRule
from ..format.times import format_timestamp
from .scheme import ORIGINAL_TOLERATED_DELETE, ModelFault

START = datetime.fromisoformat("2026-03-01T12:00:00+00:00")
DATASTORES = ("LocalDS_0", "LocalDS_1")
AGES = (0, 60, 3600, 86400)
# Odd but legal: dots, dashes, underscores, a Glance UUID, a prefix of another.
IMAGE_IDS = ("img1", "img10", "a1b2c3d4-1111-4222-8333-944455556666", "ubuntu-22.04.img",
             "win_2019.x", "k")
# Legal ids of every other shape (refimpl.naming: no '/', '\\', '..' or
# control character): one letter, mixed case (Img1 is not img1), scripts
# other than Latin, and long ones. The cached file '<id>.vmdk' must still
# be a file name, 255 bytes in UTF-8: an id has at most 250.
NAME_MAX = 255
SHAPED_IDS = ("A", "Img1", "ÜBER-image", "образ-диска", "镜像-01", "x" * 250, "é" * 125)
ID_ALPHABET = "aZq9-_.ñÜж日"
# refimpl refuses these; the original takes them as paths.
BAD_IMAGE_IDS = ("a/b", "..", "x\\y")
MALFORMED_MARKS = ("ts-foo", "ts-", "ts-2026-3-1-6-0-0", "ts-2026-02-30-00-00-00",
                   "ts-2026-13-01-00-00-00")
NODES = ("node1", "node2")
# PCT's span: generated races take 30-150 steps (a spawn and a pass
# meeting on one image, 2-4 s), race workloads about 40.
SPANS = (30, 60, 120)
# The preemption points preemptions fall at: a generated race's run
# without any meets 0-25 (median 10; bench in docs/explore.md), and
# more once preempted.
POINT_SPANS = (5, 10, 20)
# The faults the model knows, by what they hit (a delete's FileNotFound is an
# untrue answer the fault sweep tries).
DELETE_FAULTS = kinds(sorted(ORIGINAL_TOLERATED_DELETE | {"CannotAccessFile", "NoPermission"}))
MARK_FAULTS = kinds(["FileAlreadyExists", "CannotCreateFile", "NoPermission", "FileFault"])
LIST_FAULTS = kinds(["FileNotFound", "CannotAccessFile", "NoPermission", "InvalidDatastore"])


def _ts(when: datetime) -> str:
    return format_timestamp(when)


def fits(name: str) -> bool:
    """Whether ``name`` is a legal file name on a datastore (bytes in UTF-8)."""
    return len(name.encode()) <= NAME_MAX


def shaped_ids() -> st.SearchStrategy[str]:
    """An image id of a shape other than the common ones (``SHAPED_IDS``), or
    drawn from letters of several scripts, digits, dashes and dots."""
    drawn = st.text(alphabet=ID_ALPHABET, min_size=1, max_size=83).filter(
        # '<id>.vmdk' without '..' (the datastore's HTTP interface refuses it)
        lambda s: ".." not in f"{s}.vmdk" and s.strip(".") != "" and fits(f"{s}.vmdk"))
    return st.one_of(st.sampled_from(SHAPED_IDS), drawn)


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
    files = [f for f in draw(st.sampled_from([[f"{image_id}.vmdk"], [f"{image_id}.vmdk",
                                                                   f"{image_id}.80.vmdk"], []]))
             if fits(f)]
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
    # Nova's rule whichever way it is set: cache_prefix unset, empty (then
    # my_ip decides) or set; the subdirectory's default name or another.
    base_folder: dict[str, Any] = draw(st.sampled_from(
        [{}, {}, {"cache_prefix": ""}, {"subdirectory_name": "image-cache"},
         {"cache_prefix": "c-", "subdirectory_name": "images/base"}]))
    if draw(st.booleans()):
        # A second node: sharing the cache through cache_prefix, or with a
        # base folder of its own (its my_ip); maybe a skewed clock.
        shared = draw(st.booleans())
        # Another host, or another process of node1's (its lock and clock).
        lock = draw(st.sampled_from(["node2", "node2", "node1"]))
        nodes["node2"] = {"lock_path": lock, "clock_offset":
                          draw(st.sampled_from([0, -30, 30])) if lock == "node2" else 0}
        if shared:
            base_folder["cache_prefix"] = "shared-"
        else:
            nodes["node2"]["my_ip"] = "10.0.0.6"
    cache: dict[str, Any] = {}
    pool = [*IMAGE_IDS, *draw(st.lists(shaped_ids(), max_size=2, unique=True))]
    for ds in datastores:
        ids = draw(st.lists(st.sampled_from(pool), min_size=0, max_size=4, unique=True))
        images = {i: draw(image_state(i, age)) for i in ids}
        stray = draw(st.lists(st.sampled_from(["README.txt", "notes"]), max_size=1))
        if images or stray or draw(st.booleans()):
            cache[ds] = {"images": images, **({"files": stray} if stray else {})}
    config: dict[str, Any] = {"age": age, "datastores": datastores, "nodes": nodes}
    if base_folder:
        config["base_folder"] = base_folder
    return {"config": config, "start": _ts(START), "cache": cache,
            "instances": draw(instance_sets(list(nodes), pool))}


@st.composite
def instance_sets(draw: st.DrawFn, nodes: list[str], ids: list[str] | None = None
                  ) -> list[dict[str, Any]]:
    refs = st.one_of(st.sampled_from(ids or IMAGE_IDS), st.none())
    count = draw(st.integers(0, 3))
    return [{"uuid": f"u{i + 1}", "host": draw(st.sampled_from(nodes)),
             "image_ref": draw(refs),
             **({"kernel_id": draw(refs)} if draw(st.booleans()) else {})}
            for i in range(count)]


MAX_STEPS = 12


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A sequential scenario without expectations (the model states them):
    a header, then up to MAX_STEPS steps drawn from it."""
    header = draw(headers())
    steps = _Steps(header)
    # Half a scenario at least: a run's start costs more than its steps, and
    # pruning takes out the steps a failure does not need.
    for _ in range(draw(st.integers(MAX_STEPS // 2, MAX_STEPS))):
        # A few kinds, each drawing one of its steps by weight: steps that draw
        # nothing (clear the faults, end the sessions) would otherwise crowd
        # out the operations.
        kind = draw(st.sampled_from(["aging", "operation", "world", "nemesis"]))
        getattr(steps, kind)(draw)
    return {**header, "steps": steps.steps}


class _Steps:
    """The steps of one drawn scenario, each drawn from its layout and the
    steps before it."""

    def __init__(self, header: dict[str, Any]) -> None:
        config = header["config"]
        self.nodes, self.datastores, self.age = list(config["nodes"]), config["datastores"], \
            config["age"]
        self.cache = header["cache"]
        # Each node's base folder, by the harness's reading of Nova's rule;
        # the first node's is where faults are put.
        rule = BaseFolderRule(**config.get("base_folder", {}))
        self.bases = {name: rule.folder(node.get("my_ip"))
                      for name, node in config["nodes"].items()}
        self.base = self.bases[self.nodes[0]]
        self.uuids = [i["uuid"] for i in header["instances"]]
        self.faults: set[tuple[str, str, str | None]] = set()
        self.steps: list[dict[str, Any]] = []

    def aging(self, draw: st.DrawFn) -> None:
        spec: dict[str, Any] = {"node": draw(st.sampled_from(self.nodes))}
        stores = draw(st.permutations(self.datastores))
        spec["datastores"] = stores[:draw(st.integers(0, len(stores)))] \
            if draw(st.integers(0, 4)) == 0 else stores
        view = draw(st.sampled_from(["all", "all", "sees", "hosts"]))
        if view == "sees":
            spec["sees"] = draw(st.lists(st.sampled_from(self.uuids), unique=True)) \
                if self.uuids else []
        elif view == "hosts":
            spec["hosts"] = draw(st.lists(st.sampled_from(self.nodes), unique=True))
        self.steps.append({"age": spec})

    def operation(self, draw: st.DrawFn) -> None:
        kind = draw(st.sampled_from(["enlist", "enlist", "fetch", "cache_folder"]))
        datastore = draw(st.sampled_from(self.datastores))
        # Mostly an image the layout has there (an enlist of one that is not
        # cached does little), else any; now and then a malformed id.
        cached = sorted(self.cache.get(datastore, {}).get("images", {}))
        pick = draw(st.integers(0, 9))
        ids = BAD_IMAGE_IDS if kind != "fetch" and pick == 0 else \
            cached if cached and pick > 3 else IMAGE_IDS
        spec = {"node": draw(st.sampled_from(self.nodes)), "datastore": datastore,
                "image": draw(st.sampled_from(ids))}
        if kind == "cache_folder":  # the name every model gives a valid id
            spec["is"] = f"[{spec['datastore']}] {self.bases[spec['node']]}/{spec['image']}"
        self.steps.append({kind: spec})

    def world(self, draw: st.DrawFn) -> None:
        if draw(st.booleans()):
            instances = draw(instance_sets(self.nodes))
            self.uuids = [i["uuid"] for i in instances]
            self.steps.append({"instances": instances})
            return
        seconds = draw(st.sampled_from([1, max(self.age - 1, 1), self.age or 1, self.age + 1,
                                        2 * self.age + 1]))
        direction = draw(st.sampled_from(["advance", "advance", "advance", "back"]))
        self.steps.append({"clock": {direction: seconds}})

    def nemesis(self, draw: st.DrawFn) -> None:
        kind = draw(st.sampled_from(["fault", "fault", "fault", "clear", "sessions"]))
        if kind == "clear":
            self.faults.clear()
            self.steps.append({"faults": "clear"})
        elif kind == "sessions":
            self.steps.append({"sessions": "terminate"})
        else:
            self._fault(draw)

    def _fault(self, draw: st.DrawFn) -> None:
        """A fault the model knows, mostly at an image the layout has (a
        fault nothing meets finds nothing), a delete's at one with a mark to
        be deleted by; maybe with a pass that meets it at once."""
        ds = draw(st.sampled_from(self.datastores))
        op = draw(st.sampled_from(["delete", "mark", "list", "list-base"]))
        images = self.cache.get(ds, {}).get("images", {})
        cached = sorted(i for i, state in images.items()
                        if op != "delete" or state.get("marks")) or sorted(images)
        ids = list(IMAGE_IDS) if draw(st.integers(0, 4)) == 0 or not cached else cached
        image = None if op == "list-base" else draw(st.sampled_from(ids))
        fault_kinds = {"delete": DELETE_FAULTS, "mark": MARK_FAULTS}.get(op, LIST_FAULTS)
        fault = ModelFault(draw(st.sampled_from(fault_kinds)), op.removesuffix("-base"), ds,
                           self.base, image)
        # The model knows one fault per image and operation, and no delete and
        # mark faults together (refimpl's give-back would meet the mark fault).
        other = {"delete": "mark", "mark": "delete"}.get(fault.op)
        if (fault.op, ds, image) in self.faults or (other, ds, image) in self.faults:
            return
        self.faults.add((fault.op, ds, image))
        self.steps.append({"fault": fault.rule()})
        if draw(st.booleans()):
            self.steps.append({"age": {"node": self.nodes[0]}})  # a pass that meets it


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
    return _with_strategy({
        "seed": rng.randint(0, 1000), "duration": "2s",
        "config": {"age": 2, "base_folder": {"cache_prefix": "shared-"}, "nodes": nodes},
        "images": {"img1": {"marks_ago": marks}}, "faults": faults, "actors": actors}, rng)


# -- contention scenarios ------------------------------------------------------

# The images of a race: mostly plain; or two whose names differ in case
# only; or one letter each; or the longest and a non-Latin one.
IMAGE_PAIRS = (("img1", "img2"), ("img1", "img2"), ("Img1", "img1"), ("A", "a"),
               ("镜像-01", SHAPED_IDS[-1]))
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
FILE_FAULTS = kinds(["CannotDeleteFile", "FileLocked", "NoPermission"])
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
def contention(draw: st.DrawFn) -> dict[str, Any]:
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
    # Shared through cache_prefix (the subdirectory's name default or not),
    # or each host's my_ip's (cache_prefix unset or empty): the same for
    # every node here, as they all have the default my_ip.
    rule = draw(st.sampled_from([{"cache_prefix": "shared-"}, {"cache_prefix": "shared-"},
                                 {"cache_prefix": "shared-", "subdirectory_name": "cache"},
                                 {}, {"cache_prefix": ""}]))
    base = BaseFolderRule(**rule).folder()
    images = {}
    for image in draw(st.sampled_from(IMAGE_PAIRS))[:draw(st.sampled_from([1, 1, 2]))]:
        # Mostly a mark old enough to delete the image by; several marks are
        # common (two nodes marking in different seconds).
        ago = draw(st.lists(st.sampled_from([30, 20, 2 * age_s, age_s - 1 if age_s > 1 else 0]),
                            min_size=draw(st.sampled_from([0, 1, 1, 2, 2, 3])), max_size=3,
                            unique=True))
        marks, claims = [f"{s}s" for s in ago], []
        if ago and draw(st.integers(0, 9)) == 0:
            # A pass that died between its rename and its delete left its
            # claim of one of them: the mark renamed away, or (it was giving
            # the claim back) made again beside it. Rare: refimpl's spawns
            # of such an image wait for the claim and give up, so the race
            # about it is a race without a spawn.
            claims = [draw(st.sampled_from(marks))]
            if draw(st.booleans()):
                marks.remove(claims[0])
        images[image] = {key: value for key, value in (("marks_ago", marks),
                                                       ("claims_ago", claims)) if value}
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
    agers = [a["ager"] for a in actors if "ager" in a]
    for spawner in (a["spawner"] for a in actors if "spawner" in a):
        # Half the spawns start with a pass, not only near one: a pass
        # deletes an unused image at once, so a spawn that starts later
        # mostly finds it gone, and the claim protocol is never raced.
        if draw(st.booleans()):
            spawner["start"] = draw(st.sampled_from(agers))["start"]
    draw(st.randoms()).shuffle(actors)
    spawned = sorted({a["spawner"]["image"] for a in actors if "spawner" in a})
    faults = []
    for _ in range(draw(st.sampled_from([0, 1, 1, 2]))):
        # An image a spawn and a pass contend for.
        image = draw(st.sampled_from(spawned))
        faults += draw(disturbances(base, f"{base}/{image}"))
    config: dict[str, Any] = {"age": age_s, "nodes": nodes}
    if rule:
        config["base_folder"] = rule
    if draw(st.integers(0, 3)) == 0:  # a second datastore, its cache the same
        config["datastores"] = list(DATASTORES)
    latency = draw(st.sampled_from([0, 0, 5, 20]))
    if latency:
        config["latency"] = {"default_ms": latency}
    doc = {"seed": draw(st.integers(0, 1000)), "duration": f"{draw(st.integers(2, 4))}s",
           "config": config, "images": images, "faults": faults, "actors": actors}
    return _with_strategy(doc, draw(st.randoms(use_true_random=False)))


def _with_strategy(doc: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """``doc`` with a strategy drawn (none: uniform)."""
    strategy = schedule_strategy(rng)
    return {**doc, "strategy": strategy} if strategy != UNIFORM else doc


def schedule_strategy(rng: random.Random) -> Any:
    """A seeded schedule's ``strategy:``, each kind as often: the uniform
    draw; PCT of depth 1-3 over a span about a run's length in steps; one
    or two preemptions at preemption points drawn (the runs' own count of
    them, so that none names an actor that cannot go then)."""
    kind = rng.choice([UNIFORM, PCT, PREEMPTIONS])
    if kind == PCT:
        return {PCT: {"depth": rng.randint(1, 3), "span": rng.choice(SPANS)}}
    if kind == PREEMPTIONS:
        return {PREEMPTIONS: sorted(rng.sample(range(1, rng.choice(POINT_SPANS) + 1),
                                               rng.randint(1, 2)))}
    return UNIFORM
