"""The fault sweep: run a scenario once with the call trace on, then once
per call site x fault kind, injecting exactly at that call (the rule's
``skip`` and ``count`` on its method and path), and check what must hold
whatever the fault (``properties``).

A call site is one SOAP call the implementation made in the fault-free run
(the harness's own sessions are exempt and do not count): its method, its
datastore path relative to the run folder, and which of the calls matching
both it was. Calls made while waiting for a task (``RetrievePropertiesEx``,
``WaitForUpdatesEx``) are call sites like any other.
"""

from __future__ import annotations

import contextlib
import random
import shlex
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sim import Call, Endpoint
from sim.cleanup import temporary_directory
from sim.faults import FAULTS

from ..adapters import ImplementationBroken, ImplementationError, NodeSetup
from ..adapters import get as get_implementation
from ..contention.runner import run_contention
from ..format.config import Config
from ..scenario import steps as s
from ..scenario.model import Scenario
from ..scenario.runner import Run, open_run
from ..vsphere import inspector
from ..vsphere.run_folder import RunFolder
from ..vsphere.tree import CacheTree
from . import properties
from .prediction import used_images
from .properties import Contract, Seen, Trees
from .zones import process_zone, replay_prefix

DELAY_MS = 300  # what delay and delay_after add: past a poll interval, short of a timeout


@dataclass(frozen=True)
class Site:
    """One call of the fault-free run, as a fault rule can single it out."""

    method: str
    path: str  # relative to the run folder; "" for a call without one
    occurrence: int  # of the calls the rule matches (this method, and this path if any)
    # What kind of call it is, for the order of a sweep (not for the rule):
    # see call_sites.
    kind: str = field(default="", compare=False)

    def rule(self, fault: str) -> dict[str, Any]:
        return {"fault": fault, "method": self.method,
                **({"path": self.path} if self.path else {}),
                "skip": self.occurrence, "count": 1,
                **({"delay_ms": DELAY_MS} if fault.startswith("delay") else {})}

    def hit(self, bases: list[tuple[str, str]]) -> tuple[str, str | None] | None:
        """(datastore, image) the call is about, (datastore, None) for a base
        folder's listing, None when it names neither (a task's poll, a login)."""
        head, sep, rest = self.path.partition("] ")
        if not sep:
            return None
        datastore = head.removeprefix("[")
        for ds, base in bases:
            if ds == datastore and (rest == base or rest.startswith(base + "/")):
                inside = rest[len(base):].strip("/")
                return datastore, inside.split("/")[0] if inside else None
        return None

    def __str__(self) -> str:
        return f"{self.method} {self.path or '(no path)'} #{self.occurrence + 1}"

    @classmethod
    def parse(cls, text: str) -> Site:
        """The inverse of ``str``, for a replay line."""
        method, rest = text.split(" ", 1)
        path, number = rest.rsplit(" #", 1)
        return cls(method, "" if path == "(no path)" else path, int(number) - 1)


def call_sites(calls: Iterable[Call], root: str, bases: Iterable[str] = ()) -> list[Site]:
    """The implementation's calls, in order, as sites (``root``: the run
    folder). A call on an entry of an image folder below one of ``bases`` (a
    mark, a claim, a file) is named by a glob over that image's entries: mark
    names follow the run's clock and claim names are the implementation's
    own, often random, while the k-th such call is the same call in every run.

    Each site also gets a kind: which session made it (numbered as they
    appear), the method, and the shape of its path with the datastore and
    the image left out; a call without a path is of the kind of the call its
    session made before it, which for a task's poll is the task."""
    sites, seen = [], []
    bases = tuple(bases)
    sessions: dict[str, int] = {}
    last: dict[str, str] = {}  # session -> the shape of its last call with a path
    for call in calls:
        if call.exempt:
            continue
        path = entries_glob(unscoped(call.path, root), bases)
        occurrence = sum(1 for m, p in seen if m == call.method and (not path or p == path))
        number = sessions.setdefault(call.session, len(sessions))
        if path:
            last[call.session] = f"{call.method} {path_shape(path)}"
        where = path_shape(path) if path else f"after {last.get(call.session, 'nothing')}"
        sites.append(Site(call.method, path, occurrence, f"{number}: {call.method} {where}"))
        seen.append((call.method, path))
    return sites


def path_shape(path: str) -> str:
    """``[ds] a/b/*`` as ``[] ?/?/*``: how deep, not which datastore or image."""
    _head, sep, rest = path.partition("] ")
    if not sep:
        return path
    return "[] " + "/".join(part if part == "*" else "?" for part in rest.split("/"))


def unscoped(path: str, root: str) -> str:
    """``[ds] <root>/rest`` as the scenario writes it: ``[ds] rest``."""
    head, sep, rest = path.partition("] ")
    if not sep:
        return path
    return f"{head}] {rest.removeprefix(root + '/')}"


def entries_glob(path: str, bases: tuple[str, ...]) -> str:
    """``[ds] base/image/entry`` as ``[ds] base/image/*``; other paths as they are."""
    head, sep, rest = path.partition("] ")
    for base in bases:
        image, _, entry = rest.removeprefix(base + "/").partition("/")
        if sep and rest.startswith(base + "/") and entry:
            return f"{head}] {base}/{image}/*"
    return path


@dataclass
class Finding:
    site: Site | None  # None: a fault-free run
    fault: str
    problems: list[str]
    zone: str | None = None
    # The fault-free run of the first zone broke a property (a strict sweep);
    # otherwise one without a site differs in its zone from the first zone's.
    fault_free: bool = False

    def replay(self, scenario: Path, impl: str) -> str:
        only = f" --site {shlex.quote(str(self.site))} --fault {self.fault}" if self.site else \
            " --budget 0 --strict" if self.fault_free else ""
        return (f"{replay_prefix(self.zone)}python -m harness.explore sweep "
                f"{shlex.quote(str(scenario))} --impl {shlex.quote(impl)} --zones none{only}")

    @property
    def what(self) -> str:
        where = f"{self.site} {self.fault}" if self.site else \
            "without faults" + (f", TZ={self.zone}" if self.zone else "")
        return f"{where}: {self.problems[0]}"


@dataclass
class Sweep:
    """A sweep's progress and result."""

    scenario: Path
    impl: str
    sites: list[Site] = field(default_factory=list)
    runs: int = 0
    done: int = 0  # site x fault pairs run
    planned: int = 0
    fault_free: list[str] = field(default_factory=list)  # what breaks without any fault
    findings: list[Finding] = field(default_factory=list)

    def ran(self, site: Site, fault: str, found: list[str], zone: str | None,
            on_progress: Callable[[Sweep], None] | None) -> None:
        """One pair done: what it found, and the progress shown."""
        self.done += 1
        if found:
            self.findings.append(Finding(site, fault, found, zone))
        if on_progress is not None:
            on_progress(self)



# -- a sequential scenario, observed step by step ---------------------------


# Faults after which the call has still done its work.
_DONE_ANYWAY = frozenset({"delay", "delay_after", "drop_after"})
_CHANGES = frozenset({"MakeDirectory", "DeleteDatastoreFile_Task", "MoveDatastoreFile_Task"})


def refused_changes(calls: Iterable[Call], bases: Iterable[str]) -> frozenset[str]:
    """The images a change to whose entries (a mark, a claim) a fault refused."""
    images = set()
    for call in calls:
        if call.method in _CHANGES and call.injected and call.injected not in _DONE_ANYWAY:
            rest = "/" + call.path.partition("] ")[2]
            for base in bases:
                _, found, inside = rest.partition(f"/{base}/")
                image, _, entry = inside.partition("/")
                if found and entry:
                    images.add(image)
    return frozenset(images)


def base_folders(scenario: Scenario) -> list[tuple[str, str]]:
    """Every base folder the scenario's nodes and layout use, per datastore."""
    config = scenario.config
    folders = {config.base_folder_of(n) for n in config.nodes}
    folders |= {state.folder for state in scenario.cache.values() if state.folder}
    return sorted((ds, f) for ds in config.datastores for f in folders)


def observe(scenario: Scenario, impl: str, endpoint: Endpoint,
            rule: dict[str, Any] | None = None) -> tuple[properties.Run, list[Call], str]:
    """Run the scenario's operations (its expectations aside) with ``rule``
    injected, the trees read after each, then clear the faults and run the
    two convergence passes. The run, the calls, and the run folder's name."""
    keys = base_folders(scenario)
    result = properties.Run()
    with open_run(scenario, get_implementation(impl), endpoint, control=True) as run:
        control = run.folder.control
        control.reset_trace()
        if rule is not None:
            run.folder.add_fault(rule)
        trees = _read(run, keys)
        operations = [step for step in scenario.steps if not isinstance(step, s.ExpectStep)]
        for index, step in enumerate(operations):
            seen = _step(run, step, index, trees)
            seen.after = trees = _read(run, keys)
            result.steps.append(seen)
        calls = control.trace().calls
        control.clear_faults()
        result.converged = _converge(run, scenario.config, keys)
        return result, calls, run.folder.name


def _read(run: Run, keys: list[tuple[str, str]]) -> Trees:
    client = run.folder.client
    return {(ds, folder): inspector.read(client, ds, run.base_folder(folder))
            if ds in client.datastores else None for ds, folder in keys}


def _step(run: Run, step: s.Step, index: int, before: Trees) -> Seen:
    seen = Seen(index, step.key, step.describe(), before, before)
    node = getattr(step, "node", None)
    if node is not None:
        seen.node_base = run.config.base_folder_of(run.config.node(node))
        try:
            run.node(node)  # opened before its first operation: logging in is no part of it
        except Exception as exc:
            seen.op = "open"
            _failed(seen, exc)
            return seen
    if isinstance(step, s.EnlistStep):
        seen.image, seen.datastores = step.image, (step.datastore,)
    elif isinstance(step, s.AgeStep):
        seen.used = used_images(step.view(run.instances))
        seen.datastores = step.datastores
        seen.now = run.clock.reader(run.config.node(step.node).clock_offset)()
    try:
        # An operation unjudged; any other step as it runs (clock, faults, fetch...).
        operate = getattr(step, "operate", step.run)
        operate(run)
    except Exception as exc:
        _failed(seen, exc)
    return seen


def _failed(seen: Seen, exc: Exception) -> None:
    if isinstance(exc, ImplementationError):
        seen.error, seen.message = exc.kind, f"{exc.kind}: {exc}"
        return
    # ImplementationBroken, or what an in-process implementation lets escape
    # outside the interface's errors (a raw pyVmomi fault, say).
    seen.broke = True
    text = str(exc) if isinstance(exc, ImplementationBroken) else \
        f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"
    seen.message = " ".join(text.split())[:300]


def _converge(run: Run, config: Config, keys: list[tuple[str, str]]) -> Trees:
    """Two passes by the first node seeing every current instance, the second
    one age and a second later: what any fault should have given way to."""
    for advance in (timedelta(0), config.age + timedelta(seconds=1)):
        run.clock.advance(advance)
        # A pass that fails leaves the trees to say what it did.
        with contextlib.suppress(Exception):
            run.node(config.nodes[0].name).age(run.instances, config.datastores)
    return _read(run, keys)


def sweep_scenario(scenario: Scenario, impl: str, endpoint: Endpoint, contract: Contract, *,
                   budget_s: float = float("inf"), only: tuple[Site, str] | None = None,
                   zones: tuple[str | None, ...] = (None,), shard: tuple[int, int] = (0, 1),
                   stop: bool = False, sample: random.Random | None = None,
                   strict: bool = False, limit: int | None = None,
                   on_progress: Callable[[Sweep], None] | None = None) -> Sweep:
    """Sweep a sequential scenario (``only``: that one site and fault). The
    fault-free run is made in every zone (any difference is a finding); the
    faulted runs take the zones in turn. ``sample``: take the pairs in this
    random order instead (the explorer's many small sweeps). ``strict``: a
    property the fault-free run breaks is a finding too (a generated
    workload, of which no failure is known). ``limit``: at most that many
    pairs."""
    sweep = Sweep(scenario.path, impl)
    deadline = time.monotonic() + budget_s
    fault_free: dict[str | None, properties.Run] = {}
    for zone in zones:
        with process_zone(zone):
            fault_free[zone], calls, root = observe(scenario, impl, endpoint)
        sweep.runs += 1
        if zone == zones[0]:
            sweep.sites = call_sites(calls, root, [f for _, f in base_folders(scenario)])
            for seen in fault_free[zone].steps:
                sweep.fault_free += [f"step {seen.index + 1} ({seen.describe}): {p}"
                                     for p in properties.invariants(seen, scenario.config.age)]
        else:
            found = properties.findings(fault_free[zone], fault_free[zones[0]],
                                        scenario.config.age, contract)
            if found:
                sweep.findings.append(Finding(None, "", found, zone))
    if judged(sweep, strict, zones[0]) and stop:
        return sweep
    # A shard (k, n) takes every n-th pair from the k-th: xdist workers share a sweep.
    pairs = [only] if only is not None else \
        pairs_in_order(sweep.sites, sample)[shard[0]::shard[1]][:limit]
    sweep.planned = len(pairs)
    for i, (site, fault) in enumerate(pairs):
        if time.monotonic() > deadline:
            break
        zone = zones[i % len(zones)]
        with process_zone(zone):
            run, calls, _ = observe(scenario, impl, endpoint, site.rule(fault))
        sweep.runs += 1
        found = properties.findings(run, fault_free[zone], scenario.config.age, contract, fault,
                                    site.hit(base_folders(scenario)),
                                    refused_changes(calls, [f for _, f in base_folders(scenario)]))
        sweep.ran(site, fault, found, zone, on_progress)
        if found and stop:
            break
    return sweep


def with_rule(scenario: Any, rule: dict[str, Any]) -> Any:
    """A contention scenario with one more fault rule."""
    return replace(scenario, faults=(*scenario.faults, rule))


def pairs_in_order(sites: list[Site], shuffle: random.Random | None = None,
                   kinds: tuple[str, ...] = FAULTS) -> list[tuple[Site, str]]:
    """Every site with every fault kind, the first call of each kind first
    (``Site.kind``; a site without one is of the kind of its method and path):
    a budget that stops early has covered each kind of call once, a task's
    poll after each kind of task among them. ``shuffle``: in a random order
    within each of the two parts."""
    def kind(site: Site) -> str:
        return site.kind or f"{site.method} {site.path}"

    first = {kind(site): site for site in reversed(sites)}
    parts: tuple[list[tuple[Site, str]], list[tuple[Site, str]]] = ([], [])
    for site in sites:
        parts[first[kind(site)] is not site].extend((site, f) for f in kinds)
    if shuffle is not None:
        for part in parts:
            shuffle.shuffle(part)
    return parts[0] + parts[1]


# -- a contention scenario, under its seeded schedule -------------------------


@dataclass
class Settled:
    """A contention run's cache when its actors are done, and after the two
    convergence passes."""

    after: CacheTree | None
    converged: CacheTree | None


def judged(sweep: Sweep, strict: bool, zone: str | None) -> bool:
    """Whether a strict sweep found its fault-free run broken (a finding)."""
    if strict and sweep.fault_free:
        sweep.findings.append(Finding(None, "", sweep.fault_free, zone, fault_free=True))
        return True
    return False


def _settle(impl: str, config: Any) -> Callable[[RunFolder, str], Settled]:
    """The epilogue of a swept contention run: read the cache, clear the
    faults, run the two convergence passes (nothing is in use any more)."""

    def epilogue(folder: RunFolder, base: str) -> Settled:
        client = folder.client
        datastore = config.datastores[0]
        after = inspector.read(client, datastore, base)
        folder.control.clear_faults()
        now = datetime.now(UTC)
        clock = [now]
        with temporary_directory("converge") as locks:
            node = get_implementation(impl).open_node(NodeSetup(
                name="converge", endpoint=folder.endpoint, base_folder=base,
                lock_path=Path(locks), age_seconds=int(config.age.total_seconds()),
                clock=lambda: clock[0]))
            try:
                for advance in (timedelta(0), config.age + timedelta(seconds=1)):
                    clock[0] += advance
                    with contextlib.suppress(Exception):
                        node.age([], config.datastores)
            finally:
                node.close()
        return Settled(after, inspector.read(client, datastore, base))

    return epilogue


def _kind(detail: str) -> str:
    """The error kind an actor recorded (``kind: message``)."""
    return detail.split(":", 1)[0]


def contention_findings(outcome: Any, fault_free: Any, contract: Contract,
                        fault: str = "") -> list[str]:
    """What a fault brought to a contention run: new violations of the
    invariants, leftovers, no convergence, errors outside the contract."""
    found = []
    known = {(v.invariant, v.image) for v in fault_free.violations}
    found += [f"{v.invariant}: {v.message}" for v in outcome.violations
              if (v.invariant, v.image) not in known
              and not (fault in properties.UNTRUE and v.invariant == "I3")]
    settled, clean = outcome.epilogue, fault_free.epilogue
    config = outcome.scenario.config
    refused = refused_changes(outcome.calls, {config.base_folder_of(n) for n in config.nodes})
    for image_id, image in sorted((settled.after.images if settled.after else {}).items()):
        expected = clean.after.images.get(image_id) if clean.after else None
        allowed = set(expected.folders) | set(expected.files) if expected else set()
        junk = (set(image.folders) | set(image.files)) - allowed - {f"{image_id}.vmdk"}
        if junk and image_id not in refused:
            found.append(f"{image_id}: left behind {sorted(junk)}")
    if settled.converged != clean.converged:
        found.append(f"after two more passes {properties.show(settled.converged)}, without the "
                     f"fault {properties.show(clean.converged)}")
    kinds = {(e.op, _kind(e.detail)) for e in fault_free.events if e.type == "fail"}
    for e in outcome.events:
        if e.type == "fail" and (e.op, _kind(e.detail)) not in kinds and \
                not contract.allows(e.op, _kind(e.detail)):
            found.append(f"{e.actor}: {e.op} raised {e.detail.splitlines()[0][:200]}, which "
                         f"the {contract.name} contract does not allow under a fault")
    return found


def sweep_contention(scenario: Any, impl: str, endpoint: Endpoint, contract: Contract, *,
                     seed: int, reports: Path, budget_s: float = float("inf"),
                     only: tuple[Site, str] | None = None,
                     zones: tuple[str | None, ...] = (None,), shard: tuple[int, int] = (0, 1),
                     stop: bool = False, sample: random.Random | None = None,
                     kinds: tuple[str, ...] = FAULTS, strict: bool = False,
                     limit: int | None = None,
                     on_progress: Callable[[Sweep], None] | None = None) -> Sweep:
    """Sweep a contention scenario under its seeded schedule (``only``: that
    one site and fault; ``kinds``: these fault kinds only), the zones,
    ``sample``, ``strict`` and ``limit`` as for a sequential one."""
    sweep = Sweep(scenario.path, impl)
    deadline = time.monotonic() + budget_s
    epilogue = _settle(impl, scenario.config)

    def run(rule: dict[str, Any] | None, zone: str | None) -> Any:
        swept = with_rule(scenario, rule) if rule is not None else scenario
        sweep.runs += 1
        with process_zone(zone):
            return run_contention(swept, impl, endpoint, seed=seed, reports=reports,
                                  schedule="seeded", epilogue=epilogue)

    fault_free = {zone: run(None, zone) for zone in zones}
    first = fault_free[zones[0]]
    sweep.fault_free = [f"{v.invariant}: {v.message}" for v in first.violations]
    sweep.sites = call_sites(first.calls, first.folder,
                             {scenario.config.base_folder_of(n) for n in scenario.config.nodes})
    for zone in zones[1:]:
        found = contention_findings(fault_free[zone], first, contract)
        if found:
            sweep.findings.append(Finding(None, "", found, zone))
    if judged(sweep, strict, zones[0]) and stop:
        return sweep
    # A shard (k, n) takes every n-th pair from the k-th: xdist workers share a sweep.
    pairs = [only] if only is not None else \
        pairs_in_order(sweep.sites, sample, kinds)[shard[0]::shard[1]][:limit]
    sweep.planned = len(pairs)
    for i, (site, fault) in enumerate(pairs):
        if time.monotonic() > deadline:
            break
        zone = zones[i % len(zones)]
        try:
            found = contention_findings(run(site.rule(fault), zone), fault_free[zone],
                                        contract, fault)
        except RuntimeError as exc:  # an actor crashed: the implementation broke
            found = [f"the implementation broke: {' '.join(str(exc).split())[:300]}"]
        sweep.ran(site, fault, found, zone, on_progress)
        if found and stop:
            break
    return sweep
