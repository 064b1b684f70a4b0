"""HTTP(S) connections to an endpoint, for the readiness probe and the control API."""

from __future__ import annotations

import http.client
import ssl

from .endpoint import Endpoint


def open_connection(endpoint: Endpoint, timeout: float) -> http.client.HTTPConnection:
    if endpoint.scheme == "https":
        context = ssl.create_default_context()
        if endpoint.insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return http.client.HTTPSConnection(endpoint.host, endpoint.port, timeout=timeout,
                                           context=context)
    return http.client.HTTPConnection(endpoint.host, endpoint.port, timeout=timeout)
