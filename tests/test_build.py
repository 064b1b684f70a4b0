"""The simulator build: pinned, cached by source digest, static; and its image."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from sim import Simulator, build
from sim.image import IMAGE_REPOSITORY, LABEL_GOVMOMI, LABEL_SOURCE, ensure_image, image_tag


def test_pinned_govmomi_version():
    assert build.govmomi_version() == "v0.56.0"


def test_binary_reports_the_pinned_version_and_is_static():
    binary = build.ensure_binary()
    out = subprocess.run([binary, "-version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == build.govmomi_version()
    if shutil.which("file"):
        kind = subprocess.run(["file", binary], capture_output=True, text=True).stdout
        assert "statically linked" in kind


def test_binary_path_follows_the_sources(tmp_path, monkeypatch):
    src = tmp_path / "vcsim"
    shutil.copytree(build.SOURCE_DIR, src)
    monkeypatch.setattr(build, "SOURCE_DIR", src)
    before = build.binary_path()
    (src / "extra.go").write_text("package main\n")
    after = build.binary_path()
    assert before != after and after.parent.name.startswith("v0.56.0-")
    (src / "extra_test.go").write_text("package main\n")
    assert build.binary_path() == after  # tests are not part of the binary


def test_cache_dir_is_configurable(tmp_path, monkeypatch):
    monkeypatch.setenv("IMAGECACHE_HARNESS_CACHE", str(tmp_path))
    assert build.binary_path().is_relative_to(tmp_path)


@pytest.mark.docker
def test_image_is_from_scratch_with_a_writable_tmp(docker_client):
    tag = ensure_image(docker_client)
    assert tag == f"{IMAGE_REPOSITORY}:v0.56.0" == image_tag()
    image = docker_client.images.get(tag)
    assert image.labels[LABEL_SOURCE] == build.source_digest()
    assert image.labels[LABEL_GOVMOMI] == "v0.56.0"
    config = image.attrs["Config"]
    assert config["Entrypoint"] == ["/vcsim"] and config["User"] == "10001:10001"
    assert len(image.attrs["RootFS"]["Layers"]) == 2  # FROM scratch: rootfs/ and /vcsim
    out = docker_client.containers.run(tag, ["-version"], remove=True)
    assert out.decode().strip() == "v0.56.0"
    container = docker_client.containers.create(tag)
    try:
        _, tmp = docker_client.api.get_archive(container.id, "/tmp")
    finally:
        container.remove()
    go_mode_sticky = 1 << 20
    assert tmp["mode"] & 0o777 == 0o777 and tmp["mode"] & go_mode_sticky


@pytest.mark.docker
def test_ensure_image_reuses_a_current_image(docker_client):
    first = docker_client.images.get(ensure_image(docker_client)).id
    assert docker_client.images.get(ensure_image(docker_client)).id == first


@pytest.mark.docker
def test_another_local_image_can_stand_in_for_upstream(docker_client):
    # Stands in for `vmware/vcsim:<tag>` pulled by a user: any local image
    # whose entrypoint is a vcsim.
    stand_in = "ich-test/vcsim-stand-in:latest"
    docker_client.images.get(ensure_image(docker_client)).tag(stand_in)
    try:
        with Simulator("docker", image=stand_in) as sim:
            container = docker_client.containers.get(sim.running_backend.container_id)
            assert container.attrs["Config"]["Image"] == stand_in
    finally:
        docker_client.images.remove(stand_in)
