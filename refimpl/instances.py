"""Instances as the aging pass sees them, and the set of images they use."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Instance:
    """What Nova's ``_list_running_instances`` reads of an instance."""

    uuid: str
    name: str
    host: str
    image_ref: str | None
    kernel_id: str | None = None
    ramdisk_id: str | None = None


def used_images(instances: Iterable[Instance]) -> frozenset[str]:
    """Every non-None image_ref, kernel_id and ramdisk_id (``''`` counts, as in Nova)."""
    return frozenset(
        ref
        for inst in instances
        for ref in (inst.image_ref, inst.kernel_id, inst.ramdisk_id)
        if ref is not None
    )
