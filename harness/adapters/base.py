"""The interface between the scenario runner and an implementation under test.

An implementation opens one ``Node`` per simulated compute host of a
scenario. Each node enlists images, runs aging passes and names cache
folders; errors come back as ``ImplementationError`` with a kind the
scenario can expect.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sim import Endpoint

ERROR_KINDS = ("invalid_argument", "not_found", "vsphere_fault", "error")


@dataclass(frozen=True)
class Instance:
    """An instance as an aging pass sees it: which images it uses, on which host."""

    uuid: str
    host: str
    name: str
    image_ref: str | None = None
    kernel_id: str | None = None
    ramdisk_id: str | None = None


@dataclass(frozen=True)
class NodeSetup:
    """Everything a node needs: where vSphere is, its folders, its clock."""

    name: str
    endpoint: Endpoint
    base_folder: str  # relative to the datastore root
    lock_path: Path  # shared by nodes that model processes of one host
    age_seconds: int
    # The harness clock (plus this node's skew). In-process implementations
    # may read datetime.now() instead: the runner freezes it with freezegun.
    clock: Callable[[], datetime]
    # The time zone the node runs in (adapters.zones: UTC, UTC+05:30,
    # UTC-08:00); None: the harness process's own.
    zone: str | None = None


class ImplementationError(Exception):
    """An operation failed: ``kind`` is one of ERROR_KINDS; ``fault`` the
    vSphere fault name for ``vsphere_fault``."""

    def __init__(self, kind: str, message: str, fault: str | None = None) -> None:
        assert kind in ERROR_KINDS, kind
        self.kind, self.fault = kind, fault
        super().__init__(message)


class ImplementationBroken(Exception):
    """The implementation crashed, hung or broke the protocol: not behaviour a
    scenario can expect, so the scenario fails with this message."""


class Node(Protocol):
    def enlist(self, datastore: str, image_id: str) -> None:
        """Enlist ``image_id`` on ``datastore`` (a spawn is about to use it)."""

    def age(self, instances: Sequence[Instance], datastores: Sequence[str]) -> str | None:
        """One aging pass; may return a one-line summary for the step log."""

    def cache_folder(self, datastore: str, image_id: str) -> str:
        """``[datastore] <base>/<image_id>``."""

    def close(self) -> None: ...


class Implementation(Protocol):
    name: str
    # Optional: the model the implementation is held to unless told
    # otherwise (original, nova or reference; docs/explore.md). Optional
    # too: ``zoned``, true when its nodes take their zone from their
    # environment (processes of their own); ``in_process``, true when every
    # vSphere call of its nodes leaves from the process that opened them.

    def open_node(self, setup: NodeSetup) -> Node: ...
