"""YAML parsed into plain data, remembering the line of every key and value
(and plain data written as YAML, as the explorer writes scenario files).

Timestamps stay strings (the schema checks their form), duplicate keys are
errors, and ``lines[path]`` gives the 1-based line of the value at ``path``
(a tuple of keys and indexes); ``key_lines[path]`` the line of the key.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]
PathLike = str | os.PathLike[str]


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


# Values a file may hold once its aliases are expanded: a scenario has a few
# hundred; a file of aliases of aliases ("billion laughs") would have more
# than memory holds.
MAX_VALUES = 100_000
MAX_BYTES = 16 << 20  # read no further (a device, a file that grows)


def read(path: PathLike) -> Source:
    """Parse the YAML file ``path``: UTF-8 only; a file that cannot be read or
    decoded is a YamlError (with the line of the first bad byte) like any
    other malformed file."""
    try:
        # Not blocking: a FIFO or a device named .yaml is refused, not waited on.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with open(fd, "rb") as file:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise YamlError("cannot be read: not a regular file", None)
            raw = file.read(MAX_BYTES + 1)
    except OSError as exc:
        raise YamlError(f"cannot be read: {exc.strerror or exc}", None) from None
    if len(raw) > MAX_BYTES:
        raise YamlError(f"larger than {MAX_BYTES >> 20} MiB: no scenario is", None)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise YamlError(f"not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
                        line) from None
    return parse(text)


def parse(text: str) -> Source:
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        raise YamlError(f"not valid YAML: {exc}", mark.line + 1 if mark else None) from None
    source = Source(None)
    if node is None:
        return source
    source.data = _Converter(source).convert(node, (), frozenset())
    return source


class _Converter:
    """YAML nodes to plain data, each value's line recorded; an alias that
    holds itself, or expands past MAX_VALUES, is refused."""

    def __init__(self, source: Source) -> None:
        self.source, self.values = source, 0
        self.constructor = _Loader("")

    def convert(self, node: yaml.Node, path: Path, holding: frozenset[int]) -> Any:
        line = node.start_mark.line + 1
        if id(node) in holding:
            raise YamlError("an alias refers to a collection it is part of (a recursive "
                            "&anchor)", line)
        self.values += 1
        if self.values > MAX_VALUES:
            raise YamlError(f"more than {MAX_VALUES} values once its aliases are expanded",
                            line)
        self.source.lines[path] = line
        inside = holding | {id(node)}
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise YamlError("a key must be a string", key_node.start_mark.line + 1)
                key = self._scalar(key_node)
                if not isinstance(key, str):
                    raise YamlError(f"key {key!r} must be a string",
                                    key_node.start_mark.line + 1)
                if key in result:
                    raise YamlError(f"duplicate key {key!r}", key_node.start_mark.line + 1)
                self.source.key_lines[(*path, key)] = key_node.start_mark.line + 1
                result[key] = self.convert(value_node, (*path, key), inside)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, (*path, i), inside) for i, item in enumerate(node.value)]
        return self._scalar(node)

    def _scalar(self, node: yaml.Node) -> Any:
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise YamlError(f"not valid YAML: {exc}", node.start_mark.line + 1) from None


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


_FLOW_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _short(data: Any) -> bool:
    if isinstance(data, dict) and len(data) == 1 and \
            isinstance(next(iter(data.values())), dict):
        return False  # one key and a mapping (a step, a datastore): the key on its line
    # libyaml's emitter where present: this runs for every collection.
    text = yaml.dump(data, Dumper=_FLOW_DUMPER, default_flow_style=True, width=10**6,
                     sort_keys=False, allow_unicode=True).strip()
    return len(text) <= FLOW_WIDTH and "\n" not in text


def dump(data: Any) -> str:
    """``data`` as a scenario file holds it: keys in their order, short
    collections on one line."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, width=100, allow_unicode=True)
