"""The harness's own pyvmomi connection, independent of any implementation under test."""

from __future__ import annotations

import contextlib

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim

from sim import Endpoint


def connect(endpoint: Endpoint, *, timeout: float = 30.0) -> vim.ServiceInstance:
    """Log in to ``endpoint`` and return its ServiceInstance."""
    return SmartConnect(
        protocol=endpoint.scheme, host=endpoint.host, port=endpoint.port, path=endpoint.path,
        user=endpoint.username, pwd=endpoint.password,
        disableSslCertValidation=endpoint.insecure, httpConnectionTimeout=timeout)


def disconnect(si: vim.ServiceInstance) -> None:
    """Log out; a session the test already ended is fine."""
    with contextlib.suppress(vim.fault.NotAuthenticated):
        Disconnect(si)
