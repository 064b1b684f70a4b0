"""govmomi's vCenter simulator for the imagecache harness.

``Simulator`` starts one (Docker container, local process, or an existing
URL such as a real vCenter) and stops it without leaving anything behind.
This package knows nothing of the harness or of refimpl.
"""

from .control import Call, Choice, Control, ControlError, ScheduleStatus, Trace
from .endpoint import Endpoint
from .errors import (
    BackendUnavailable,
    BuildError,
    EndpointError,
    SimulatorError,
    StartError,
)
from .simulator import Simulator
from .strategy import Strategy, Switch

__all__ = [
    "BackendUnavailable",
    "BuildError",
    "Call",
    "Choice",
    "Control",
    "ControlError",
    "Endpoint",
    "EndpointError",
    "ScheduleStatus",
    "Simulator",
    "SimulatorError",
    "StartError",
    "Strategy",
    "Switch",
    "Trace",
]
