"""The scenario run's summary: by tier and by tag, failures with file:line, times.

Written as ``summary.md`` (for people) and ``summary.json`` (for tools) and
printed at the end of the run. Registered on the controller only; with
xdist, reports arrive there with the items' user properties.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

from . import conformance

# xpassed: listed as an expected failure in the manifest, yet passed (a failure).
OUTCOMES = ("passed", "failed", "xpassed", "xfailed", "skipped")


@dataclass
class Result:
    scenario: str
    impl: str
    tier: str
    tags: list[str]
    file: str
    outcome: str
    seconds: float
    message: str = ""  # the failure's first line
    details: str = ""  # the whole failure report (tree diff, steps run)


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


def _table(title: str, groups: dict[str, Counter]) -> list[str]:
    lines = [f"## By {title}", "", f"| {title} | " + " | ".join(OUTCOMES) + " | total |",
             "|---|" + "---:|" * (len(OUTCOMES) + 1)]
    for key in sorted(groups):
        c = groups[key]
        lines.append(f"| {key} | " + " | ".join(str(c[o]) for o in OUTCOMES) +
                     f" | {sum(c.values())} |")
    return [*lines, ""]


def render(results: list[Result], seconds: float) -> str:
    totals = Counter(r.outcome for r in results)
    by_tier: dict[str, Counter] = defaultdict(Counter)
    by_tag: dict[str, Counter] = defaultdict(Counter)
    by_impl: dict[str, Counter] = defaultdict(Counter)
    for r in results:
        by_tier[r.tier][r.outcome] += 1
        by_impl[r.impl][r.outcome] += 1
        for tag in r.tags:
            by_tag[tag][r.outcome] += 1
    lines = ["# Scenario run", "",
             f"{len(results)} scenario runs: " + ", ".join(
                 f"{totals[o]} {o}" for o in OUTCOMES) + f" — {seconds:.1f} s wall time", ""]
    lines += _table("implementation", by_impl) + _table("tier", by_tier) + _table("tag", by_tag)
    failures = [r for r in results if r.outcome in ("failed", "xpassed")]
    lines += ["## Failures", ""]
    for r in failures:
        lines += [f"### {r.scenario} [{r.impl}]", "", f"{r.file}: {r.message}", "", "```",
                  r.details, "```", ""]
    lines += ["(none)", ""] if not failures else []
    expected = [r for r in results if r.outcome == "xfailed"]
    if expected:
        lines += ["## Expected failures (per the implementation's manifest)", ""]
        lines += [f"- {r.scenario} [{r.impl}]: {r.message}" for r in expected]
        lines.append("")
    lines += ["## All scenarios", "", "| scenario | impl | tier | tags | result | seconds |",
              "|---|---|---|---|---|---:|"]
    lines += [f"| {r.scenario} | {r.impl} | {r.tier} | {' '.join(r.tags)} | {r.outcome} | "
              f"{r.seconds:.2f} |" for r in results]
    return "\n".join(lines) + "\n"
