"""Zones in ``run``: each scenario runs its implementation in the zone its
name picks, so that a local-time bug fails ``run`` on a UTC host too."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from harness.adapters import ZONES, zone_of
from harness.format.shipped import CORPUS

COMMAND = str(Path(sys.executable).parent / "imagecache-harness")
NAMES = sorted(p.stem for p in CORPUS.rglob("*.yaml")
               if "expectations" not in p.relative_to(CORPUS).parts)


def test_the_names_of_the_corpus_cover_every_zone_the_same_every_time():
    zones = [zone_of(name) for name in NAMES]
    assert zones == [zone_of(name) for name in NAMES]
    counts = {zone: zones.count(zone) for zone in ZONES}
    assert min(counts.values()) >= len(NAMES) // 5, counts


def test_zones_all_runs_each_scenario_in_every_zone(pytester):
    result = pytester.runpytest_subprocess(
        "-p", "harness.plugin", "--vcsim=process", "--co", "-q", "--zones=all",
        str(CORPUS / "aging" / "exact-age-is-kept.yaml"))
    assert sorted(line.rpartition("[")[2] for line in result.stdout.lines
                  if "exact-age-is-kept[" in line) == sorted(f"{z}]" for z in ZONES)


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``imagecache-harness run`` on a host whose zone is UTC, of the corpus's
    aging scenarios (the example peer's test runs the whole corpus so)."""
    aging = tmp_path / "aging"
    if not aging.is_dir():
        shutil.copytree(CORPUS / "aging", aging)
    return subprocess.run([COMMAND, "run", "--no-corpus", "--scenarios", str(aging), "-n", "2",
                           *args], cwd=tmp_path, env={**os.environ, "TZ": "UTC0"},
                          capture_output=True, text=True, timeout=900)


def test_a_local_time_bug_fails_run_on_a_utc_host(tmp_path):
    done = run(tmp_path, "--impl", "mutant:marks-in-local-time")
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    failed = [line for line in done.stdout.splitlines() if line.startswith("FAILED")]
    assert failed and all(zone_of(_scenario(line)) != "UTC" for line in failed), failed
    assert re.search(r"replay: imagecache-harness replay \S+ --impl mutant:marks-in-local-time "
                     r"--zone UTC[+-]", done.stdout), done.stdout[-3000:]
    # Pinned to UTC, the host's zone, the bug does not show: what zones are for.
    pinned = run(tmp_path, "--impl", "mutant:marks-in-local-time", "--zones", "UTC")
    assert pinned.returncode == 0, pinned.stdout[-3000:]


def _scenario(line: str) -> str:
    """The scenario name of a ``FAILED path::name - ...`` line."""
    return line.split("::", 1)[1].split(" ", 1)[0].split("[", 1)[0]
