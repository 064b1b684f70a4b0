"""HTTP(S) connections to an endpoint, for the readiness probe, the control
API and the datastore HTTP interface."""

from __future__ import annotations

import http.client
import ssl
from functools import cache

from .endpoint import Endpoint


@cache
def tls_context(insecure: bool) -> ssl.SSLContext:
    """One client context per kind: loading the default certificates costs
    more than a request to the simulator."""
    context = ssl.create_default_context()
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def open_connection(endpoint: Endpoint, timeout: float) -> http.client.HTTPConnection:
    if endpoint.scheme == "https":
        return http.client.HTTPSConnection(endpoint.host, endpoint.port, timeout=timeout,
                                           context=tls_context(endpoint.insecure))
    return http.client.HTTPConnection(endpoint.host, endpoint.port, timeout=timeout)
