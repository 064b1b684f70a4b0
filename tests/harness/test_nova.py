"""Upstream Nova's own module against the corpus, and the original against
it: the same outcome, scenario for scenario."""

from __future__ import annotations

import json
from pathlib import Path

from harness.contention.loader import load_contention
from harness.contention.runner import run_contention
from sim import Simulator

ROOT = Path(__file__).resolve().parents[2]


def test_original_matches_upstream_nova_scenario_for_scenario(nova_available, pytester):
    corpus = ROOT / "scenarios"
    # Raw outcomes: no manifests, so that nothing is turned into an xfail.
    pytester.runpytest_subprocess(
        "-p", "harness.plugin", "-p", "xdist", "-n", "2", "--vcsim=process", str(corpus),
        "-m", "not contention",  # timing races: compared by the contention tests
        "--impl", "original", "--impl", "nova", "--no-manifests",
        "--scenario-report=rep")
    results = json.loads((pytester.path / "rep" / "summary.json").read_text())
    outcome = {(r["impl"], r["scenario"]): r for r in results}
    names = sorted({r["scenario"] for r in results})
    assert len(names) >= 60
    differences = [
        f"{name}: original {outcome['original', name]['outcome']}, "
        f"nova {outcome['nova', name]['outcome']} ({outcome['nova', name]['message']})"
        for name in names
        if outcome["original", name]["outcome"] != outcome["nova", name]["outcome"]]
    assert not differences, "the original differs from upstream Nova:\n" + "\n".join(differences)
    nova_failures = {name for name in names if outcome["nova", name]["outcome"] == "failed"}
    assert nova_failures  # raw outcomes: the bugs the manifests list show as failures
    manifest = (corpus / "expectations" / "original.yaml").read_text()
    assert all(f"  {name}:" in manifest for name in nova_failures)


def test_nova_takes_turns_under_a_seeded_schedule(nova_available, tmp_path):
    # busy-host: five Nova processes of one host wait on each other's file
    # locks; polled with real sleeps, those waits would stall the schedule.
    scenario = load_contention(ROOT / "scenarios" / "contention" / "busy-host.yaml")
    with Simulator("process") as sim:
        runs = [run_contention(scenario, "nova", sim.endpoint, seed=1, reports=tmp_path / str(i))
                for i in range(2)]
    assert [run.status.stalls for run in runs] == [0, 0]
    assert runs[0].status.digest == runs[1].status.digest
    assert not runs[0].violations and runs[0].operations > 0
