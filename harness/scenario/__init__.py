"""Scenario files: YAML source with line numbers, schema, model, loader."""

from .loader import ScenarioError, load_scenario
from .model import Scenario

__all__ = ["Scenario", "ScenarioError", "load_scenario"]
