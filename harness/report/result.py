"""One scenario run's result, as the reports show it."""

from __future__ import annotations

from dataclasses import dataclass

# xpassed: listed as an expected failure in the manifest, yet passed (a failure).
OUTCOMES = ("passed", "failed", "xpassed", "xfailed", "skipped")


@dataclass
class Result:
    scenario: str
    impl: str
    tier: str
    tags: list[str]
    file: str  # the scenario file
    line: int | None  # where the scenario begins in it
    outcome: str
    seconds: float
    message: str = ""  # the failure's first line
    details: str = ""  # the whole failure report (tree diff, steps run)
    timeline: str | None = None  # a contention run's timeline page

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file
