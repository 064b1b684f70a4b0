"""An endpoint somebody else runs: a detached simulator or a real vCenter."""

from __future__ import annotations

from ..endpoint import Endpoint
from ..errors import EndpointError
from ..readiness import probe


class UrlBackend:
    """Connects to an endpoint; never stops it."""

    name = "url"

    def __init__(self, endpoint: Endpoint) -> None:
        self._endpoint = endpoint

    def start(self, timeout: float) -> Endpoint:
        try:
            probe(self._endpoint, timeout=timeout)
        except EndpointError as exc:
            raise EndpointError(f"{self._endpoint.redacted()} does not answer: {exc}") from exc
        return self._endpoint

    def stop(self) -> None:
        """Nothing to do: the endpoint is not ours."""

    def output(self) -> str:
        return ""
