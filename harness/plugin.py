"""pytest plugin: simulator options and the ``vcsim`` / ``vsphere`` fixtures.

Each xdist worker is its own pytest session, so the session-scoped ``vcsim``
fixture gives every worker a simulator of its own, started once and stopped
at the end. The controller reaps what crashed workers left behind.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from pyVmomi import vim

from sim import Simulator, reaper
from sim.backends import BACKENDS

from . import vsphere as vsphere_session

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

    def simulator(self) -> Simulator:
        # Two datastores, so that multi-datastore passes have something to span.
        return Simulator(self.backend, url=self.url, image=self.image,
                         datastores=SESSION_DATASTORES)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("vcsim", "vCenter simulator")
    group.addoption("--vcsim", choices=BACKENDS, default=None,
                    help="simulator backend (env VCSIM_BACKEND; default: url when a URL is "
                         "given, else auto = docker when an engine answers, else process)")
    group.addoption("--vcsim-url", default=None, metavar="URL",
                    help="existing endpoint https://user:pass@host:port/sdk, e.g. a real "
                         "vCenter or `python -m sim up` (env VCSIM_URL); never stopped")
    group.addoption("--vcsim-image", default=None, metavar="IMAGE",
                    help="Docker image for the docker backend instead of the harness build, "
                         "e.g. vmware/vcsim:v0.56.0 (must be present locally; env VCSIM_IMAGE)")


def pytest_configure(config: pytest.Config) -> None:
    # Fail on a bad option or environment before any test runs.
    config.stash[_CHOICE] = SimulatorChoice.from_config(config)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):
        # Controller (or a plain run): workers that crashed left their
        # simulators' work directories or containers; remove them now.
        reaper.reap()


_CHOICE = pytest.StashKey[SimulatorChoice]()


@pytest.fixture(scope="session")
def vcsim(pytestconfig: pytest.Config) -> Iterator[Simulator]:
    """This worker's simulator (or the external endpoint), started once."""
    with pytestconfig.stash[_CHOICE].simulator() as sim:
        yield sim


@pytest.fixture
def vsphere(vcsim: Simulator) -> Iterator[vim.ServiceInstance]:
    """A logged-in pyvmomi ServiceInstance on ``vcsim``; logged out afterwards."""
    si = vsphere_session.connect(vcsim.endpoint)
    try:
        yield si
    finally:
        vsphere_session.disconnect(si)
