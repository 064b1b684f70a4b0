"""The searches a user starts, by name, each a target of the one engine:
generated sequential scenarios (``sequential``), generated contention
scenarios (``contention``), generated workloads swept (``sweeps``), and the
sweep of a scenario one gives (``sweep``), over faults or, for a contention
scenario, over its schedules (``schedules``). The CLI (``python -m
harness.explore``) and the pytest items (``--explore``, ``--sweep``) both
go through here."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from ..vsphere.login import Login
from . import engine
from .report import Part
from .settings import Settings
from .sites import Site
from .targets.contention import Contention
from .targets.scenarios import Scenarios
from .targets.schedules import Schedules
from .targets.sweep import Sweep
from .targets.workloads import Workloads

MODES = {"sequential": Scenarios, "contention": Contention, "sweeps": Workloads}


@contextlib.contextmanager
def _logged_in(settings: Settings) -> Iterator[Settings]:
    """The settings with one harness login for every run of the search: a
    run then costs its own calls, not a login and a logout."""
    if settings.login is not None:
        yield settings
        return
    with Login(settings.endpoint) as login:
        yield replace(settings, login=login)


def search(mode: str, settings: Settings) -> Part:
    """Search in one mode for the settings' budget."""
    with _logged_in(settings) as settings:
        return engine.search(MODES[mode](settings), settings)


def sweep(path: Path, settings: Settings, *, seed: int | None = None, strict: bool = False,
          only: tuple[Site, str] | None = None) -> Part:
    """Sweep one scenario file, sequential or contention (``seed``: a
    contention scenario's schedule; ``strict``: its run without faults is
    judged too)."""
    with _logged_in(settings) as settings:
        return engine.search(Sweep(settings, path, seed=seed, strict=strict, only=only),
                             settings)


def schedules(path: Path, settings: Settings, bound: int, *, seed: int | None = None) -> Part:
    """Run every schedule of one contention scenario with at most ``bound``
    preemptions, or as many as the budget allows."""
    with _logged_in(settings) as settings:
        return engine.search(Schedules(settings, path, bound, seed=seed), settings)
