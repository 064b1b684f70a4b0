"""Where a summary puts its findings' files (pure: no simulator)."""

from __future__ import annotations

import shlex
from pathlib import Path

from harness.explore.finding import Finding
from harness.explore.report import Part, gathered


def _part(file: Path, text: str) -> Part:
    line = shlex.join(["imagecache-harness", "replay", str(file), "--impl", "refimpl"])
    finding = Finding(kind="sweeps", impl="refimpl", model="reference", property="I1", what="x",
                      replay=line, file=str(file), text=text)
    return Part(kind="sweeps", impl="refimpl", seed=1, seconds=1.0, runs=1, findings=[finding])


def test_a_search_s_own_finding_keeps_the_path_it_printed(tmp_path):
    own = tmp_path / "workloads" / "workload-1-0.yaml"
    own.parent.mkdir()
    own.write_text("name: w\n")
    [part] = gathered([_part(own, "name: w\n")], tmp_path)
    assert part.findings[0].file == str(own)
    assert shlex.split(part.findings[0].replay)[2] == str(own)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["workloads"]  # no second copy


def test_a_finding_from_elsewhere_is_written_next_to_the_summary(tmp_path):
    away = tmp_path / "shard" / "workload-1-0.yaml"  # gone, or on another machine
    here = tmp_path / "merged"
    here.mkdir()
    [part] = gathered([_part(away, "name: w\n")], here)
    assert part.findings[0].file == str(here / "workload-1-0.yaml")
    assert (here / "workload-1-0.yaml").read_text() == "name: w\n"
    assert shlex.split(part.findings[0].replay)[2] == str(here / "workload-1-0.yaml")


def test_two_findings_named_alike_get_two_files(tmp_path):
    a = _part(tmp_path / "x" / "w.yaml", "name: a\n")
    b = _part(tmp_path / "y" / "w.yaml", "name: b\n")
    here = tmp_path / "merged"
    here.mkdir()
    parts = gathered([a, b], here)
    assert [Path(p.findings[0].file).name for p in parts] == ["w.yaml", "w-2.yaml"]
    assert (here / "w-2.yaml").read_text() == "name: b\n"
