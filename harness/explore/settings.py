"""One object for everything a search is told: whom it searches and held to
which model, where, for how long, in which zones, and where it writes.
Nothing of it lives in a module's globals.

The model an implementation is held to (its variant, and with it the error
contract) is one per implementation, in every mode: ``--model``, else the
``model:`` of its manifest (or of the manifest it inherits: a peer of the
original that inherits ``original`` is held to the original's), else what
its adapter declares (``Implementation.model``), else the reference.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sim import Endpoint

from ..adapters import ZONES, label_of
from ..adapters import get as get_implementation
from ..manifest import MANIFEST_DIR, Directories, declared_model
from ..vsphere.login import Login
from .scheme import VARIANTS, Variant

MIN_SHRINK_SECONDS = 20.0  # a failure found at the end of the budget still shrinks this long
Progress = Callable[[int, int], None]  # (runs, findings) so far


class ModelError(ValueError):
    """A model named that does not exist, and where it was named."""


def model_for(impl: str, *, override: str | None = None,
              manifests: Directories = (MANIFEST_DIR,)) -> Variant:
    """The model ``impl`` is held to (see the module's docstring)."""
    if override is not None:
        return _variant(override, "--model")
    declared = declared_model(label_of(impl), manifests)
    if declared is not None:
        return _variant(declared.model, f"{declared.path}: model")
    adapter = getattr(get_implementation(impl), "model", None)
    return _variant(adapter, f"the adapter of {impl!r}") if adapter else VARIANTS["reference"]


def _variant(name: str, where: str) -> Variant:
    try:
        return VARIANTS[name]
    except KeyError:
        raise ModelError(f"{where}: unknown model {name!r}: one of "
                         f"{', '.join(VARIANTS)}") from None


@dataclass(frozen=True)
class Settings:
    impl: str
    endpoint: Endpoint
    reports: Path  # where findings, workloads and timelines are written
    model: Variant
    seed: int = 1  # the first; each further seed of a search is the next
    budget_s: float = 120.0  # wall time; a failure found late still shrinks
    zones: tuple[str, ...] = tuple(ZONES)  # a generated case's drawn, a swept pair's in turn
    stop: bool = False  # at the first finding (-x)
    shrink: bool = True
    shrink_s: float = MIN_SHRINK_SECONDS
    shard: tuple[int, int] = (0, 1)  # of a sweep's pairs: the k-th of n
    progress: Progress | None = None
    login: Login | None = None  # the harness's, shared by the search's runs (searches.py)
