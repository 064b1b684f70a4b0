"""Simulator backends, one module each: process, docker, url."""

from __future__ import annotations

from .. import build, docker_engine
from ..errors import BackendUnavailable, BuildError, SimulatorError
from .base import Backend
from .docker import DockerBackend
from .process import ProcessBackend
from .url import UrlBackend

BACKENDS = ("auto", "process", "docker", "url")

__all__ = ["BACKENDS", "Backend", "DockerBackend", "ProcessBackend", "UrlBackend", "preflight",
           "resolve"]


def resolve(name: str) -> str:
    """The concrete backend for ``name``: ``auto`` is docker when an engine answers."""
    if name not in BACKENDS:
        raise SimulatorError(f"unknown simulator backend {name!r}; choose one of {BACKENDS}")
    if name == "auto":
        return "docker" if docker_engine.unavailable_reason() is None else "process"
    return name


def preflight(name: str) -> str:
    """The concrete backend for ``name``, once it is known to be able to start
    a simulator: a run without one fails here, once, not in every test."""
    concrete = resolve(name)
    if concrete == "docker" and (reason := docker_engine.unavailable_reason()) is not None:
        raise BackendUnavailable(f"--vcsim=docker: {reason}. Start an engine (the shipped "
                                 "with-docker-engine script does), or use --vcsim=process")
    if concrete == "process" and not build.can_start():
        raise BuildError(build.NO_GO)
    return concrete
