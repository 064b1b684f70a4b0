"""Pruning a failing scenario document: the same document with one part
taken out (a datastore's cache, an image, a mark, an instance, a step, an
optional setting), larger parts first. Hypothesis shrinks what it drew;
this goes on to what the failure does not need, whatever drew it, until a
one-step finding is a file of a few lines."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from typing import Any

Path = tuple[str | int, ...]


def without(doc: dict[str, Any], roots: Sequence[Path]) -> Iterator[dict[str, Any]]:
    """``doc`` with one entry below one of ``roots`` removed, each in turn:
    an entry before the entries inside it. A copy each time; the caller
    checks that what is left still loads."""
    for root in roots:
        node = _at(doc, root)
        if node is None:
            continue
        for path in _entries(node, root):
            yield _removed(doc, path)


def _at(doc: Any, path: Path) -> Any:
    for part in path:
        inside = part in doc if isinstance(doc, dict) else \
            isinstance(doc, list) and isinstance(part, int) and part < len(doc)
        if not inside:
            return None
        doc = doc[part]
    return doc


def _entries(node: Any, path: Path) -> Iterator[Path]:
    """Every entry below ``node``, outermost first, the last of a list first
    (later steps and marks depend on earlier ones more than the reverse)."""
    if isinstance(node, dict):
        keys: list[str | int] = list(node)
    elif isinstance(node, list):
        keys = list(range(len(node)))[::-1]
    else:
        return
    for key in keys:
        yield (*path, key)
    for key in keys:
        yield from _entries(node[key], (*path, key))  # type: ignore[index]


def _removed(doc: dict[str, Any], path: Path) -> dict[str, Any]:
    result = copy.deepcopy(doc)
    parent = _at(result, path[:-1])
    del parent[path[-1]]
    return result
