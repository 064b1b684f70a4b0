"""Pruning a failing scenario document: the same document with one part
taken out (a datastore's cache, an image, a mark, an instance, a step, an
optional setting), larger parts first. Hypothesis shrinks what it drew;
this goes on to what the failure does not need, whatever drew it, until a
one-step finding is a file of a few lines."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

Path = tuple[str | int, ...]
Case = TypeVar("Case")
Why = TypeVar("Why")


def smallest(case: Case, why: Why, smaller: Callable[[Case, Why], Iterable[Case]],
             fails: Callable[[Case], Why | None], may_go_on: Callable[[], bool]
             ) -> tuple[Case, Why]:
    """The smallest failing case reached from ``case`` (failing for ``why``):
    each smaller case (``smaller``, simplest first) that still ``fails`` (it
    says why) takes its place, until a whole pass finds none or ``may_go_on``
    says no more. A pass after a success goes on where that one succeeded
    (the cases before it did not fail then, and mostly will not now); a last
    pass from the top makes sure."""
    start = 0
    while may_go_on():
        taken = None
        for index, candidate in enumerate(smaller(case, why)):
            if index < start:
                continue
            if not may_go_on():
                return case, why
            because = fails(candidate)
            if because is not None:
                taken, start = (candidate, because), index
                break
        if taken is not None:
            case, why = taken
        elif start == 0:
            return case, why
        else:
            start = 0
    return case, why


def without(doc: dict[str, Any], roots: Sequence[Path]) -> Iterator[dict[str, Any]]:
    """``doc`` with one entry below one of ``roots`` removed, each in turn:
    an entry before the entries inside it. A copy each time; the caller
    checks that what is left still loads."""
    offered = set()  # a container emptied goes too: another path may give the same
    for root in roots:
        node = _at(doc, root)
        if node is None:
            continue
        for path in _entries(node, root):
            candidate = _removed(doc, path)
            if repr(candidate) not in offered:
                offered.add(repr(candidate))
                yield candidate


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
    """A copy without the entry at ``path``, and without each container it
    leaves empty (``nodes: {}`` is no layout; no ``nodes`` is the default)."""
    result = copy.deepcopy(doc)
    while path:
        parent = _at(result, path[:-1])
        del parent[path[-1]]
        if parent or len(path) == 1:
            break
        path = path[:-1]
    return result
