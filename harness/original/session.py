"""A vSphere session behaving as oslo.vmware's does for the image cache:
faults become exceptions by their exact class name, NotAuthenticated
re-creates the session and retries, tasks are polled by reading their
whole ``info``."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from pyVim.connect import SmartConnect
from pyVmomi import vim, vmodl

from sim import Endpoint

T = TypeVar("T")


class VimFaultException(Exception):
    """Any vSphere fault without an exception of its own (oslo.vmware's)."""

    def __init__(self, fault_name: str, message: str) -> None:
        self.fault_name = fault_name
        super().__init__(f"{fault_name}: {message}")


class FileNotFoundException(VimFaultException):
    pass


class FileAlreadyExistsException(VimFaultException):
    pass


class FileLockedException(VimFaultException):
    pass


class CannotDeleteFileException(VimFaultException):
    pass


class FileFaultException(VimFaultException):
    pass


# oslo.vmware's get_fault_class: the exact fault name, no ancestors, so a
# CannotAccessFile (a FileFault) is not a FileFaultException.
_BY_EXACT_NAME = {
    "FileNotFound": FileNotFoundException,
    "FileAlreadyExists": FileAlreadyExistsException,
    "FileLocked": FileLockedException,
    "CannotDeleteFile": CannotDeleteFileException,
    "FileFault": FileFaultException,
}


def translate(fault: BaseException) -> VimFaultException:
    name = type(fault).__name__.rsplit(".", 1)[-1]
    return _BY_EXACT_NAME.get(name, VimFaultException)(name, getattr(fault, "msg", "") or "")


class OriginalSession:
    POLL_INTERVAL = 0.05  # oslo.vmware's default is 0.5 s; the logic is the same

    def __init__(self, endpoint: Endpoint) -> None:
        self._endpoint = endpoint
        self.si = self._login()

    def _login(self) -> vim.ServiceInstance:
        e = self._endpoint
        return SmartConnect(protocol=e.scheme, host=e.host, port=e.port, path=e.path,
                            user=e.username, pwd=e.password,
                            disableSslCertValidation=e.insecure)

    @property
    def content(self) -> vim.ServiceInstance:
        return self.si.content

    def invoke(self, call: Callable[[], T]) -> T:
        try:
            try:
                return call()
            except vim.fault.NotAuthenticated:
                self.si.content.sessionManager.Login(userName=self._endpoint.username,
                                                     password=self._endpoint.password)
                return call()
        except vmodl.MethodFault as fault:
            raise translate(fault) from fault

    def wait_for_task(self, task: vim.Task) -> Any:
        while True:
            info = self.invoke(lambda: task.info)
            if info.state == vim.TaskInfo.State.success:
                return info
            if info.state == vim.TaskInfo.State.error:
                raise translate(info.error)
            time.sleep(self.POLL_INTERVAL)
