"""Which kind of scenario a file holds, by its content wherever it lies:
a contention scenario has actors."""

from __future__ import annotations

from pathlib import Path

from .source import YamlError, read


def is_contention(path: Path) -> bool:
    """Whether ``path`` holds a contention scenario (a file that does not
    parse is none: loading it as a scenario names what is wrong)."""
    try:
        data = read(path).data
    except YamlError:
        return False
    return isinstance(data, dict) and "actors" in data
