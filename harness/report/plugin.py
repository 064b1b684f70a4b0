"""The report plugin: collects each scenario item's result as pytest
reports it and, at the end of the run, writes ``summary.md`` and
``summary.json`` (for tools), the conformance matrix and the JUnit files,
and prints the summary. Registered on the controller only; with xdist,
reports arrive there with the items' user properties.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path

import pytest

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
                outcome="passed", seconds=0.0)
        result.seconds += report.duration
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
