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
    file: str
    outcome: str
    seconds: float
    message: str = ""  # the failure's first line
    details: str = ""  # the whole failure report (tree diff, steps run)
