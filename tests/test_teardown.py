"""Nothing is left behind: after stop, Ctrl-C, SIGTERM, SIGKILL of the
launcher, or a crashed xdist worker."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sim import Simulator, build, launched, reaper
from sim.cleanup import temporary_directory
from sim.ownership import MARKER_ENV, TEMP_PREFIX, WORKDIR_PREFIX, Owner, read_owner, write_owner

from .leaks import assert_gone, container_exists, process_exists, wait_until

ROOT = Path(__file__).resolve().parent.parent


def _taking(sig: int) -> Callable[[], None]:
    """A child's preexec_fn, for a child that must take ``sig``: the
    disposition the test relies on, whatever the test run inherited (started
    in the background without job control, SIGINT comes ignored; under
    nohup, SIGHUP). SIGKILL's cannot be set, nor ignored."""
    def preexec() -> None:
        if sig != signal.SIGKILL:
            signal.signal(sig, signal.SIG_DFL)
    return preexec


def _launch(backend: str, style: str, sig: int) -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.launcher", backend, style],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_taking(sig))
    line = proc.stdout.readline()
    if not line:
        proc.wait(10)
        pytest.fail(f"launcher failed: {proc.stderr.read()}")
    return proc, json.loads(line)


def _gone(info: dict, client) -> None:
    assert_gone(pid=int(info["pid"]) if info["pid"] else None, workdir=info["workdir"],
                container_id=info["container_id"], client=client)


@pytest.mark.parametrize(("style", "sig", "status"), [
    ("plain", signal.SIGKILL, -signal.SIGKILL),
    ("context", signal.SIGINT, None),
    ("plain", signal.SIGTERM, -signal.SIGTERM),
], ids=["sigkill-launcher", "ctrl-c", "sigterm"])
def test_launcher_death_leaves_nothing(backend, style, sig, status, request):
    client = request.getfixturevalue("docker_client") if backend == "docker" else None
    proc, info = _launch(backend, style, sig)
    if backend == "docker":
        assert container_exists(client, info["container_id"])
    else:
        assert process_exists(int(info["pid"])) and Path(info["workdir"]).is_dir()
    proc.send_signal(sig)
    returncode = proc.wait(30)
    if status is not None:
        assert returncode == status, proc.stderr.read()
    _gone(info, client)


def test_crashed_xdist_worker_leaves_nothing(backend, request, pytester):
    client = request.getfixturevalue("docker_client") if backend == "docker" else None
    record = pytester.path / "sim.json"
    pytester.makepyfile(test_crash=textwrap.dedent(f"""
        import json, os, signal

        def test_crash(vcsim):
            backend = vcsim.running_backend
            info = {{"pid": getattr(backend, "pid", None),
                    "workdir": str(getattr(backend, "workdir", None) or "") or None,
                    "container_id": getattr(backend, "container_id", None)}}
            open({str(record)!r}, "w").write(json.dumps(info))
            os.kill(os.getpid(), signal.SIGKILL)
    """))
    result = pytester.runpytest_subprocess("-p", "harness.plugin", "-p", "xdist", "-n", "1",
                                           f"--vcsim={backend}", "--max-worker-restart=0")
    result.stdout.fnmatch_lines(["*crashed while running*test_crash*"])
    _gone(json.loads(record.read_text()), client)


def test_reaper_removes_work_dir_of_a_dead_launcher(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    workdir = launched.temp_root() / f"{WORKDIR_PREFIX}test-{os.getpid()}"
    workdir.mkdir()
    (workdir / "govcsim-1").mkdir()
    write_owner(workdir, Owner(Owner.current().host, dead.pid, None), None)
    removed = reaper.reap(with_containers=False)
    assert any(str(workdir) in line for line in removed)
    assert not workdir.exists()


@pytest.mark.parametrize("prefix", [WORKDIR_PREFIX, TEMP_PREFIX])
def test_reaper_waits_for_a_launch_in_progress(prefix):
    # `sim up` records its owner before the simulator's PID; a folder is
    # created before its owner record. A reap in between must leave them.
    folder = launched.temp_root() / f"{prefix}starting-{os.getpid()}"
    folder.mkdir()
    try:
        if prefix == WORKDIR_PREFIX:
            write_owner(folder, Owner.current(detached_name="starting"), None)
        reaper.reap(with_containers=False)
        assert folder.is_dir()
        old = time.time() - 120  # a launch that never finished
        os.utime(folder, (old, old))
        reaper.reap(with_containers=False)
        assert not folder.exists()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_reaper_keeps_simulators_of_live_launchers():
    with Simulator("process") as sim:
        workdir = sim.running_backend.workdir
        reaper.reap(with_containers=False)
        assert workdir.is_dir()
        assert process_exists(sim.running_backend.pid)


def test_reaper_stops_orphaned_simulator_process(tmp_path):
    # A simulator whose launcher died but which ignores stdin (as a detached
    # one would): the reaper must find it by its marker and stop it.
    workdir = launched.temp_root() / f"{WORKDIR_PREFIX}orphan-{os.getpid()}"
    workdir.mkdir()
    dead = subprocess.Popen(["true"])
    dead.wait()
    # Owned by this test until just before the reap, so that no parallel
    # worker's reaper takes it while it starts.
    write_owner(workdir, Owner.current(), None)
    child = subprocess.Popen(
        [str(build.ensure_binary()), "-l", "127.0.0.1:0", "-home", str(workdir)],
        env={**os.environ, MARKER_ENV: str(workdir)}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    wait_until(lambda: any(workdir.glob("govcsim-*")), "simulator created its tree")
    write_owner(workdir, Owner(Owner.current().host, dead.pid, None), child.pid)
    reaper.reap(with_containers=False)
    assert child.wait(15) == 0  # SIGTERM: a clean exit
    assert not workdir.exists()


def test_reaper_stops_simulator_process_whose_work_dir_is_gone(tmp_path):
    workdir = tmp_path / "workdir"
    workdir.mkdir()
    child = subprocess.Popen(
        [str(build.ensure_binary()), "-l", "127.0.0.1:0", "-home", str(tmp_path / "home")],
        env={**os.environ, MARKER_ENV: str(workdir)}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_until(lambda: any((tmp_path / "home").glob("govcsim-*")), "simulator started")
        workdir.rmdir()
        reaper.reap(with_containers=False)  # or a parallel worker's: both stop it
        assert child.wait(15) == 0
    finally:
        if child.poll() is None:
            child.kill()


def test_a_simulator_exiting_by_itself_is_no_orphan(tmp_path):
    # A simulator removes its work directory just before it exits; a reap in
    # between must neither report nor signal it.
    exiting = subprocess.Popen(["sleep", "0.3"],
                               env={**os.environ, MARKER_ENV: str(tmp_path / "removed")})
    removed = reaper.reap(with_containers=False)
    assert not any(str(tmp_path) in line for line in removed), removed
    assert exiting.wait(5) == 0


def test_a_launch_after_the_reapers_directory_scan_is_no_orphan(monkeypatch):
    # Another worker's reaper listed the work directories just before this
    # launch and the simulator processes just after it.
    monkeypatch.setattr(launched, "_workdirs", lambda: [])
    with Simulator("process") as sim:
        removed = reaper.reap(with_containers=False)
        assert not any(str(sim.running_backend.workdir) in line for line in removed), removed
        assert process_exists(sim.running_backend.pid)


@pytest.mark.docker
def test_reaper_removes_container_of_a_dead_launcher(docker_client):
    from sim.image import ensure_image

    dead = subprocess.Popen(["true"])
    dead.wait()
    labels = Owner(Owner.current().host, dead.pid, None).labels()
    container = docker_client.containers.run(
        ensure_image(docker_client), ["-l", "127.0.0.1:0"], detach=True, network_mode="host",
        labels=labels, auto_remove=True)
    reaper.reap()  # this one, or a parallel worker's: either must remove it
    assert not container_exists(docker_client, container.id)


def _holder(sig: int, disposition: signal.Handlers) -> tuple[subprocess.Popen, Path]:
    """A process holding a temporary directory, started with ``sig`` at
    ``disposition`` (a test run under nohup would pass SIGHUP on ignored)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import signal, time
            signal.signal({int(sig)}, signal.{disposition.name})
            from sim.cleanup import temporary_directory
            with temporary_directory("test") as path:
                (path / "lock").write_text("x")
                print(path, flush=True)
                time.sleep(600)
        """)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    path = Path(holder.stdout.readline().strip())
    assert path.name.startswith(f"{TEMP_PREFIX}test-") and (path / "lock").is_file(), \
        holder.stderr.read()
    return holder, path


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["sigterm", "sighup"])
def test_temporary_directory_is_removed_when_its_process_is_signalled(sig):
    holder, path = _holder(sig, signal.SIG_DFL)
    holder.send_signal(sig)
    assert holder.wait(15) == -sig
    assert not path.exists()


def test_a_signal_the_process_was_started_ignoring_stays_ignored():
    """Under nohup, SIGHUP is not the harness's to take: the process goes on
    and keeps its directory, and SIGTERM still removes it."""
    holder, path = _holder(signal.SIGHUP, signal.SIG_IGN)
    holder.send_signal(signal.SIGHUP)
    with pytest.raises(subprocess.TimeoutExpired):
        holder.wait(1)
    assert (path / "lock").is_file()
    holder.send_signal(signal.SIGTERM)
    assert holder.wait(15) == -signal.SIGTERM
    assert not path.exists()


def test_reaper_removes_temporary_directory_of_a_dead_owner_only():
    dead = subprocess.Popen(["true"])
    dead.wait()
    with temporary_directory("live") as live:
        orphan = launched.temp_root() / f"{TEMP_PREFIX}test-{os.getpid()}"
        orphan.mkdir()
        write_owner(orphan, Owner(Owner.current().host, dead.pid, None), None)
        removed = reaper.reap(with_containers=False)
        assert any(f"temporary folder {orphan}" in line for line in removed), removed
        assert not orphan.exists()
        assert live.is_dir()
    assert not live.exists()


LONG_CONTENTION = """\
name: long
purpose: A run that lasts long enough to be interrupted.
duration: 60s
schedule: free
images: {img1: {}}
actors:
  - ager: {node: node1, interval: 1s}
  - spawner: {node: node1, image: img1, hold: 60s}
"""

CONTENTION_RUNNER = """
import sys
from pathlib import Path
from harness.contention.loader import load_contention
from harness.contention.runner import run_contention
from sim import Endpoint
run_contention(load_contention(Path(sys.argv[1])), "refimpl", Endpoint.from_url(sys.argv[3]),
               seed=1, reports=Path(sys.argv[2]))
"""


def _actors_of(runner_pid: int) -> dict[int, Path]:
    """The contention actors whose run folder ``runner_pid`` owns: PID -> folder."""
    found = {}
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"harness.contention.actor" not in argv:
            continue
        try:  # its output goes to its log, in the run's folder
            folder = Path(os.readlink(proc / "fd" / "1")).parent
        except OSError:
            continue
        owner = read_owner(folder)
        if owner is not None and owner[0].pid == runner_pid:
            found[int(proc.name)] = folder
    return found


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "sigkill"])
def test_contention_actors_end_with_their_runner(tmp_path, sig):
    scenario = tmp_path / "long.yaml"
    scenario.write_text(LONG_CONTENTION)
    # The simulator outlives the runner: the actors must not need its end.
    with Simulator("process") as sim:
        runner = subprocess.Popen([sys.executable, "-c", CONTENTION_RUNNER, str(scenario),
                                   str(tmp_path / "reports"), sim.endpoint.url], cwd=ROOT,
                                  preexec_fn=_taking(sig))
        try:
            wait_until(lambda: len(_actors_of(runner.pid)) == 2, "the actors never started", 60)
            actors = _actors_of(runner.pid)
            runner.send_signal(sig)
            runner.wait(30)
        finally:
            if runner.poll() is None:
                runner.kill()
        wait_until(lambda: not any(process_exists(pid) for pid in actors),
                   "actors outlived their runner", 30)
    (folder,) = set(actors.values())
    if sig == signal.SIGKILL:  # its run folder is left for the reaper (this one or a worker's)
        reaper.reap(with_containers=False)
    assert not folder.exists()
