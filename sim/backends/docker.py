"""The simulator in a Docker container on the host network."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import uuid

import docker
import docker.errors
from docker.utils.socket import frames_iter

from .. import docker_engine
from ..endpoint import Endpoint
from ..errors import BackendUnavailable
from ..image import ensure_image
from ..options import SimulatorOptions
from ..output import OutputBuffer
from ..ownership import Owner
from ..readiness import wait_until_ready

log = logging.getLogger(__name__)

STOP_TIMEOUT = 10


class DockerBackend:
    """Runs the harness image (or ``image``, e.g. upstream ``vmware/vcsim:<tag>``).

    The container is auto-removed when it exits and carries owner labels.
    Attached (the default), it is created with stdin open and ``StdinOnce``
    and we hold the attach socket: when this process dies the daemon closes
    the container's stdin, ``-stdinexit`` ends vcsim and the container goes.
    """

    name = "docker"

    def __init__(self, options: SimulatorOptions, owner: Owner, *, image: str | None = None,
                 insecure: bool = True) -> None:
        self._options = options
        self._owner = owner
        self._image = image
        self._detached = owner.detached
        self._insecure = insecure
        self._client: docker.DockerClient | None = None
        self._container_id: str | None = None
        self._attach = None
        self._output = OutputBuffer("vcsim-docker")

    @property
    def container_id(self) -> str | None:
        return self._container_id

    def start(self, timeout: float) -> Endpoint:
        self._client = docker_engine.connect()
        image = self._image or ensure_image(self._client)
        if self._image:
            self._require_local(image)
        # Another image (upstream's) knows only upstream's flags.
        args = self._options.args(harness_flags=not self._image)
        args += [] if self._detached else ["-stdinexit"]
        api = self._client.api
        self._container_id = api.create_container(
            image, command=args, name=f"ich-vcsim-{os.getpid()}-{uuid.uuid4().hex[:8]}",
            labels=self._owner.labels(),
            detach=self._detached, stdin_open=not self._detached,
            host_config=api.create_host_config(network_mode="host", auto_remove=True),
        )["Id"]
        try:
            # Attach before start so no output is missed; it is our only view
            # of a container that fails and is auto-removed at once.
            self._attach = api.attach_socket(self._container_id, params={
                "stdin": 0 if self._detached else 1, "stdout": 1, "stderr": 1, "stream": 1,
                "logs": 1})
            self._output.follow(data for _, data in frames_iter(self._attach, tty=False))
            api.start(self._container_id)
            endpoint = wait_until_ready(
                what=f"vcsim container {self._container_id[:12]}", output=self.output,
                running=self._running, timeout=timeout, insecure=self._insecure)
        except BaseException:
            self.stop()
            raise
        if self._detached:
            self._close_attach()
        return endpoint

    def _require_local(self, image: str) -> None:
        try:
            self._client.images.get(image)
        except docker.errors.ImageNotFound:
            raise BackendUnavailable(
                f"image {image} is not present locally and no registry is used; "
                f"`docker pull {image}` (or `docker load`) first, or leave out --vcsim-image "
                "to use the harness's own build") from None

    def _running(self) -> bool:
        try:
            if self._client.api.inspect_container(self._container_id)["State"]["Running"]:
                return True
        except docker.errors.NotFound:
            pass
        self._output.join()  # drain what it printed before it died
        return False

    def output(self) -> str:
        return self._output.text()

    def _close_attach(self) -> None:
        attach, self._attach = self._attach, None
        if attach is None:
            return
        raw = getattr(attach, "_sock", attach)
        with contextlib.suppress(OSError):
            raw.shutdown(socket.SHUT_RDWR)
        attach.close()
        self._output.join()

    def stop(self) -> None:
        container_id, self._container_id = self._container_id, None
        self._close_attach()
        if container_id is None or self._client is None:
            return
        remove_container(self._client, container_id)
        self._client.close()
        self._client = None


def remove_container(client: docker.DockerClient, container_id: str) -> None:
    """Stop ``container_id`` (SIGTERM, so vcsim cleans up) and make sure it is gone."""
    api = client.api
    try:
        api.stop(container_id, timeout=STOP_TIMEOUT)
        api.wait(container_id, condition="removed", timeout=STOP_TIMEOUT + 5)
    except docker.errors.NotFound:
        return
    except (docker.errors.APIError, docker.errors.DockerException, OSError) as exc:
        log.warning("container %s did not stop cleanly (%s); removing it by force",
                    container_id[:12], exc)
    try:
        api.remove_container(container_id, force=True)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as exc:
        # 409: removal already in progress (auto-remove); anything else is real.
        if exc.status_code != 409:
            raise
