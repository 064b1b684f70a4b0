"""Datastores and their datacenters, read in a constant number of calls."""

from __future__ import annotations

from dataclasses import dataclass

from pyVmomi import vim, vmodl

from .errors import DatastoreNotFound, InvalidArgument
from .session import Session

_PC = vmodl.query.PropertyCollector


@dataclass(frozen=True)
class Datastore:
    name: str
    ref: vim.Datastore
    browser: vim.host.DatastoreBrowser
    datacenter: vim.Datacenter
    datacenter_name: str
    accessible: bool


def discover(session: Session) -> list[Datastore]:
    """Every datastore of every datacenter: one container view, one retrieval."""

    def read() -> list[Datastore]:
        content = session.content
        view = content.viewManager.CreateContainerView(
            content.rootFolder, [vim.Datacenter, vim.Datastore], True)
        try:
            traverse = _PC.TraversalSpec(name="view", type=vim.view.ContainerView,
                                         path="view", skip=False)
            spec = _PC.FilterSpec(
                objectSet=[_PC.ObjectSpec(obj=view, skip=True, selectSet=[traverse])],
                propSet=[
                    _PC.PropertySpec(type=vim.Datacenter, pathSet=["name", "datastore"]),
                    _PC.PropertySpec(type=vim.Datastore,
                                     pathSet=["name", "browser", "summary.accessible"]),
                ])
            result = content.propertyCollector.RetrievePropertiesEx([spec], _PC.RetrieveOptions())
            objects = list(result.objects) if result else []
            while result and result.token:
                result = content.propertyCollector.ContinueRetrievePropertiesEx(result.token)
                objects += result.objects
        finally:
            view.DestroyView()
        props = {obj.obj: {p.name: p.val for p in obj.propSet} for obj in objects}
        found = []
        for dc, dc_props in props.items():
            if not isinstance(dc, vim.Datacenter):
                continue
            for ds in dc_props.get("datastore", []):
                ds_props = props.get(ds, {})
                found.append(Datastore(
                    name=ds_props["name"], ref=ds, browser=ds_props["browser"], datacenter=dc,
                    datacenter_name=dc_props["name"],
                    accessible=bool(ds_props.get("summary.accessible", False))))
        return sorted(found, key=lambda d: (d.name, d.datacenter_name))

    return session.invoke(read)


def select(datastores: list[Datastore], name: str, datacenter: str | None = None) -> Datastore:
    """The datastore called ``name`` (in ``datacenter``, when names repeat)."""
    matches = [d for d in datastores
               if d.name == name and datacenter in (None, d.datacenter_name)]
    if not matches:
        known = ", ".join(sorted({d.name for d in datastores})) or "none"
        where = f" in datacenter {datacenter!r}" if datacenter else ""
        raise DatastoreNotFound(f"no datastore {name!r}{where} (known: {known})")
    if len(matches) > 1:
        dcs = ", ".join(d.datacenter_name for d in matches)
        raise InvalidArgument(f"datastore {name!r} exists in several datacenters ({dcs}); "
                              "pass datacenter=")
    return matches[0]
