"""The interface every simulator backend implements."""

from __future__ import annotations

from typing import Protocol

from ..endpoint import Endpoint


class Backend(Protocol):
    """Launches one simulator (or attaches to an endpoint) and tears it down."""

    name: str

    def start(self, timeout: float) -> Endpoint:
        """Launch and return the endpoint once its SDK answers."""

    def stop(self) -> None:
        """End what ``start`` launched and remove its traces; idempotent."""

    def output(self) -> str:
        """What the simulator printed so far (empty if not observable)."""
