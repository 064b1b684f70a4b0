"""The per-process simulator shared by the ``vcsim`` fixture and scenario items.

Started on first use, stopped at the end of the session. Each xdist
worker is its own process, hence its own simulator.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from sim import Simulator
from sim.backends import BACKENDS

# Two datastores, so that multi-datastore passes have something to span.
SESSION_DATASTORES = 2


@dataclass(frozen=True)
class SimulatorChoice:
    """Which simulator the run uses, from options and environment."""

    backend: str
    url: str | None
    image: str | None

    @classmethod
    def from_config(cls, config: pytest.Config) -> SimulatorChoice:
        url = config.getoption("vcsim_url") or os.environ.get("VCSIM_URL") or None
        backend = config.getoption("vcsim") or os.environ.get("VCSIM_BACKEND") or (
            "url" if url else "auto")
        if backend not in BACKENDS:
            raise pytest.UsageError(
                f"VCSIM_BACKEND={backend!r} is not one of {', '.join(BACKENDS)}")
        if backend == "url" and not url:
            raise pytest.UsageError(
                "--vcsim=url needs --vcsim-url (or VCSIM_URL) = https://user:pass@host:port/sdk")
        image = config.getoption("vcsim_image") or os.environ.get("VCSIM_IMAGE") or None
        return cls(backend, url, image)


class SessionSimulator:
    def __init__(self, choice: SimulatorChoice) -> None:
        self.choice = choice
        self._sim: Simulator | None = None

    def get(self) -> Simulator:
        if self._sim is None:
            c = self.choice
            self._sim = Simulator(c.backend, url=c.url, image=c.image,
                                  datastores=SESSION_DATASTORES).start()
        return self._sim

    def stop(self) -> None:
        sim, self._sim = self._sim, None
        if sim is not None:
            sim.stop()


_HOLDER = pytest.StashKey[SessionSimulator]()


def install(config: pytest.Config) -> None:
    config.stash[_HOLDER] = SessionSimulator(SimulatorChoice.from_config(config))


def session_simulator(config: pytest.Config) -> Simulator:
    return config.stash[_HOLDER].get()


def stop(config: pytest.Config) -> None:
    if _HOLDER in config.stash:
        config.stash[_HOLDER].stop()
