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
    zone: str = ""  # the time zone the implementation ran in
    replay: str = ""  # the line that replays it

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    @property
    def located(self) -> str:
        """The failure's first line, naming where it happened once: its own
        location (the failing step's) if it gives one, else the scenario's."""
        named = self.message.split(":", 1)[0].endswith((".yaml", ".yml"))
        return self.message if named else f"{self.where}: {self.message}"
