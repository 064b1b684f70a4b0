"""The one search loop, whatever is searched: seed after seed until the
deadline; the target's cases generated (Hypothesis searches and shrinks
them, each drawn with a zone) or enumerated (each with its zone); the
smallest failure of a seed kept, its layout pruned, written as a file,
replayed with the line the user gets, and reported.

A target (``cases.Target``, ``cases.Shrinking`` when its cases are
generated) supplies only what differs: generated
sequential scenarios, generated contention scenarios, the sweep of a
scenario, generated workloads swept (``targets/``).
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis import target as steer
from hypothesis.errors import Flaky

from . import prune, replay
from .cases import Enumerated, Generated, Shrinking, Target
from .finding import Finding
from .properties import Violation
from .report import Part
from .settings import Settings

logger = logging.getLogger(__name__)

MAX_EXAMPLES = 100_000  # the budget ends a search, not a count


class BudgetSpent(KeyboardInterrupt):
    """Raised in a run that would start past the budget. Hypothesis takes any
    other exception for a failure (or its data for flaky), and lets only an
    interruption through at once, unrecorded: the search is interrupted."""


class CaseFailed(AssertionError):
    """A generated case broke a property (Hypothesis then shrinks it)."""


@contextmanager
def hypothesis_search() -> Iterator[None]:
    """Around one Hypothesis search that ends by raising: CaseFailed (the
    search keeps its smallest case itself), BudgetSpent, or Flaky when the
    implementation answered one case two ways. A failure that comes and goes
    is still written if one was seen, and its replay says whether it holds;
    this seed's search ends, the next seed's begins."""
    try:
        yield
    except (CaseFailed, BudgetSpent):
        pass
    except Flaky as exc:
        logger.warning("the implementation ran one generated case two ways; this seed's "
                       "search ends: %s", str(exc).splitlines()[0])


@dataclass
class _Failure:
    case: Any
    violations: list[Violation]
    zone: str | None
    first: Any  # the first failing case of the seed


@dataclass
class _Search:
    """A search's running state: its clock, its counts, the shrink deadline."""

    settings: Settings
    started: float = field(default_factory=time.monotonic)
    runs: int = 0
    found: int = 0
    first_failure_s: float | None = None
    shrink_until: float = 0.0
    failing: bool = False  # a failure of this seed is being shrunk and written

    @property
    def deadline(self) -> float:
        return self.started + self.settings.budget_s

    def may_run(self) -> bool:
        return time.monotonic() <= max(self.deadline, self.shrink_until)

    def ran(self, failed: bool) -> None:
        self.runs += 1
        if failed and self.first_failure_s is None:
            self.first_failure_s = time.monotonic() - self.started
        self.failing = self.failing or failed
        if self.settings.progress is not None:
            self.settings.progress(self.runs, self.found + self.failing)


def search(target: Target, settings: Settings) -> Part:
    """Search ``target`` until the budget is spent (or, with ``stop``,
    something is found); the report part of what was run and found."""
    state = _Search(settings)
    part = Part(target.kind, settings.impl, settings.seed, 0.0, 0,
                [z or "process" for z in settings.zones], simulator=settings.endpoint.base_url,
                host=socket.gethostname())
    seed = settings.seed
    # The first seed whatever the budget: a sweep's runs without faults at least.
    while seed == settings.seed or (time.monotonic() < state.deadline and
                                    not (settings.stop and part.findings)):
        cases = target.cases(seed)
        if cases is None:
            break
        failures = _generated(cast(Shrinking, target), cases, seed, state) \
            if isinstance(cases, Generated) else _enumerated(target, cases, state)
        for failure in failures:
            part.findings.append(_finding(target, failure, seed, state))
            state.found += 1
        state.failing = False
        seed += 1
    part.seconds, part.runs = time.monotonic() - state.started, state.runs
    part.covered, part.first_finding_s = target.covered(), state.first_failure_s
    return part


def _generated(target: Shrinking, cases: Generated, seed: int, state: _Search
               ) -> list[_Failure]:
    """One Hypothesis search from ``seed``: its smallest failing case, if
    any. Each case is drawn with its zone: a search that stops at its first
    finding runs its first seed only, and a bug of local time shows in no
    run in UTC."""
    kept: list[_Failure] = []

    @given(case=cases.strategy, zone=st.sampled_from(state.settings.zones or (None,)))
    def attempt(case: Any, zone: str | None) -> None:
        if not state.may_run():
            raise BudgetSpent  # ends the generation, or a shrink, at once
        violations = target.run(case, zone)
        state.ran(bool(violations))
        for label, score in target.scores().items():
            steer(score, label=label)
        if not violations:
            return
        if not kept:
            state.shrink_until = time.monotonic() + state.settings.shrink_s
            kept.append(_Failure(case, violations, zone, case))
        elif target.size(case) < target.size(kept[0].case):
            kept[0] = _Failure(case, violations, zone, kept[0].first)
        raise CaseFailed(str(violations[0]))

    phases = [Phase.generate] + ([Phase.shrink] if state.settings.shrink else [])
    test = settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, phases=phases,
                    verbosity=Verbosity.quiet, suppress_health_check=list(HealthCheck),
                    print_blob=False, report_multiple_bugs=False)(attempt)
    hypothesis_seed(seed)(test)
    with hypothesis_search():
        test()
    return [_pruned(target, failure, state) for failure in kept]


def _enumerated(target: Target, cases: Enumerated, state: _Search) -> list[_Failure]:
    """Each case in turn until the deadline: every failing one."""
    failures = []
    for index, (case, zone) in enumerate(cases.cases):
        if index >= cases.paid and time.monotonic() > state.deadline:
            break
        violations = target.run(case, zone)
        state.ran(bool(violations))
        if violations:
            failures.append(_Failure(case, violations, zone, case))
            if state.settings.stop:
                break
    return failures


def _pruned(target: Shrinking, failure: _Failure, state: _Search) -> _Failure:
    """The failure with its layout pruned (``prune.smallest``): each smaller
    case the target offers that still breaks the same property (among
    others, maybe) takes its place, until none does or the shrink time is up."""
    if not state.settings.shrink:
        return failure
    # Its own window, after Hypothesis's shrinking: the layout is what the
    # file is mostly made of.
    state.shrink_until = max(state.shrink_until, time.monotonic() + state.settings.shrink_s)
    prop = failure.violations[0].property

    def fails(case: Any) -> list[Violation] | None:
        violations = target.run(case, failure.zone)
        state.ran(bool(violations))
        return violations if prop in {v.property for v in violations} else None

    case, violations = prune.smallest(failure.case, failure.violations, target.smaller, fails,
                                      state.may_run)
    return _Failure(case, violations, failure.zone, failure.first)


def _finding(target: Target, failure: _Failure, seed: int, state: _Search) -> Finding:
    """Write the failure, replay it with the line the user gets, report it."""
    settings = state.settings
    written = target.write(failure.case, failure.violations, failure.zone, seed, failure.first)
    verdict = replay.replay(written.replay, settings.endpoint, settings.reports)
    first = failure.violations[0]
    return Finding(
        kind=target.kind, impl=settings.impl, model=settings.model.name,
        property=first.property, what=str(first), replay=written.replay.line(),
        file=str(written.replay.file), zone=failure.zone or "", seed=seed, size=written.size,
        timeline=str(verdict.timeline or ""), holds=verdict.failed,
        text=written.replay.file.read_text(encoding="utf-8"),
        report=verdict.report if verdict.failed else
        f"passed when replayed (a flaky finding); as found:\n{_lines(failure.violations)}")


def _lines(violations: list[Violation]) -> str:
    return "\n".join(str(v) for v in violations)

