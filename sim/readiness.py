"""Waiting until a simulator's SDK answers a SOAP call."""

from __future__ import annotations

import http.client
import logging
import time
from collections.abc import Callable
from dataclasses import replace

from .endpoint import Endpoint
from .errors import EndpointError, StartError
from .transport import open_connection

log = logging.getLogger(__name__)

# The first call every vSphere client makes; any SDK endpoint answers it
# without a session.
_PROBE = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
    b' xmlns:vim25="urn:vim25"><soapenv:Body><vim25:RetrieveServiceContent>'
    b'<vim25:_this type="ServiceInstance">ServiceInstance</vim25:_this>'
    b"</vim25:RetrieveServiceContent></soapenv:Body></soapenv:Envelope>"
)


def probe(endpoint: Endpoint, timeout: float = 2.0) -> None:
    """One RetrieveServiceContent round trip; raises EndpointError if it fails."""
    conn = open_connection(endpoint, timeout)
    try:
        conn.request("POST", endpoint.path, body=_PROBE, headers={
            "Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"urn:vim25/8.0"'})
        response = conn.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException) as exc:
        raise EndpointError(f"{endpoint.base_url}{endpoint.path}: {exc}") from exc
    finally:
        conn.close()
    if response.status != 200 or b"RetrieveServiceContentResponse" not in body:
        raise EndpointError(
            f"{endpoint.base_url}{endpoint.path} is not a vSphere SDK: HTTP {response.status}")


def wait_until_ready(
    *,
    what: str,
    output: Callable[[], str],
    running: Callable[[], bool],
    timeout: float,
    insecure: bool = True,
) -> Endpoint:
    """Wait for the simulator to print its URL and answer SOAP.

    ``output`` returns what the simulator printed so far, ``running`` whether
    it still runs; both feed the error raised when it dies or times out.
    """
    deadline = time.monotonic() + timeout
    endpoint: Endpoint | None = None
    last_error = "it printed no GOVC_URL line"
    delay = 0.01
    while True:
        if endpoint is None:
            found = Endpoint.from_output(output())
            if found is not None:
                endpoint = replace(found, insecure=insecure)
        if endpoint is not None:
            try:
                probe(endpoint)
                log.debug("%s ready at %s", what, endpoint.redacted())
                return endpoint
            except EndpointError as exc:
                last_error = str(exc)
        if not running():
            raise StartError(f"{what} exited before it was ready", _tail(output()))
        if time.monotonic() >= deadline:
            raise StartError(
                f"{what} was not ready within {timeout:g} s ({last_error})", _tail(output()))
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])
