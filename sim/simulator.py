"""``Simulator``: one vCenter simulator (or endpoint), started and stopped as a unit."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping, Sequence

from . import backends, cleanup, reaper
from .backends.base import Backend
from .control import Control
from .endpoint import Endpoint
from .errors import SimulatorError
from .options import SimulatorOptions
from .ownership import Owner

log = logging.getLogger(__name__)


class Simulator:
    """A vCenter simulator run by a backend, usable as a context manager.

    ``backend`` is ``"process"`` (our vcsim build as a child process),
    ``"docker"`` (a container on the host network), ``"url"`` (an existing
    endpoint such as a real vCenter, given as ``url``; never stopped) or
    ``"auto"`` (docker when an engine answers, else process). For ``url``,
    ``endpoint`` may stand for ``url``: parsed already, with a password given
    apart or the thumbprint TLS is verified against.

    ``fidelity="vcenter"`` (default) mends the simulator's gaps the way
    vCenter behaves; ``"stock"`` is exactly upstream vcsim. ``latency_ms``
    (``{"*": 20, "MakeDirectory": 50}``), ``latency_jitter`` and ``seed`` set
    the harness latency at start; ``control`` changes it, and faults, later.

    >>> with Simulator("process") as sim:
    ...     print(sim.url)        # https://user:pass@127.0.0.1:<port>/sdk
    """

    def __init__(
        self,
        backend: str = "auto",
        *,
        url: str | None = None,
        image: str | None = None,
        binary: str | os.PathLike | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
        datacenters: int = 1,
        datastores: int = 1,
        vms: int = 0,
        tls: bool = True,
        username: str | None = None,
        password: str | None = None,
        delay_ms: int = 0,
        method_delay: Mapping[str, int] | None = None,
        trace: bool = False,
        extra_args: Sequence[str] = (),
        fidelity: str = "vcenter",
        seed: int = 1,
        latency_ms: Mapping[str, int] | None = None,
        latency_jitter: float = 0.0,
        insecure: bool = True,
        endpoint: Endpoint | None = None,
        startup_timeout: float = 30.0,
        detached_name: str | None = None,
    ) -> None:
        self.requested_backend = backend
        self.startup_timeout = startup_timeout
        self._url = url
        self._image = image
        self._binary = binary
        self._insecure = insecure
        self._given = endpoint
        self._detached_name = detached_name
        self._options = SimulatorOptions(
            port=port, host=host, datacenters=datacenters, datastores=datastores, vms=vms, tls=tls,
            username=username, password=password, delay_ms=delay_ms,
            method_delay=dict(method_delay or {}), trace=trace, extra_args=tuple(extra_args),
            fidelity=fidelity, seed=seed, latency_ms=dict(latency_ms or {}),
            latency_jitter=latency_jitter)
        if backend not in backends.BACKENDS:
            raise SimulatorError(
                f"unknown simulator backend {backend!r}; choose one of {backends.BACKENDS}")
        if backend == "url" and not url and endpoint is None:
            raise SimulatorError("the url backend needs url='https://user:pass@host:port/sdk'")
        self._backend: Backend | None = None
        self._endpoint: Endpoint | None = None
        self.start_seconds: float | None = None

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> Simulator:
        if self._backend is not None:
            raise SimulatorError("simulator already started")
        name = backends.resolve(self.requested_backend)
        if name != "url":
            reaper.reap(with_containers=(name == "docker"))
        detached_name = self._detached_name
        self._backend = self._make_backend(name, Owner.current(detached_name=detached_name))
        began = time.monotonic()
        if detached_name is None:
            cleanup.track(self)
        try:
            self._endpoint = self._backend.start(self.startup_timeout)
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - began
        log.info("simulator (%s) ready at %s in %.2f s", name, self._endpoint.redacted(),
                 self.start_seconds)
        return self

    def _make_backend(self, name: str, owner: Owner) -> Backend:
        if name == "url":
            return backends.UrlBackend(self._given or Endpoint.from_url(
                self._url or "", insecure=self._insecure))
        if name == "docker":
            return backends.DockerBackend(self._options, owner, image=self._image,
                                          insecure=self._insecure)
        return backends.ProcessBackend(self._options, owner, binary=self._binary,
                                       insecure=self._insecure)

    def stop(self) -> None:
        """Stop what ``start`` launched and remove its traces; idempotent."""
        backend, self._backend = self._backend, None
        self._endpoint = None
        cleanup.untrack(self)
        if backend is not None:
            backend.stop()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- what callers connect to --------------------------------------------

    @property
    def endpoint(self) -> Endpoint:
        if self._endpoint is None:
            raise SimulatorError("simulator not started")
        return self._endpoint

    @property
    def backend(self) -> str:
        """The concrete backend in use (``auto`` resolved)."""
        if self._backend is None:
            raise SimulatorError("simulator not started")
        return self._backend.name

    @property
    def running_backend(self) -> Backend:
        if self._backend is None:
            raise SimulatorError("simulator not started")
        return self._backend

    url = property(lambda self: self.endpoint.url, doc="https://user:pass@host:port/sdk")
    host = property(lambda self: self.endpoint.host)
    port = property(lambda self: self.endpoint.port)
    username = property(lambda self: self.endpoint.username)
    password = property(lambda self: self.endpoint.password)
    insecure = property(lambda self: self.endpoint.insecure)

    @property
    def control(self) -> Control:
        """The control API (faults, latency, trace, sessions) of this simulator."""
        return Control(self.endpoint)

    def output(self) -> str:
        """What the simulator printed so far."""
        return self._backend.output() if self._backend else ""

    def __repr__(self) -> str:
        where = self._endpoint.redacted() if self._endpoint else "not started"
        return f"<Simulator {self.requested_backend} {where}>"
