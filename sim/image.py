"""The simulator's Docker image, built locally ``FROM scratch``."""

from __future__ import annotations

import io
import logging
import tarfile
import time
from pathlib import Path

import docker
import docker.errors

from . import build
from .errors import BuildError

log = logging.getLogger(__name__)

IMAGE_REPOSITORY = "imagecache-harness/vcsim"
LABEL_SOURCE = "imagecache-harness.source"
LABEL_GOVMOMI = "imagecache-harness.govmomi"


def image_tag() -> str:
    """``imagecache-harness/vcsim:<govmomi version>``."""
    return f"{IMAGE_REPOSITORY}:{build.govmomi_version()}"


def ensure_image(client: docker.DockerClient) -> str:
    """The tag of an image built from the current sources, building it if needed."""
    if _is_current(client):
        return image_tag()
    binary = build.ensure_binary()
    with build.build_lock():
        return image_tag() if _is_current(client) else build_image(client, binary)


def _is_current(client: docker.DockerClient) -> bool:
    try:
        labels = client.images.get(image_tag()).labels or {}
    except docker.errors.ImageNotFound:
        return False
    return labels.get(LABEL_SOURCE) == build.source_digest()


def build_image(client: docker.DockerClient, binary: Path) -> str:
    """Build the image around ``binary`` and return its tag."""
    tag = image_tag()
    log.info("building image %s from %s", tag, binary)
    try:
        client.images.build(
            fileobj=_context(binary), custom_context=True, tag=tag, rm=True, forcerm=True,
            pull=False, labels={LABEL_SOURCE: build.source_digest(),
                                LABEL_GOVMOMI: build.govmomi_version()})
    except docker.errors.BuildError as exc:
        lines = "".join(str(chunk.get("stream") or chunk.get("error") or "")
                        for chunk in exc.build_log)
        raise BuildError(f"docker build of {tag} failed: {exc.msg}\n{lines}") from exc
    except docker.errors.APIError as exc:
        raise BuildError(f"docker build of {tag} failed: {exc}") from exc
    return tag


def _context(binary: Path) -> io.BytesIO:
    """A build context tar: Dockerfile, the binary and an empty rootfs/tmp."""
    buf = io.BytesIO()
    now = int(time.time())
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(build.SOURCE_DIR / "Dockerfile", arcname="Dockerfile")
        tar.add(binary, arcname="vcsim")
        for name, mode in (("rootfs", 0o755), ("rootfs/tmp", 0o1777)):
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, mode, now
            tar.addfile(info)
    buf.seek(0)
    return buf
