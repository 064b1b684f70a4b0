"""Generated sequential scenarios, checked against the model: a scenario is
drawn whole (``generate.scenarios``), run step by step on the simulator,
and after each step the properties judge what it did beside the outcomes
the model allows (``conformance`` among them). A failure comes back as a
scenario file in the corpus's format: its steps up to the failing one, the
errors they raised, and what the model expects of the failing step.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ...adapters import file_label, label_of
from ...adapters import get as get_implementation
from ...format.errors import ScenarioError
from ...format.replay import Replay
from ...format.source import dump
from ...format.times import format_timestamp
from ...scenario import load_scenario
from ...scenario.model import Scenario
from ...scenario.runner import open_run
from ...vsphere.marks import mark_time
from ...vsphere.tree import CacheTree
from .. import generate, observe, prune
from ..cases import Generated, Written, written_name
from ..observation import Predicted, Seen
from ..prediction import Prediction, Unpredictable, disagreements
from ..properties import Violation, agrees, judge
from ..scheme import ORIGINAL, REFERENCE, Base, Outcome
from ..settings import Settings
from ..shapes import shapes
from ..sites import base_folders

# What pruning may take out: the layout, the instances, the second node and
# other settings, the steps.
PRUNABLE: tuple[prune.Path, ...] = (("steps",), ("cache",), ("instances",),
                                    ("config", "nodes"), ("config", "base_folder"),
                                    ("config", "datastores"))


@dataclass
class _Record:
    """What a run of a case did, for the file a failing one becomes: each
    step's error, the outcome the model followed (at the failing step: the
    one it expected), and the trees there."""

    errors: list[str | None] = field(default_factory=list)
    expected: Outcome | None = None
    trees: dict[tuple[str, str], Any] = field(default_factory=dict)
    failed_at: int = 0


class Scenarios:
    kind = "sequential"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.steps_run = 0
        self.shapes: Counter[str] = Counter()  # cases by input shape
        self._records: dict[str, _Record] = {}  # by the case's text

    def cases(self, seed: int) -> Generated:
        return Generated(generate.scenarios())

    def _load(self, doc: dict[str, Any]) -> Scenario:
        return load_scenario(self.settings.reports / "explored.yaml", data=_named(doc))

    def run(self, doc: dict[str, Any], zone: str | None) -> list[Violation]:
        s = self.settings
        scenario = self._load(doc)
        self.shapes.update(shapes(doc))
        record = _Record()
        with open_run(scenario, get_implementation(s.impl), s.endpoint, control=True,
                      zone=zone, login=s.login) as run:
            prediction = Prediction.of(scenario, s.model, frozenset(run.folder.client.datastores))
            stepper = observe.Stepper(run, base_folders(scenario))
            for index, step in enumerate(scenario.steps):
                outcomes = prediction.apply(step)
                seen = stepper.take(step, index)
                self.steps_run += 1
                violations = judge(Predicted(seen, outcomes, seen.after), s.model)
                chosen = _fitting(outcomes, seen)
                record.errors.append(seen.error)
                if violations:
                    record.expected, record.trees, record.failed_at = \
                        _expected(outcomes, seen), dict(seen.after), index
                    self._records[dump(doc)] = record
                    return violations
                prediction.follow(chosen)
        return []

    def size(self, doc: dict[str, Any]) -> tuple[int, ...]:
        return (len(doc["steps"]), len(dump(doc)))

    def smaller(self, doc: dict[str, Any], violations: list[Violation]) -> Iterator[dict]:
        failed_at = violations[0].step
        if failed_at is not None and failed_at + 1 < len(doc["steps"]):
            doc = {**doc, "steps": doc["steps"][:failed_at + 1]}
            yield doc
        for candidate in prune.without(doc, PRUNABLE):
            if candidate.get("steps") and self._loads(candidate):
                yield candidate

    def _loads(self, doc: dict[str, Any]) -> bool:
        """Whether a pruned document is still a scenario the model can run."""
        try:
            scenario = self._load(doc)
            prediction = Prediction.of(scenario, self.settings.model)
            for step in scenario.steps:
                prediction.apply(step)
        except (ScenarioError, Unpredictable):
            return False
        return True

    def write(self, doc: dict[str, Any], violations: list[Violation], zone: str | None,
              seed: int, first: Any) -> Written:
        s = self.settings
        record = self._records[dump(doc)]
        steps = [_with_error(raw, error) for raw, error in
                 zip(doc["steps"][:record.failed_at], record.errors, strict=False)]
        steps += _failing(doc["steps"][record.failed_at], record)
        text = dump({**doc, "steps": steps})
        name = written_name("explored", file_label(s.impl), text)
        path = s.reports / f"{name}.yaml"
        replay = Replay(path, s.impl, zone)
        where = f", {zone}" if zone else ""
        if not doc.get("instances"):
            doc = {k: v for k, v in doc.items() if k != "instances"}
        written = {"name": name,
                   "purpose": f"Found by the explorer (model: {s.model.name}, seed {seed}{where}) "
                              f"against {label_of(s.impl)}: {violations[0].property}: "
                              f"{violations[0].message}",
                   "tier": "reference", "tags": ["explored"], **doc, "steps": steps,
                   "replay": replay.stored()}
        written["tier"] = _tier(written, s)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump(written))
        return Written(replay, f"{_operations(steps)} steps, {_lines(path)} lines (first "
                               f"failing: {len(first['steps'])} steps, "
                               f"{len(dump(first).splitlines())} lines)")

    def scores(self) -> dict[str, float]:
        return {}  # the model's verdicts after every step judge; nothing to steer by

    def covered(self) -> dict[str, Any]:
        return {"model": self.settings.model.name, "steps": self.steps_run,
                "input shapes": dict(sorted(self.shapes.items()))}


def _named(doc: dict[str, Any]) -> dict[str, Any]:
    return {"name": "explored", "purpose": "Generated by the explorer.", "tier": "reference",
            "tags": ["explored"], **doc}


def _fitting(outcomes: list[Outcome], seen: Seen) -> Outcome:
    """The outcome the step had: its error, its value and its trees."""
    return next((o for o in outcomes if o.error == seen.error and
                 (o.value is None or o.value == seen.value) and agrees(o.world, seen.after)),
                outcomes[0])


def _expected(outcomes: list[Outcome], seen: Seen) -> Outcome:
    """What the model expected of a failing step: an outcome with the error
    it raised, if the model allows that error, else the first."""
    return next((o for o in outcomes if o.error == seen.error), outcomes[0])


def _with_error(raw: dict[str, Any], error: str | None) -> dict[str, Any]:
    """A step as the file states it: with the error it raised, if any."""
    kind, spec = next(iter(raw.items()))
    if error is None or not isinstance(spec, dict):
        return raw
    return {kind: {**_without_is(spec), "expect_error": {"kind": error}}}


def _without_is(spec: dict[str, Any]) -> dict[str, Any]:
    """A step's spec without the cache folder's name (a step that raises has none)."""
    return {k: v for k, v in spec.items() if k != "is"}


def _failing(raw: dict[str, Any], record: _Record) -> list[dict[str, Any]]:
    """The failing step as the model expects it, and the trees it expects
    where the step left others."""
    expected = record.expected
    assert expected is not None
    kind, spec = next(iter(raw.items()))
    if isinstance(spec, dict) and expected.error:
        spec = {**_without_is(spec), "expect_error": {"kind": expected.error}}
    elif isinstance(spec, dict) and expected.value:
        spec = {**spec, "is": expected.value}
    steps: list[dict[str, Any]] = [{kind: spec}]
    for (ds, folder), tree in sorted(record.trees.items()):
        base = expected.world.get((ds, folder))
        if tree != (base.tree() if base is not None else None):
            steps.append({"expect": {ds: expectation(base, folder, tree)}})
    return steps


def expectation(base: Base | None, folder: str, actual: CacheTree | None
                ) -> dict[str, Any] | str:
    """The ``expect`` entry that states ``base`` where ``actual`` differs: an
    empty list is left out where ``actual`` has none either (a list left out
    is not checked)."""
    if base is None:
        return "absent"
    images = {}
    for image_id, image in sorted(base.images.items()):
        marks = sorted(n for n in image.folders if mark_time(n) is not None)
        there = actual.images.get(image_id) if actual is not None else None
        images[image_id] = _some({"marks": [format_timestamp(mark_time(n)) for n in marks],
                                  "folders": sorted(image.folders - set(marks)),
                                  "files": sorted(image.files)}, there)
    return _some({"folder": folder, "images": images, "files": sorted(base.files)}, actual)


def _some(entry: dict[str, Any], actual: Any) -> dict[str, Any]:
    return {k: v for k, v in entry.items()
            if v != [] or (actual is not None and getattr(actual, k, []))}


def _operations(steps: list[dict[str, Any]]) -> int:
    """Steps that do something (not the expect steps stating the trees)."""
    return sum("expect" not in s for s in steps)


def _lines(path: Any) -> int:
    return len(path.read_text().splitlines())


def _tier(doc: dict[str, Any], settings: Settings) -> str:
    """must when the original and the reference agree with it, else reference."""
    scenario = load_scenario(settings.reports / "tier.yaml", dump(doc))
    try:
        return "must" if not disagreements(scenario, ORIGINAL) and \
            not disagreements(scenario, REFERENCE) else "reference"
    except Unpredictable:
        return "reference"
