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

from sim import Control, Endpoint, EndpointError, Simulator, SimulatorError, backends
from sim.backends import BACKENDS
from sim.readiness import probe

from .vsphere.credentials import CredentialsError, carries_password, keep_out, read_password_file
from .vsphere.guard import Guard
from .vsphere.guard.properties import Properties
from .vsphere.run_folder import RunFolder

log = logging.getLogger(__name__)

# Two datastores, so that multi-datastore passes have something to span.
WORKER_DATASTORES = 2


@dataclass(frozen=True)
class SimulatorChoice:
    """Which simulator the run uses, from options and environment."""

    backend: str
    url: str | None = field(repr=False)  # may carry credentials
    image: str | None
    allow_real: bool = False
    insecure: bool = False
    folder_prefix: str = "imagecache-harness"
    thumbprint: str | None = None  # of the harness's simulator, as `sim up` printed it
    password: str | None = field(default=None, repr=False)  # from a password file
    properties: Properties = field(default_factory=Properties.of)  # the guard's allow-list

    @classmethod
    def from_config(cls, config: pytest.Config) -> SimulatorChoice:
        url = config.getoption("vcsim_url") or os.environ.get("VCSIM_URL") or None
        allow_real = config.getoption("allow_real_vcenter")
        if url and allow_real and carries_password(url):
            raise pytest.UsageError(
                "--allow-real-vcenter: the vCenter's password is in --vcsim-url (or VCSIM_URL), "
                "on the harness's command line or in its environment, where every process of "
                "yours can read it (/proc/<pid>/cmdline and environ), the implementations under "
                "test included. Give the URL without it (https://user@host/sdk) and the password "
                "in a file of mode 0600: --vcsim-password-file FILE.")
        password_file = config.getoption("vcsim_password_file") or \
            os.environ.get("VCSIM_PASSWORD_FILE") or None
        try:
            password = read_password_file(password_file) if password_file else None
        except CredentialsError as exc:
            raise pytest.UsageError(f"--vcsim-password-file: {exc}") from None
        backend = config.getoption("vcsim") or os.environ.get("VCSIM_BACKEND") or (
            "url" if url else "auto")
        if backend not in BACKENDS:
            raise pytest.UsageError(
                f"VCSIM_BACKEND={backend!r} is not one of {', '.join(BACKENDS)}")
        if backend == "url" and not url:
            raise pytest.UsageError(
                "--vcsim=url needs --vcsim-url (or VCSIM_URL) = https://user:pass@host:port/sdk")
        image = config.getoption("vcsim_image") or os.environ.get("VCSIM_IMAGE") or None
        thumbprint = config.getoption("vcsim_thumbprint") or \
            os.environ.get("VCSIM_THUMBPRINT") or None
        try:
            properties = Properties.of(config.getoption("guard_allow_property"))
        except ValueError as exc:
            raise pytest.UsageError(f"--guard-allow-property: {exc}") from None
        return cls(backend, url, image, allow_real, config.getoption("insecure"),
                   config.getoption("real_vcenter_folder"), thumbprint, password, properties)

    def endpoint(self, *, insecure: bool) -> Endpoint:
        """The url backend's endpoint, credentials and thumbprint included."""
        try:
            return Endpoint.from_url(self.url or "", insecure=insecure,
                                     thumbprint=self.thumbprint, password=self.password)
        except EndpointError as exc:
            raise pytest.UsageError(str(exc)) from None

    def real_vcenter(self) -> bool:
        """Whether the url endpoint is something else than the harness's simulator.

        Raises pytest.UsageError when it may not be used as asked.
        """
        if self.backend != "url":
            return False
        endpoint = self.endpoint(insecure=True)
        # A URL the user calls a real vCenter is guarded, whatever answers
        # there; otherwise only the harness's own simulator goes unguarded.
        if not self.allow_real and Control(endpoint, timeout=10).is_harness_simulator():
            return False  # python -m sim up, or a vcsim URL of ours
        where = endpoint.redacted()
        if not self.allow_real:
            unproven = "no thumbprint was given" if not self.thumbprint else \
                "it does not prove to be (its certificate, its control API)"
            raise pytest.UsageError(
                f"{where} is not the harness's simulator ({unproven}): a real vCenter? Running "
                "scenarios there creates and deletes datastore files. For a simulator of "
                "`python -m sim up`, give the VCSIM_THUMBPRINT it printed (--vcsim-thumbprint). "
                "For a real vCenter, pass --allow-real-vcenter; the harness then works only below "
                f"'{self.folder_prefix}-<run id>/' on each datastore and removes it at the end.")
        keep_out(endpoint.username, endpoint.password)
        try:
            probe(self.endpoint(insecure=self.insecure))
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
            given = c.endpoint(insecure=c.insecure or not self.real) if c.backend == "url" \
                else None
            sim = Simulator(c.backend, url=c.url, image=c.image, datastores=WORKER_DATASTORES,
                            endpoint=given).start()
            if self.real:
                self._guard = Guard(sim.endpoint, self.root_prefix, c.properties)
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
    if choice.backend != "url":
        try:
            backends.preflight(choice.backend)
        except SimulatorError as exc:
            raise pytest.UsageError(str(exc)) from None
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
