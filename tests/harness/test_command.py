"""imagecache-harness, the one command a user's CI runs: from a wheel in an
empty folder, its exit codes, its templates and its protocol check."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from harness.contention.loader import load_contention
from harness.scenario import load_scenario

COMMAND = str(Path(sys.executable).parent / "imagecache-harness")


def harness(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COMMAND, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def test_the_wheel_runs_the_shipped_corpus_from_an_empty_folder(installed, tmp_path):
    done = subprocess.run([str(installed / "imagecache-harness"), "run", "--impl", "refimpl",
                           "--impl", "original", "--tier", "must"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " passed" in done.stdout and " failed" not in done.stdout
    assert list(tmp_path.iterdir()) == []  # nothing written where it ran, unasked


def test_without_go_the_wheel_runs_against_a_simulator_given_by_url(installed, tmp_path,
                                                                    vcsim):
    env = {"PATH": str(installed), "HOME": str(tmp_path),  # no go on it; an empty cache
           "IMAGECACHE_HARNESS_CACHE": str(tmp_path / "cache")}
    without = subprocess.run([str(installed / "imagecache-harness"), "run", "--impl", "refimpl",
                              "--tier", "must", "--", "--vcsim=process"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=300)
    assert without.returncode == 2 and "the Go toolchain is not on PATH" in without.stderr
    done = subprocess.run([str(installed / "imagecache-harness"), "run", "--impl", "refimpl",
                           "--tier", "must", "--", f"--vcsim-url={vcsim.url}",
                           f"--vcsim-thumbprint={vcsim.endpoint.thumbprint}"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " passed" in done.stdout and not (tmp_path / "cache").exists()


def test_the_installed_plugin_knows_its_options_and_stays_out_of_other_projects(installed,
                                                                               tmp_path):
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "ci.yaml").write_text("jobs: {build: {}}\n")  # not ours
    (tmp_path / "test_x.py").write_text("def test_x():\n    pass\n")
    plain = subprocess.run([str(installed / "pytest"), "-q", "-p", "no:cacheprovider"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert plain.returncode == 0 and "1 passed" in plain.stdout, plain.stdout + plain.stderr
    asked = subprocess.run([str(installed / "pytest"), "-q", "-p", "no:cacheprovider",
                            "--impl", "refimpl", "--co", "scenarios"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert "unrecognized arguments" not in asked.stderr
    assert "ci.yaml" in asked.stdout + asked.stderr  # asked: it reads the folder as scenarios


def test_templates_validate_and_run_from_a_folder_of_any_name(tmp_path):
    for args in (["checks/mine.yaml"], ["checks/races/race.yaml", "--contention"]):
        done = harness("new-scenario", *args, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    load_scenario(tmp_path / "checks" / "mine.yaml")
    load_contention(tmp_path / "checks" / "races" / "race.yaml")
    again = harness("new-scenario", "checks/mine.yaml", cwd=tmp_path)
    assert again.returncode == 2 and "exists" in again.stderr
    done = harness("run", "--impl", "refimpl", "--no-corpus", "--scenarios", "checks",
                   cwd=tmp_path)
    assert done.returncode == 0 and "2 passed" in done.stdout, done.stdout + done.stderr
    # A manifest of one's own may name one's own scenarios (and no others).
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "refimpl.yaml").write_text(
        "implementation: refimpl\nexpected_failures:\n  mine: {reason: listed}\n")
    listed = harness("run", "--impl", "refimpl", "--no-corpus", "--scenarios", "checks",
                     "--expectations", "manifests", cwd=tmp_path)
    assert listed.returncode == 1 and "XPASS(strict)" in listed.stdout, listed.stderr


def test_exit_codes_tell_results_from_usage(tmp_path):
    harness("new-scenario", "checks/mine.yaml", cwd=tmp_path)
    mine = tmp_path / "checks" / "mine.yaml"
    mine.write_text(mine.read_text().replace("T12:00:00Z", "T13:00:00Z"))
    failed = harness("run", "--impl", "refimpl", "--no-corpus", "--scenarios", "checks",
                     cwd=tmp_path)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    for args, said in ((["--scenarios", "nowhere"], "no such folder"),
                       (["--scenarios", "checks", "--impl", "nosuch"], "nosuch")):
        done = harness("run", "--impl", "refimpl", "--no-corpus", *args, cwd=tmp_path)
        assert done.returncode == 2 and said in done.stdout + done.stderr, done.stderr
    assert harness("frobnicate", cwd=tmp_path).returncode == 2


def test_protocol_check_passes_refimpl_and_names_what_a_broken_peer_got_wrong(tmp_path):
    # An argument with spaces stays one argument of the peer's command line.
    good = harness("protocol-check", "--", sys.executable, "-c",
                   "import runpy; runpy.run_module('refimpl.serve', run_name='__main__')",
                   cwd=tmp_path)
    assert good.returncode == 0 and "all ok" in good.stdout, good.stdout + good.stderr
    peer = tmp_path / "deaf.py"
    peer.write_text("import sys\nsys.stdin.readline()\nsys.stderr.write('no config\\n')\n")
    bad = harness("protocol-check", "--", sys.executable, str(peer), cwd=tmp_path)
    assert bad.returncode == 1
    assert "FAILED start" in bad.stdout and "no config" in bad.stdout, bad.stdout


def test_the_subcommands_carry_their_own_names(tmp_path):
    for command in ("sim", "explore", "race", "guard"):
        done = harness(command, "--help", cwd=tmp_path)
        assert done.returncode == 0 and f"usage: imagecache-harness {command}" in done.stdout


def test_the_engine_wrapper_ships_and_passes_the_commands_exit_code(installed, tmp_path):
    wrapped = subprocess.run([str(installed / "imagecache-harness"), "with-docker-engine",
                              "sh", "-c", "exit 3"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=600)
    assert wrapped.returncode == 3, wrapped.stderr
    assert harness("with-docker-engine", cwd=tmp_path).returncode == 2
