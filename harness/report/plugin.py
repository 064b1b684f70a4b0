"""The report plugin: collects each scenario item's result as pytest
reports it and, at the end of the run, writes ``summary.md`` and
``summary.json`` (for tools), the conformance matrix and the JUnit files,
and prints the summary. Registered on the controller only; with xdist,
reports arrive there with the items' user properties.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from dataclasses import asdict
from pathlib import Path

import pytest

from ..explore.report import Part, ProgressBoard, ProgressLine, gathered, write
from . import conformance
from .result import Result
from .summary import render


class ScenarioReport:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.results: dict[str, Result] = {}
        self.started = time.time()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        if "scenario" not in props:
            return  # not a scenario item
        result = self.results.get(report.nodeid)
        if result is None:
            result = self.results[report.nodeid] = Result(
                scenario=props["scenario"], impl=props.get("impl", "-"), tier=props["tier"],
                tags=[t for t in props["tags"].split(",") if t], file=props["file"],
                line=props.get("line"), outcome="passed", seconds=0.0,
                zone=props.get("zone", ""), replay=props.get("replay", ""))
        result.seconds += report.duration
        result.timeline = props.get("timeline") or result.timeline  # set as the run ends
        if hasattr(report, "wasxfail") and report.skipped:
            result.outcome, result.message = "xfailed", report.wasxfail
            result.details = report.longreprtext.strip()  # how it failed, as expected
        elif report.failed or (report.skipped and result.outcome == "passed"):
            result.details = report.longreprtext.strip()
            result.outcome = ("skipped" if not report.failed else
                              "xpassed" if result.details.startswith("[XPASS(strict)]") else
                              "failed")
            result.message = next((line for line in result.details.splitlines()
                                   if line.strip()), "")[:300]

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not self.results:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        results = sorted(self.results.values(), key=lambda r: (r.tier, r.scenario, r.impl))
        markdown = render(results, time.time() - self.started)
        (self.directory / "summary.md").write_text(markdown)
        (self.directory / "summary.json").write_text(json.dumps(
            [asdict(r) for r in results], indent=2))
        written = conformance.write(results, self.directory)
        terminalreporter.section("scenario summary")
        # The counts only: the failures themselves were shown above.
        for line in markdown.split("\n## Failures")[0].splitlines():
            terminalreporter.write_line(line)
        for r in results:
            if r.outcome in ("failed", "xpassed"):
                terminalreporter.write_line(f"{r.outcome.upper()} {r.scenario} [{r.impl}]: "
                                            f"{r.message}")
        terminalreporter.write_line(f"full report: {self.directory / 'summary.md'}; "
                                    f"also {', '.join(str(p) for p in written)}")


class ExploreReport:
    """The controller's side of a search (``--explore``, ``--sweep``): a
    progress line every few seconds from the workers' counts, and at the end
    the parts every item sent, merged into ``summary.md`` and ``summary.json``."""

    def __init__(self, directory: Path, budget_s: float) -> None:
        self.directory, self.budget_s = directory, budget_s
        self.parts: list[Part] = []
        self.board = ProgressBoard(directory / ".progress")
        self._stop = threading.Event()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for key, value in report.user_properties:
            if key == "explore" and report.when == "call":
                self.parts.append(Part.from_json(json.loads(value)))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> object:
        shutil.rmtree(self.board.folder, ignore_errors=True)
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        line = ProgressLine(self.budget_s, _Lines(reporter))
        thread = threading.Thread(target=self._show, args=(line,), daemon=True)
        thread.start()
        try:
            return (yield)
        finally:
            self._stop.set()
            thread.join()
            shutil.rmtree(self.board.folder, ignore_errors=True)

    def _show(self, line: ProgressLine) -> None:
        while not self._stop.wait(1.0):
            line.show(*self.board.totals())

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not self.parts:
            return
        # Findings made on other machines (xdist's --tx) are written here.
        self.parts = gathered(self.parts, self.directory)
        md, js = write(self.parts, self.directory)
        terminalreporter.section("explorer")
        for part in self.parts:
            for found in part.findings:
                terminalreporter.write_line(f"FOUND ({part.kind}) {found.what}")
                terminalreporter.write_line(f"  replay: {found.replay}")
        runs = sum(p.runs for p in self.parts)
        terminalreporter.write_line(f"{len(self.parts)} search part(s), {runs} runs; "
                                    f"summary: {md} ({js})")


class _Lines:
    """The terminal reporter as a stream of whole lines (never rewritten in
    place: xdist's own output shares the terminal)."""

    def __init__(self, reporter) -> None:
        self.reporter = reporter

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> None:
        if self.reporter is not None and text.strip():
            self.reporter.write_line(text.rstrip("\n"))

    def flush(self) -> None:
        pass
