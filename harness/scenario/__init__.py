"""The sequential scenario kind: model, loader, step kinds, runner, checker
and the frozen clock (the contention kind in ``contention/`` has the same
shape)."""

from ..format.errors import ScenarioError
from .loader import load_scenario
from .model import Scenario

__all__ = ["Scenario", "ScenarioError", "load_scenario"]
