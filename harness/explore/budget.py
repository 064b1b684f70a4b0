"""What every search shares: a budget in seconds that ends Hypothesis's
generation and, past a minimum, its shrinking."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from hypothesis.errors import Flaky
from hypothesis.internal.conjecture import engine

logger = logging.getLogger(__name__)

MIN_SHRINK_SECONDS = 20.0  # a failure found at the end of the budget still shrinks this long
MAX_EXAMPLES = 100_000  # the budget ends a search, not a count


class BudgetSpent(KeyboardInterrupt):
    """Raised in a run that would start past the budget. Hypothesis takes any
    other exception for a failure (or its data for flaky), and lets only an
    interruption through at once, unrecorded: the search is interrupted."""


@contextmanager
def shrink_time_limit(seconds: float) -> Iterator[None]:
    """Hypothesis shrinks a failure for up to five minutes, with no setting
    to say less; its engine reads the limit from a module constant, so a
    search with a budget sets it for its own run (and puts it back)."""
    previous = getattr(engine, "MAX_SHRINKING_SECONDS", None)
    if previous is None:  # another Hypothesis: its own limit stands
        yield
        return
    engine.MAX_SHRINKING_SECONDS = max(int(seconds), 1)
    try:
        yield
    finally:
        engine.MAX_SHRINKING_SECONDS = previous


@contextmanager
def hypothesis_search(deadline: float, failure: type[BaseException]) -> Iterator[None]:
    """Around one Hypothesis search that ends by raising: ``failure`` (the
    search keeps its smallest case itself), BudgetSpent, or Flaky when the
    implementation answered one generated case two ways. A failure that
    comes and goes is still written if one was seen, and its replay says
    whether it holds; the search of this seed ends, the next seed's begins."""
    try:
        with shrink_time_limit(max(deadline - time.monotonic(), MIN_SHRINK_SECONDS)):
            yield
    except (failure, BudgetSpent):
        pass
    except Flaky as exc:
        logger.warning("the implementation ran one generated case two ways; this seed's "
                       "search ends: %s", str(exc).splitlines()[0])


class Searching(Protocol):
    deadline: float
    findings: list[Any]


S = TypeVar("S", bound=Searching)


def seed_after_seed(search: S, one: Callable[[S, int], list[Any]], *, seed: int,
                    budget_s: float, stop: bool = False) -> S:
    """Run ``one`` search per seed, from ``seed`` on, until the budget is
    spent (``stop``: or something is found)."""
    search.deadline = time.monotonic() + budget_s
    while time.monotonic() < search.deadline and not (stop and search.findings):
        search.findings += one(search, seed)
        seed += 1
    return search
