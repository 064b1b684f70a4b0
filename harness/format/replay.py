"""How a scenario file is replayed: what ``imagecache-harness replay`` needs
beside the file (the implementation, its time zone, a contention run's seed,
a sweep finding's call and fault, the model it was judged by), the line
that says it, and the ``replay:`` key a finding file carries it in.

Every replay line the harness prints (a failure in ``run``, a contention
failure, an explorer finding) is ``Replay.line()``: it runs from the
installed wheel, in any folder.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from .shipped import CORPUS, find_scenario

COMMAND = "imagecache-harness replay"


@dataclass(frozen=True)
class Replay:
    file: Path
    impl: str = ""
    zone: str | None = None  # adapters.zones: UTC, UTC+05:30, UTC-08:00
    seed: int | None = None  # a contention run's (default: the file's own)
    site: str | None = None  # a sweep finding: the call ...
    fault: str | None = None  # ... and the fault injected there
    strict: bool = False  # a sweep: judge the run without faults on its own
    # Judge by the properties, as this model (the explorer's verdict); None:
    # as ``run`` does (a scenario's expectations, every contention violation).
    model: str | None = None
    schedule: str | None = None  # a contention run's, when not the file's own

    def line(self) -> str:
        """The command line, to paste in any folder: a corpus scenario by its
        name, any other file by its absolute path."""
        words = [*COMMAND.split(), _named(self.file)]
        words += ["--impl", self.impl] if self.impl else []
        for option in ("zone", "seed", "site", "fault", "model", "schedule"):
            value = getattr(self, option)
            if value is not None:
                words += [f"--{option}", str(value)]
        words += ["--strict"] if self.strict else []
        return shlex.join(words)

    def stored(self) -> dict[str, Any]:
        """The ``replay:`` key of a finding file (the file itself aside)."""
        return {k: v for k, v in asdict(self).items() if k != "file" and _given(v)}

    @classmethod
    def of(cls, file: Path, stored: Mapping[str, Any] | None, **given: Any) -> Replay:
        """The replay of ``file``: what it stores, and over that what is
        ``given`` (a command line's options; None: not given)."""
        known = {f.name for f in fields(cls)} - {"file"}
        base = replace(cls(file), **{k: v for k, v in (stored or {}).items() if k in known})
        return replace(base, **{k: v for k, v in given.items() if _given(v)})


def _given(value: Any) -> bool:
    """A value an option or a stored key states (0 is one; False, "" are not)."""
    return value is not None and value is not False and value != ""


def _named(file: Path) -> str:
    resolved = file.resolve()
    if resolved.is_relative_to(CORPUS) and find_scenario(resolved.stem) == resolved:
        return resolved.stem
    return str(resolved)
