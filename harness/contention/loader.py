"""Loading a contention scenario: the shared file format (``format/``), its
own schema (which refers to the sequential one) and its actors."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from sim import Strategy, Switch
from sim.strategy import PCT, PREEMPTIONS, SWITCHES

from ..format.reader import Reader
from ..format.schema import contention_validator
from ..format.times import milliseconds, parse_duration
from .model import Ager, ContentionScenario, Spawner


def load_contention(path: Path) -> ContentionScenario:
    reader = Reader.open(path, contention_validator())
    d = reader.data
    config = reader.config()
    actors = []
    for i, raw in enumerate(d["actors"]):
        (kind, spec), = raw.items()
        at = ("actors", i, kind)
        node = reader.node(config, (*at, "node"), spec["node"])
        ms = {k: milliseconds(spec[k]) for k in ("start", "hold", "pause", "interval", "jitter")
              if k in spec}
        if kind == "spawner":
            ds = reader.datastore(config, (*at, "datastore"),
                                  spec.get("datastore", config.datastores[0]))
            if spec["image"] not in d.get("images", {}):
                raise reader.fail((*at, "image"), f"spawner image {spec['image']!r} is not in "
                                                  "images")
            actors.append(Spawner(node, spec["image"], ds, ms.get("start", 0),
                                  ms.get("hold", 1000), ms.get("pause", 0),
                                  spec.get("count", 1), ms.get("jitter", 0)))
        else:
            sees = spec.get("sees", "all")
            stale = milliseconds(sees["stale"]) if isinstance(sees, dict) else 0
            stores = tuple(reader.datastore(config, (*at, "datastores", j), s)
                           for j, s in enumerate(spec.get("datastores", config.datastores)))
            actors.append(Ager(node, "stale" if isinstance(sees, dict) else sees, stale,
                               ms.get("start", 0), ms.get("interval", 500), ms.get("jitter", 0),
                               stores))
    images = {name: tuple(parse_duration(v) for v in spec.get("marks_ago", []))
              for name, spec in d.get("images", {}).items()}
    claims = {name: tuple(parse_duration(v) for v in spec["claims_ago"])
              for name, spec in d.get("images", {}).items() if spec.get("claims_ago")}
    scenario = ContentionScenario(
        path=reader.path, name=d["name"], purpose=d["purpose"], tags=tuple(d.get("tags", [])),
        edge_cases=tuple(d.get("edge_cases", [])), seed=d.get("seed", 1),
        duration=parse_duration(d["duration"]), config=config, images=images,
        faults=tuple(d.get("faults", [])), actors=tuple(actors),
        min_overlap=d.get("min_overlap", 0.0), schedule=d.get("schedule", "seeded"),
        line=reader.line(("name",)) or 1, claims=claims)
    if "strategy" not in d:
        return scenario
    return replace(scenario, strategy=_strategy(reader, d["strategy"], scenario.idents))


def _strategy(reader: Reader, raw: Any, idents: list[str]) -> Strategy:
    """The schema has checked the shape; the actors and steps are checked here."""
    if raw == "uniform":
        return Strategy()
    if PCT in raw:
        return Strategy(PCT, depth=raw[PCT]["depth"], span=raw[PCT].get("span", 100))
    if PREEMPTIONS in raw:
        points = raw[PREEMPTIONS]
        for i, point in enumerate(points):
            if point in points[:i]:
                raise reader.fail(("strategy", PREEMPTIONS, i), f"point {point} is named twice")
        return Strategy(PREEMPTIONS, points=tuple(sorted(points)))
    switches, steps = [], set()
    for i, sw in enumerate(raw[SWITCHES]):
        if sw["to"] not in idents:
            raise reader.fail(("strategy", SWITCHES, i, "to"),
                              f"{sw['to']!r} is none of the actors ({', '.join(idents)})")
        if sw["step"] in steps:
            raise reader.fail(("strategy", SWITCHES, i, "step"),
                              f"step {sw['step']} is named twice")
        steps.add(sw["step"])
        switches.append(Switch(sw["step"], sw["to"]))
    return Strategy(SWITCHES, switches=tuple(sorted(switches, key=lambda s: s.step)))
