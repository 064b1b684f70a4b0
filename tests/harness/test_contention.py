"""Contention runs: a seeded run replays exactly, a free one runs in real
time, and the schedule mode is read (and refused) with file and line."""

from __future__ import annotations

import json
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from harness.contention.history import Event
from harness.contention.loader import load_contention
from harness.contention.pool import POOL
from harness.contention.runner import run_contention
from harness.scenario import ScenarioError
from harness.vsphere.marks import mark_name, mark_time
from sim import Simulator, Strategy, Switch
from sim.strategy import PCT, PREEMPTIONS, SWITCHES

CONTENTION = Path(__file__).resolve().parents[2] / "scenarios" / "contention"


@pytest.fixture(scope="module")
def sim():
    with Simulator("process", datastores=2) as s:
        yield s


def fingerprint(outcome):
    """What a replay must repeat: the order, the operations, the violations,
    on the virtual clock (which starts at the whole second after the start)."""
    end = outcome.status.now_unix_ns
    return (outcome.status.digest, outcome.status.steps,
            [(e.actor, e.op, e.type, e.image, e.t - end) for e in outcome_events(outcome)],
            [(v.invariant, v.image, v.time - end) for v in outcome.violations])


def outcome_events(outcome):
    return [Event(**json.loads(line)) for line in outcome.history.read_text().splitlines()]


def test_a_seed_replays_its_race(sim, tmp_path):
    """Also in the actor processes of the run before (pool.py): a run in
    fresh processes and one in reused processes give the same run."""
    scenario = load_contention(CONTENTION / "two-hosts-double-mark.yaml")
    POOL.close()
    started = POOL.started
    runs = [run_contention(scenario, "original", sim.endpoint, seed=scenario.seed,
                           reports=tmp_path / str(i)) for i in range(2)]
    assert POOL.started == started + len(scenario.actors), "the second run started its own"
    assert runs[0].violations, "the scenario's seed no longer finds the race"
    assert {run.status.stalls for run in runs} == {0}
    assert fingerprint(runs[0]) == fingerprint(runs[1])
    assert "seeded schedule" in runs[0].summary() and runs[0].summary().endswith(", exact")


def test_a_free_run_has_no_schedule(sim, tmp_path):
    scenario = load_contention(CONTENTION / "enlist-during-a-slow-delete-check.yaml")
    outcome = run_contention(scenario, "refimpl", sim.endpoint, seed=1, reports=tmp_path,
                             schedule="free")
    assert outcome.status is None and outcome.schedule == "free"
    assert not outcome.violations
    assert outcome.replay().endswith("--seed 1 --schedule free")


def test_an_unknown_schedule_mode_is_refused(sim, tmp_path):
    scenario = load_contention(CONTENTION / "busy-host.yaml")
    with pytest.raises(ValueError, match="'sometimes'"):
        run_contention(scenario, "refimpl", sim.endpoint, seed=1, reports=tmp_path,
                       schedule="sometimes")


SCENARIO = """\
name: x
purpose: schedule modes
duration: 1s
images: {{img1: {{}}}}
actors:
  - spawner: {{node: node1, image: img1}}
{extra}"""


@pytest.mark.parametrize("extra, expected", [("", "seeded"), ("schedule: free\n", "free")])
def test_schedule_mode_is_read(tmp_path, extra, expected):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.format(extra=extra))
    assert load_contention(path).schedule == expected


def test_a_bad_schedule_mode_names_file_and_line(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.format(extra="schedule: sometimes\n"))
    with pytest.raises(ScenarioError) as info:
        load_contention(path)
    assert f"{path}:7" in str(info.value) and "sometimes" in str(info.value), \
        textwrap.shorten(str(info.value), 300)


TWO_ACTORS = SCENARIO.replace("  - spawner: {{node: node1, image: img1}}\n",
                              "  - spawner: {{node: node1, image: img1}}\n"
                              "  - ager: {{node: node1}}\n")


@pytest.mark.parametrize("extra, expected", [
    ("", Strategy()),
    ("strategy: uniform\n", Strategy()),
    ("strategy: {pct: {depth: 3}}\n", Strategy(PCT, depth=3)),
    ("strategy: {pct: {depth: 2, span: 40}}\n", Strategy(PCT, depth=2, span=40)),
    ("strategy: {switches: [{step: 9, to: spawner-1@node1}, {step: 2, to: ager-1@node1}]}\n",
     Strategy(SWITCHES, switches=(Switch(2, "ager-1@node1"), Switch(9, "spawner-1@node1")))),
    ("strategy: {preemptions: [7, 3]}\n", Strategy(PREEMPTIONS, points=(3, 7))),
])
def test_a_strategy_is_read(tmp_path, extra, expected):
    path = tmp_path / "s.yaml"
    path.write_text(TWO_ACTORS.format(extra=extra))
    assert load_contention(path).strategy == expected


@pytest.mark.parametrize("extra, line, fragment", [
    ("strategy: sometimes\n", 8, "strategy"),
    ("strategy: {pct: {depth: 11}}\n", 8, "depth"),
    ("strategy: {pct: {depth: 0}}\n", 8, "depth"),
    ("strategy: {pct: {}}\n", 8, "depth"),
    ("strategy: {pct: {depth: 2}, switches: []}\n", 8, "strategy"),
    ("strategy:\n  switches:\n    - {step: 0, to: ager-1@node1}\n", 10, "step"),
    ("strategy:\n  switches:\n    - {step: 3, to: ager-2@node1}\n", 10,
     "'ager-2@node1' is none of the actors (spawner-1@node1, ager-1@node1)"),
    ("strategy:\n  switches:\n    - {step: 3, to: ager-1@node1}\n"
     "    - {step: 3, to: spawner-1@node1}\n", 11, "step 3 is named twice"),
    ("strategy:\n  preemptions: [0]\n", 9, "preemptions"),
    ("strategy:\n  preemptions: []\n", 9, "preemptions"),
    ("strategy:\n  preemptions:\n    - 4\n    - 4\n", 11, "point 4 is named twice"),
])
def test_a_bad_strategy_names_file_line_and_key(tmp_path, extra, line, fragment):
    path = tmp_path / "s.yaml"
    path.write_text(TWO_ACTORS.format(extra=extra))
    with pytest.raises(ScenarioError) as info:
        load_contention(path)
    assert f"{path}:{line}" in str(info.value) and fragment in str(info.value), \
        textwrap.shorten(str(info.value), 300)


def test_a_switches_schedule_is_followed_and_reported(sim, tmp_path):
    """The run takes the named actor at the named step, and the summary says
    the strategy; a switch to an actor not enabled then is counted missed."""
    path = tmp_path / "s.yaml"
    path.write_text(TWO_ACTORS.format(extra="strategy: {switches: []}\n"))
    plain = run_contention(load_contention(path), "refimpl", sim.endpoint, seed=1,
                           reports=tmp_path / "plain")
    choices = plain.status.choices
    at = next(i for i, c in enumerate(choices) if len(c.enabled) > 1 and i > 0)
    other = next(a for a in choices[at].enabled if a != choices[at].actor)
    idents = load_contention(path).idents
    path.write_text(TWO_ACTORS.format(
        extra=f"strategy: {{switches: [{{step: {at + 1}, to: {idents[other]}}}]}}\n"))
    switched = run_contention(load_contention(path), "refimpl", sim.endpoint, seed=1,
                              reports=tmp_path / "switched")
    assert switched.status.exact and switched.status.choices[at].actor == other
    assert [c.actor for c in switched.status.choices[:at]] == \
        [c.actor for c in choices[:at]]
    assert f"strategy switches ({idents[other]} at step {at + 1})" in switched.summary()
    lone = next(i for i, c in enumerate(switched.status.choices) if len(c.enabled) == 1)
    missing = 1 - switched.status.choices[lone].enabled[0]
    path.write_text(TWO_ACTORS.format(
        extra=f"strategy: {{switches: [{{step: {at + 1}, to: {idents[other]}}}, "
              f"{{step: {lone + 1}, to: {idents[missing]}}}]}}\n"))
    missed = run_contention(load_contention(path), "refimpl", sim.endpoint, seed=1,
                            reports=tmp_path / "missed")
    # The run went on as if the switch were not named: the order of the
    # run without it, in every replay.
    assert missed.status.missed == 1 and missed.status.exact
    assert missed.status.digest == switched.status.digest
    assert "exact; 1 switch(es) missed (named an actor not enabled then)" in missed.summary()


def test_a_preemptions_schedule_preempts_at_the_named_point_of_the_run(sim, tmp_path):
    """A spawn's enlist and a pass on one image: at the n-th step at which
    the actor that ran last is about to call on the image's folder and the
    other may call on it too, the other goes; the steps before are the
    run's without it, and a point the run does not reach changes nothing."""
    def run(extra: str, name: str):
        path = tmp_path / f"{name}.yaml"
        path.write_text(TWO_ACTORS.format(extra=extra))
        return run_contention(load_contention(path), "refimpl", sim.endpoint, seed=1,
                              reports=tmp_path / name)

    plain = run("strategy: {switches: []}\n", "plain").status
    points = [i for i, c in enumerate(plain.choices) if c.point]
    assert [plain.choices[i].point for i in points] == list(range(1, len(points) + 1))
    assert len(points) >= 2, plain.choices
    at = points[1]
    second = run("strategy: {preemptions: [2]}\n", "second")
    status = second.status
    assert status.exact and not status.missed
    assert [c.actor for c in status.choices[:at]] == [c.actor for c in plain.choices[:at]]
    assert status.choices[at].point == 2
    assert status.choices[at].actor != plain.choices[at - 1].actor
    assert status.choices[at].actor in plain.choices[at].enabled
    assert status.digest != plain.digest
    assert "strategy preemptions (at points 2)" in second.summary()
    far = run(f"strategy: {{preemptions: [{len(points) + 1}]}}\n", "far").status
    assert far.digest == plain.digest and not far.missed


ONE_NODE_FAILS = """
import itertools, json, sys
from refimpl.serve import serve
first = sys.stdin.readline()
if json.loads(first)["node"]["name"] == "b":
    sys.exit(3)  # this node's implementation never starts
sys.exit(serve(itertools.chain([first], sys.stdin)))
"""


def test_an_actor_that_dies_before_joining_ends_the_seeded_run(sim, tmp_path):
    script = tmp_path / "impl.py"
    script.write_text(ONE_NODE_FAILS)
    path = tmp_path / "s.yaml"
    path.write_text("name: x\npurpose: one node's implementation does not start\n"
                    "duration: 1s\nconfig: {nodes: {a: {}, b: {}}}\nimages: {img1: {}}\n"
                    "actors:\n  - ager: {node: a}\n  - ager: {node: b}\n")
    with pytest.raises(RuntimeError, match="ager-2@b exited with 1") as info:
        run_contention(load_contention(path), f"cmd:{sys.executable} {script}", sim.endpoint,
                       seed=1, reports=tmp_path)
    # ager-1 was not left waiting for it (until the deadline, then killed):
    # the schedule was stopped, which ended its join.
    assert "ager-1@a exited with 1" in str(info.value)
    assert "NotScheduled" in str(info.value)
    # Neither process is kept for another run: they did not end well.
    assert not [p for p in POOL.idle if p.impl.endswith(str(script))]


def test_a_refused_login_is_an_event_and_the_run_goes_on(sim, tmp_path):
    """vSphere refusing an actor's login is behaviour (the contracts allow
    it), not a crash: the actor records it and leaves, the others run."""
    path = tmp_path / "s.yaml"
    path.write_text("name: x\npurpose: one login is refused\nduration: 1s\n"
                    "config: {nodes: {a: {}, b: {}}}\nimages: {img1: {}}\n"
                    "faults:\n  - {method: Login, fault: NoPermission, count: 1}\n"
                    "actors:\n  - ager: {node: a}\n  - ager: {node: b}\n")
    outcome = run_contention(load_contention(path), "refimpl", sim.endpoint, seed=1,
                             reports=tmp_path)
    events = outcome_events(outcome)
    refused = [e for e in events if e.op == "open"]
    assert [e.type for e in refused] == ["invoke", "fail"]
    assert refused[1].detail.startswith("vsphere_fault: ")
    other = {e.actor for e in events if e.op == "age" and e.type == "ok"}
    assert other and refused[0].actor not in other


TWO_DATASTORES = """\
name: x
purpose: a spawn on one datastore while a pass deletes the image's copy on the other
seed: 0
duration: 2s
config:
  age: 2
  nodes: {n1: {lock_path: host1}}
  base_folder: {cache_prefix: shared-}
  datastores: [LocalDS_0, LocalDS_1]
  latency: {default_ms: 5}
images: {img1: {marks_ago: [30s]}}
actors: [{spawner: {node: n1, image: img1}}, {ager: {node: n1}}]
"""


def test_a_copy_on_another_datastore_is_not_in_use(sim, tmp_path):
    """The spawn enlists img1 on LocalDS_0; the pass, which listed before
    the spawn began, deletes the copy on LocalDS_1 by its old mark: that copy
    was never in use (found as a false I1 against refimpl)."""
    path = tmp_path / "s.yaml"
    path.write_text(TWO_DATASTORES)
    outcome = run_contention(load_contention(path), "refimpl", sim.endpoint, seed=0,
                             reports=tmp_path, zone="UTC-08:00")
    deleted = [c for c in outcome.calls if c.method == "DeleteDatastoreFile_Task" and
               c.path.startswith("[LocalDS_1]") and c.path.endswith("/img1")]
    assert deleted, "the schedule no longer deletes the other copy meanwhile"
    assert outcome.violations == []


CLAIM_LEFT = """\
name: x
purpose: a pass on another host died after renaming the newest of two marks to its claim
seed: 1
duration: 2s
config:
  age: 2
  nodes: {n1: {lock_path: host1}, n2: {lock_path: host2}}
  base_folder: {cache_prefix: shared-}
images: {img1: {marks_ago: [30s], claims_ago: [20s]}}
actors: [{ager: {node: n1, interval: 300ms}}, {spawner: {node: n2, image: img1, start: 200ms}}]
"""


def test_a_claim_left_in_the_layout_is_laid_out_and_judged(sim, tmp_path):
    """The claim is in the image folder as refimpl names one. refimpl's
    passes take it for another pass's claim of a newer mark and keep the
    image; its enlist waits for it and gives up naming it (after 60 s of
    virtual time). The original does not know claims: it deletes the image
    by its old mark and the spawn fetches it again. Neither is a violation."""
    path = tmp_path / "s.yaml"
    path.write_text(CLAIM_LEFT)
    scenario = load_contention(path)
    assert {i: [a.total_seconds() for a in agos] for i, agos in scenario.claims.items()} == \
        {"img1": [20.0]}
    ours = run_contention(scenario, "refimpl", sim.endpoint, seed=1, reports=tmp_path / "r")
    assert ours.violations == []
    renames = [c for c in ours.calls if c.method == "MoveDatastoreFile_Task"]
    assert renames and not [c for c in ours.calls if c.method == "DeleteDatastoreFile_Task"
                            and c.path.endswith("/img1")], "refimpl deleted the image"
    # The pass claimed the 30 s old mark; the claim left names one 10 s newer.
    renamed = mark_time(renames[0].path.rsplit("/", 1)[1])
    left = f"deleting-{mark_name(renamed + timedelta(seconds=10))}-00000000"
    [failed] = [e for e in outcome_events(ours) if e.op == "enlist" and e.type == "fail"]
    assert left in failed.detail, failed.detail
    theirs = run_contention(scenario, "original", sim.endpoint, seed=1, reports=tmp_path / "o")
    assert theirs.violations == []
    assert [c for c in theirs.calls if c.method == "DeleteDatastoreFile_Task"
            and c.path.endswith("/img1")], "the original kept the image"


SLOW_CALLS = """\
name: x
purpose: every call takes 200 ms of virtual time
seed: 3
duration: 1s
config:
  age: 2
  nodes: {n1: {lock_path: host1}, n2: {lock_path: host2}}
  latency: {default_ms: 200}
images: {img1: {marks_ago: [30s]}}
actors: [{spawner: {node: n1, image: img1}}, {ager: {node: n2}}]
"""


RACE = """\
name: x
purpose: a spawn and a pass on two hosts, every call about as slow
duration: 1s
config:
  age: 2
  nodes: {{n1: {{lock_path: host1}}, n2: {{lock_path: host2}}}}
  latency: {{default_ms: 20{jitter}}}
images: {{img1: {{marks_ago: [30s]}}}}
actors: [{{spawner: {{node: n1, image: img1}}}}, {{ager: {{node: n2}}}}]
"""


def test_a_uniform_schedule_is_drawn_by_latency_jitter(sim, tmp_path):
    """The earliest waiter goes on: with every call as slow, the seed only
    breaks ties (who goes first); with jitter it draws the order."""
    path = tmp_path / "race.yaml"

    def orders(jitter: str) -> set[str]:
        path.write_text(RACE.format(jitter=jitter))
        return {run_contention(load_contention(path), "refimpl", sim.endpoint, seed=seed,
                               reports=tmp_path / f"{len(jitter)}-{seed}").status.digest
                for seed in range(1, 7)}

    assert len(orders("")) <= 2
    assert len(orders(", jitter: 0.5")) == 6


# refimpl's peer, taking its turns as the actor that started it.
SCHEDULED_PEER = """\
import sys
from refimpl.serve import serve
from sim.virtual_time import install_from_env
sys.exit(serve(turns=install_from_env()))
"""


@pytest.mark.parametrize("peer", [False, True], ids=["in process", "peer"])
def test_an_operation_ends_on_the_clock_after_its_calls(sim, tmp_path, peer):
    """The actor holds the clock it read at a scheduling point only while
    no call but its own can move it: with the implementation in the actor's
    process, or in a child calling as the actor (a peer), each operation
    ends at least a call's latency after it began."""
    path = tmp_path / "s.yaml"
    path.write_text(SLOW_CALLS)
    impl = "refimpl"
    if peer:
        (tmp_path / "peer.py").write_text(SCHEDULED_PEER)
        impl = f"cmd:{sys.executable} {tmp_path / 'peer.py'}"
    outcome = run_contention(load_contention(path), impl, sim.endpoint, seed=3,
                             reports=tmp_path)
    assert outcome.status.exact, outcome.summary()
    began: dict[tuple[str, str], int] = {}
    spans = []
    for event in outcome_events(outcome):
        key = (event.actor, event.op)
        if event.type == "invoke":
            began[key] = event.t
        elif event.type in ("ok", "fail") and event.op in ("enlist", "age"):
            spans.append((event.actor, event.op, event.t - began.pop(key)))
    assert {op for _, op, _ in spans} == {"enlist", "age"}, spans
    assert all(span >= 200 * 10**6 for *_, span in spans), spans
