"""A sequential scenario as the runner sees it: validated, defaults filled in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..adapters import Instance
from ..format.config import Config
from ..vsphere.marks import mark_name
from ..vsphere.tree import CacheTree, ImageTree
from .steps import Step


@dataclass(frozen=True)
class ImageState:
    marks: tuple[datetime, ...] = ()
    folders: tuple[str, ...] = ()
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class DatastoreState:
    """A base folder as the scenario lays it out."""

    folder: str | None = None  # None: the configured base folder
    images: dict[str, ImageState] = field(default_factory=dict)
    files: tuple[str, ...] = ()

    def tree(self) -> CacheTree:
        return CacheTree(
            images={image_id: ImageTree([mark_name(t) for t in image.marks],
                                        list(image.folders), list(image.files))
                    for image_id, image in self.images.items()},
            files=list(self.files))


@dataclass(frozen=True)
class Scenario:
    path: Path
    name: str
    purpose: str
    tier: str
    tags: tuple[str, ...]
    edge_cases: tuple[int, ...]
    config: Config
    start: datetime
    cache: dict[str, DatastoreState]
    instances: tuple[Instance, ...]
    steps: tuple[Step, ...]
    line: int = 1  # of the name

    @property
    def uses_control(self) -> bool:
        """Whether it needs the harness simulator's control API."""
        return self.config.latency is not None or any(s.uses_control for s in self.steps)
