"""YAML parsed into plain data, remembering the line of every key and value
(and plain data written as YAML, as the explorer writes scenario files).

Timestamps stay strings (the schema checks their form), duplicate keys are
errors, and ``lines[path]`` gives the 1-based line of the value at ``path``
(a tuple of keys and indexes); ``key_lines[path]`` the line of the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


class YamlError(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        self.line = line
        super().__init__(message)


class _Loader(yaml.SafeLoader):
    """SafeLoader without the timestamp resolver: times remain strings."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class Source:
    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    key_lines: dict[Path, int] = field(default_factory=dict)

    def line_of(self, path: Path) -> int | None:
        """Line of ``path``, or of its nearest ancestor that has one."""
        for i in range(len(path), -1, -1):
            found = self.key_lines.get(path[:i]) or self.lines.get(path[:i])
            if found:
                return found
        return None


def parse(text: str) -> Source:
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        raise YamlError(f"not valid YAML: {exc}", mark.line + 1 if mark else None) from None
    source = Source(None)
    if node is None:
        return source
    constructor = _Loader("")
    source.data = _convert(node, (), source, constructor)
    return source


def _convert(node: yaml.Node, path: Path, source: Source, constructor: _Loader) -> Any:
    source.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise YamlError(f"key {key!r} must be a string", key_node.start_mark.line + 1)
            if key in result:
                raise YamlError(f"duplicate key {key!r}", key_node.start_mark.line + 1)
            source.key_lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = _convert(value_node, (*path, key), source, constructor)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*path, i), source, constructor)
                for i, item in enumerate(node.value)]
    return constructor.construct_object(node, deep=True)


FLOW_WIDTH = 60  # a mapping or list whose one-line form is no longer is written on one line


class _Dumper(yaml.SafeDumper):
    """Block style, but a short mapping or list on one line, as the corpus
    writes them (``img1: {marks: [2026-03-01T06:00:00Z]}``)."""

    def represent_mapping(self, tag: str, mapping: Any, flow_style: bool | None = None
                          ) -> yaml.Node:
        return super().represent_mapping(tag, mapping, _short(mapping))

    def represent_sequence(self, tag: str, sequence: Any, flow_style: bool | None = None
                           ) -> yaml.Node:
        return super().represent_sequence(tag, sequence, _short(sequence))


def _short(data: Any) -> bool:
    if isinstance(data, dict) and len(data) == 1 and \
            isinstance(next(iter(data.values())), dict):
        return False  # one key and a mapping (a step, a datastore): the key on its line
    text = yaml.safe_dump(data, default_flow_style=True, width=10**6, sort_keys=False,
                          allow_unicode=True).strip()
    return len(text) <= FLOW_WIDTH and "\n" not in text


def dump(data: Any) -> str:
    """``data`` as a scenario file holds it: keys in their order, short
    collections on one line."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, width=100, allow_unicode=True)
