"""What a target hands the engine to try: generated cases (a Hypothesis
strategy, which the engine searches and shrinks) or enumerated ones (a
list, each with the zone it runs in), and the target's side of the
bargain (``Target``; ``Shrinking`` for generated cases)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from hypothesis import strategies as st

from ..format.replay import Replay
from .properties import Violation


@dataclass(frozen=True)
class Generated:
    strategy: st.SearchStrategy[Any]


@dataclass(frozen=True)
class Enumerated:
    cases: Sequence[tuple[Any, str | None]]  # (case, zone)
    # The first so many are judged whatever the deadline: their runs are
    # done already (a sweep's runs without faults).
    paid: int = 0


Cases = Generated | Enumerated


@dataclass(frozen=True)
class Written:
    """A finding's case as a file, with how to replay it and how big it is."""

    replay: Replay
    size: str = ""  # against the first failing case


class Target(Protocol):
    """What differs between the searches: the cases, how one runs, and the
    file a failing one becomes."""

    kind: str

    def cases(self, seed: int) -> Cases | None:
        """This seed's cases; None: the target has no more (a sweep is done)."""

    def run(self, case: Any, zone: str | None) -> list[Violation]:
        """Run one case: the violations the properties find."""

    def write(self, case: Any, violations: list[Violation], zone: str | None, seed: int,
              first: Any) -> Written:
        """The failing case as a file in the reports folder."""

    def covered(self) -> dict[str, Any]:
        """What the search covered, for the summary."""


class Shrinking(Target, Protocol):
    """A target whose cases are generated: a failing one shrinks (Hypothesis)
    and is pruned, which takes its size and the smaller cases to try."""

    def size(self, case: Any) -> tuple[int, ...]:
        """Smaller is simpler (compared as tuples)."""

    def smaller(self, case: Any, violations: list[Violation]) -> Iterator[Any]:
        """Cases to try in its place, simplest first (the layout pruned)."""

    def scores(self) -> dict[str, float]:
        """What the last run scored, by label: the search steers towards
        higher scores (Hypothesis's ``target``); {} for no steering."""


def written_name(prefix: str, impl_label: str, text: str) -> str:
    """A finding file's stem: what, whose, and a digest of its content."""
    return f"{prefix}-{impl_label}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
