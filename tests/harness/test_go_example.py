"""examples/go-peer, the protocol's example in another language: built with
Go, it passes the must tier, and, from the installed wheel in an empty
folder, the whole corpus with its own manifest (the Reach issue's "done")."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim import Simulator

from .test_real_vcenter import SECRET, real_vcenter

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "go-peer"
COMMAND = str(Path(sys.executable).parent / "imagecache-harness")


@pytest.fixture(scope="module")
def peer(tmp_path_factory) -> Path:
    go = shutil.which("go")
    assert go is not None, "make test needs Go (the simulator is built with it too)"
    binary = tmp_path_factory.mktemp("go-peer") / "go-peer"
    subprocess.run([go, "build", "-o", str(binary), "."], cwd=EXAMPLE, check=True,
                   env={**os.environ, "CGO_ENABLED": "0"}, timeout=600)
    return binary


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COMMAND, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=1200)


def test_the_go_peer_speaks_the_protocol(peer, tmp_path):
    done = run("protocol-check", "--", str(peer), cwd=tmp_path)
    assert done.returncode == 0 and "all ok" in done.stdout, done.stdout + done.stderr


def test_the_go_peer_passes_the_must_tier(peer, tmp_path):
    done = run("run", "--impl", f"go=cmd:{peer}", "--tier", "must", cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout


def test_with_its_manifest_the_wheel_finds_the_whole_corpus_as_expected(installed, peer,
                                                                         tmp_path):
    done = subprocess.run([str(installed / "imagecache-harness"), "run", "--impl",
                           f"go=cmd:{peer}", "--expectations", str(EXAMPLE / "expectations")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and " xfailed" in done.stdout


def test_the_go_peer_runs_behind_the_guard(peer, pytester):
    """govmomi sends its calls chunked and finds datacenters its own way:
    through the guard in front of a real vCenter (a stand-in), the must
    tier's scenarios that need no fault of the harness pass as refimpl's."""
    make_from = Path(__file__).resolve().parents[2] / "scenarios"
    with Simulator("process", username="administrator@vsphere.local", password=SECRET,
                   extra_args=["-control=false"]) as stand_in:
        result = pytester.runpytest_subprocess(
            "-p", "harness.plugin", str(make_from / "aging"), *real_vcenter(pytester, stand_in),
            "--insecure", "--impl", f"go=cmd:{peer}", "--no-manifests", "-m", "must",
            "-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 5 and "failed" not in outcomes, result.stdout.str()[-3000:]


def test_under_a_seeded_schedule_the_go_peer_keeps_the_run_exact(peer, tmp_path):
    """It reaches the schedule's control API (at the URL's root, not below
    /sdk) to sleep and to read the clock: no stall, and the order the seed
    gives is the order the run takes, run after run."""
    orders = set()
    for _ in range(2):
        done = run("replay", "busy-host", "--impl", f"go=cmd:{peer}", cwd=tmp_path)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
        assert ", exact" in done.stdout, done.stdout[-3000:]
        orders |= {line for line in done.stdout.splitlines() if line.startswith("order:")}
    assert len(orders) == 1, orders
