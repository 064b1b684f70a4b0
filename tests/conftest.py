"""Fixtures shared by the project's own tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import docker
import pytest

from harness.adapters.nova_adapter import nova_venv
from sim import build, docker_engine

# pytester points HOME at a temp dir; pin the build cache so that inner
# pytest runs find the simulator binary instead of rebuilding it.
os.environ.setdefault("IMAGECACHE_HARNESS_CACHE", str(build.cache_dir()))
# Likewise upstream Nova's venv: inner runs start in a temp dir.
os.environ.setdefault("IMAGECACHE_NOVA_VENV", str(nova_venv()))


@pytest.fixture(scope="session")
def docker_unavailable() -> str | None:
    """Why no Docker engine answers (the daemon's own words), or None."""
    return os.environ.get("IMAGECACHE_DOCKER_ERROR") or docker_engine.unavailable_reason()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("docker") is None and _param_backend(item) == "docker":
            item.add_marker(pytest.mark.docker)


def _param_backend(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("backend") if callspec else None


@pytest.fixture(autouse=True)
def _skip_without_docker(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("docker"):
        reason = request.getfixturevalue("docker_unavailable")
        if reason:
            pytest.skip(reason)


@pytest.fixture
def nova_available() -> None:
    if (nova_venv() / "bin" / "python").exists():
        return
    message = f"no Nova venv at {nova_venv()}: run `make nova-env`"
    if os.environ.get("IMAGECACHE_REQUIRE_NOVA"):
        pytest.fail(message)  # make test builds it: missing means broken
    pytest.skip(message)


@pytest.fixture
def docker_client(docker_unavailable: str | None) -> Iterator[docker.DockerClient]:
    if docker_unavailable:
        pytest.skip(docker_unavailable)
    client = docker_engine.connect()
    yield client
    client.close()


@pytest.fixture(params=["process", "docker"])
def backend(request: pytest.FixtureRequest) -> str:
    """Each concrete backend that launches a simulator."""
    return request.param
