"""Replaying one scenario file as ``imagecache-harness replay`` does, and as
the explorer does to confirm each finding before it reports it:

- a sequential scenario runs as ``run`` runs it (its expectations judge);
- a contention scenario runs once under its seeded schedule with its seed:
  every invariant violation counts, as in ``run``, unless a model is given
  (an explorer's finding), whose properties then judge;
- with a call site and a fault (a sweep's finding), the scenario runs
  without faults and with that fault there, in one zone, and the
  properties judge the second against the first; ``strict`` (a sweep's
  finding without faults): the run without faults is judged on its own,
  and in a zone other than UTC against the same run in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sim import Endpoint

from ..adapters import ZONES
from ..adapters import get as get_implementation
from ..contention.loader import load_contention
from ..contention.runner import ContentionFailure, run_contention
from ..format.kind import is_contention
from ..format.replay import Replay
from ..scenario import load_scenario
from ..scenario.runner import ScenarioFailure, run_scenario
from .observation import ContentionRun
from .properties import Violation, judge
from .settings import Settings, model_for
from .sites import Site
from .targets.sweep import Sweep

UTC = next(iter(ZONES))


@dataclass
class Verdict:
    failed: bool
    report: str  # what happened, for a person
    violations: list[str] = field(default_factory=list)
    order: str = ""  # a seeded contention run's order digest
    timeline: Path | None = None


def replay(spec: Replay, endpoint: Endpoint, reports: Path) -> Verdict:
    """Run ``spec`` once (see the module's docstring)."""
    if spec.site is not None or spec.strict:
        return _swept(spec, endpoint, reports)
    if is_contention(spec.file):
        return _contention(spec, endpoint, reports)
    try:
        run_scenario(load_scenario(spec.file), get_implementation(spec.impl), endpoint,
                     zone=spec.zone)
    except ScenarioFailure as failure:
        return Verdict(True, failure.render(), [failure.message.splitlines()[0]])
    return Verdict(False, f"{spec.file}: passed")


def _contention(spec: Replay, endpoint: Endpoint, reports: Path) -> Verdict:
    scenario = load_contention(spec.file)
    seed = scenario.seed if spec.seed is None else spec.seed
    try:
        outcome = run_contention(scenario, spec.impl, endpoint, seed=seed, reports=reports,
                                 schedule=spec.schedule, zone=spec.zone)
    except RuntimeError as crash:  # an actor died: the implementation broke
        return Verdict(True, f"an actor crashed: {crash}", [f"an actor crashed: {crash}"])
    order = outcome.status.digest if outcome.status is not None else ""
    if spec.model is not None:
        found = judge(ContentionRun(outcome), model_for(spec.impl, override=spec.model))
        report = "\n".join([outcome.summary(), *(_described(v) for v in found)])
        return Verdict(bool(found), report, [str(v) for v in found], order, outcome.timeline)
    problems = [f"{v.invariant}: {v.message}" for v in outcome.violations]
    if not problems and outcome.overlap < scenario.min_overlap:
        problems = [f"only {outcome.overlap:.0%} of the operations overlapped (min_overlap "
                    f"{scenario.min_overlap:.0%})"]
    report = ContentionFailure(outcome, "; ".join(problems)).render() if problems else \
        outcome.summary()
    return Verdict(bool(problems), report, problems, order, outcome.timeline)


def _described(v: Violation) -> str:
    return "\n".join([str(v), *(f"    {line}" for line in v.window)])


def _swept(spec: Replay, endpoint: Endpoint, reports: Path) -> Verdict:
    zone = spec.zone or UTC
    zones = (zone,) if spec.site is not None or zone == UTC else (UTC, zone)
    settings = Settings(spec.impl, endpoint, reports,
                        model_for(spec.impl, override=spec.model), zones=zones)
    only = (Site.parse(spec.site), spec.fault or "") if spec.site is not None else None
    sweep = Sweep(settings, spec.file, seed=spec.seed, only=only, strict=spec.strict,
                  limit=0 if only is None else None)
    cases = sweep.cases(settings.seed)
    assert cases is not None
    found = [v for pair, case_zone in cases.cases for v in sweep.run(pair, case_zone)]
    what = f"{spec.site} {spec.fault}" if spec.site else f"without faults, {zone}"
    report = "\n".join([f"{spec.file}: {what}: {len(found)} violation(s)",
                        *(_described(v) for v in found)])
    return Verdict(bool(found), report, [str(v) for v in found])
