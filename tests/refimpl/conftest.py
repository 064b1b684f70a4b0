"""Fixtures for refimpl against the worker's simulator.

Each test gets its own base folder, so tests share one simulator safely;
the cache is laid out and read back through the harness's own client.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

import refimpl
from harness.vsphere.datastore import DatastoreClient
from refimpl import ImageCacheManager

DS0, DS1 = "LocalDS_0", "LocalDS_1"
START = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
_bases = itertools.count()


@dataclass
class Clock:
    """A settable UTC clock; ``hooks`` run (once each) on the next reading,
    to interleave another actor at a precise point of a pass."""

    now: datetime = START
    hooks: list[Callable[[], None]] = field(default_factory=list)

    def __call__(self) -> datetime:
        hooks, self.hooks = self.hooks, []  # a hook may add one for the next reading
        for hook in hooks:
            hook()
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Cache:
    """One base folder on the simulator's datastores, seen by the harness."""

    client: DatastoreClient
    base: str

    def image(self, image_id: str, *marks: str, files: tuple[str, ...] = (),
              datastore: str = DS0) -> None:
        self.client.mkdir(datastore, f"{self.base}/{image_id}")
        for mark in marks:
            self.client.mkdir(datastore, f"{self.base}/{image_id}/{mark}")
        for name in files:
            self.client.put(datastore, f"{self.base}/{image_id}/{name}", b"x")

    def tree(self, datastore: str = DS0) -> dict[str, list[str]] | None:
        """``{image folder: sorted entries below it}``; None without a base folder."""
        entries = self.client.tree(datastore, self.base)
        if entries is None:
            return None
        images: dict[str, list[str]] = {}
        for entry in entries:
            top, _, rest = entry.path.partition("/")
            images.setdefault(top, [])
            if rest:
                images[top].append(rest + ("/" if entry.is_dir else ""))
        return images


@pytest.fixture
def session(vcsim) -> Iterator[refimpl.Session]:
    s = refimpl.connect(vcsim.url, insecure=True)
    yield s
    s.close()


@pytest.fixture
def client(vsphere, vcsim) -> DatastoreClient:
    return DatastoreClient(vsphere, vcsim.endpoint)


@pytest.fixture
def base() -> str:
    return f"t{os.getpid()}-{next(_bases)}_base"


@pytest.fixture
def cache(client, base) -> Cache:
    return Cache(client, base)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def lock_path(tmp_path):
    return tmp_path / "locks"


@pytest.fixture
def manager(session, base, clock, lock_path) -> Callable[..., ImageCacheManager]:
    """``manager(age=60)``: an ImageCacheManager on this test's base folder."""

    def make(age: int = 60, **kwargs) -> ImageCacheManager:
        kwargs.setdefault("lock_path", lock_path)
        return ImageCacheManager(session, base, age_seconds=age, clock=clock, **kwargs)

    return make
