"""pytest collection of scenario files: one item per scenario and implementation."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from sim import Endpoint

from . import worker_simulator
from .adapters import ZONES, label_of, zone_of
from .adapters import get as get_implementation
from .adapters.command_adapter import reply_timeouts
from .contention.loader import load_contention
from .contention.runner import ContentionFailure, run_contention
from .explore import searches
from .explore.report import Part, ProgressBoard
from .explore.settings import Progress, Settings, model_for
from .format.errors import ScenarioError, display_path
from .format.kind import is_contention
from .format.replay import Replay
from .format.shipped import corpus_folders
from .format.source import YamlError, read
from .manifest import MANIFEST_DIR, Directories, expected_failures, manifest_directories
from .scenario import Scenario, load_scenario
from .scenario.runner import ScenarioFailure, run_scenario

SUFFIXES = (".yaml", ".yml")
_NAMES = pytest.StashKey[dict[str, str]]()  # scenario name -> file:line, for duplicates


def is_scenario_file(path: Path) -> bool:
    folders = corpus_folders(path)
    return (path.suffix in SUFFIXES and "scenarios" in folders
            and "expectations" not in folders and "contention" not in folders)


def is_contention_file(path: Path) -> bool:
    folders = corpus_folders(path)
    return path.suffix in SUFFIXES and "scenarios" in folders and "contention" in folders


def named_kind(path: Path) -> str | None:
    """A YAML file named on the command line (a scenario the explorer wrote,
    say) wherever it lies: ``contention`` if it has actors, else ``scenario``."""
    if path.suffix not in SUFFIXES:
        return None
    return "contention" if is_contention(path) else "scenario"


class ScenarioFile(pytest.File):
    def load(self):
        return load_scenario(self.path)

    def make_item(self, name: str, scenario, impl: str, zone: str) -> pytest.Item:
        return ScenarioItem.from_parent(self, name=name, scenario=scenario, impl=impl,
                                        zone=zone)

    def collect(self):
        try:
            scenario = self.load()
        except ScenarioError as exc:
            yield InvalidScenario.from_parent(self, name=self.path.stem, error=exc)
            return
        seen = self.config.stash.setdefault(_NAMES, {})
        where = f"{scenario.path}:{scenario.line}"
        if seen.setdefault(scenario.name, where) != where:
            yield InvalidScenario.from_parent(self, name=scenario.name, error=ScenarioError(
                scenario.path, scenario.line,
                f"duplicate scenario name {scenario.name!r} (also in {seen[scenario.name]})"))
            return
        impls = self.config.getoption("impl") or ["refimpl"]
        for impl in impls:
            label = label_of(impl)
            name = scenario.name if len(impls) == 1 else f"{scenario.name}[{label}]"
            if self.config.getoption("sweep"):
                count = shards(self.config)
                for k in range(count):
                    yield SweepItem.from_parent(self, name=f"{name}[sweep {k + 1}/{count}]",
                                                scenario=scenario, impl=impl, shard=(k, count))
            else:
                zones = zones_of(self.config, scenario.name)
                for zone in zones:
                    yield self.make_item(name if len(zones) == 1 else f"{name}[{zone}]",
                                         scenario, impl, zone)


def zones_of(config: pytest.Config, name: str) -> tuple[str, ...]:
    """The zones a scenario runs its implementation in (``--zones``): by
    default the one its name picks, so that a run covers all three and is
    the same every time."""
    chosen = config.getoption("zones")
    if chosen == "name":
        return (zone_of(name),)
    return tuple(ZONES) if chosen == "all" else (chosen,)


class ContentionFile(ScenarioFile):
    def load(self):
        return load_contention(self.path)

    def make_item(self, name: str, scenario, impl: str, zone: str) -> pytest.Item:
        return ContentionItem.from_parent(self, name=name, scenario=scenario, impl=impl,
                                          zone=zone)


class ScenarioItem(pytest.Item):
    kind = "scenario"

    def __init__(self, *, scenario: Scenario, impl: str, zone: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario, self.impl, self.label, self.zone = scenario, impl, label_of(impl), zone
        for marker in (self.kind, scenario.tier, *scenario.tags):
            _register_marker(self.config, marker)
            self.add_marker(marker)
        expected = expected_failures(self.label, manifests_of(self.config)).get(scenario.name)
        if expected is not None:
            # strict: an unexpected pass fails as loudly as an unexpected failure
            self.add_marker(pytest.mark.xfail(reason=expected.reason,
                                              strict=not expected.sometimes))
        self.user_properties += [("scenario", scenario.name), ("tier", scenario.tier),
                                 ("tags", ",".join(scenario.tags)), ("impl", self.label),
                                 ("file", str(scenario.path)), ("line", scenario.line),
                                 ("zone", zone), ("replay", self.replay().line())]

    def replay(self) -> Replay:
        """What replays this item from the installed wheel, in any folder."""
        return Replay(self.scenario.path, self.impl, self.zone)

    def timeouts(self) -> dict[str, float]:
        """A ``cmd:`` peer's reply timeouts: the protocol's, and --peer-timeout's."""
        return reply_timeouts(self.config.getoption("peer_timeout"))

    def runtest(self) -> None:
        sim = worker_simulator.simulator(self.config)
        run_scenario(self.scenario, get_implementation(self.impl, timeouts=self.timeouts()),
                     sim.endpoint,
                     root_prefix=worker_simulator.worker(self.config).root_prefix,
                     zone=self.zone)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None) -> str:
        if isinstance(excinfo.value, ScenarioFailure):
            return f"{excinfo.value.render()}\n\nzone:   {self.zone}\nreplay: " \
                   f"{self.replay().line()}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.scenario.line - 1, f"scenario {self.scenario.name} [{self.label}]"

    def _traceback_filter(self, excinfo: pytest.ExceptionInfo[BaseException]):
        # An error inside the implementation or the harness: show from
        # runtest down, without pytest's and pluggy's frames.
        return excinfo.traceback.cut(path=Path(__file__)).filter(excinfo)


class ContentionItem(ScenarioItem):
    kind = "contention"

    def replay(self) -> Replay:
        return Replay(self.scenario.path, self.impl, self.zone, self.config.getoption("seed"),
                      schedule=self.config.getoption("schedule"))

    def runtest(self) -> None:
        sim = worker_simulator.simulator(self.config)
        seed = self.config.getoption("seed")
        outcome = run_contention(self.scenario, self.impl, sim.endpoint,
                                 seed=self.scenario.seed if seed is None else seed,
                                 reports=_timelines(self.config),
                                 root_prefix=worker_simulator.worker(self.config).root_prefix,
                                 schedule=self.config.getoption("schedule"), zone=self.zone,
                                 timeouts=self.timeouts())
        self.user_properties += [("contention", outcome.summary()),
                                 ("timeline", str(outcome.timeline))]
        if outcome.violations:
            raise ContentionFailure(outcome, f"{len(outcome.violations)} invariant "
                                             "violation(s)")
        if outcome.overlap < self.scenario.min_overlap:
            raise ContentionFailure(outcome, f"only {outcome.overlap:.0%} of the operations "
                                             "overlapped another actor's on the same image "
                                             f"(min_overlap {self.scenario.min_overlap:.0%}): "
                                             "too serialized to show contention")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None) -> str:
        if isinstance(excinfo.value, ContentionFailure):
            return excinfo.value.render()
        return super().repr_failure(excinfo, style=style)


def in_scenario_dir(path: Path, dirs: Iterable[Path]) -> bool:
    """Whether ``path`` is a YAML file below one of ``dirs`` (``--scenario-dir``:
    a user's folder of scenarios, whatever its name), manifests aside."""
    if path.suffix not in SUFFIXES or "expectations" in path.parts:
        return False
    resolved = path.resolve()
    return any(resolved.is_relative_to(d.resolve()) for d in dirs)


def scenario_names(roots: Iterable[Path], dirs: Iterable[Path] = ()) -> set[str]:
    """The names of the scenario files in or below ``roots``, and of every
    YAML file below ``dirs``."""
    names = set()
    dirs = list(dirs)
    for root in [*roots, *dirs]:
        files = root.rglob("*") if root.is_dir() else [root]
        for path in files:
            if is_scenario_file(path) or is_contention_file(path) or \
                    in_scenario_dir(path, dirs):
                with contextlib.suppress(YamlError):
                    data = read(path).data
                    if isinstance(data, dict) and isinstance(data.get("name"), str):
                        names.add(data["name"])
    return names


def manifests_of(config: pytest.Config) -> Directories:
    if config.getoption("no_manifests"):
        return ()
    given = config.getoption("expectations")
    return manifest_directories(Path(given) if given else None)


def _timelines(config: pytest.Config) -> Path:
    """Where contention timelines go: the --scenario-report folder, else this
    run's temporary folder (pytest keeps the last three): never, unasked,
    the folder the user runs in."""
    given = config.getoption("scenario_report")
    return Path(given) if given else config._tmp_path_factory.getbasetemp() / "timelines"


def shards(config: pytest.Config) -> int:
    """Into how many items a search is cut: one per xdist worker."""
    workerinput = getattr(config, "workerinput", None)
    return int(workerinput["workercount"]) if workerinput else 1


EXPLORE_REPORTS = "imagecache_explore_reports"  # a key of xdist's workerinput


def reports_of(config: pytest.Config) -> Path:
    """Where a search writes its findings and summary: the --scenario-report
    folder, else this run's temporary folder (pytest keeps the last three;
    the summary says where). xdist's workers get the controller's."""
    given = config.getoption("scenario_report")
    if given:
        return Path(given) / "explore"
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and EXPLORE_REPORTS in workerinput:
        return Path(workerinput[EXPLORE_REPORTS])
    return config._tmp_path_factory.getbasetemp() / "explore"


class SearchFailure(AssertionError):
    """A search found something: the report part says what and how to replay it."""

    def __init__(self, part: Part) -> None:
        self.part = part
        super().__init__(f"{len(part.findings)} finding(s)")

    def render(self) -> str:
        lines = [f"{self.part.kind} [{self.part.impl}]: {len(self.part.findings)} finding(s) "
                 f"in {self.part.runs} runs"]
        for found in self.part.findings:
            lines += ["", found.what] + ([f"  file:     {found.file}"] if found.file else [])
            lines += [f"  timeline: {found.timeline}"] if found.timeline else []
            lines += [f"  replay:   {found.replay}"]
            lines += [f"  {line}" for line in found.report.splitlines()[1:12]]
        return "\n".join(lines)


class SearchItem(pytest.Item):
    """A search with a budget: its report part travels to the controller
    in the user properties (with xdist too), which merges them."""

    def search(self, endpoint: Endpoint, progress: Progress) -> Part:
        raise NotImplementedError

    def runtest(self) -> None:
        board = ProgressBoard(reports_of(self.config) / ".progress")
        name = "".join(c if c.isalnum() else "_" for c in self.nodeid)
        part = self.search(worker_simulator.simulator(self.config).endpoint,
                           lambda runs, found: board.post(name, runs, found))
        part.worker = os.environ.get("PYTEST_XDIST_WORKER", "")
        self.user_properties.append(("explore", json.dumps(part.to_json())))
        if part.findings:
            raise SearchFailure(part)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None) -> str:
        if isinstance(excinfo.value, SearchFailure):
            return excinfo.value.render()
        return super().repr_failure(excinfo, style=style)


def search_settings(config: pytest.Config, impl: str, endpoint: Endpoint,
                    progress: Progress, **more: Any) -> Settings:
    """A search's settings from the pytest options."""
    zones = config.getoption("zones")
    return Settings(impl, endpoint, reports_of(config),
                    model_for(impl, override=config.getoption("explore_model"),
                              manifests=manifests_of(config) or (MANIFEST_DIR,)),
                    zones=tuple(ZONES) if zones in ("name", "all") else (zones,),
                    stop=bool(config.getoption("maxfail")), progress=progress, **more)


class SweepItem(SearchItem):
    """A scenario swept with every fault at every call (a shard of it)."""

    def __init__(self, *, scenario: Any, impl: str, shard: tuple[int, int],
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario, self.impl, self.shard = scenario, impl, shard
        _register_marker(self.config, "sweep")
        self.add_marker("sweep")

    def search(self, endpoint: Endpoint, progress: Progress) -> Part:
        settings = search_settings(self.config, self.impl, endpoint, progress,
                                   budget_s=self.config.getoption("sweep_budget"),
                                   shard=self.shard)
        return searches.sweep(self.scenario.path, settings, seed=self.config.getoption("seed"))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.scenario.line - 1, f"sweep {self.name}"


class ExploreItem(SearchItem):
    """A shard of a generated search (sequential scenarios, contention
    scenarios or sweeps) with its share of the budget and seeds of its own."""

    def __init__(self, *, impl: str, mode: str, seed: int, budget_s: float,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.impl, self.mode, self.seed, self.budget_s = impl, mode, seed, budget_s
        _register_marker(self.config, "explore")
        self.add_marker("explore")

    def search(self, endpoint: Endpoint, progress: Progress) -> Part:
        settings = search_settings(self.config, self.impl, endpoint, progress, seed=self.seed,
                                   budget_s=self.budget_s)
        return searches.search(self.mode, settings)

    def reportinfo(self) -> tuple[Path, int, str]:
        return Path(__file__), 0, self.name


def explore_items(session: pytest.Session) -> list[pytest.Item]:
    """The items of ``--explore``: per implementation and mode, one shard per
    xdist worker, each with its share of the budget so that the whole search
    takes the budget's wall time; ``--explore-shard K/N`` (separate machines)
    moves the seeds apart."""
    config = session.config
    count = shards(config)
    modes = tuple(searches.MODES) if config.getoption("explore_mode") == "all" else (
        config.getoption("explore_mode"),)
    impls = config.getoption("explore")
    items: list[pytest.Item] = []
    share = config.getoption("explore_budget") / (len(modes) * len(impls))
    shard = config.getoption("explore_shard")[0]
    for impl in impls:
        for mode in modes:
            for k in range(count):
                seed = config.getoption("explore_seed") + 1000 * (k + count * shard)
                items.append(ExploreItem.from_parent(
                    session, name=f"explore[{label_of(impl)}-{mode}-{k + 1}of{count}]",
                    impl=impl, mode=mode, seed=seed, budget_s=share))
    return items


class InvalidScenario(pytest.Item):
    """A scenario file that does not load fails as an item of its own."""

    def __init__(self, *, error: ScenarioError, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error
        self.user_properties += [("scenario", self.name), ("tier", "invalid"), ("tags", ""),
                                 ("file", str(error.path)), ("line", error.line)]

    def runtest(self) -> None:
        raise self.error

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None) -> str:
        err = self.error
        return f"{display_path(err.path)}:{err.line or '?'}: invalid scenario: {err.message}"

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, (self.error.line or 1) - 1, f"invalid scenario {self.path.name}"


def _register_marker(config: pytest.Config, name: str) -> None:
    # Tags are free-form; register them so that --strict-markers accepts them.
    if name not in config.stash.setdefault(_MARKERS, set()):
        config.addinivalue_line("markers", f"{name}: scenario tag or tier")
        config.stash[_MARKERS].add(name)


_MARKERS = pytest.StashKey[set[str]]()
