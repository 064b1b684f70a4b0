"""The pytest plugin: options, environment, and the vcsim / vsphere fixtures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

PROBE = """
def test_probe(vcsim, vsphere):
    about = vsphere.RetrieveContent().about
    assert vsphere.CurrentTime() is not None  # a session's call (no session key read)
    print("BACKEND", vcsim.backend, "PORT", vcsim.port, "NAME", about.fullName)
"""


def _run(pytester, *args):
    pytester.makepyfile(test_probe=PROBE)
    return pytester.runpytest_subprocess("-p", "harness.plugin", "-s", *args)


def test_vcsim_option_selects_the_backend(backend, pytester):
    result = _run(pytester, f"--vcsim={backend}")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*BACKEND {backend} PORT * NAME *(govmomi simulator)"])


def test_env_selects_the_backend(pytester, monkeypatch):
    monkeypatch.setenv("VCSIM_BACKEND", "process")
    _run(pytester).stdout.fnmatch_lines(["*BACKEND process *"])


@pytest.mark.parametrize("via", ["option", "env"])
def test_url_reuses_a_running_simulator(vcsim, pytester, monkeypatch, via):
    if via == "env":
        monkeypatch.setenv("VCSIM_URL", vcsim.url)
        monkeypatch.setenv("VCSIM_THUMBPRINT", vcsim.endpoint.thumbprint)
        args = ()
    else:
        args = (f"--vcsim-url={vcsim.url}", f"--vcsim-thumbprint={vcsim.endpoint.thumbprint}")
    _run(pytester, *args).stdout.fnmatch_lines([f"*BACKEND url PORT {vcsim.port} *"])


def test_without_its_thumbprint_even_our_simulator_is_not_taken_for_it(vcsim, pytester):
    result = _run(pytester, f"--vcsim-url={vcsim.url}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*is not the harness's simulator (no thumbprint was given)*"])
    assert f":{vcsim.endpoint.password}@" not in result.stderr.str()


def test_a_url_called_a_real_vcenter_is_guarded_even_if_it_is_ours(vcsim, pytester):
    """--allow-real-vcenter: the user says it is a real vCenter, so the guard
    stays, whatever answers at the URL."""
    secret = pytester.path / "vc.pw"
    secret.write_text(vcsim.endpoint.password + "\n")
    secret.chmod(0o600)
    result = _run(pytester, f"--vcsim-url=https://{vcsim.endpoint.username}@{vcsim.endpoint.netloc}/sdk",
                  f"--vcsim-password-file={secret}", "--allow-real-vcenter", "--insecure")
    result.assert_outcomes(passed=1)
    guarded = [line for line in result.stdout.lines if "BACKEND url PORT" in line]
    assert guarded and f"PORT {vcsim.port} " not in guarded[0], result.stdout.str()
    plain = _run(pytester, f"--vcsim-url={vcsim.url}",
                 f"--vcsim-thumbprint={vcsim.endpoint.thumbprint}")
    plain.stdout.fnmatch_lines([f"*BACKEND url PORT {vcsim.port} *"])


def test_bad_backend_in_env_is_a_usage_error(pytester, monkeypatch):
    monkeypatch.setenv("VCSIM_BACKEND", "esx")
    result = _run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*VCSIM_BACKEND='esx' is not one of auto, process, docker, url*"])


def test_url_backend_without_url_is_a_usage_error(pytester, monkeypatch):
    monkeypatch.delenv("VCSIM_URL", raising=False)
    result = _run(pytester, "--vcsim=url")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--vcsim=url needs --vcsim-url*"])


def test_each_xdist_worker_gets_its_own_simulator(pytester):
    pytester.makepyfile(test_ports="""
        import os, pytest

        @pytest.mark.parametrize("n", range(4))
        def test_port(vcsim, n):
            print("WORKER", os.environ["PYTEST_XDIST_WORKER"], "PORT", vcsim.port)
    """)
    result = pytester.runpytest_subprocess("-p", "harness.plugin", "-p", "xdist", "-n", "2",
                                           "--vcsim=process", "-rP")
    result.assert_outcomes(passed=4)
    ports = {}
    for line in result.stdout.lines:
        if line.startswith("WORKER"):
            _, worker, _, port = line.split()
            ports.setdefault(worker, set()).add(port)
    assert len(ports) == 2, result.stdout.str()
    assert all(len(p) == 1 for p in ports.values())  # started once per worker
    assert len(set.union(*ports.values())) == 2  # and not shared


def test_one_url_simulator_is_not_shared_by_xdist_workers(vcsim, pytester):
    ours = (f"--vcsim-url={vcsim.url}", f"--vcsim-thumbprint={vcsim.endpoint.thumbprint}")
    result = pytester.runpytest_subprocess("-p", "harness.plugin", "-p", "xdist", "-n", "2",
                                           *ours)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*xdist workers (-n) would share it*"])
    one = pytester.runpytest_subprocess("-p", "harness.plugin", "-p", "xdist", "-n", "1", *ours)
    assert one.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_without_go_or_a_built_simulator_the_run_fails_once_saying_what_to_do(pytester,
                                                                                monkeypatch):
    monkeypatch.setenv("IMAGECACHE_HARNESS_CACHE", str(pytester.path / "empty-cache"))
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))  # python, no go
    pytester.makepyfile(test_two="def test_a(vcsim):\n    pass\n\n"
                                 "def test_b(vcsim):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "harness.plugin", "--vcsim=process")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*the Go toolchain is not on PATH*Install Go >= 1.21*"
                                 "--vcsim-url URL --vcsim-thumbprint SHA256*"])
    assert "test_a" not in result.stdout.str()  # not once per test: before any


def test_docker_without_an_engine_fails_once_with_the_daemons_words(pytester, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{pytester.path}/no-engine.sock")
    pytester.makepyfile(test_one="def test_a(vcsim):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "harness.plugin", "--vcsim=docker")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--vcsim=docker: no Docker engine answers at unix://*"
                                 "no-engine.sock*--vcsim=process*"])
