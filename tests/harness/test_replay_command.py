"""``imagecache-harness replay`` and ``race`` from the installed wheel, in an
empty folder: every kind of replay line the harness prints runs there, and
exits 1 when the failure comes back, 0 when it does not, 2 on bad usage."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.explore.test_replays import CONTENTION, SEQUENTIAL

SWEEP = ["session-expires-mid-pass", "--zone", "UTC", "--site",
         "RetrievePropertiesEx (no path) #2", "--fault", "FileLocked", "--model", "reference"]


def harness(installed: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(installed / "imagecache-harness"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("kind, args, mutant", [
    ("scenario", ["exact-age-is-kept", "--zone", "UTC-08:00"], "non-strict-age"),
    ("sweep finding", SWEEP, "no-relogin-in-task-wait"),
    ("contention finding", ["finding.yaml", "--zone", "UTC+05:30", "--model", "reference"],
     "enlist-lock-name-differs"),
])
def test_a_replay_line_runs_from_the_wheel_in_an_empty_folder(installed, tmp_path, kind,
                                                              args, mutant):
    (tmp_path / "finding.yaml").write_text(CONTENTION)
    again = harness(installed, tmp_path, "replay", *args, "--impl", f"mutant:{mutant}",
                    "--reports", str(tmp_path / "reports"))
    assert again.returncode == 1, again.stdout[-3000:] + again.stderr[-3000:]
    assert "replay: FAILED (imagecache-harness replay " in again.stdout
    fixed = harness(installed, tmp_path, "replay", *args, "--impl", "refimpl",
                    "--reports", str(tmp_path / "reports"))
    assert fixed.returncode == 0, fixed.stdout[-3000:] + fixed.stderr[-3000:]
    # Nothing written where it ran but what --reports asks for.
    assert {p.name for p in tmp_path.iterdir()} <= {"finding.yaml", "reports"}


def test_a_finding_file_replays_with_what_it_stores(installed, tmp_path):
    """A finding file carries its implementation and zone: the file alone
    replays it; an option on the line wins over what it stores."""
    (tmp_path / "f.yaml").write_text(
        SEQUENTIAL + "replay: {impl: 'mutant:non-strict-age', zone: 'UTC+05:30'}\n")
    alone = harness(installed, tmp_path, "replay", "f.yaml", "--reports", str(tmp_path))
    assert alone.returncode == 1, alone.stdout[-3000:] + alone.stderr[-3000:]
    assert "--impl mutant:non-strict-age --zone UTC+05:30)" in alone.stdout
    assert harness(installed, tmp_path, "replay", "f.yaml", "--impl", "refimpl",
                   "--reports", str(tmp_path)).returncode == 0


def test_race_searches_seeds_and_exits_as_the_other_commands(installed, tmp_path):
    found = harness(installed, tmp_path, "race", "two-hosts-double-mark", "--impl", "original",
                    "--seed", "7", "--budget", "0", "--reports", str(tmp_path))
    assert found.returncode == 1, found.stdout[-3000:] + found.stderr[-3000:]
    assert "found at seed 7" in found.stdout
    assert "replay:   imagecache-harness replay two-hosts-double-mark --impl original " \
           "--seed 7" in found.stdout
    nothing = harness(installed, tmp_path, "race", "enlist-during-a-slow-delete-check",
                      "--impl", "refimpl", "--budget", "0", "--reports", str(tmp_path))
    assert nothing.returncode == 0 and "nothing found" in nothing.stdout, nothing.stdout


@pytest.mark.parametrize("command, args, words", [
    ("replay", ["no-such-scenario", "--impl", "refimpl"], "no-such-scenario: no such file"),
    ("race", ["no-such-scenario"], "no-such-scenario: no such file"),
    ("race", ["exact-age-is-kept"], "not a contention scenario"),
    ("replay", ["exact-age-is-kept"], "give --impl"),
    ("replay", ["exact-age-is-kept", "--impl", "refimpl", "--site", "X [d] p #1"],
     "--site and --fault go together"),
])
def test_bad_usage_exits_2_naming_what_is_wrong(installed, tmp_path, command, args, words):
    done = harness(installed, tmp_path, command, *args)
    assert done.returncode == 2 and words in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_a_finding_file_that_cannot_be_read_is_named_with_its_line(installed, tmp_path):
    (tmp_path / "finding.yaml").write_bytes(b"name: x\nreplay: &r {a: *r}\n")
    (tmp_path / "bom.yaml").write_bytes(b"\xff\xfename: x\n")
    for name, words in [("finding.yaml", "finding.yaml:2: an alias refers to"),
                        ("bom.yaml", "bom.yaml:1: not UTF-8 (byte 0xff at offset 0)")]:
        done = harness(installed, tmp_path, "replay", name, "--impl", "refimpl")
        assert done.returncode == 2 and words in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
