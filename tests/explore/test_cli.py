"""The explorer as a user meets it: ``python -m harness.explore`` against a
real simulator process, its summary, and the replay line it prints, run in a
shell as the user would paste it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.shell import shell


def explore(reports: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    done = shell(f"python -m harness.explore {' '.join(args)} --reports {reports}", timeout=600)
    summary = reports / "summary.json"
    assert summary.is_file(), done.stdout + done.stderr
    return done, json.loads(summary.read_text())


def test_refimpl_comes_out_clean(tmp_path):
    """No false alarm: the reference implementation, held to the reference
    model and contract, gives no finding in any mode."""
    done, summary = explore(tmp_path, "search", "--impl", "refimpl", "--budget", "45")
    assert done.returncode == 0, done.stdout + done.stderr
    assert [p["kind"] for p in summary["parts"]] == ["sequential", "contention", "sweeps"]
    for part in summary["parts"]:
        assert part["runs"] > 0 and part["findings"] == [], part
    [contention] = [p for p in summary["parts"] if p["kind"] == "contention"]
    assert contention["covered"]["call orders"] > 0, contention  # actors' calls did meet


@pytest.mark.parametrize("mode, mutant, seed, budget", [
    ("sequential", "non-strict-age", 1, 25),  # found in seconds; shrunk in the rest
    ("contention", "one-mark", 1, 60),  # an I1 after about 4 runs
    ("sweeps", "image-fault-ends-datastore", 1, 90),
])
def test_a_finding_replays_from_its_line(tmp_path, mode, mutant, seed, budget):
    """A finding is a file and a line: pasted into a shell, the line fails
    again against the mutant and passes against refimpl."""
    # A contention finding is written as found: its shrinking is the replay
    # tests' (tests/explore/test_replays.py) and the mutants' to show.
    shrink = ["--no-shrink"] if mode == "contention" else []
    done, summary = explore(tmp_path, "search", "--impl", f"mutant:{mutant}", "--mode", mode,
                            "--seed", str(seed), "--budget", str(budget), "-x", *shrink)
    assert done.returncode == 1, done.stdout + done.stderr
    [part] = summary["parts"]
    found = part["findings"][0]
    assert Path(found["file"]).is_file()
    if mode == "sequential":  # shrunk: at age 0, one pass marks, the next deletes
        shrunk, first = found["size"].removesuffix(")").split(" (first failing: ")
        assert int(shrunk.split()[0]) <= 2 and int(shrunk.split()[2]) < int(first.split()[2]), found
        assert len(Path(found["file"]).read_text().splitlines()) <= 25, found["file"]
    assert f"replay: {found['replay']}" in done.stdout
    # Its property, and where it broke, are named once (not "I1: I1: ...").
    [line] = [x for x in done.stdout.splitlines() if x.startswith("FOUND ")]
    assert line == f"FOUND ({mode}) {found['what']}" and line.count(found["property"] + ":") == 1
    heading = f"### {mode} [mutant:{mutant}]: {found['what']}"
    assert heading in (tmp_path / "summary.md").read_text()

    again = shell(found["replay"])
    assert again.returncode != 0, again.stdout[-3000:] + again.stderr[-3000:]
    fixed = shell(found["replay"].replace(f"mutant:{mutant}", "refimpl"))
    assert fixed.returncode == 0, fixed.stdout[-3000:] + fixed.stderr[-3000:]


def test_a_search_stopping_at_its_first_finding_runs_its_cases_in_every_zone(tmp_path):
    """Each generated case is drawn with its zone, not each seed given one:
    a search that stops at its first finding runs its first seed only, and
    seed 3's zone was UTC, in which a local-time bug never shows (it went
    unfound at seed 3 with a zone per seed)."""
    done, summary = explore(tmp_path, "search", "--impl", "mutant:marks-in-local-time",
                            "--mode", "sequential", "--seed", "3", "--budget", "60", "-x",
                            "--no-shrink")
    assert done.returncode == 1, done.stdout + done.stderr
    [part] = summary["parts"]
    assert part["findings"][0]["zone"] != "UTC", part["findings"][0]


def test_a_strict_sweep_judges_the_run_without_faults(tmp_path):
    """The original fails the late-delete race with no fault at all: held to
    the reference model, a plain sweep's verdict is about faults, a strict
    one (as of generated workloads) reports it, with a line that replays
    only that run."""
    scenario = "scenarios/contention/a-late-delete-meets-a-fetch.yaml"
    plain, summary = explore(tmp_path / "plain", "sweep", scenario, "--impl", "original",
                             "--model", "reference", "--budget", "0", "--zones", "UTC")
    assert plain.returncode == 0 and summary["parts"][0]["findings"] == [], plain.stdout
    done, summary = explore(tmp_path / "strict", "sweep", scenario, "--impl", "original",
                            "--model", "reference", "--budget", "0", "--zones", "UTC",
                            "--strict")
    assert done.returncode == 1, done.stdout + done.stderr
    [found] = summary["parts"][0]["findings"]
    assert (found["property"], found["zone"]) == ("I1", "UTC"), found
    line = found["replay"]
    assert line.startswith("imagecache-harness replay ") and line.endswith(" --strict")
    assert " --zone UTC " in line and " --model reference " in line
    assert shell(found["replay"]).returncode == 1
    assert shell(found["replay"].replace("--impl original", "--impl refimpl")).returncode == 0
    # Held to its own model, the original's late delete is what it does (no
    # lock spans two hosts: edge case 16).
    held, summary = explore(tmp_path / "held", "sweep", scenario, "--impl", "original",
                            "--budget", "0", "--zones", "UTC", "--strict")
    assert held.returncode == 0 and summary["parts"][0]["findings"] == [], held.stdout


def test_bad_usage_exits_2_naming_the_value(tmp_path):
    done = shell(f"python -m harness.explore search --impl nosuch --reports {tmp_path}")
    assert done.returncode == 2
    assert "nosuch" in done.stderr


def test_pytest_spreads_a_search_over_workers_and_merges_one_summary(pytester):
    """``pytest --explore`` over xdist's own gateways (two ``popen`` ones
    standing in for ssh hosts), each worker with a simulator of its own: one
    shard per worker, seeds apart, the parts merged into one summary by the
    controller, each finding's file written there; a finding fails its
    shard's item with the replay line in the failure."""
    result = pytester.runpytest_subprocess(
        "-p", "harness.plugin", "--dist", "load", "--tx", "popen//id=hostA",
        "--tx", "popen//id=hostB", "--vcsim=process",
        "--explore", "refimpl", "--explore", "mutant:non-strict-age",
        "--explore-mode", "sequential", "--explore-budget", "30",
        f"--scenario-report={pytester.path / 'reports'}")
    summary = json.loads((pytester.path / "reports" / "explore" / "summary.json").read_text())
    parts = {(p["impl"], p["seed"]): p for p in summary["parts"]}
    assert sorted(parts) == [("mutant:non-strict-age", 1), ("mutant:non-strict-age", 1001),
                             ("refimpl", 1), ("refimpl", 1001)]
    assert not any(p["findings"] for (impl, _), p in parts.items() if impl == "refimpl")
    found = [f for (impl, _), p in parts.items() if impl != "refimpl" for f in p["findings"]]
    assert found
    outcomes = result.parseoutcomes()
    failed = sum(bool(p["findings"]) for p in parts.values())
    assert (outcomes.get("passed"), outcomes.get("failed")) == (4 - failed, failed)
    assert f"replay: {found[0]['replay']}" in result.stdout.str()
    assert {p["worker"] for p in parts.values()} == {"hostA", "hostB"}
    assert len({p["simulator"] for p in parts.values()}) == 2  # one simulator per gateway
    assert not any("@" in p["simulator"] for p in parts.values())  # no credentials
    assert all(Path(f["file"]).parent == pytester.path / "reports" / "explore" and
               Path(f["file"]).read_text() == f["text"] for f in found)


def test_a_contention_scenario_swept_gives_refimpl_no_finding(tmp_path):
    scenario = "scenarios/contention/two-hosts-enlist-during-a-slow-delete-check.yaml"
    done, summary = explore(tmp_path, "sweep", scenario, "--impl", "refimpl", "--budget", "30")
    assert done.returncode == 0, done.stdout + done.stderr
    [part] = summary["parts"]
    assert part["kind"] == "sweep" and part["findings"] == []
    assert part["covered"]["call sites"] > 5 and part["covered"]["pairs run"] > 10, part


@pytest.mark.parametrize("impl", ["original", "nova"])
def test_the_original_and_nova_agree_with_their_model(request, tmp_path, impl):
    """The model's other half: upstream Nova and the harness's original,
    each held to its variant, give no finding over a generated run."""
    if impl == "nova":
        request.getfixturevalue("nova_available")
    done, summary = explore(tmp_path, "search", "--impl", impl, "--mode", "sequential",
                            "--budget", "30")
    assert done.returncode == 0, done.stdout + done.stderr
    [part] = summary["parts"]
    assert part["covered"]["model"] == ("nova" if impl == "nova" else "original")
    assert part["runs"] > 0 and part["findings"] == [], part


def test_three_shards_merge_into_one_summary_with_every_finding_once(pytester, tmp_path):
    """``--explore-shard K/3`` on three "machines" (separate runs, each its
    own reports folder, gone before the merge but for its summary.json):
    ``explore merge`` gives one summary of the three searches, each finding
    once (a summary given twice adds nothing), its file written again next
    to the merged summary, and its replay line fails again from there."""
    runs = [subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "harness.plugin", "--vcsim=process",
         "--explore", "mutant:non-strict-age", "--explore-mode", "sequential",
         "--explore-budget", "30", "--explore-shard", f"{k}/3", "-x",
         f"--scenario-report={pytester.path / f'shard{k}'}"], cwd=pytester.path,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for k in range(3)]
    # 1: the shard found it (mostly within seconds); 0: not within its budget.
    assert set(run.wait(timeout=300) for run in runs) <= {0, 1}
    summaries = []
    for k in range(3):
        shard = pytester.path / f"shard{k}" / "explore"
        summary = tmp_path / f"summary{k}.json"
        summary.write_text((shard / "summary.json").read_text())
        for finding in shard.glob("*.yaml"):
            finding.unlink()  # only the summary travels
        summaries.append(summary)
    merged = tmp_path / "merged"
    done = shell(f"python -m harness.explore merge {' '.join(map(str, summaries))} "
                 f"{summaries[1]} --reports {merged}")
    assert done.returncode == 1, done.stdout + done.stderr  # something was found
    parts = json.loads((merged / "summary.json").read_text())["parts"]
    assert sorted(p["seed"] for p in parts) == [1, 1001, 2001]
    found = [f for p in parts for f in p["findings"]]
    shards = [f for s in summaries for p in json.loads(s.read_text())["parts"]
              for f in p["findings"]]
    assert found and len(found) == len({f["text"] for f in shards})
    for f in found:
        assert Path(f["file"]).parent == merged and Path(f["file"]).read_text() == f["text"]
        assert str(merged) in f["replay"]
    again = shell(found[0]["replay"])
    assert again.returncode == 1, again.stdout + again.stderr
    assert f"{len(found)} finding(s)" in (merged / "summary.md").read_text()
