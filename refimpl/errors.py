"""refimpl's exceptions: argument errors, and vSphere faults by name."""

from __future__ import annotations


class ImageCacheError(Exception):
    """Base class of everything refimpl raises."""


class InvalidArgument(ImageCacheError, ValueError):
    """A bad argument, caught before any change on a datastore."""


class DatastoreNotFound(ImageCacheError, LookupError):
    """No accessible datastore has that name."""


class ConnectionLost(ImageCacheError):
    """The connection to vSphere dropped during a call."""


class VSphereFault(ImageCacheError):
    """A fault returned by vSphere.

    ``fault_name`` is the vSphere fault class (``FileLocked``...), ``path``
    the datastore path the call was about, when there was one.
    """

    def __init__(self, fault_name: str, message: str, path: str | None = None) -> None:
        self.fault_name = fault_name
        self.path = path
        where = f" on {path}" if path else ""
        super().__init__(f"{fault_name}{where}: {message}" if message else f"{fault_name}{where}")


class FileFault(VSphereFault):
    """vim.fault.FileFault and subclasses without a class of their own here."""


class FileNotFound(FileFault):
    pass


class FileAlreadyExists(FileFault):
    pass


class FileLocked(FileFault):
    pass


class CannotDeleteFile(FileFault):
    pass


class CannotCreateFile(FileFault):
    pass


class NotAuthenticated(VSphereFault):
    pass


class TaskOutcomeUnknown(VSphereFault):
    """Reading a task's state failed (the call, not the task): what the task
    did is unknown, as after a lost answer. ``fault_name`` is the poll's."""


class MarkNotCleared(ImageCacheError):
    """enlist_image could not remove an aging mark: the image is not protected
    from a concurrent aging pass, so the spawn should not rely on it."""


# vSphere fault class name -> our class; faults are matched on their class
# and then their ancestors, so e.g. CannotAccessFile becomes a FileFault.
_BY_NAME: dict[str, type[VSphereFault]] = {
    cls.__name__: cls
    for cls in (FileFault, FileNotFound, FileAlreadyExists, FileLocked, CannotDeleteFile,
                CannotCreateFile, NotAuthenticated)
}


def from_vim_fault(fault: BaseException, path: str | None = None) -> VSphereFault:
    """Translate a pyvmomi fault (``vim.fault.*``, ``vmodl.fault.*``)."""
    # pyvmomi names its classes "vim.fault.FileLocked": keep the last part.
    names = [klass.__name__.rsplit(".", 1)[-1] for klass in type(fault).__mro__]
    cls = next((_BY_NAME[n] for n in names if n in _BY_NAME), VSphereFault)
    message = getattr(fault, "msg", None) or ""
    return cls(names[0], message, path)
