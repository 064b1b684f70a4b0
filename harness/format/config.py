"""The ``config`` section both scenario kinds share: age, latency, Nova's
base folder rule, nodes and datastores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any


@dataclass(frozen=True)
class BaseFolderRule:
    """Nova's base folder rule (vmops ``_get_base_folder``)."""

    subdirectory_name: str = "_base"
    cache_prefix: str | None = None
    my_ip: str = "10.0.0.5"
    remove_unused_base_images: bool = True

    def folder(self, my_ip: str | None = None) -> str:
        if self.cache_prefix:
            return self.cache_prefix + self.subdirectory_name
        if self.remove_unused_base_images:
            return (my_ip or self.my_ip) + self.subdirectory_name
        return self.subdirectory_name


@dataclass(frozen=True)
class Node:
    name: str
    lock_path: str  # a label: nodes with the same label share a lock directory
    clock_offset: timedelta = timedelta(0)
    my_ip: str | None = None


@dataclass(frozen=True)
class Latency:
    """What the simulator adds to each SOAP call (control API vocabulary)."""

    default_ms: int = 0
    methods: tuple[tuple[str, int], ...] = ()
    jitter: float = 0.0

    def control_arguments(self) -> dict[str, Any]:
        """``sim.Control.set_latency``'s arguments."""
        return {"default_ms": self.default_ms, "methods": dict(self.methods),
                "jitter": self.jitter}


@dataclass(frozen=True)
class Config:
    age: timedelta = timedelta(days=1)
    latency: Latency | None = None
    base_folder: BaseFolderRule = BaseFolderRule()
    nodes: tuple[Node, ...] = (Node("node1", "node1"),)
    datastores: tuple[str, ...] = ("LocalDS_0",)

    def node(self, name: str | None) -> Node:
        return self.nodes[0] if name is None else next(n for n in self.nodes if n.name == name)

    def base_folder_of(self, node: Node) -> str:
        return self.base_folder.folder(node.my_ip)
