"""Which properties a client of the guard may read: by managed object type
and property path, what an implementation of this scheme needs (pyVmomi's,
oslo.vmware's and govmomi's ways of finding a datacenter and its
datastores, of listing and of waiting for a task), and nothing else.

A session's key, a ticket, a credential or anything of the kind is in no
property listed here: not ``SessionManager.currentSession`` nor
``sessionList``, nor any other property of the SessionManager, an
AuthorizationManager, an extension or a host's configuration. Reading all
properties of an object (``all: true``) is refused, and a traversal follows
only a path listed here. ``docs/guard.md`` lists the table and how a user
extends it (``--guard-allow-property TYPE.PATH``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..soap import Element

# Properties of every managed entity (govmomi's finder walks by them).
ENTITY = ("name", "parent")
# type -> the property paths it may read; "p.*" is every path below p.
TABLE: Mapping[str, tuple[str, ...]] = {
    "ServiceInstance": ("content", "serverClock", "capability"),
    "ManagedEntity": ENTITY,
    "Folder": (*ENTITY, "childEntity", "childType"),
    "Datacenter": (*ENTITY, "datastore", "datastoreFolder", "hostFolder", "vmFolder",
                   "networkFolder"),
    "Datastore": (*ENTITY, "browser", "summary", "summary.*", "info", "info.*", "host",
                  "capability"),
    "StoragePod": (*ENTITY, "childEntity"),
    "ComputeResource": (*ENTITY, "host", "datastore", "resourcePool"),
    "ClusterComputeResource": (*ENTITY, "host", "datastore", "resourcePool"),
    "HostSystem": (*ENTITY, "datastore", "datastoreBrowser"),
    "ResourcePool": ENTITY,
    "VirtualMachine": (*ENTITY, "parentVApp"),
    "VirtualApp": ENTITY,
    "Network": ENTITY,
    "OpaqueNetwork": ENTITY,
    "DistributedVirtualSwitch": ENTITY,
    "VmwareDistributedVirtualSwitch": ENTITY,
    "DistributedVirtualPortgroup": ENTITY,
    "HostDatastoreBrowser": ("datastore",),
    "Task": ("info", "info.*"),
    "ContainerView": ("view",),
}


@dataclass(frozen=True)
class Properties:
    """The allow-list: the table, and what a user added to it."""

    paths: Mapping[str, frozenset[str]]

    @classmethod
    def of(cls, extra: Iterable[str] = ()) -> Properties:
        """The table, with ``extra`` entries (``TYPE.PATH``) added."""
        paths = {t: set(p) for t, p in TABLE.items()}
        for entry in extra:
            kind, sep, path = entry.partition(".")
            if not sep or not kind.isidentifier() or not path or \
                    any(not part.isidentifier() and part != "*" for part in path.split(".")):
                raise ValueError(f"{entry!r}: give TYPE.PATH, e.g. Datastore.summary.url")
            paths.setdefault(kind, set()).add(path)
        return cls({t: frozenset(p) for t, p in paths.items()})

    def allows(self, kind: str, path: str) -> bool:
        allowed = self.paths.get(kind, frozenset())
        parts = path.split(".")
        return path in allowed or any(".".join(parts[:i]) + ".*" in allowed
                                      for i in range(1, len(parts)))

    def why_not(self, elements: Iterable[Element]) -> str | None:
        """Why the property specs among ``elements`` (a call's arguments)
        read something not allowed, or None. Every PropertySpec (``type``,
        ``pathSet``, ``all``) and every TraversalSpec (``type``, ``path``),
        at any depth, is checked."""
        for element in elements:
            why = self._why_not(element)
            if why is not None:
                return why
        return None

    def _why_not(self, element: Element) -> str | None:
        kind = element.xsi_type[1] if element.xsi_type else None
        if element.name == "propSet" or kind == "PropertySpec":
            fields = _fields(element)
            target = fields.get("type", [""])[0]
            if fields.get("all", ["false"])[0] not in ("false", "0"):
                return f"reading all properties of a {target}"
            for path in fields.get("pathSet", []):
                if not self.allows(target, path):
                    return f"reading {target}.{path}"
        if kind == "TraversalSpec":
            fields = _fields(element)
            target, path = fields.get("type", [""])[0], fields.get("path", [""])[0]
            if not self.allows(target, path):
                return f"traversing {target}.{path}"
        for child in element.children:
            why = self._why_not(child)
            if why is not None:
                return why
        return None


def _fields(element: Element) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for child in element.children:
        fields.setdefault(child.name, []).append(child.text)
    return fields
