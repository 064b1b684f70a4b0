"""Generated contention scenarios: configurations drawn whole
(``generate.contention``), each run under the simulator's seeded schedule
and judged by the properties (I1-I4, a crash); a violation shrinks (fewer
actors, images, marks, rules; shorter times), its layout is pruned, and it
comes back as a contention scenario file that replays exactly.

(``imagecache-harness race`` is the other thing: one given contention
scenario, seed after seed.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from sim.cleanup import temporary_directory
from sim.strategy import UNIFORM

from ...adapters import file_label, label_of
from ...contention.loader import load_contention
from ...format.errors import ScenarioError
from ...format.replay import Replay
from ...format.source import dump
from .. import generate, observe, prune, sites
from ..cases import Generated, Written, written_name
from ..properties import Violation, judge
from ..settings import Settings
from ..shapes import shapes

PRUNABLE: tuple[prune.Path, ...] = (("strategy",), ("actors",), ("faults",), ("images",),
                                    ("config", "latency"), ("config", "nodes"))


class Contention:
    kind = "contention"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.orders: set[str] = set()  # schedule digests seen
        self.marks_seen: dict[int, int] = {}  # marks per image -> images
        self.call_orders: set[tuple[str, str]] = set()  # sites.orders of every run
        self.strategies: dict[str, int] = {}  # runs by schedule strategy
        self.last_scores: dict[str, float] = {}
        self.shapes: Counter[str] = Counter()  # cases by input shape

    def cases(self, seed: int) -> Generated:
        return Generated(generate.contention())

    def run(self, doc: dict[str, Any], zone: str | None) -> list[Violation]:
        s = self.settings
        self.shapes.update(shapes(doc))
        with temporary_directory("contention") as tmp:
            path = tmp / "contention.yaml"
            path.write_text(dump(_named(doc)))
            run = observe.contention(load_contention(path), s.impl, s.endpoint,
                                     seed=doc["seed"], reports=tmp, zone=zone, login=s.login)
        if run.outcome is not None and run.outcome.status is not None:
            self.orders.add(run.outcome.status.digest)
            strategy = run.outcome.scenario.strategy.name
            self.strategies[strategy] = self.strategies.get(strategy, 0) + 1
        orders: frozenset[tuple[str, str]] = frozenset()
        if run.outcome is not None:
            config = run.outcome.scenario.config
            bases = [(ds, config.base_folder_of(node)) for ds in config.datastores
                     for node in config.nodes]
            orders = sites.orders(run.calls, run.outcome.folder, bases)
        # Steering (engine: Hypothesis's target): towards configurations whose
        # runs meet calls in orders not seen before, and in many orders.
        self.last_scores = {"new call orders": float(len(orders - self.call_orders)),
                            "call orders in a run": float(len(orders))}
        self.call_orders |= orders
        for image in doc.get("images", {}).values():
            count = len(image.get("marks_ago", []))
            self.marks_seen[count] = self.marks_seen.get(count, 0) + 1
        return judge(run, s.model)

    def size(self, doc: dict[str, Any]) -> tuple[int, ...]:
        # images: and faults: are optional (pruning takes each out with its last entry).
        images = doc.get("images", {})
        marks = sum(len(i.get("marks_ago", [])) + len(i.get("claims_ago", []))
                    for i in images.values())
        return (len(doc["actors"]), len(images), marks, len(doc.get("faults", [])),
                len(dump(doc)))

    def smaller(self, doc: dict[str, Any], violations: list[Violation]) -> Iterator[dict]:
        with temporary_directory("pruned") as tmp:
            for candidate in prune.without(doc, PRUNABLE):
                path = tmp / "candidate.yaml"
                path.write_text(dump(_named(candidate)))
                try:
                    load_contention(path)
                except ScenarioError:
                    continue
                yield candidate

    def write(self, doc: dict[str, Any], violations: list[Violation], zone: str | None,
              seed: int, first: Any) -> Written:
        s = self.settings
        name = written_name("contention", file_label(s.impl), dump(doc))
        path = s.reports / f"{name}.yaml"
        replay = Replay(path, s.impl, zone, doc["seed"], model=s.model.name)
        where = f", {zone}" if zone else ""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump({
            **_named(doc), "name": name,
            "purpose": f"Found by the explorer (model: {s.model.name}, seed {seed}{where}, "
                       f"schedule {_strategy(doc)}) against {label_of(s.impl)}: "
                       f"{violations[0].property}: "
                       f"{violations[0].message}",
            "replay": replay.stored()}))
        return Written(replay, f"{len(doc['actors'])} actors, {len(doc.get('faults', []))} rules, "
                               f"{len(path.read_text().splitlines())} lines (first failing: "
                               f"{len(first['actors'])} actors, {len(first.get('faults', []))} "
                               "rules, "
                               f"{len(dump(first).splitlines())} lines)")

    def scores(self) -> dict[str, float]:
        return self.last_scores

    def covered(self) -> dict[str, Any]:
        return {"model": self.settings.model.name, "orders": len(self.orders),
                "call orders": len(self.call_orders),
                "call kinds met": len({kind for order in self.call_orders for kind in order}),
                "runs by strategy": dict(sorted(self.strategies.items())),
                "images by marks": dict(sorted(self.marks_seen.items())),
                "input shapes": dict(sorted(self.shapes.items()))}


def _strategy(doc: dict[str, Any]) -> str:
    strategy = doc.get("strategy", UNIFORM)
    return strategy if isinstance(strategy, str) else next(iter(strategy))


def _named(doc: dict[str, Any]) -> dict[str, Any]:
    return {"name": "contention", "purpose": "Generated by the explorer.",
            "tags": ["explored"], **doc}
