"""Implementations the scenarios run against.

``--impl`` takes a registered name (entry-point group
``imagecache_harness.implementations``: ``refimpl``, ``original`` and any
installed package's), ``module:factory``, ``cmd:<command line>`` for a
process speaking the protocol (docs/protocol.md), or ``mutant:<name>`` for
one of the harness's mutants (``mutants.py``); ``label=<any of these>``
names it (the label also picks ``scenarios/expectations/<label>.yaml``).
"""

from __future__ import annotations

import functools
import importlib
import shlex
import sys
from importlib.metadata import entry_points

from .base import (
    Implementation,
    ImplementationBroken,
    ImplementationError,
    Instance,
    Node,
    NodeSetup,
)
from .command_adapter import CommandImplementation, ReplyTimeouts
from .mutants import MUTANTS, applied
from .mutants import __name__ as MUTANTS_MODULE
from .zones import ZONES, UnknownZone, open_node, zone_of

GROUP = "imagecache_harness.implementations"

__all__ = ["GROUP", "ZONES", "Implementation", "ImplementationBroken", "ImplementationError",
           "Instance", "Node", "NodeSetup", "UnknownImplementation", "UnknownZone", "get",
           "label_of", "open_node", "registered", "run_alone", "zone_of"]


class UnknownImplementation(ValueError):
    pass


@functools.cache
def registered() -> dict[str, str]:
    """Registered implementation names and their ``module:factory``: read
    once per process (a search asks for every run, and reading the installed
    packages' entry points costs more than a run's layout)."""
    return {ep.name: ep.value for ep in entry_points(group=GROUP)}


def label_of(spec: str) -> str:
    label, sep, _ = spec.partition("=")
    if sep and label and ":" not in label and " " not in label:
        return label
    return spec


def file_label(spec: str) -> str:
    """The implementation's label as part of a file name."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in label_of(spec))[:40]


_ALONE: set[str] = set()  # the implementation this process runs alone, if declared


def run_alone(spec: str) -> None:
    """Declare that this process runs the implementation ``spec`` names and
    no other, ever (a contention actor's, ``contention/pool.py``; an
    explorer command's): a mutant then patches its target here, at an
    in-process implementation's rate, rather than run as a process of its
    own. The mutant's target is then refused in this process (``get``)."""
    _ALONE.add(spec)


def get(spec: str, *, timeouts: ReplyTimeouts | None = None) -> Implementation:
    """The implementation ``spec`` names (see the module docstring);
    ``timeouts``: a process's reply timeouts, by message (default: the
    protocol's)."""
    label = label_of(spec)
    target = spec[len(label) + 1:] if label != spec else spec
    if target.startswith("cmd:"):
        return CommandImplementation(target[len("cmd:"):], name=label, timeouts=timeouts)
    if target.startswith("mutant:"):
        name = target[len("mutant:"):]
        if name not in MUTANTS:
            raise UnknownImplementation(f"unknown mutant {name!r}: one of "
                                        f"{', '.join(MUTANTS)}")
        mutant = MUTANTS[name]
        if spec in _ALONE:
            impl = _named(mutant.target, mutant.target)
            mutant.apply_once()
            impl.name = label
            return impl
        return CommandImplementation(
            shlex.join([sys.executable, "-m", MUTANTS_MODULE, name]), name=label,
            model="original" if mutant.target == "original" else "reference",
            timeouts=timeouts)
    resolved = registered().get(target, target)
    for mutant in applied():
        if registered().get(mutant.target, mutant.target) == resolved:
            # The mutant's patch is in this process's modules: its target
            # here would be the mutant.
            raise UnknownImplementation(
                f"implementation {spec!r}: this process runs mutant:{mutant.name}, which "
                f"patched {mutant.target} here; run {mutant.target} in a process of its own")
    return _named(spec, target, label)


def _named(spec: str, target: str, label: str | None = None) -> Implementation:
    """A registered name or ``module:factory``, made in this process."""
    if target in registered():
        target = registered()[target]
    module_name, sep, factory = target.partition(":")
    if not sep or not module_name or not factory:
        known = ", ".join(sorted(registered())) or "none"
        raise UnknownImplementation(
            f"unknown implementation {spec!r}: use a registered name ({known}), "
            "module:factory, or cmd:<command line>")
    try:
        impl = getattr(importlib.import_module(module_name), factory)()
    except (ImportError, AttributeError, OSError) as exc:
        raise UnknownImplementation(f"implementation {spec!r}: {exc}") from exc
    if label is not None and label != spec:
        impl.name = label
    return impl
