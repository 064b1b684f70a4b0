"""What one aging pass did, and what it left alone and why."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Skipped:
    datastore: str
    image_id: str | None  # None: the whole datastore
    reason: str
    fault: str | None = None  # vSphere fault name, when a fault was the cause


@dataclass
class PassSummary:
    """Per datastore name, the image ids marked, deleted and cleared."""

    marked: list[tuple[str, str]] = field(default_factory=list)
    deleted: list[tuple[str, str]] = field(default_factory=list)
    cleared: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def faults(self) -> list[Skipped]:
        return [s for s in self.skipped if s.fault is not None]

    def __str__(self) -> str:
        return (f"marked {len(self.marked)}, deleted {len(self.deleted)}, "
                f"cleared {len(self.cleared)}, skipped {len(self.skipped)} "
                f"({len(self.faults)} on faults)")
