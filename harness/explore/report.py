"""What a search reports: one part per search (a shard of a budget, a sweep
of a scenario), merged into ``summary.md`` and ``summary.json``, and the
live progress line while it runs.

Parts are plain JSON, so that shards on several machines (xdist's ``--tx``,
or separate runs with ``--explore-shard``) merge into one report
(``python -m harness.explore merge``).
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from .finding import Finding


@dataclass
class Part:
    """One search's result."""

    kind: str  # sequential, contention, sweeps, sweep
    impl: str
    seed: int
    seconds: float
    runs: int
    zones: list[str] = field(default_factory=list)
    covered: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    first_finding_s: float | None = None  # since the search began
    host: str = ""  # the machine it ran on
    worker: str = ""  # its xdist worker, if any (gw0, ...)
    simulator: str = ""  # the simulator it ran against (its SDK URL)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Part:
        return cls(**{**data, "findings": [Finding(**f) for f in data.get("findings", [])]})

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def merge(paths: Iterable[Path]) -> list[Part]:
    """The parts of several ``summary.json`` files (shards of one search),
    each once however often it is given."""
    parts: list[Part] = []
    for path in paths:
        for data in json.loads(Path(path).read_text())["parts"]:
            part = Part.from_json(data)
            if part not in parts:
                parts.append(part)
    return parts


def gathered(parts: list[Part], directory: Path) -> list[Part]:
    """The parts with every finding once (two shards that wrote the same
    file found one thing), each finding's file written into ``directory``
    from the text it carries, its file and replay line pointing there."""
    seen: set[str] = set()
    out = []
    for part in parts:
        kept = []
        for found in part.findings:
            key = found.text or found.replay
            if key not in seen:
                seen.add(key)
                kept.append(_moved(found, directory))
        out.append(replace(part, findings=kept))
    return out


def _moved(found: Finding, directory: Path) -> Finding:
    if not found.text or not found.file:
        return found
    name = Path(found.file)
    # A search's own findings already lie in its reports folder: the line
    # it printed stays true.
    if name.resolve().is_relative_to(directory.resolve()) and name.is_file() \
            and name.read_text(encoding="utf-8") == found.text:
        return found
    path, n = directory / name.name, 1
    # The same case found twice (two seeds, two zones) is named alike; its
    # files say which search found it.
    while path.is_file() and path.read_text(encoding="utf-8") != found.text:
        n += 1
        path = directory / f"{name.stem}-{n}{name.suffix}"
    path.write_text(found.text, encoding="utf-8")
    # The replay line's words, the file's replaced (a corpus scenario is
    # named, not given by path: that word stays).
    words = [str(path) if word == found.file else word for word in shlex.split(found.replay)]
    return replace(found, file=str(path), replay=shlex.join(words))


def write(parts: list[Part], directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    parts = gathered(parts, directory)
    md, js = directory / "summary.md", directory / "summary.json"
    md.write_text(markdown(parts))
    js.write_text(json.dumps({"parts": [p.to_json() for p in parts]}, indent=2) + "\n")
    return md, js


def _per_minute(runs: int, seconds: float) -> str:
    return f"{runs / seconds * 60:.0f}" if seconds > 0 else "-"


def markdown(parts: list[Part]) -> str:
    lines = ["# Explorer", ""]
    findings = sum(len(p.findings) for p in parts)
    lines += [f"{len(parts)} search(es), {sum(p.runs for p in parts)} runs, {findings} "
              "finding(s).", "", "| search | implementation | seed | zones | runs | runs/min | "
              "seconds | findings | first after |", "|---|---|---:|---|---:|---:|---:|---:|---:|"]
    for p in parts:
        first = f"{p.first_finding_s:.0f} s" if p.first_finding_s is not None else "-"
        lines.append(f"| {p.kind} | {p.impl} | {p.seed} | {' '.join(p.zones) or '-'} | "
                     f"{p.runs} | {_per_minute(p.runs, p.seconds)} | {p.seconds:.0f} | "
                     f"{len(p.findings)} | {first} |")
    lines += ["", "## Findings", ""]
    for p in parts:
        for f in p.findings:
            lines += [f"### {p.kind} [{p.impl}]: {f.what}", ""]
            lines += [f"- model: {f.model}" + (f", zone: {f.zone}" if f.zone else "")]
            lines += [f"- file: `{f.file}`"] if f.file else []
            lines += [f"- size: {f.size}"] if f.size else []
            lines += [f"- timeline: `{f.timeline}`"] if f.timeline else []
            lines += [f"- replay: `{f.replay}`"]
            lines += [] if f.holds else ["- **did not fail when replayed** (a flaky finding)"]
            lines += [""]
            if f.report:
                lines += ["```", f.report, "```", ""]
    if not findings:
        lines += ["(none)", ""]
    lines += ["## Covered", ""]
    for p in parts:
        covered = ", ".join(f"{k}: {v}" for k, v in p.covered.items())
        where = ", ".join(x for x in (p.worker, p.host, p.simulator) if x)
        lines.append(f"- {p.kind} [{p.impl}] seed {p.seed}: {covered or '-'}" +
                     (f" ({where})" if where else ""))
    return "\n".join(lines) + "\n"


class ProgressLine:
    """One live line (rewritten in place on a terminal; a plain line every
    ten seconds otherwise): runs, runs per minute, findings, time left."""

    def __init__(self, budget_s: float, stream: TextIO = sys.stderr) -> None:
        self.budget_s, self.stream = budget_s, stream
        self.started = time.monotonic()
        self.tty = stream.isatty()
        self._shown = 0.0

    def show(self, runs: int, findings: int, *, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self._shown < (0.5 if self.tty else 10.0):
            return
        self._shown = now
        elapsed = now - self.started
        left = "" if self.budget_s == float("inf") else \
            f", {max(self.budget_s - elapsed, 0):.0f} s left"
        line = (f"explore: {runs} runs, {_per_minute(runs, elapsed)}/min, {findings} "
                f"finding(s){left}")
        if self.tty:
            self.stream.write("\r" + line.ljust(78) + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


class ProgressBoard:
    """Progress of searches in other processes (xdist workers): each writes
    its counts to a file of its own, the controller adds them up."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def post(self, name: str, runs: int, findings: int) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{name}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps({"runs": runs, "findings": findings}))
        tmp.replace(self.folder / f"{name}.json")

    def totals(self) -> tuple[int, int]:
        runs = findings = 0
        for path in self.folder.glob("*.json"):
            try:
                data = json.loads(path.read_text())
            except (OSError, ValueError):
                continue  # being replaced
            runs, findings = runs + data["runs"], findings + data["findings"]
        return runs, findings
