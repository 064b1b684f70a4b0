"""Errors in scenario files, naming the file and the line."""

from __future__ import annotations

from pathlib import Path


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class ScenarioError(Exception):
    """A malformed scenario file; ``str()`` is ``file:line: message``."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}:{line if line else '?'}: {message}")
