"""The simulator a shell names: ``VCSIM_URL`` and ``VCSIM_THUMBPRINT``, as
``python -m sim up`` prints them."""

from __future__ import annotations

import os

from .control import Control
from .endpoint import Endpoint
from .errors import SimulatorError
from .simulator import Simulator

URL = "VCSIM_URL"
THUMBPRINT = "VCSIM_THUMBPRINT"


def named_endpoint() -> Endpoint | None:
    """The endpoint the environment names, or None."""
    url = os.environ.get(URL)
    return Endpoint.from_url(url, thumbprint=os.environ.get(THUMBPRINT) or None) \
        if url else None


def own_simulator(datastores: int) -> Simulator:
    """The harness's simulator the environment names, proven so (its
    certificate, its control API), or a new one of ``datastores``: tools
    that inject faults run nowhere else, a real vCenter least of all."""
    endpoint = named_endpoint()
    if endpoint is None:
        return Simulator("process", datastores=datastores)
    if not Control(endpoint, timeout=10).is_harness_simulator():
        raise SimulatorError(
            f"{URL} ({endpoint.redacted()}) is not proven to be the harness's simulator: it "
            f"needs {THUMBPRINT}, as `python -m sim up` prints it, and the simulator's control "
            f"API; unset {URL} to start one")
    return Simulator("url", endpoint=endpoint)
