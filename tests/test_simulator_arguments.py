"""A simulator that never dies or hangs: every method the guard allows,
called straight at a real simulator process with each of its reference
arguments replaced by an unknown object and by an object of the wrong
type, gets an answer; afterwards the process is alive, and a FileManager
call from another session answers.

(govmomi's FileManager asserts its datacenter argument is a Datacenter: a
Folder there panicked while the FileManager's lock was held, and every
later file call of every client hung; in a task's goroutine, the process
exited. ``sim/vcsim/references.go`` refuses such arguments first.)"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from pyVmomi import vim

from harness.vsphere.guard.calls import CALLS
from harness.vsphere.session import connect, cookie, disconnect
from sim import Simulator
from sim.transport import open_connection

SOAP = ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
        'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soapenv:Body>'
        '<{method} xmlns="urn:vim25">{arguments}</{method}></soapenv:Body></soapenv:Envelope>')
# A reference in a template: {TYPE:value} (the value may name a fixture's object).
REFERENCE = re.compile(r"\{(\w+):([\w-]+)\}")
SPEC = ("<{tag}><propSet><type>Datacenter</type><pathSet>name</pathSet></propSet>"
        "<objectSet><obj type=\"Datacenter\">{dc}</obj></objectSet></{tag}>")
SEARCH = ('<datastorePath>[LocalDS_0] </datastorePath><searchSpec xsi:type="HostDatastore'
          'BrowserSearchSpec"><matchPattern>*</matchPattern></searchSpec>')
MOVE = ("<sourceName>[LocalDS_0] fuzz-a</sourceName><sourceDatacenter type=\"Datacenter\">{dc}"
        "</sourceDatacenter><destinationName>[LocalDS_0] fuzz-b</destinationName>"
        "<destinationDatacenter type=\"Datacenter\">{dc}</destinationDatacenter>")
# Each method the guard allows, called as an image cache would call it:
# its _this, then its arguments ({dc}, {browser}: the fixture's objects).
CALLED = {
    "RetrieveServiceContent": "{ServiceInstance:ServiceInstance}",
    "Fetch": "{Datacenter:dc}<prop>name</prop>",
    "CurrentTime": "{ServiceInstance:ServiceInstance}",
    "Login": "{SessionManager:SessionManager}<userName>nobody</userName>"
             "<password>wrong</password>",
    "Logout": "{SessionManager:SessionManager}",
    "SessionIsActive": "{SessionManager:SessionManager}<sessionID>x</sessionID>"
                       "<userName>nobody</userName>",
    "RetrieveProperties": "{PropertyCollector:propertyCollector}" + SPEC.replace(
        "{tag}", "specSet"),
    "RetrievePropertiesEx": "{PropertyCollector:propertyCollector}" + SPEC.replace(
        "{tag}", "specSet") + "<options></options>",
    "ContinueRetrievePropertiesEx": "{PropertyCollector:propertyCollector}<token>x</token>",
    "CancelRetrievePropertiesEx": "{PropertyCollector:propertyCollector}<token>x</token>",
    "CreateFilter": "{PropertyCollector:propertyCollector}" + SPEC.replace("{tag}", "spec") +
                    "<partialUpdates>false</partialUpdates>",
    "DestroyPropertyFilter": "{PropertyFilter:filter-1}",
    "WaitForUpdates": "{PropertyCollector:propertyCollector}<version></version>",
    "WaitForUpdatesEx": "{PropertyCollector:propertyCollector}<version></version><options>"
                        "<maxWaitSeconds>0</maxWaitSeconds></options>",
    "CheckForUpdates": "{PropertyCollector:propertyCollector}<version></version>",
    "CreatePropertyCollector": "{PropertyCollector:propertyCollector}",
    "DestroyPropertyCollector": "{PropertyCollector:propertyCollector}",
    "CreateContainerView": "{ViewManager:ViewManager}<container type=\"Folder\">{root}"
                           "</container><type>Datastore</type><recursive>true</recursive>",
    "DestroyView": "{ContainerView:view-1}",
    "SearchDatastore_Task": "{HostDatastoreBrowser:browser}" + SEARCH,
    "SearchDatastoreSubFolders_Task": "{HostDatastoreBrowser:browser}" + SEARCH,
    "MakeDirectory": "{FileManager:FileManager}<name>[LocalDS_0] fuzz/x</name>"
                     "<datacenter type=\"Datacenter\">{dc}</datacenter>"
                     "<createParentDirectories>true</createParentDirectories>",
    "DeleteDatastoreFile_Task": "{FileManager:FileManager}<name>[LocalDS_0] fuzz-none</name>"
                                "<datacenter type=\"Datacenter\">{dc}</datacenter>",
    "MoveDatastoreFile_Task": "{FileManager:FileManager}" + MOVE,
    "CopyDatastoreFile_Task": "{FileManager:FileManager}" + MOVE,
}


def test_every_method_the_guard_allows_is_called():
    assert set(CALLED) == set(CALLS)


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator("process", extra_args=["-vm=1"]) as running:
        yield running


def _objects(si: vim.ServiceInstance) -> dict[str, str]:
    content = si.content
    datacenter = content.rootFolder.childEntity[0]
    host = datacenter.hostFolder.childEntity[0].host[0]
    return {"dc": datacenter._moId, "root": content.rootFolder._moId,
            "browser": host.datastoreBrowser._moId, "vm": datacenter.vmFolder.childEntity[0]._moId,
            "folder": datacenter.hostFolder._moId}


def _xml(template: str, objects: dict[str, str]) -> str:
    """A template's references written out: _this first, the rest in place."""
    text = template.replace("{dc}", objects["dc"]).replace("{root}", objects["root"])

    def this(match: re.Match[str]) -> str:
        value = objects.get(match.group(2), match.group(2))
        return f'<_this type="{match.group(1)}">{value}</_this>'

    return REFERENCE.sub(this, text, count=1)


def _mutants(xml: str, objects: dict[str, str]) -> Iterator[tuple[str, str]]:
    """Each reference replaced, one at a time, by an unknown object of its
    type and by a known object of another type (a Folder, or a VM where a
    Folder stands)."""
    for match in re.finditer(r'(<(\w+) type=")(\w+)(">)([^<]*)(</\2>)', xml):
        kind = match.group(3)
        wrong = ("VirtualMachine", objects["vm"]) if kind == "Folder" else \
            ("Folder", objects["folder"])
        for label, (new_kind, value) in (("unknown", (kind, f"{kind.lower()}-999")),
                                         ("wrong type", wrong)):
            replaced = f"{match.group(1)}{new_kind}{match.group(4)}{value}{match.group(6)}"
            yield (f"{match.group(2)} {label}",
                   xml[:match.start()] + replaced + xml[match.end():])


def _send(sim: Simulator, session: str, method: str, arguments: str,
          timeout: float) -> tuple[int, bytes]:
    conn = open_connection(sim.endpoint, timeout=timeout)
    try:
        conn.request("POST", "/sdk", SOAP.format(method=method, arguments=arguments).encode(),
                     {"Content-Type": "text/xml; charset=utf-8", "Cookie": session,
                      "SOAPAction": '"urn:vim25/8.0.1.0"'})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_unknown_and_wrong_typed_references_get_a_fault_and_the_simulator_lives(sim):
    answered = []
    first = connect(sim.endpoint)
    objects = _objects(first)
    disconnect(first)
    for method, template in CALLED.items():
        for label, mutant in _mutants(_xml(template, objects), objects):
            si = connect(sim.endpoint)  # a session per call: a Logout ends only its own
            try:
                status, body = _send(sim, cookie(si), method, mutant, timeout=30)
            finally:
                disconnect(si)
            answered.append((method, label))
            assert b"Envelope" in body, (method, label, body[:300])
            # An object that does not exist is a fault; one of another type
            # than the argument's is a fault too, except where the call
            # takes any object (Fetch, a collector's spec: no properties).
            assert status == 500 if label.endswith("unknown") else status in (200, 500), \
                (method, label, status, body[-400:])
            # (a call the session may make: the method itself had the arguments)
            assert b"NotAuthenticated" not in body, (method, label)
    # Every method, each of its references both ways (at least _this).
    assert {m for m, _ in answered} == set(CALLED)
    si = connect(sim.endpoint)
    try:
        objects = _objects(si)
        for bad in ('<datacenter type="Datacenter">datacenter-999</datacenter>',
                    f'<datacenter type="Folder">{objects["folder"]}</datacenter>'):
            status, body = _send(sim, cookie(si), "MakeDirectory",
                                 f'<_this type="FileManager">FileManager</_this><name>'
                                 f"[LocalDS_0] fuzz/y</name>{bad}", timeout=30)
            assert status == 500 and (b"ManagedObjectNotFound" in body or
                                      b"InvalidArgument" in body), body[:500]
    finally:
        disconnect(si)
    other = connect(sim.endpoint)
    try:
        # A hung FileManager never answers; 5 s, not the milliseconds it
        # takes, so that a loaded machine does not make this flaky.
        status, body = _send(sim, cookie(other), "MakeDirectory",
                             _xml(CALLED["MakeDirectory"], _objects(other)), timeout=5)
        assert status == 200, body[:500]
    finally:
        disconnect(other)
