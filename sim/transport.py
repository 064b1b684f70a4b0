"""HTTP(S) connections to an endpoint, for the readiness probe, the control
API and the datastore HTTP interface."""

from __future__ import annotations

import hashlib
import http.client
import ssl
from functools import cache

from .endpoint import Endpoint, normal_thumbprint


@cache
def tls_context(insecure: bool) -> ssl.SSLContext:
    """One client context per kind: loading the default certificates costs
    more than a request to the simulator."""
    context = ssl.create_default_context()
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class ThumbprintMismatch(ssl.SSLError):
    """The server's certificate is not the one pinned: not the server meant."""


class PinnedConnection(http.client.HTTPSConnection):
    """HTTPS to a server whose certificate is known by its SHA-256 (a
    self-signed one made at the simulator's start): that certificate is
    the proof, so no authority's signature is asked for, and no request is
    sent to any other."""

    def __init__(self, host: str, port: int, *, thumbprint: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=tls_context(True))
        self.thumbprint = thumbprint

    def connect(self) -> None:
        super().connect()
        der = self.sock.getpeercert(binary_form=True) or b""
        if normal_thumbprint(hashlib.sha256(der).hexdigest()) != self.thumbprint:
            self.close()
            raise ThumbprintMismatch(f"{self.host}:{self.port} shows a certificate other than "
                                     "the one whose thumbprint was given")


def open_connection(endpoint: Endpoint, timeout: float) -> http.client.HTTPConnection:
    if endpoint.scheme == "https" and endpoint.thumbprint:
        return PinnedConnection(endpoint.host, endpoint.port, thumbprint=endpoint.thumbprint,
                                timeout=timeout)
    if endpoint.scheme == "https":
        return http.client.HTTPSConnection(endpoint.host, endpoint.port, timeout=timeout,
                                           context=tls_context(endpoint.insecure))
    return http.client.HTTPConnection(endpoint.host, endpoint.port, timeout=timeout)
