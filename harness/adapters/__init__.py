"""Implementations the scenarios can run against, by name."""

from __future__ import annotations

from collections.abc import Callable

from .base import Implementation, ImplementationError, Node, NodeSetup
from .original_adapter import OriginalImplementation
from .refimpl_adapter import RefimplImplementation

IMPLEMENTATIONS: dict[str, Callable[[], Implementation]] = {
    "refimpl": RefimplImplementation,
    "original": OriginalImplementation,
}

__all__ = ["IMPLEMENTATIONS", "Implementation", "ImplementationError", "Node", "NodeSetup",
           "get"]


def get(name: str) -> Implementation:
    try:
        return IMPLEMENTATIONS[name]()
    except KeyError:
        raise ValueError(f"unknown implementation {name!r}; known: "
                         f"{', '.join(sorted(IMPLEMENTATIONS))}") from None
