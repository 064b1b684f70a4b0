"""Reaching the Docker engine, with the daemon's own words when it is not there."""

from __future__ import annotations

import os

import docker
import docker.errors
import requests.exceptions

from .errors import BackendUnavailable

DEFAULT_HOST = "unix:///var/run/docker.sock"


def connect(timeout: float = 10.0) -> docker.DockerClient:
    """A client whose engine answered a ping; BackendUnavailable otherwise."""
    where = os.environ.get("DOCKER_HOST", DEFAULT_HOST)
    try:
        client = docker.from_env(timeout=int(max(timeout, 1)))
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        raise BackendUnavailable(f"no Docker engine answers at {where}: {exc}") from exc
    return client


def unavailable_reason() -> str | None:
    """None when an engine answers, else why not (for skip reasons and `auto`)."""
    try:
        connect(timeout=3).close()
    except BackendUnavailable as exc:
        return str(exc)
    return None
