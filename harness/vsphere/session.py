"""The harness's own pyvmomi session, independent of any implementation
under test (refimpl included): connect, read its cookie, wait for tasks."""

from __future__ import annotations

import contextlib
import time
from typing import Any

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

from sim import Endpoint

_PC = vmodl.query.PropertyCollector


class TaskError(Exception):
    """A task ended in error; ``fault`` is the vSphere fault."""

    def __init__(self, fault: Any) -> None:
        self.fault = fault
        super().__init__(f"{type(fault).__name__}: {getattr(fault, 'msg', '')}")


def connect(endpoint: Endpoint, *, timeout: float = 30.0) -> vim.ServiceInstance:
    """Log in to ``endpoint`` and return its ServiceInstance."""
    return SmartConnect(
        protocol=endpoint.scheme, host=endpoint.host, port=endpoint.port, path=endpoint.path,
        user=endpoint.username, pwd=endpoint.password,
        disableSslCertValidation=endpoint.insecure, httpConnectionTimeout=timeout)


def cookie(si: vim.ServiceInstance) -> str:
    """The session's cookie: what the control API exempts, what HTTP file
    access presents."""
    return si._stub.cookie or ""


def disconnect(si: vim.ServiceInstance) -> None:
    """Log out; a session the test already ended is fine."""
    with contextlib.suppress(vim.fault.NotAuthenticated):
        Disconnect(si)


def wait_for_task(si: vim.ServiceInstance, task: vim.Task, timeout: float = 60.0, *,
                  collector: vim.PropertyCollector | None = None) -> Any:
    """The task's result, or TaskError. Reads only ``info.state/result/error``:
    pyvmomi cannot read the simulator's ``info.entity`` of file tasks.
    ``collector``: the session's property collector, if the caller keeps it
    (each ``si.content`` is a call to vSphere)."""
    spec = _PC.FilterSpec(
        objectSet=[_PC.ObjectSpec(obj=task)],
        propSet=[_PC.PropertySpec(type=vim.Task,
                                  pathSet=["info.state", "info.result", "info.error"])])
    collector = collector or si.content.propertyCollector
    slept, delay = 0.0, 0.005
    while True:
        found = collector.RetrievePropertiesEx([spec], _PC.RetrieveOptions())
        props = {p.name: p.val for obj in found.objects for p in obj.propSet}
        if props["info.state"] == vim.TaskInfo.State.success:
            return props.get("info.result")
        if props["info.state"] == vim.TaskInfo.State.error:
            error = props["info.error"]
            raise TaskError(getattr(error, "fault", error))
        if slept > timeout:  # slept time: the clock may be frozen by freezegun
            raise TimeoutError(f"task {task} not finished after {timeout:g} s")
        time.sleep(delay)
        slept += delay
        delay = min(delay * 2, 0.2)
