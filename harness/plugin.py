"""pytest plugin: simulator options and fixtures, scenario collection, reports.

``vcsim`` is this process's simulator (one per xdist worker), shared with
the scenario items; ``vsphere`` a logged-in pyvmomi session on it. The
controller reaps what crashed workers left behind.
"""

from __future__ import annotations

import argparse
import os
import shlex
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from pyVmomi import vim

from sim import Simulator, reaper
from sim.backends import BACKENDS

from . import worker_simulator
from .adapters import ZONES, UnknownImplementation, label_of
from .adapters import get as get_implementation
from .adapters.command_adapter import OPS, reply_timeouts
from .collect import (
    EXPLORE_REPORTS,
    ContentionFile,
    ScenarioFile,
    explore_items,
    in_scenario_dir,
    is_contention_file,
    is_scenario_file,
    manifests_of,
    named_kind,
    reports_of,
    scenario_names,
)
from .contention.runner import SCHEDULES
from .explore import searches
from .explore.scheme import VARIANTS
from .format.shipped import CORPUS
from .manifest import ManifestError, unknown_scenarios
from .report.plugin import ExploreReport, ScenarioReport
from .vsphere import session as vsphere_session
from .vsphere.credentials import redact

ReportT = TypeVar("ReportT", pytest.TestReport, pytest.CollectReport)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("imagecache_harness", type="bool", default=False,
                  help="act in this project: collect scenario files below folders named "
                       "scenarios, start simulators (as -p harness.plugin or --impl do)")
    group = parser.getgroup("vcsim", "vCenter simulator")
    group.addoption("--vcsim", choices=BACKENDS, default=None,
                    help="simulator backend (env VCSIM_BACKEND; default: url when a URL is "
                         "given, else auto = docker when an engine answers, else process)")
    group.addoption("--vcsim-url", default=None, metavar="URL",
                    help="existing endpoint https://user:pass@host:port/sdk, e.g. a real "
                         "vCenter or `python -m sim up` (env VCSIM_URL); never stopped")
    group.addoption("--vcsim-thumbprint", default=None, metavar="SHA256",
                    help="the certificate thumbprint `python -m sim up` printed (env "
                         "VCSIM_THUMBPRINT): proves --vcsim-url is the harness's simulator")
    group.addoption("--vcsim-password-file", default=None, metavar="FILE",
                    help="the password of --vcsim-url's user, in a file of mode 0600 (env "
                         "VCSIM_PASSWORD_FILE); required for a real vCenter")
    group.addoption("--allow-real-vcenter", action="store_true",
                    help="accept a --vcsim-url that is not the harness's simulator (a real "
                         "vCenter); only a run folder on each datastore is ever changed")
    group.addoption("--insecure", action="store_true",
                    help="do not verify the TLS certificate of a real vCenter")
    group.addoption("--guard-allow-property", action="append", default=[], metavar="TYPE.PATH",
                    help="let the guard in front of a real vCenter pass this property read "
                         "too, e.g. Datastore.summary.url (docs/guard.md; repeatable)")
    group.addoption("--real-vcenter-folder", default="imagecache-harness", metavar="PREFIX",
                    help="prefix of the run folder on a real vCenter (default: %(default)s)")
    group.addoption("--vcsim-image", default=None, metavar="IMAGE",
                    help="Docker image for the docker backend instead of the harness build, "
                         "e.g. vmware/vcsim:v0.56.0 (must be present locally; env VCSIM_IMAGE)")
    group = parser.getgroup("scenarios", "image cache scenarios")
    group.addoption("--impl", action="append", default=None, metavar="SPEC",
                    help="implementation under test: a registered name (refimpl, original, "
                         "...), module:factory, or 'cmd:<command line>' speaking the protocol; "
                         "LABEL=SPEC names it. Repeat to run each scenario against several "
                         "(default: refimpl)")
    group.addoption("--expectations", default=None, metavar="DIR",
                    help="folder of <implementation>.yaml expectation manifests of your own; "
                         "they add to the shipped ones (scenarios/expectations), and yours "
                         "win for an implementation both have")
    group.addoption("--scenario-dir", action="append", default=[], type=Path, metavar="DIR",
                    help="every YAML file below DIR is a scenario (a contention one if it has "
                         "actors), whatever the folders are called; repeatable")
    group.addoption("--no-manifests", action="store_true",
                    help="no expectation manifest at all: every failure is a failure")
    group.addoption("--peer-timeout", action="append", default=[], type=_timeout,
                    metavar="KIND=SECONDS",
                    help="how long a cmd: peer may take to answer one kind of message "
                         "(start 60, enlist 120, age 300, cache_folder 120, stop 10; env "
                         "IMAGECACHE_HARNESS_REPLY_TIMEOUT sets all); repeatable")
    group.addoption("--seed", type=int, default=None, metavar="N",
                    help="seed of contention runs (default: each scenario's own)")
    group.addoption("--zones", choices=("name", "all", *ZONES), default="name",
                    help="the time zone each scenario runs its implementation in: one of UTC, "
                         "UTC+05:30 and UTC-08:00 picked by the scenario's name, the same "
                         "every run (name, the default), all three (all), or one for all; "
                         "the explorer takes all three in turn unless one is given")
    group.addoption("--schedule", choices=SCHEDULES, default=None,
                    help="contention runs: seeded (the simulator orders the actors' calls "
                         "from the seed, on a virtual clock: a seed replays its run) or free "
                         "(parallel, real time); default: each scenario's own")
    group.addoption("--scenario-report", default=None, metavar="DIR",
                    help="write summary.md and summary.json of the scenario run to DIR")
    group = parser.getgroup("explore", "the explorer: searching for bugs (harness/explore)")
    group.addoption("--sweep", action="store_true",
                    help="sweep the selected scenarios instead of running them: every fault "
                         "kind at every call the implementation makes, checked against what "
                         "must hold whatever the fault")
    group.addoption("--sweep-budget", type=float, default=float("inf"), metavar="SECONDS",
                    help="stop each scenario's sweep after this long (default: never)")
    group.addoption("--explore", action="append", default=None, metavar="SPEC",
                    help="search this implementation for bugs instead of running the "
                         "collected tests: generated scenarios against the model, generated "
                         "races (repeatable)")
    group.addoption("--explore-budget", type=float, default=120.0, metavar="SECONDS",
                    help="the search's wall time, split over modes, implementations and "
                         "xdist workers (default: %(default)s)")
    group.addoption("--explore-seed", type=int, default=1, metavar="N",
                    help="the first seed of a search (default: %(default)s)")
    group.addoption("--explore-mode", choices=("all", *searches.MODES), default="all",
                    help="sequential, contention, sweeps, or all (the budget shared)")
    group.addoption("--explore-model", choices=sorted(VARIANTS), default=None,
                    help="the model the implementation is held to in searches and sweeps "
                         "(default: its manifest's model:, else its adapter's, else "
                         "reference)")
    group.addoption("--explore-shard", type=_shard, default=(0, 1), metavar="K/N",
                    help="this run is shard K (from 0) of N runs on separate machines: its "
                         "seeds are its own; merge their summaries with python -m "
                         "harness.explore merge")


_ACTIVE = pytest.StashKey[bool]()


def _asked(config: pytest.Config) -> bool:
    """Installed, the plugin loads into every pytest run (its pytest11 entry
    point); it acts only where asked: ``-p harness.plugin``, an option of its
    own, or ``imagecache_harness = true`` in the project's ini file."""
    args = [*config.invocation_params.args,
            *shlex.split(os.environ.get("PYTEST_ADDOPTS", ""))]
    named = any(arg == "-pharness.plugin" or (before == "-p" and arg == "harness.plugin")
                for before, arg in zip(["", *args], args, strict=False))
    return named or bool(config.getini("imagecache_harness")) or any(
        config.getoption(option) for option in ("impl", "explore", "sweep", "vcsim",
                                                "vcsim_url", "scenario_report"))


def active(config: pytest.Config) -> bool:
    return config.stash.get(_ACTIVE, False)


@pytest.hookimpl(trylast=True)  # after pytest's own: the run's temporary folder is known
def pytest_configure(config: pytest.Config) -> None:
    config.stash[_ACTIVE] = _asked(config)
    if not active(config):
        return
    # Fails on a bad option or environment before any test runs.
    worker_simulator.install(config)
    for spec in (config.getoption("impl") or []) + (config.getoption("explore") or []):
        try:
            get_implementation(spec)
        except UnknownImplementation as exc:
            raise pytest.UsageError(str(exc)) from None
    if config.getoption("expectations") is not None:
        _check_manifests(config)
    report_dir = config.getoption("scenario_report")
    if report_dir and not hasattr(config, "workerinput"):
        config.pluginmanager.register(ScenarioReport(Path(report_dir)), "scenario-report")
    if (config.getoption("explore") or config.getoption("sweep")) and \
            not hasattr(config, "workerinput"):
        config.pluginmanager.register(ExploreReport(reports_of(config),
                                                    config.getoption("explore_budget")),
                                      "explore-report")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """An xdist worker writes its findings where the controller's summary is."""
    if active(node.config) and (node.config.getoption("explore") or
                                node.config.getoption("sweep")):
        node.workerinput[EXPLORE_REPORTS] = str(reports_of(node.config))


def _check_manifests(config: pytest.Config) -> None:
    """A user's manifests name scenarios that exist (in the shipped corpus or
    in what this run collects) and are well formed: a typo would otherwise
    leave a failure unexpected, or an expected one silently listed."""
    known = scenario_names([CORPUS, *(Path(a.split("::")[0]) for a in config.args)],
                           config.getoption("scenario_dir"))
    for spec in config.getoption("impl") or ["refimpl"]:
        label = label_of(spec)
        try:
            unknown = unknown_scenarios(label, manifests_of(config), known)
        except ManifestError as exc:
            raise pytest.UsageError(f"--expectations: {exc}") from None
        if unknown:
            raise pytest.UsageError(
                f"--expectations: the manifest of {label!r} names scenario(s) that do not "
                f"exist: {', '.join(unknown)}")


def _timeout(text: str) -> tuple[str, float]:
    op, sep, seconds = text.partition("=")
    try:
        value = float(seconds)
        if not sep:
            raise ValueError(text)
        reply_timeouts([(op, value)])
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: KIND=SECONDS, KIND one of {', '.join(OPS)}, SECONDS > 0") from None
    return op, value


def _shard(text: str) -> tuple[int, int]:
    k, sep, n = text.partition("/")
    if not sep or not k.isdigit() or not n.isdigit() or not 0 <= int(k) < int(n):
        raise argparse.ArgumentTypeError(f"{text!r}: K/N with 0 <= K < N, e.g. 0/3")
    return int(k), int(n)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    if active(config) and config.getoption("explore"):
        items[:] = explore_items(session)  # a search instead of the collected tests


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if not active(parent.config):
        return None
    config = parent.config
    kind = ("scenario" if is_scenario_file(file_path) else
            "contention" if is_contention_file(file_path) else
            named_kind(file_path) if _named(config, file_path) or
            in_scenario_dir(file_path, config.getoption("scenario_dir")) else None)
    if kind == "scenario":
        return ScenarioFile.from_parent(parent, path=file_path)
    if kind == "contention":
        return ContentionFile.from_parent(parent, path=file_path)
    return None


def _named(config: pytest.Config, path: Path) -> bool:
    """Whether ``path`` itself is one of the command line's arguments."""
    here = config.invocation_params.dir
    return any((here / arg.split("::")[0]).resolve() == path.resolve() for arg in config.args)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    return _redacted((yield))


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector
                               ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    return _redacted((yield))


def _redacted(report: ReportT) -> ReportT:
    """``report`` without a real vCenter's password, before the terminal, JUnit,
    xdist's controller or the harness's reports see it. Only a report that
    quotes it changes (its traceback then becomes plain text)."""
    text = str(report.longrepr) if report.longrepr is not None else ""
    if redact(text) != text:
        if isinstance(report.longrepr, tuple):  # a skip: (path, line, reason)
            path, line, reason = report.longrepr
            report.longrepr = (path, line, redact(reason))
        else:
            report.longrepr = redact(text)
    report.sections = [(name, redact(content)) for name, content in report.sections]
    return report


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    if not active(session.config):
        return
    worker_simulator.stop(session.config)
    if not hasattr(session.config, "workerinput"):
        # Controller (or a plain run): workers that crashed left their
        # simulators' work directories or containers; remove them now.
        reaper.reap()


@pytest.fixture(scope="session")
def vcsim(pytestconfig: pytest.Config) -> Simulator:
    """This worker's simulator (or the external endpoint), started once."""
    if not active(pytestconfig):
        raise pytest.UsageError("the vcsim fixture needs the imagecache harness to act here: "
                                "-p harness.plugin, or imagecache_harness = true in the ini")
    return worker_simulator.simulator(pytestconfig)


@pytest.fixture
def vsphere(vcsim: Simulator) -> Iterator[vim.ServiceInstance]:
    """A logged-in pyvmomi ServiceInstance on ``vcsim``; logged out afterwards."""
    si = vsphere_session.connect(vcsim.endpoint)
    try:
        yield si
    finally:
        vsphere_session.disconnect(si)
