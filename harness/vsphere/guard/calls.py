"""The calls a client of the guard may make: an allow-list of methods, the
managed object type each is called on, the arguments each may carry, which
of them hold datastore paths (below the run folder, segment by segment),
and which of them name managed objects (known to the guard, of the type
the method takes)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ..soap import Call, Element
from .objects import Known
from .properties import Properties


@dataclass(frozen=True)
class Allowed:
    """A call the guard lets through: on which managed object types, with
    which arguments (each at most once, or ``many``), and which of them
    hold datastore paths that must lie below the run folder."""

    this: frozenset[str] | None  # None: any (a property read)
    once: frozenset[str] = frozenset()
    many: frozenset[str] = frozenset()
    paths: tuple[str, ...] = ()


def _allowed(this: str | set[str] | None, once: str = "", many: str = "",
             paths: str = "") -> Allowed:
    return Allowed(None if this is None else frozenset({this} if isinstance(this, str) else this),
                   frozenset(once.split()), frozenset(many.split()), tuple(paths.split()))


_COLLECTOR = "PropertyCollector"
_FILES = "FileManager"
# Sessions, property reads, views, datastore searches and file changes:
# what an image cache implementation (and the harness) needs. Anything
# else is refused.
CALLS: Mapping[str, Allowed] = {
    "RetrieveServiceContent": _allowed("ServiceInstance"),
    "Fetch": _allowed(None, "prop"),  # pyVmomi reading one property of an object
    "CurrentTime": _allowed("ServiceInstance"),
    "Login": _allowed("SessionManager", "userName password locale"),
    "Logout": _allowed("SessionManager"),
    "SessionIsActive": _allowed("SessionManager", "sessionID userName"),
    "RetrieveProperties": _allowed(_COLLECTOR, many="specSet"),
    "RetrievePropertiesEx": _allowed(_COLLECTOR, "options", many="specSet"),
    "ContinueRetrievePropertiesEx": _allowed(_COLLECTOR, "token"),
    "CancelRetrievePropertiesEx": _allowed(_COLLECTOR, "token"),
    "CreateFilter": _allowed(_COLLECTOR, "spec partialUpdates"),
    "DestroyPropertyFilter": _allowed("PropertyFilter"),
    "WaitForUpdates": _allowed(_COLLECTOR, "version"),
    "WaitForUpdatesEx": _allowed(_COLLECTOR, "version options"),
    "CheckForUpdates": _allowed(_COLLECTOR, "version"),
    "CreatePropertyCollector": _allowed(_COLLECTOR),
    "DestroyPropertyCollector": _allowed(_COLLECTOR),
    "CreateContainerView": _allowed("ViewManager", "container recursive", many="type"),
    "DestroyView": _allowed({"ContainerView", "ListView", "InventoryView", "View"}),
    "SearchDatastore_Task": _allowed("HostDatastoreBrowser", "datastorePath searchSpec",
                                     paths="datastorePath"),
    "SearchDatastoreSubFolders_Task": _allowed("HostDatastoreBrowser",
                                               "datastorePath searchSpec",
                                               paths="datastorePath"),
    "MakeDirectory": _allowed(_FILES, "name datacenter createParentDirectories", paths="name"),
    "DeleteDatastoreFile_Task": _allowed(_FILES, "name datacenter", paths="name"),
    "MoveDatastoreFile_Task": _allowed(
        _FILES, "sourceName sourceDatacenter destinationName destinationDatacenter force",
        paths="sourceName destinationName"),
    "CopyDatastoreFile_Task": _allowed(
        _FILES, "sourceName sourceDatacenter destinationName destinationDatacenter force",
        paths="sourceName destinationName"),
}

# The type a reference argument must have, by its name (any depth); an
# argument not listed may name any object the client was shown.
_CONTAINERS = frozenset({"Folder", "Datacenter", "ComputeResource", "ClusterComputeResource",
                         "ResourcePool", "HostSystem", "VirtualApp"})
REFERENCE_TYPES: Mapping[str, frozenset[str]] = {
    "datacenter": frozenset({"Datacenter"}),
    "sourceDatacenter": frozenset({"Datacenter"}),
    "destinationDatacenter": frozenset({"Datacenter"}),
    "container": _CONTAINERS,
}


def below(path: str, root: str) -> str | None:
    """Why datastore path ``[ds] rel`` does not lie in (or is not) the run
    folder ``root`` on some datastore, or None if it does. Segment by
    segment: no empty, ``.`` or ``..`` segment, no backslash, ``%``,
    control or non-ASCII character anywhere."""
    if not path.startswith("["):
        return "it does not start with [datastore]"
    datastore, sep, rest = path[1:].partition("]")
    if not sep or not datastore:
        return "it names no datastore"
    bad = next((c for c in path if not (" " <= c <= "~") or c in "\\%"), None)
    if bad is not None:
        return f"it holds the character {bad!r}"
    segments = rest.removeprefix(" ").split("/")
    if any(s in ("", ".", "..") for s in segments):
        return "it has an empty, '.' or '..' segment"
    if segments[0] != root:
        return f"it is not below the run folder {root!r}"
    return None


def check_call(call: Call, root: str, known: Known, properties: Properties) -> str | None:
    """Why ``call`` must not reach vCenter, or None."""
    allowed = CALLS.get(call.method)
    if allowed is None:
        return f"{call.method} is not a call an image cache makes"
    if allowed.this is not None and call.this_type not in allowed.this:
        return f"{call.method} on a {call.this_type} is not a call an image cache makes"
    if (call.this_type, call.this) not in known:
        return f"{call.method} on {call.this_type} {call.this!r}, which vCenter has not shown"
    seen: set[str] = set()
    for argument in call.arguments:
        name = argument.name
        if name not in allowed.once | allowed.many:
            return f"{call.method} has no argument {name!r}"
        if name in seen and name not in allowed.many:
            return f"{call.method}: argument {name!r} given twice"
        seen.add(name)
        if name in allowed.paths:
            if argument.children:
                return f"{call.method}: argument {name!r} is not a path"
            why = below(argument.text, root)
            if why is not None:
                return f"{call.method} of {argument.text!r}: {why}"
    why = _references(call, known) or properties.why_not(call.arguments)
    if why is None and call.method == "Fetch":
        prop = next(iter(call.values("prop")), "")
        if not properties.allows(call.this_type, prop):
            why = f"reading {call.this_type}.{prop}"
    return None if why is None else f"{call.method}: {why}"


def _references(call: Call, known: Known) -> str | None:
    """Why a reference among the arguments is refused: one the client was
    not shown, or of a type the argument does not take."""
    for name, element in _named(call.arguments):
        reference = (element.type or "", element.text)
        if element.children or not element.text:
            return f"{name} names no object"
        if reference not in known:
            return f"{name} is {reference[0]} {reference[1]!r}, which vCenter has not shown"
        types = REFERENCE_TYPES.get(name)
        if types is not None and reference[0] not in types:
            return f"{name} is a {reference[0]}, not a {' or '.join(sorted(types))}"
    return None


def _named(elements: tuple[Element, ...]) -> Iterator[tuple[str, Element]]:
    """Every reference among ``elements``, at any depth, with its name."""
    for element in elements:
        if element.type is not None:
            yield element.name, element
        yield from _named(element.children)
