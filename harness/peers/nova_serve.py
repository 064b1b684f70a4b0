"""Nova's own image cache (nova 34.0.0 from PyPI, unmodified) behind the
harness protocol (docs/protocol.md).

    .nova-venv/bin/python harness/peers/nova_serve.py

Runs in the venv ``make nova-env`` creates and imports only nova, oslo.*,
pyvmomi and the standard library. ``nova.virt.vmwareapi.imagecache`` and
``ds_util`` run as shipped; what is adapted lies outside the image cache
logic:

- the vSphere session: oslo.vmware needs a vim WSDL the simulator does not
  serve, so a session object offers what imagecache and ds_util call
  (``_call_method``, ``_wait_for_task``, ``vim.service_content``) on top of
  pyvmomi, translating faults to ``oslo_vmware.exceptions`` by fault class
  name as oslo.vmware does, re-logging in on NotAuthenticated and reading the
  whole task info while polling, as oslo.vmware does;
- ``oslo_vmware.vim_util.get_moref_value`` / ``get_object_property``, which
  expect suds objects, work on pyvmomi's;
- the database: ``BlockDeviceMappingList.bdms_by_instance_uuid`` (the only
  call on the aging path) finds no block devices;
- configuration: lock_path, the age, and the time (``timeutils`` override
  from each request's ``now``).

In a seeded contention run it takes turns as the actor that started it
(``sim/virtual_time.py``, standard library only, loaded by path: the one
file of this project this peer reads).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
import time
import types
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

log = logging.getLogger("nova_serve")


class NotFound(Exception):
    pass


class InvalidArgument(Exception):
    pass


def checked(image_id: str) -> str:
    """The image id, refused as docs/protocol.md asks every peer when it could
    leave the image's folder (Nova's module would take it as a path; ids
    reach it from Glance as UUIDs)."""
    if not image_id or any(c in image_id for c in "/\\") or ".." in image_id or \
            any(ord(c) < 32 or ord(c) == 127 for c in image_id):
        raise InvalidArgument(f"image id {image_id!r} must not be empty nor contain '/', "
                              "'\\', '..' or a control character")
    return image_id


class RunningClock:
    """oslo's ``utcnow`` override during one operation (docs/protocol.md,
    "Time"): the request's ``now``, and under a seeded schedule as much later
    as the schedule's clock has run since the request came, so that a pass
    that waited for a lock names its mark with the time it marks at, as Nova
    does. (oslo takes an override that is not a datetime for a list, and
    pops it: each ``utcnow()`` reads the clock anew.)"""

    def __init__(self, now: datetime, turns: Any) -> None:
        self.read = turns.running(now)

    def pop(self, _index: int = 0) -> datetime:
        return self.read().astimezone(UTC).replace(tzinfo=None)


def take_turns() -> Any:
    """Act as the contention actor that started this peer, if one did: its
    turns, or None."""
    path = Path(__file__).resolve().parents[2] / "sim" / "virtual_time.py"
    spec = importlib.util.spec_from_file_location("ich_virtual_time", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.install_from_env()


def main() -> int:
    turns = take_turns()
    import nova.conf
    from nova import objects
    from nova.virt.vmwareapi import imagecache
    from oslo_concurrency import lockutils
    from oslo_utils import timeutils
    from oslo_vmware import exceptions as vexc
    from oslo_vmware import vim_util
    from oslo_vmware.objects import datastore as ds_obj
    from pyVim.connect import SmartConnect
    from pyVmomi import vim, vmodl

    conf = nova.conf.CONF
    conf([], project="nova")
    objects.register_all()
    objects.BlockDeviceMappingList.bdms_by_instance_uuid = classmethod(
        lambda cls, context, uuids: {})
    vim_util.get_moref_value = lambda moref: moref._moId
    vim_util.get_object_property = (
        lambda _vim, moref, name, skip_op_id=False: getattr(moref, name))

    def translate(fault: BaseException) -> Exception:
        name = type(fault).__name__.rsplit(".", 1)[-1]
        message = getattr(fault, "msg", "") or name
        clazz = vexc.get_fault_class(name)
        return clazz(message) if clazz else vexc.VimFaultException([name], message)

    class Session:
        def __init__(self, url: str, insecure: bool) -> None:
            parts = urlsplit(url)
            self._user, self._password = unquote(parts.username), unquote(parts.password)
            self.si = SmartConnect(protocol=parts.scheme, host=parts.hostname, port=parts.port,
                                   path=parts.path or "/sdk", user=self._user,
                                   pwd=self._password, disableSslCertValidation=insecure)
            self.vim = types.SimpleNamespace(service_content=self.si.content)

        def _invoke(self, call):
            try:
                try:
                    return call()
                except vim.fault.NotAuthenticated:
                    self.si.content.sessionManager.Login(userName=self._user,
                                                         password=self._password)
                    return call()
            except vmodl.MethodFault as fault:
                raise translate(fault) from None

        def _call_method(self, module, method, *args, **kwargs):
            target, *rest = args
            return self._invoke(lambda: getattr(target, method)(*rest, **kwargs))

        def _wait_for_task(self, task):
            while True:
                info = self._invoke(lambda: task.info)
                if info.state == "success":
                    return info
                if info.state == "error":
                    raise translate(info.error)
                time.sleep(0.05)

    state: dict[str, Any] = {}

    def datastore(name: str):
        # Nova's driver finds datastores through its session; so do we.
        session = state["session"]
        for dc in session._invoke(lambda: session.si.content.rootFolder.childEntity):
            for ds in session._invoke(lambda dc=dc: getattr(dc, "datastore", [])):
                if session._invoke(lambda ds=ds: ds.name) == name:
                    return ds_obj.Datastore(ref=ds, name=name), dc
        raise NotFound(f"datastore {name!r} not found")

    def handle(request: dict[str, Any]) -> Any:
        if "now" in request:
            now = datetime.fromisoformat(request["now"].replace("Z", "+00:00"))
            timeutils.set_time_override(now.astimezone(UTC).replace(tzinfo=None)
                                        if turns is None else RunningClock(now, turns))
        op = request["op"]
        if op == "start":
            node = request["node"]
            lockutils.set_defaults(lock_path=node["lock_path"])
            conf.set_override("remove_unused_original_minimum_age_seconds",
                              node["age_seconds"], group="image_cache")
            state["session"] = Session(request["vsphere"]["url"], request["vsphere"]["insecure"])
            state["manager"] = imagecache.ImageCacheManager(state["session"],
                                                            node["base_folder"])
            import nova.version
            return {"implementation": "nova", "version": nova.version.version_string()}
        manager = state["manager"]
        if op == "enlist":
            ds, dc = datastore(request["datastore"])
            manager.enlist_image(checked(request["image"]), ds, dc)
            return None
        if op == "age":
            instances = [types.SimpleNamespace(task_state=None, vm_state="active", **i)
                         for i in request["instances"]]
            infos = []
            for name in request["datastores"]:
                ds, dc = datastore(name)
                infos.append((ds, types.SimpleNamespace(ref=dc, name=dc.name, vmFolder=None)))
            manager.update(None, instances, infos)
            return {"summary": None}
        if op == "cache_folder":
            image_id = checked(request["image"])
            ds, _ = datastore(request["datastore"])
            return {"path": str(manager.get_image_cache_folder(ds, image_id))}
        if op == "stop":
            return None
        raise ValueError(f"unknown op {op!r}")

    def error_of(exc: Exception) -> dict[str, Any]:
        if isinstance(exc, vexc.VimFaultException) and getattr(exc, "fault_list", None):
            return {"kind": "vsphere_fault", "fault": exc.fault_list[0], "message": str(exc)}
        if isinstance(exc, vexc.VimException) and type(exc).__name__.endswith("Exception") \
                and vexc.get_fault_class(type(exc).__name__[:-len("Exception")]):
            name = type(exc).__name__[:-len("Exception")]
            return {"kind": "vsphere_fault", "fault": name, "message": str(exc)}
        if isinstance(exc, NotFound):
            return {"kind": "not_found", "fault": None, "message": str(exc)}
        if isinstance(exc, InvalidArgument):
            return {"kind": "invalid_argument", "fault": None, "message": str(exc)}
        return {"kind": "error", "fault": None, "message": f"{type(exc).__name__}: {exc}"}

    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            reply = {"seq": request["seq"], "ok": True, "result": handle(request)}
        except Exception as exc:  # every failure goes back to the harness
            log.debug("request failed", exc_info=True)
            reply = {"seq": request["seq"], "ok": False, "error": error_of(exc)}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
        if request["op"] == "stop":
            break
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    sys.exit(main())
