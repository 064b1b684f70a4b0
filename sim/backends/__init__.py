"""Simulator backends, one module each: process, docker, url."""

from __future__ import annotations

from .. import docker_engine
from ..errors import SimulatorError
from .base import Backend
from .docker import DockerBackend
from .process import ProcessBackend
from .url import UrlBackend

BACKENDS = ("auto", "process", "docker", "url")

__all__ = ["BACKENDS", "Backend", "DockerBackend", "ProcessBackend", "UrlBackend", "resolve"]


def resolve(name: str) -> str:
    """The concrete backend for ``name``: ``auto`` is docker when an engine answers."""
    if name not in BACKENDS:
        raise SimulatorError(f"unknown simulator backend {name!r}; choose one of {BACKENDS}")
    if name == "auto":
        return "docker" if docker_engine.unavailable_reason() is None else "process"
    return name
