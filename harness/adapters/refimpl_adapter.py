"""refimpl, in process."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import refimpl
from refimpl.serve import describe_error

from .base import ImplementationError, Instance, NodeSetup

T = TypeVar("T")


def _translate(call: Callable[[], T]) -> T:
    try:
        return call()
    except refimpl.ImageCacheError as exc:
        error = describe_error(exc)  # the same words refimpl.serve uses
        raise ImplementationError(error["kind"], error["message"], error["fault"]) from exc


class RefimplNode:
    def __init__(self, setup: NodeSetup) -> None:
        self._session = _translate(lambda: refimpl.connect(setup.endpoint.url,
                                                           insecure=setup.endpoint.insecure))
        self._manager = refimpl.ImageCacheManager(
            self._session, setup.base_folder, lock_path=setup.lock_path,
            age_seconds=setup.age_seconds, clock=setup.clock)

    def enlist(self, datastore: str, image_id: str) -> None:
        _translate(lambda: self._manager.enlist_image(image_id, datastore))

    def age(self, instances: Sequence[Instance], datastores: Sequence[str]) -> str:
        records = [refimpl.Instance(uuid=i.uuid, name=i.name, host=i.host,
                                    image_ref=i.image_ref, kernel_id=i.kernel_id,
                                    ramdisk_id=i.ramdisk_id) for i in instances]
        summary = _translate(lambda: self._manager.update(records, list(datastores)))
        if summary.faults:
            detail = "; ".join(f"{s.image_id or s.datastore}: {s.reason}" for s in summary.faults)
            return f"{summary} [{detail}]"
        return str(summary)

    def cache_folder(self, datastore: str, image_id: str) -> str:
        return _translate(lambda: self._manager.get_image_cache_folder(datastore, image_id))

    def close(self) -> None:
        self._session.close()


class RefimplImplementation:
    """The reference implementation (``refimpl``), run in the harness's process."""

    name = "refimpl"
    model = "reference"
    in_process = True  # its nodes' calls leave from this process

    def open_node(self, setup: NodeSetup) -> RefimplNode:
        return RefimplNode(setup)
