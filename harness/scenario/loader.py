"""Loading a sequential scenario file: YAML, then the JSON Schema, then the
rules the schema cannot say (references between parts, real dates). Every
error names the file, the line and the offending key or value."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..format.config import Config
from ..format.reader import Reader
from ..format.schema import scenario_validator
from .model import DatastoreState, ImageState, Scenario
from .steps import Loading

DEFAULT_START = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def load_scenario(path: Path, text: str | None = None, *,
                  data: dict[str, Any] | None = None) -> Scenario:
    """The scenario in ``path`` (or ``text``, read as if it were that file;
    or ``data``, the file's YAML already parsed: the explorer's generated
    cases, which it writes as a file only when one fails)."""
    reader = Reader.open(path, scenario_validator(), text, data)
    d = reader.data
    config = reader.config()
    loading = Loading(reader, config)
    instances = loading.instances(("instances",), d.get("instances", []))
    return Scenario(
        path=reader.path, name=d["name"], purpose=d["purpose"], tier=d["tier"],
        tags=tuple(d.get("tags", [])), edge_cases=tuple(d.get("edge_cases", [])),
        config=config, start=reader.time(("start",)) if "start" in d else DEFAULT_START,
        cache=_cache(reader, config), instances=instances,
        steps=tuple(loading.step(i, raw) for i, raw in enumerate(d["steps"])),
        line=reader.line(("name",)) or 1)


def _cache(reader: Reader, config: Config) -> dict[str, DatastoreState]:
    result = {}
    for ds, state in reader.data.get("cache", {}).items():
        reader.datastore(config, ("cache", ds), ds)
        images = {}
        for image_id, spec in state.get("images", {}).items():
            at = ("cache", ds, "images", image_id)
            marks = tuple(reader.time((*at, "marks", i)) for i in range(len(spec.get("marks", []))))
            images[image_id] = ImageState(marks, tuple(spec.get("folders", [])),
                                          tuple(spec.get("files", [])))
        result[ds] = DatastoreState(state.get("folder"), images, tuple(state.get("files", [])))
    return result
