"""The simulator of this pytest process (one per xdist worker), shared by
the ``vcsim`` fixture and the scenario items.

Started on first use, stopped at the end of the session. Each xdist
worker is its own process, hence its own simulator. An external endpoint
that is not the harness's own simulator (a real vCenter) is used only with
``--allow-real-vcenter``, verified TLS unless ``--insecure``, and through a
guard that lets file changes through only below this run's folder, which
is removed at the end.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field

import pytest

from sim import Control, Endpoint, EndpointError, Simulator
from sim.backends import BACKENDS
from sim.readiness import probe

from .vsphere.guard import Guard
from .vsphere.run_folder import RunFolder

log = logging.getLogger(__name__)

# Two datastores, so that multi-datastore passes have something to span.
WORKER_DATASTORES = 2


@dataclass(frozen=True)
class SimulatorChoice:
    """Which simulator the run uses, from options and environment."""

    backend: str
    url: str | None = field(repr=False)  # carries credentials
    image: str | None
    allow_real: bool = False
    insecure: bool = False
    folder_prefix: str = "imagecache-harness"

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
        return cls(backend, url, image, config.getoption("allow_real_vcenter"),
                   config.getoption("insecure"), config.getoption("real_vcenter_folder"))

    def real_vcenter(self) -> bool:
        """Whether the url endpoint is something else than the harness's simulator.

        Raises pytest.UsageError when it may not be used as asked.
        """
        if self.backend != "url":
            return False
        try:
            endpoint = Endpoint.from_url(self.url or "", insecure=True)
        except EndpointError as exc:
            raise pytest.UsageError(str(exc)) from None
        # A URL the user calls a real vCenter is guarded, whatever answers
        # there; otherwise only the harness's own simulator goes unguarded.
        if not self.allow_real and Control(endpoint, timeout=10).is_harness_simulator():
            return False  # python -m sim up, or a vcsim URL of ours
        where = endpoint.redacted()
        if not self.allow_real:
            raise pytest.UsageError(
                f"{where} is not the harness's simulator (it has no control API): a real "
                "vCenter? Running scenarios there creates and deletes datastore files. Pass "
                "--allow-real-vcenter to accept; the harness then works only below "
                f"'{self.folder_prefix}-<run id>/' on each datastore and removes it at the end.")
        try:
            probe(Endpoint.from_url(self.url or "", insecure=self.insecure))
        except EndpointError as exc:
            hint = "; pass --insecure to skip TLS verification" if not self.insecure else ""
            raise pytest.UsageError(f"{where} does not answer as a vSphere SDK: {exc}{hint}") \
                from None
        return True


class WorkerSimulator:
    def __init__(self, choice: SimulatorChoice, real: bool) -> None:
        self.choice = choice
        self.real = real
        # Where scenarios live on the datastores: a run folder on a real vCenter.
        self.root_prefix = (f"{choice.folder_prefix}-{time.strftime('%Y%m%d-%H%M%S')}-"
                            f"{os.getpid()}" if real else "")
        self._sim: Simulator | None = None
        self._guard: Guard | None = None

    def get(self) -> Simulator:
        if self._sim is None:
            c = self.choice
            sim = Simulator(c.backend, url=c.url, image=c.image, datastores=WORKER_DATASTORES,
                            insecure=c.insecure or not self.real).start()
            if self.real:
                self._guard = Guard(sim.endpoint, self.root_prefix, verify_tls=not c.insecure)
                sim = Simulator("url", url=self._guard.start().url).start()
            self._sim = sim
        return self._sim

    def stop(self) -> None:
        sim, self._sim = self._sim, None
        if sim is not None and self.real:
            with RunFolder(sim.endpoint, self.root_prefix):
                pass  # leaving it removes the session's run folder from every datastore
        if self._guard is not None:
            self._guard.stop()
        if sim is not None:
            sim.stop()


_WORKER = pytest.StashKey[WorkerSimulator]()


def install(config: pytest.Config) -> None:
    choice = SimulatorChoice.from_config(config)
    real = choice.real_vcenter()
    if choice.backend == "url" and not real and _parallel(config):
        raise pytest.UsageError(
            "--vcsim-url/VCSIM_URL names one harness simulator, and xdist workers (-n) would "
            "share it: each scenario resets its fault rules, latency and schedule, so they would "
            "undo each other's. Run without -n, or let each worker start its own simulator "
            "(--vcsim=process or docker, and unset VCSIM_URL).")
    config.stash[_WORKER] = WorkerSimulator(choice, real)


def _parallel(config: pytest.Config) -> bool:
    """Whether xdist runs this session on more than one worker."""
    workers = getattr(config.option, "numprocesses", None)
    if isinstance(workers, str):  # "auto"/"logical", when not resolved yet
        return (os.cpu_count() or 1) > 1
    return bool(workers) and workers > 1


def worker(config: pytest.Config) -> WorkerSimulator:
    return config.stash[_WORKER]


def simulator(config: pytest.Config) -> Simulator:
    return config.stash[_WORKER].get()


def stop(config: pytest.Config) -> None:
    if _WORKER in config.stash:
        config.stash[_WORKER].stop()
