"""A cache tree as the harness sees it: one base folder's image folders
(with their marks, other folders and files) and stray files. The inspector
reads one back, the layout lays one out, checks compare them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ImageTree:
    marks: list[str] = field(default_factory=list)  # well-formed ts- folders
    folders: list[str] = field(default_factory=list)  # other folders
    files: list[str] = field(default_factory=list)


@dataclass
class CacheTree:
    """One base folder: image folders and stray files."""

    images: dict[str, ImageTree] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
