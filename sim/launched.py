"""Every simulator the harness launched on this machine, alive or left over.

Process-backend simulators are found by their work directories under the
temp dir, containers by their role label. ``reaper`` and the CLI's
``down``/``status`` both read this one listing.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors

from . import docker_engine
from .backends.docker import remove_container
from .backends.process import terminate
from .endpoint import Endpoint
from .errors import BackendUnavailable, EndpointError
from .ownership import (
    LABEL_ROLE,
    MARKER_ENV,
    OUTPUT_FILE,
    ROLE_VCSIM,
    TEMP_PREFIX,
    WORKDIR_PREFIX,
    Owner,
    pid_carries_marker,
    read_owner,
)

log = logging.getLogger(__name__)

# A launch without a recorded PID or started container younger than this is in progress.
_GRACE_SECONDS = 60.0
# How long a simulator without a work directory may take to exit by itself.
_EXIT_GRACE = 1.0


@dataclass
class Launched:
    """One harness-launched simulator, process or container."""

    backend: str
    ident: str
    owner: Owner | None
    running: bool
    read_output: Callable[[], str]
    remove: Callable[[], None]
    age_seconds: float = 0.0
    # A simulator process whose work directory (and so owner record) is gone.
    orphan: bool = False
    # Being launched: no PID recorded yet, or a container created but not started.
    starting: bool = False
    kind: str = "simulator"

    @property
    def detached(self) -> bool:
        return self.owner is not None and self.owner.detached

    @property
    def stale(self) -> bool:
        """Left behind: its launcher is gone (or, detached, it no longer runs)."""
        if self.orphan:
            return True
        if self.owner is None or self.owner.detached:
            # Until its PID is recorded or its container started, a launch
            # looks "not running"; a parallel reaper removed `sim up`'s then.
            return not self.running and not (self.starting and self.age_seconds < _GRACE_SECONDS)
        return self.owner.is_local() and not self.owner.alive()

    def endpoint(self) -> Endpoint | None:
        try:
            return Endpoint.from_output(self.read_output())
        except EndpointError:
            return None


def temp_root() -> Path:
    return Path(tempfile.gettempdir())


def find(*, with_containers: bool = True) -> list[Launched]:
    """Every harness-launched simulator (containers only when asked and an engine answers)."""
    found = processes()
    if with_containers:
        try:
            client = docker_engine.connect(timeout=5)
        except BackendUnavailable:
            return found
        found += containers(client)
    return found


def processes() -> list[Launched]:
    """Work directories, plus simulator processes whose work directory is gone,
    plus the harness's other temporary folders (``backend`` "tmp")."""
    found = _workdirs() + _temp_folders()
    for pid, workdir in _orphans():
        found.append(Launched(
            backend="process", ident=str(workdir), owner=None, running=True,
            read_output=lambda: "", remove=lambda w=workdir, p=pid: _remove_workdir(w, p),
            orphan=True))
    return found


def _orphans() -> list[tuple[int, Path]]:
    """Simulator processes whose work directory is gone from disk.

    Asked of the disk, not of the listing of work directories: a launch that
    created its directory and process since then is no orphan (killing it
    broke a parallel worker's start-up). A simulator removes its directory as
    its last act, so one that is merely exiting gets ``_EXIT_GRACE`` to go.
    """
    candidates = [(pid, w) for pid, w in _marked_pids() if not w.is_dir()]
    deadline = time.monotonic() + _EXIT_GRACE
    while candidates and time.monotonic() < deadline:
        time.sleep(0.02)
        candidates = [(pid, w) for pid, w in candidates if pid_carries_marker(pid, w)]
    return candidates


def _marked_pids() -> list[tuple[int, Path]]:
    """(pid, work directory) of every process carrying the harness marker."""
    marker = MARKER_ENV.encode() + b"="
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        for var in environ.split(b"\0"):
            if var.startswith(marker):
                found.append((int(proc.name), Path(var[len(marker):].decode())))
    return found


def _temp_folders() -> list[Launched]:
    found = []
    for folder in sorted(temp_root().glob(TEMP_PREFIX + "*")):
        recorded = read_owner(folder)
        try:
            age = time.time() - folder.stat().st_mtime
        except OSError:
            continue
        found.append(Launched(
            backend="tmp", ident=str(folder), owner=recorded[0] if recorded else None,
            running=False, read_output=lambda: "",
            remove=lambda f=folder: shutil.rmtree(f, ignore_errors=True), age_seconds=age,
            starting=recorded is None, kind="temporary folder"))
    return found


def _workdirs() -> list[Launched]:
    found = []
    for workdir in sorted(temp_root().glob(WORKDIR_PREFIX + "*")):
        if not workdir.is_dir():
            continue
        recorded = read_owner(workdir)
        owner, pid = recorded if recorded else (None, None)
        running = pid is not None and pid_carries_marker(pid, workdir)
        try:
            age = time.time() - workdir.stat().st_mtime
        except OSError:
            continue
        found.append(Launched(
            backend="process", ident=str(workdir), owner=owner, running=running,
            read_output=lambda w=workdir: _read(w / OUTPUT_FILE),
            remove=lambda w=workdir, p=(pid if running else None): _remove_workdir(w, p),
            age_seconds=age, starting=pid is None))
    return found


def containers(client: docker.DockerClient) -> list[Launched]:
    found = []
    for info in client.api.containers(all=True, filters={"label": f"{LABEL_ROLE}={ROLE_VCSIM}"}):
        cid = info["Id"]
        found.append(Launched(
            backend="docker", ident=cid, owner=Owner.from_labels(info.get("Labels") or {}),
            running=info.get("State") == "running",
            read_output=lambda c=cid: _container_logs(client, c),
            remove=lambda c=cid: remove_container(client, c),
            age_seconds=time.time() - info.get("Created", time.time()),
            starting=info.get("State") == "created"))
    return found


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _container_logs(client: docker.DockerClient, cid: str) -> str:
    try:
        return client.api.logs(cid).decode(errors="replace")
    except docker.errors.NotFound:
        return ""


def _remove_workdir(workdir: Path, pid: int | None) -> None:
    if pid is not None:

        def wait(timeout: float) -> None:
            deadline = time.monotonic() + timeout
            while pid_carries_marker(pid, workdir):
                if time.monotonic() > deadline:
                    raise subprocess.TimeoutExpired(str(pid), timeout)
                time.sleep(0.05)

        terminate(pid, wait)
    shutil.rmtree(workdir, ignore_errors=True)
