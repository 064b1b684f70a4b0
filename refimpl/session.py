"""The vSphere session: pyvmomi underneath, re-login on NotAuthenticated,
task waiting that reads only state, result and error."""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

from .errors import (
    ConnectionLost,
    InvalidArgument,
    TaskOutcomeUnknown,
    VSphereFault,
    from_vim_fault,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

_PC = vmodl.query.PropertyCollector
_TASK_PATHS = ["info.state", "info.error", "info.result"]
_IO_ERRORS = (http.client.HTTPException, ConnectionError, socket.timeout, ssl.SSLError)


class Session:
    """A logged-in pyvmomi ServiceInstance that logs in again, once, when
    vSphere answers NotAuthenticated (expired or terminated session)."""

    def __init__(self, si: vim.ServiceInstance, username: str, password: str,
                 task_timeout: float = 300.0) -> None:
        self.si = si
        self.content = si.RetrieveContent()
        self._username = username
        self._password = password
        self.task_timeout = task_timeout
        self.relogins = 0

    def invoke(self, call: Callable[[], T], path: str | None = None) -> T:
        """Run ``call`` (one or more SOAP calls); faults become refimpl errors."""
        try:
            try:
                return call()
            except vim.fault.NotAuthenticated:
                self._relogin()
                return call()
        except vmodl.MethodFault as fault:
            raise from_vim_fault(fault, path) from fault
        except _IO_ERRORS as exc:
            raise ConnectionLost(f"connection to vSphere lost ({exc!r})"
                                 + (f" during a call on {path}" if path else "")) from exc

    def _relogin(self) -> None:
        log.info("vSphere session is no longer authenticated; logging in again")
        self.content.sessionManager.Login(userName=self._username, password=self._password)
        self.relogins += 1

    def run_task(self, start: Callable[[], vim.Task], path: str | None = None) -> Any:
        """Start a task and wait for it; return its result or raise its fault.

        Only ``info.state/error/result`` are read: the simulator sets
        ``info.entity`` to objects pyvmomi refuses to deserialize.
        """
        task = self.invoke(start, path)
        slept, delay = 0.0, 0.005
        while True:
            try:
                props = self.invoke(lambda: self._task_props(task), path)
            except VSphereFault as exc:
                # The poll failed, not the task: its fault (FileNotFound, say)
                # says nothing of the file, and the task may have run.
                raise TaskOutcomeUnknown(exc.fault_name, f"reading the task's state: {exc}",
                                         path) from exc
            state = props.get("info.state")
            if state == vim.TaskInfo.State.success:
                return props.get("info.result")
            if state == vim.TaskInfo.State.error:
                error = props.get("info.error")
                fault = getattr(error, "fault", error)
                if isinstance(fault, vmodl.MethodFault):
                    raise from_vim_fault(fault, path)
                raise VSphereFault("TaskFailed", repr(error), path)
            # Slept time, not a clock: freezegun may be freezing the clocks.
            if slept > self.task_timeout:
                raise VSphereFault("Timeout", f"task not finished after {slept:.0f} s", path)
            time.sleep(delay)
            slept += delay
            delay = min(delay * 2, 0.5)

    def _task_props(self, task: vim.Task) -> dict[str, Any]:
        spec = _PC.FilterSpec(objectSet=[_PC.ObjectSpec(obj=task)],
                              propSet=[_PC.PropertySpec(type=vim.Task, pathSet=_TASK_PATHS)])
        result = self.content.propertyCollector.RetrievePropertiesEx([spec], _PC.RetrieveOptions())
        return {p.name: p.val for obj in (result.objects if result else []) for p in obj.propSet}

    def close(self) -> None:
        try:
            Disconnect(self.si)
        except (vmodl.MethodFault, *_IO_ERRORS):
            pass


def connect(url: str, *, insecure: bool = False, timeout: float = 60.0) -> Session:
    """Log in to ``https://user:pass@host:port/sdk`` (pyvmomi SmartConnect)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidArgument(f"{url!r} is not an http(s)://user:pass@host:port/sdk URL")
    if parts.username is None or parts.password is None:
        raise InvalidArgument("the vSphere URL must carry credentials: https://user:pass@host/sdk")
    username, password = unquote(parts.username), unquote(parts.password)
    try:
        si = SmartConnect(
            protocol=parts.scheme, host=parts.hostname,
            port=parts.port or (443 if parts.scheme == "https" else 80),
            path=parts.path or "/sdk", user=username, pwd=password,
            disableSslCertValidation=insecure, httpConnectionTimeout=timeout)
        # Reading the service content is a call too: its fault is ours to translate.
        return Session(si, username, password)
    except vmodl.MethodFault as fault:
        raise from_vim_fault(fault) from fault
    except (*_IO_ERRORS, OSError) as exc:
        raise ConnectionLost(f"cannot reach {parts.hostname}:{parts.port}: {exc}") from exc
