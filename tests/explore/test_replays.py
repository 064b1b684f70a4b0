"""Exact replays: one finding of each kind (a generated scenario, a generated
contention scenario with a fault rule that fires by probability, a sweep's
call and fault) replayed 20 times gives 20 identical verdicts, and a
contention finding the same order of calls every time."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.explore.replay import replay
from harness.format.replay import Replay

ROOT = Path(__file__).resolve().parents[2]
TIMES = 20

SEQUENTIAL = """\
name: explored-non-strict-age
purpose: A mark exactly as old as the age deletes the image (found by the explorer).
tier: must
config: {age: 0, datastores: [LocalDS_0]}
cache:
  LocalDS_0:
    images:
      img1: {files: [img1.vmdk]}
steps:
- age: {}
- age: {}
- expect:
    LocalDS_0:
      images:
        img1: {marks: ['2026-03-01T12:00:00Z'], files: [img1.vmdk]}
"""

CONTENTION = """\
name: contention-enlist-lock-name-differs
purpose: An enlist that takes another lock than the pass's (found by the explorer).
seed: 0
duration: 2s
config:
  age: 2
  nodes:
    n1: {lock_path: host3, clock_offset: -0.2}
    n2: {lock_path: host1}
    n3: {lock_path: host3}
images: {img1: {}, img2: {marks_ago: [20s, 1s, 30s]}}
faults:
- {fault: delay, path: '[LocalDS_0] 10.0.0.5_base/img1/ts-*', method: MakeDirectory,
   delay_ms: 700, probability: 0.3}
actors:
- ager: {node: n1, start: 0ms, interval: 500ms}
- spawner: {node: n3, image: img1, start: 300ms, hold: 2000ms, count: 1, pause: 0ms}
- ager: {node: n1, interval: 1000ms}
"""

CASES = {
    "sequential": (SEQUENTIAL, dict(impl="mutant:non-strict-age", zone="UTC+05:30")),
    "contention": (CONTENTION, dict(impl="mutant:enlist-lock-name-differs", zone="UTC+05:30",
                                    model="reference")),
    "sweep": (None, dict(impl="mutant:no-relogin-in-task-wait", zone="UTC",
                         site="RetrievePropertiesEx (no path) #2", fault="FileLocked",
                         model="reference")),
}


def _verdict(verdict) -> tuple:
    """A verdict with the run's wall-clock names of marks left out."""
    return (verdict.failed, verdict.order,
            tuple(re.sub(r"ts-[\d-]{19}", "ts-*", v) for v in verdict.violations))


@pytest.mark.parametrize("kind", CASES)
def test_a_finding_replays_the_same_every_time(vcsim, tmp_path, kind):
    text, options = CASES[kind]
    if text is None:
        path = ROOT / "scenarios" / "faults" / "session-expires-mid-pass.yaml"
    else:
        path = tmp_path / f"{kind}.yaml"
        path.write_text(text)
    spec = Replay(path, **options)
    verdicts = {_verdict(replay(spec, vcsim.endpoint, tmp_path / str(i))) for i in range(TIMES)}
    assert len(verdicts) == 1, verdicts
    [(failed, order, violations)] = verdicts
    assert failed and violations
    assert bool(order) == (kind == "contention")
    # The implementation the mutant mutates passes the same replay.
    fixed = replay(Replay(path, **{**options, "impl": "refimpl"}), vcsim.endpoint, tmp_path)
    assert not fixed.failed, fixed.report
