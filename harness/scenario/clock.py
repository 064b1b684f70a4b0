"""The scenario clock: freezegun, with pyvmomi and the test machinery left real."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from freezegun import freeze_time

# freezegun swaps ``datetime`` and the time functions in every loaded module
# it is not told to ignore. pyVmomi then cannot parse any dateTime (see
# vcsim-facts.md); xdist's and execnet's threads need real time, and so do
# the explorer's budget and progress, measured while a scenario runs.
KEEP_REAL_TIME = ["pyVmomi", "pyVim", "execnet", "xdist", "docker", "urllib3", "requests",
                  "harness.explore"]


class ScenarioClock:
    """The harness clock of one scenario: frozen, moved only by clock steps."""

    def __init__(self, frozen) -> None:
        self._frozen = frozen

    def now(self) -> datetime:
        return datetime.now(UTC)

    def advance(self, delta: timedelta) -> None:
        self._frozen.tick(delta)

    def set(self, when: datetime) -> None:
        self._frozen.move_to(when)

    def reader(self, offset: timedelta = timedelta(0)) -> Callable[[], datetime]:
        """A node's clock: the harness clock plus the node's skew."""
        return lambda: datetime.now(UTC) + offset


@contextmanager
def frozen_at(start: datetime) -> Iterator[ScenarioClock]:
    with freeze_time(start, ignore=KEEP_REAL_TIME) as frozen:
        yield ScenarioClock(frozen)
