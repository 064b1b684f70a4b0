"""Datastore paths ``[datastore] relative/path``, as Nova and oslo.vmware write them."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from .errors import InvalidArgument


@dataclass(frozen=True)
class DatastorePath:
    """``[datastore] rel_path``; ``str()`` gives exactly oslo.vmware's form,
    which is also what Nova's lock names are made of."""

    datastore: str
    rel_path: str = ""

    def __post_init__(self) -> None:
        if not self.datastore:
            raise InvalidArgument("datastore name cannot be empty")

    def __str__(self) -> str:
        return f"[{self.datastore}] {self.rel_path}" if self.rel_path else f"[{self.datastore}]"

    def join(self, *parts: str) -> DatastorePath:
        return DatastorePath(self.datastore, posixpath.join(self.rel_path, *parts))

    @property
    def basename(self) -> str:
        return posixpath.basename(self.rel_path)

    @classmethod
    def parse(cls, text: str) -> DatastorePath:
        """Parse ``[ds] a/b`` (a trailing ``/`` is dropped, as vCenter adds one)."""
        if not text.startswith("[") or "]" not in text:
            raise InvalidArgument(f"{text!r} is not a datastore path like '[datastore] folder'")
        name, rest = text[1:].split("]", 1)
        return cls(name, rest.strip().rstrip("/"))

    def relative_to(self, other: DatastorePath) -> str | None:
        """This path relative to ``other`` ('' if equal), None if not below it."""
        if self.datastore != other.datastore:
            return None
        if self.rel_path == other.rel_path:
            return ""
        prefix = other.rel_path + "/" if other.rel_path else ""
        return self.rel_path[len(prefix):] if self.rel_path.startswith(prefix) else None
