"""Reading a scenario file after YAML and before the model: every value
looked up by its key path, every error naming the file and the line."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema

from .config import BaseFolderRule, Config, Latency, Node
from .errors import ScenarioError
from .schema import validate, where
from .source import Source, YamlError, parse, read
from .times import parse_duration, parse_timestamp


class Reader:
    """A validated scenario file: its data, and the line of every key."""

    def __init__(self, path: Path, source: Source) -> None:
        self.path, self.source, self.data = path, source, source.data

    @classmethod
    def open(cls, path: Path, validator: jsonschema.Validator,
             text: str | None = None, data: dict[str, Any] | None = None) -> Reader:
        """Parse and validate ``path`` (or ``text`` as if it were that file;
        or ``data``, what parsing such a text gives, with no lines to name)."""
        path = Path(path)
        try:
            source = Source(data) if data is not None else \
                read(path) if text is None else parse(text)
        except YamlError as exc:
            raise ScenarioError(path, exc.line, str(exc)) from None
        if not isinstance(source.data, dict):
            raise ScenarioError(path, source.line_of(()), "a scenario file must be a YAML mapping")
        validate(path, source, validator)
        return cls(path, source)

    def fail(self, at: tuple, message: str) -> ScenarioError:
        return ScenarioError(self.path, self.source.line_of(at), message)

    def line(self, at: tuple) -> int | None:
        return self.source.line_of(at)

    def at(self, path: tuple) -> Any:
        value = self.data
        for key in path:
            value = value[key]
        return value

    def time(self, at: tuple) -> datetime:
        text = self.at(at)
        try:
            return parse_timestamp(text)
        except ValueError:
            raise self.fail(at, f"{where(at)} = {text!r} is not a real date and time") from None

    def duration(self, at: tuple, unit: timedelta = timedelta(seconds=1)) -> timedelta:
        return parse_duration(self.at(at), unit)

    def config(self) -> Config:
        c = self.data.get("config", {})
        rule = BaseFolderRule(**c.get("base_folder", {}))
        nodes = tuple(
            Node(name, spec.get("lock_path", name), timedelta(seconds=spec.get("clock_offset", 0)),
                 spec.get("my_ip"))
            for name, spec in c.get("nodes", {"node1": {}}).items())
        age = self.duration(("config", "age")) if "age" in c else timedelta(days=1)
        latency = None
        if "latency" in c:
            spec = c["latency"]
            latency = Latency(spec.get("default_ms", 0),
                              tuple(sorted(spec.get("methods", {}).items())),
                              spec.get("jitter", 0.0))
        return Config(age=age, latency=latency, base_folder=rule, nodes=nodes,
                      datastores=tuple(c.get("datastores", ["LocalDS_0"])))

    def datastore(self, config: Config, at: tuple, name: str) -> str:
        if name not in config.datastores:
            raise self.fail(at, f"datastore {name!r} is not in config.datastores "
                                f"{list(config.datastores)}")
        return name

    def node(self, config: Config, at: tuple, name: str | None) -> str:
        if name is None:
            return config.nodes[0].name
        if name not in {n.name for n in config.nodes}:
            raise self.fail(at, f"unknown node {name!r}; config.nodes has "
                                f"{[n.name for n in config.nodes]}")
        return name
