"""Start-up failures name their cause and leave nothing behind."""

from __future__ import annotations

import os
import stat

import pytest

from sim import BackendUnavailable, Simulator, SimulatorError, StartError

from .leaks import assert_gone


def test_bogus_binary_path():
    with pytest.raises(StartError, match=r"cannot execute the simulator /nonexistent/vcsim"):
        Simulator("process", binary="/nonexistent/vcsim").start()


def test_readiness_timeout_includes_simulator_output(tmp_path):
    fake = tmp_path / "fake-vcsim"
    pid_file = tmp_path / "pid"
    fake.write_text(f"#!/bin/sh\necho $$ > {pid_file}\necho 'fake vcsim: warming up'\n"
                    "exec sleep 60\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    sim = Simulator("process", binary=fake, startup_timeout=1.5)
    with pytest.raises(StartError) as err:
        sim.start()
    message = str(err.value)
    assert "was not ready within 1.5 s (it printed no GOVC_URL line)" in message
    assert "fake vcsim: warming up" in message
    assert_gone(pid=int(pid_file.read_text()))


def test_unknown_backend_is_rejected():
    with pytest.raises(SimulatorError, match="unknown simulator backend 'vmware'"):
        Simulator("vmware")


def test_url_backend_needs_a_url():
    with pytest.raises(SimulatorError, match="url backend needs url="):
        Simulator("url")


@pytest.mark.docker
def test_missing_custom_image_is_a_clear_error():
    with pytest.raises(BackendUnavailable, match=r"image vmware/vcsim:no-such-tag is not present"
                                                 r" locally.*docker pull vmware/vcsim:no-such"):
        Simulator("docker", image="vmware/vcsim:no-such-tag").start()


def test_docker_backend_without_engine_names_the_daemon_error(monkeypatch):
    monkeypatch.setitem(os.environ, "DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(BackendUnavailable, match=r"no Docker engine answers at "
                                                 r"unix:///nonexistent/docker.sock: "):
        Simulator("docker").start()


def test_auto_falls_back_to_process_without_engine(monkeypatch):
    monkeypatch.setitem(os.environ, "DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with Simulator("auto") as sim:
        assert sim.backend == "process"


@pytest.mark.docker
def test_auto_prefers_docker_when_an_engine_answers():
    with Simulator("auto") as sim:
        assert sim.backend == "docker"
