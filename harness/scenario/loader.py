"""Loading a scenario file: YAML, then the JSON Schema, then the rules the
schema cannot say (references between parts, real dates). Every error
names the file, the line and the offending key or value."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from . import model as m
from .times import parse_duration, parse_timestamp
from .yaml_source import Source, YamlError, parse

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "scenarios" / "schema.json"
DEFAULT_START = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


class ScenarioError(Exception):
    """A malformed scenario file; ``str()`` is ``file:line: message``."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}:{line if line else '?'}: {message}")


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text())


def _where(path: tuple) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def load_scenario(path: Path, text: str | None = None) -> m.Scenario:
    path = Path(path)
    source = read_source(path, text)
    validate(path, source, jsonschema.Draft202012Validator(schema()))
    return Builder(path, source).scenario()


def read_source(path: Path, text: str | None = None) -> Source:
    """The YAML of a scenario file, with lines; ScenarioError if it is not a mapping."""
    text = path.read_text() if text is None else text
    try:
        source = parse(text)
    except YamlError as exc:
        raise ScenarioError(path, exc.line, str(exc)) from None
    if not isinstance(source.data, dict):
        raise ScenarioError(path, source.line_of(()), "a scenario file must be a YAML mapping")
    return source


def validate(path: Path, source: Source, validator: jsonschema.Validator) -> None:
    """ScenarioError naming file, line and key for the first schema violation."""
    errors = sorted(validator.iter_errors(source.data),
                    key=lambda e: (source.line_of(tuple(e.absolute_path)) or 0, e.message))
    if not errors:
        return
    error = _most_specific(errors[0])
    where = tuple(error.absolute_path)
    if error.validator == "additionalProperties":
        unexpected = re.findall(r"'([^']+)'", error.message.split("(")[-1])
        key = unexpected[0] if unexpected else "?"
        raise ScenarioError(path, source.line_of((*where, key)),
                            f"unknown key {key!r} in {_where(where)}")
    if "propertyNames" in error.schema_path:
        key = error.instance
        raise ScenarioError(path, source.line_of((*where, key)),
                            f"key {key!r} in {_where(where)}: {_explain(error)}")
    if error.validator == "required":
        raise ScenarioError(path, source.line_of(where), f"{_where(where)}: {error.message}")
    value = error.instance
    shown = json.dumps(value) if not isinstance(value, dict | list) else type(value).__name__
    raise ScenarioError(path, source.line_of(where),
                        f"{_where(where)} = {shown}: {_explain(error)}")


def _most_specific(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """For oneOf/anyOf, the sub-error that went deepest: the likely intent."""
    while error.context:
        error = max(error.context, key=lambda e: (len(e.absolute_path), -len(e.message)))
    return error


def _explain(error: jsonschema.ValidationError) -> str:
    hint = error.schema.get("description") if isinstance(error.schema, dict) else None
    if error.validator == "pattern" and hint:
        return f"does not match the expected form ({hint})"
    if error.validator == "enum":
        return f"must be one of {', '.join(map(str, error.validator_value))}"
    if error.validator in ("maxProperties", "minProperties") and error.validator_value == 1:
        return ("a step has exactly one action (clock, enlist, age, instances, expect, "
                "cache_folder)")
    return error.message


class Builder:
    """Turns validated data into the model, checking cross references."""

    def __init__(self, path: Path, source: Source) -> None:
        self.path, self.src, self.data = path, source, source.data

    def fail(self, where: tuple, message: str) -> ScenarioError:
        return ScenarioError(self.path, self.src.line_of(where), message)

    def time(self, where: tuple) -> datetime:
        text = self._at(where)
        try:
            return parse_timestamp(text)
        except ValueError:
            raise self.fail(where, f"{_where(where)} = {text!r} is not a real date and time")\
                from None

    def duration(self, where: tuple) -> timedelta:
        return parse_duration(self._at(where))

    def _at(self, where: tuple) -> Any:
        value = self.data
        for key in where:
            value = value[key]
        return value

    # -- parts ---------------------------------------------------------------

    def scenario(self) -> m.Scenario:
        d = self.data
        config = self.config()
        instances = self.instances(("instances",), d.get("instances", []))
        return m.Scenario(
            path=self.path, name=d["name"], purpose=d["purpose"], tier=d["tier"],
            tags=tuple(d.get("tags", [])), edge_cases=tuple(d.get("edge_cases", [])),
            config=config, start=self.time(("start",)) if "start" in d else DEFAULT_START,
            cache=self.cache(config), instances=instances,
            steps=self.steps(config, instances), line=self.src.line_of(("name",)) or 1)

    def config(self) -> m.Config:
        c = self.data.get("config", {})
        rule = m.BaseFolderRule(**c.get("base_folder", {}))
        nodes = tuple(
            m.Node(name, spec.get("lock_path", name),
                   timedelta(seconds=spec.get("clock_offset", 0)), spec.get("my_ip"))
            for name, spec in c.get("nodes", {"node1": {}}).items())
        age = self.duration(("config", "age")) if "age" in c else timedelta(days=1)
        latency = None
        if "latency" in c:
            spec = c["latency"]
            latency = m.Latency(spec.get("default_ms", 0),
                                tuple(sorted(spec.get("methods", {}).items())),
                                spec.get("jitter", 0.0))
        return m.Config(age=age, latency=latency, base_folder=rule, nodes=nodes,
                        datastores=tuple(c.get("datastores", ["LocalDS_0"])))

    def datastore(self, config: m.Config, where: tuple, name: str) -> str:
        if name not in config.datastores:
            raise self.fail(where, f"datastore {name!r} is not in config.datastores "
                                   f"{list(config.datastores)}")
        return name

    def node(self, config: m.Config, where: tuple, name: str | None) -> str:
        if name is None:
            return config.nodes[0].name
        if name not in {n.name for n in config.nodes}:
            raise self.fail(where, f"unknown node {name!r}; config.nodes has "
                                   f"{[n.name for n in config.nodes]}")
        return name

    def cache(self, config: m.Config) -> dict[str, m.DatastoreState]:
        result = {}
        for ds, state in self.data.get("cache", {}).items():
            self.datastore(config, ("cache", ds), ds)
            images = {}
            for image_id, spec in state.get("images", {}).items():
                where = ("cache", ds, "images", image_id)
                marks = tuple(self.time((*where, "marks", i)) for i in range(len(
                    spec.get("marks", []))))
                images[image_id] = m.ImageState(marks, tuple(spec.get("folders", [])),
                                                tuple(spec.get("files", [])))
            result[ds] = m.DatastoreState(state.get("folder"), images,
                                          tuple(state.get("files", [])))
        return result

    def instances(self, where: tuple, items: list[dict]) -> tuple[m.Instance, ...]:
        seen: set[str] = set()
        result = []
        for i, spec in enumerate(items):
            if spec["uuid"] in seen:
                raise self.fail((*where, i, "uuid"), f"duplicate instance uuid {spec['uuid']!r}")
            seen.add(spec["uuid"])
            result.append(m.Instance(
                uuid=spec["uuid"], host=spec["host"], name=spec.get("name", spec["uuid"]),
                image_ref=spec.get("image_ref"), kernel_id=spec.get("kernel_id"),
                ramdisk_id=spec.get("ramdisk_id")))
        return tuple(result)

    def error(self, spec: dict | None) -> m.ErrorExpectation | None:
        return None if spec is None else m.ErrorExpectation(
            spec["kind"], spec.get("fault"), spec.get("match"))

    def steps(self, config: m.Config, instances: tuple[m.Instance, ...]) -> tuple[m.Step, ...]:
        current = {i.uuid for i in instances}
        steps: list[m.Step] = []
        for i, raw in enumerate(self.data["steps"]):
            (kind, spec), = raw.items()
            where = ("steps", i, kind)
            line = self.src.line_of(("steps", i)) or 0
            if kind == "clock":
                steps.append(m.ClockStep(
                    line, advance=self.duration((*where, "advance")) if "advance" in spec else None,
                    back=self.duration((*where, "back")) if "back" in spec else None,
                    set=self.time((*where, "set")) if "set" in spec else None))
            elif kind == "enlist":
                steps.append(m.EnlistStep(
                    line, self.node(config, (*where, "node"), spec.get("node")),
                    self.datastore(config, (*where, "datastore"),
                                   spec.get("datastore", config.datastores[0])),
                    spec["image"], self.error(spec.get("expect_error"))))
            elif kind == "age":
                for j, uuid in enumerate(spec.get("sees", [])):
                    if uuid not in current:
                        raise self.fail((*where, "sees", j),
                                        f"age sees unknown instance {uuid!r} (current: "
                                        f"{sorted(current)})")
                stores = tuple(self.datastore(config, (*where, "datastores", j), ds)
                               for j, ds in enumerate(spec.get("datastores",
                                                               config.datastores)))
                steps.append(m.AgeStep(
                    line, self.node(config, (*where, "node"), spec.get("node")),
                    tuple(spec["sees"]) if "sees" in spec else None,
                    tuple(spec["hosts"]) if "hosts" in spec else None,
                    stores, self.error(spec.get("expect_error"))))
            elif kind == "instances":
                new = self.instances(where, spec)
                current = {inst.uuid for inst in new}
                steps.append(m.InstancesStep(line, new))
            elif kind == "fault":
                steps.append(m.FaultStep(line, tuple(sorted(spec.items()))))
            elif kind == "faults":
                steps.append(m.ClearFaultsStep(line))
            elif kind == "sessions":
                steps.append(m.TerminateSessionsStep(line))
            elif kind == "expect":
                steps.append(m.ExpectStep(line, {
                    ds: self.expectation(config, (*where, ds), value)
                    for ds, value in spec.items()}))
            else:  # cache_folder (the schema allows nothing else)
                steps.append(m.CacheFolderStep(
                    line, self.node(config, (*where, "node"), spec.get("node")),
                    self.datastore(config, (*where, "datastore"),
                                   spec.get("datastore", config.datastores[0])),
                    spec["image"], spec.get("is"), self.error(spec.get("expect_error"))))
        return tuple(steps)

    def expectation(self, config: m.Config, where: tuple, value: Any) -> m.DatastoreExpectation:
        self.datastore(config, where, where[-1])
        if value == "absent":
            return m.DatastoreExpectation(absent=True)
        images = {}
        for image_id, spec in value.get("images", {}).items():
            if spec in ("present", "absent"):
                images[image_id] = m.ImageExpectation(present=spec == "present")
                continue
            marks = spec.get("marks")
            if isinstance(marks, list):
                marks = tuple(self.time((*where, "images", image_id, "marks", i))
                              for i in range(len(marks)))
            images[image_id] = m.ImageExpectation(
                marks=marks,
                folders=tuple(spec["folders"]) if "folders" in spec else None,
                files=tuple(spec["files"]) if "files" in spec else None)
        return m.DatastoreExpectation(
            folder=value.get("folder"), images=images,
            files=tuple(value["files"]) if "files" in value else None)
