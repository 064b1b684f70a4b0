"""The original scheme (harness.original), in process, as an implementation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from ..original import OriginalImageCacheManager, OriginalSession
from ..original.session import VimFaultException
from ..vsphere.session import disconnect
from .base import ImplementationError, Instance, NodeSetup
from .protocol import refuse_malformed

T = TypeVar("T")


def _translate(call: Callable[[], T]) -> T:
    try:
        return call()
    except VimFaultException as exc:
        raise ImplementationError("vsphere_fault", str(exc), exc.fault_name) from exc
    except KeyError as exc:  # unknown datastore
        raise ImplementationError("not_found", str(exc)) from exc
    except Exception as exc:  # e.g. the ValueError that ends a pass on ts-foo
        raise ImplementationError("error", f"{type(exc).__name__}: {exc}") from exc


class OriginalNode:
    def __init__(self, setup: NodeSetup) -> None:
        self._session = _translate(lambda: OriginalSession(setup.endpoint))
        clock = setup.clock
        self._manager = OriginalImageCacheManager(
            self._session, setup.base_folder, setup.lock_path, setup.age_seconds,
            clock=lambda: clock().replace(tzinfo=None))  # naive UTC, as timeutils.utcnow()

    # The original module takes any id as a path; ids reach it from Glance as
    # UUIDs, and the protocol has every peer refuse a malformed one first.
    def enlist(self, datastore: str, image_id: str) -> None:
        refuse_malformed(image_id)
        _translate(lambda: self._manager.enlist_image(image_id, datastore))

    def age(self, instances: Sequence[Instance], datastores: Sequence[str]) -> None:
        used = [ref for i in instances for ref in (i.image_ref, i.kernel_id, i.ramdisk_id)
                if ref is not None]
        _translate(lambda: self._manager.update(used, datastores))

    def cache_folder(self, datastore: str, image_id: str) -> str:
        refuse_malformed(image_id)
        return self._manager.get_image_cache_folder(datastore, image_id)

    def close(self) -> None:
        disconnect(self._session.si)


class OriginalImplementation:
    """Nova's original scheme, re-implemented from the spec (harness.original)."""

    name = "original"
    model = "original"
    in_process = True  # its nodes' calls leave from this process

    def open_node(self, setup: NodeSetup) -> OriginalNode:
        return OriginalNode(setup)
