"""Checks that a given simulator left nothing behind."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import docker
import docker.errors

from sim.ownership import pid_carries_marker


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout:g} s still: {what}")
        time.sleep(0.05)


def container_exists(client: docker.DockerClient, container_id: str) -> bool:
    try:
        client.api.inspect_container(container_id)
    except docker.errors.NotFound:
        return False
    return True


def process_exists(pid: int) -> bool:
    """Whether ``pid`` runs and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def assert_gone(*, pid: int | None = None, workdir: str | Path | None = None,
                container_id: str | None = None, client: docker.DockerClient | None = None,
                timeout: float = 20.0) -> None:
    """Wait until the simulator process, its work dir and its container are all gone."""
    if pid is not None and workdir is not None:
        wait_until(lambda: not pid_carries_marker(pid, Path(workdir)),
                   f"simulator process {pid} runs", timeout)
    elif pid is not None:
        wait_until(lambda: not process_exists(pid), f"process {pid} runs", timeout)
    if workdir is not None:
        wait_until(lambda: not Path(workdir).exists(), f"{workdir} exists", timeout)
    if container_id is not None:
        assert client is not None
        wait_until(lambda: not container_exists(client, container_id),
                   f"container {container_id[:12]} exists (docker ps -a)", timeout)


def traces(sim) -> dict:
    """What a running simulator leaves on the machine: pid, work dir, container."""
    backend = sim.running_backend
    return {
        "pid": getattr(backend, "pid", None),
        "workdir": getattr(backend, "workdir", None),
        "container_id": getattr(backend, "container_id", None),
    }
