"""Loading a contention scenario: the sequential scenarios' YAML reader and
error reporting, its own schema (which refers to the scenario schema)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import jsonschema
from referencing import Registry, Resource

from ..scenario.loader import SCHEMA_PATH, Builder, ScenarioError, read_source, schema, validate
from ..scenario.times import parse_duration
from .model import Ager, ContentionScenario, Spawner

CONTENTION_SCHEMA_PATH = SCHEMA_PATH.parent / "contention" / "schema.json"
_MS = re.compile(r"(\d+)(ms|s|m)")


@cache
def _validator() -> jsonschema.Draft202012Validator:
    own = json.loads(CONTENTION_SCHEMA_PATH.read_text())
    registry = Registry().with_resources([
        (s["$id"], Resource.from_contents(s)) for s in (own, schema())])
    return jsonschema.Draft202012Validator(own, registry=registry)


def milliseconds(value: int | str) -> int:
    if isinstance(value, int):
        return value
    number, unit = _MS.fullmatch(value).groups()
    return int(number) * {"ms": 1, "s": 1000, "m": 60000}[unit]


def load_contention(path: Path) -> ContentionScenario:
    path = Path(path)
    source = read_source(path)
    validate(path, source, _validator())
    d = source.data
    builder = Builder(path, source)
    config = builder.config()
    actors = []
    for i, raw in enumerate(d["actors"]):
        (kind, spec), = raw.items()
        where = ("actors", i, kind)
        node = builder.node(config, (*where, "node"), spec["node"])
        ms = {k: milliseconds(spec[k]) for k in ("start", "hold", "pause", "interval", "jitter")
              if k in spec}
        if kind == "spawner":
            ds = builder.datastore(config, (*where, "datastore"),
                                   spec.get("datastore", config.datastores[0]))
            if spec["image"] not in d.get("images", {}):
                raise ScenarioError(path, source.line_of((*where, "image")),
                                    f"spawner image {spec['image']!r} is not in images")
            actors.append(Spawner(node, spec["image"], ds, ms.get("start", 0),
                                  ms.get("hold", 1000), ms.get("pause", 0),
                                  spec.get("count", 1), ms.get("jitter", 0)))
        else:
            sees = spec.get("sees", "all")
            stale = milliseconds(sees["stale"]) if isinstance(sees, dict) else 0
            stores = tuple(builder.datastore(config, (*where, "datastores", j), s)
                           for j, s in enumerate(spec.get("datastores", config.datastores)))
            actors.append(Ager(node, "stale" if isinstance(sees, dict) else sees, stale,
                               ms.get("start", 0), ms.get("interval", 500), ms.get("jitter", 0),
                               stores))
    images = {name: tuple(parse_duration(v) for v in spec.get("marks_ago", []))
              for name, spec in d.get("images", {}).items()}
    return ContentionScenario(
        path=path, name=d["name"], purpose=d["purpose"], tags=tuple(d.get("tags", [])),
        edge_cases=tuple(d.get("edge_cases", [])), seed=d.get("seed", 1),
        duration=parse_duration(d["duration"]), config=config, images=images,
        faults=tuple(d.get("faults", [])), actors=tuple(actors),
        min_overlap=d.get("min_overlap", 0.0), schedule=d.get("schedule", "seeded"),
        line=source.line_of(("name",)) or 1)

