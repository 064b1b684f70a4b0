"""The scenario run's summary: by implementation, tier and tag, failures
with file:line, times; ``summary.md`` for people."""

from __future__ import annotations

from collections import Counter, defaultdict

from .result import OUTCOMES, Result


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
        # The report names where it failed in its first line: said once.
        lines += [f"### {r.scenario} [{r.impl}]", ""]
        lines += [f"- zone: {r.zone}"] if r.zone else []
        lines += [f"- replay: `{r.replay}`"] if r.replay else []
        lines += ["", "```", r.details or r.located, "```", ""]
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
