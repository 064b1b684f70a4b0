"""The guard under attack: requests written to get a change past it, each
sent raw to a guard in front of a vCenter stand-in (the project's simulator
without its control API), each followed by a look at the stand-in's
datastore and inventory: nothing outside the run folder may change.

Every attack carries a destructive call and a live session's cookie, so a
request the guard let through would do its harm."""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from pyVmomi import vim

from harness.vsphere.datastore import DatastoreClient
from harness.vsphere.guard import Guard
from harness.vsphere.guard.proxy import GUARD_USER
from harness.vsphere.session import connect, cookie, disconnect
from sim import Simulator

ROOT = "run-folder-1"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


@dataclass
class Stand:
    """The stand-in, a guard in front of it, ids of what an attack aims at."""

    real: Simulator
    direct: vim.ServiceInstance  # a session of the stand-in's own, past the guard
    guard: Guard
    port: int
    cookie: str
    vm: str
    folder: str
    datacenter: str


@pytest.fixture(scope="module")
def stand() -> Iterator[Stand]:
    with Simulator("process", username="administrator@vsphere.local", password="pw-G4RD",
                   extra_args=["-control=false", "-vm=1"]) as real:
        # What the attacks on paths aim at: a folder outside the run folder.
        direct = connect(real.endpoint)
        DatastoreClient(direct, real.endpoint).put("LocalDS_0", "vmfs/keep.txt", b"keep")
        DatastoreClient(direct, real.endpoint).put("LocalDS_0", "vmfs/secret.txt", b"secret")
        guard = Guard(real.endpoint, ROOT)
        endpoint = guard.start()
        si = connect(endpoint)
        try:
            content = si.content
            view = content.viewManager.CreateContainerView(content.rootFolder,
                                                           [vim.VirtualMachine], True)
            vm = view.view[0]._moId
            datacenter = content.rootFolder.childEntity[0]
            yield Stand(real, direct, guard, endpoint.port, cookie(si), vm,
                        datacenter.vmFolder._moId, datacenter._moId)
        finally:
            disconnect(si)
            disconnect(direct)
            guard.stop()


def world(stand: Stand) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Every path on the first datastore outside the run folder, and every
    entity of the inventory (type, name, parent), read past the guard."""
    si = stand.direct
    entries = DatastoreClient(si, stand.real.endpoint).tree("LocalDS_0", "") or []
    paths = sorted(e.path for e in entries if e.path.split("/")[0] != ROOT)
    content = si.content
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.ManagedEntity], True)
    try:
        entities = sorted((type(e).__name__, e.name, getattr(e.parent, "_moId", ""))
                          for e in view.view)
    finally:
        view.DestroyView()
    return paths, entities


def envelope(body: str, header: str = "", before: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{before}<soapenv:Envelope '
            f'xmlns:soapenv="{SOAP_ENV}" xmlns:xsi="{XSI}">{header}<soapenv:Body>{body}'
            "</soapenv:Body></soapenv:Envelope>")


def call(method: str, this_type: str, this: str, arguments: str = "", ns: str = "") -> str:
    prefix = f"{ns}:" if ns else ""
    xmlns = f'xmlns:{ns}="urn:vim25"' if ns else 'xmlns="urn:vim25"'
    return (f"<{prefix}{method} {xmlns}><{prefix}_this type=\"{this_type}\">{this}"
            f"</{prefix}_this>{arguments}</{prefix}{method}>")


def http(method: str, path: str, body: bytes, cookie_: str, close: bool = True,
         **headers: str) -> bytes:
    """A request; ``close``: the last on its connection (the guard then
    closes it, and ``send`` need not wait)."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Cookie: {cookie_}",
             "Content-Type: text/xml; charset=utf-8", 'SOAPAction: "urn:vim25/8.0.1.0"',
             f"Connection: {'close' if close else 'keep-alive'}"]
    if "Content-Length" not in headers and "Transfer-Encoding" not in headers:
        lines.append(f"Content-Length: {len(body)}")
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def send(port: int, raw: bytes) -> bytes:
    """Write ``raw`` in one go; everything answered until the guard closes
    or goes quiet."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw)
        sock.settimeout(2)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except TimeoutError:
            pass
        return answer


def attacks(vm: str, folder: str, datacenter: str, session: str) -> dict[str, bytes]:
    """Label -> the raw request, aimed at these objects with this session."""
    fm = ("FileManager", "FileManager")
    dc = f'<datacenter type="Datacenter">{datacenter}</datacenter>'
    rename = call("Rename_Task", "VirtualMachine", vm, "<newName>pwned</newName>")
    destroy = call("Destroy_Task", "Folder", folder)
    unregister = call("UnregisterVM", "VirtualMachine", vm)
    read = call("RetrieveServiceContent", "ServiceInstance", "ServiceInstance")

    def delete(name: str, ns: str = "") -> str:
        p = f"{ns}:" if ns else ""
        return call("DeleteDatastoreFile_Task", *fm, f"<{p}name>{name}</{p}name>{dc}", ns)

    def mkdir(name: str) -> str:
        return call("MakeDirectory", *fm, f"<name>{name}</name>{dc}")

    def soap(body: str, close: bool = True, **kw: str) -> bytes:
        return http("POST", "/sdk", envelope(body, **kw).encode(), session, close)

    inside, outside = f"[LocalDS_0] {ROOT}/x", "[LocalDS_0] vmfs"
    laughs = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
              '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
              '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>')
    return {
        # Decoys: a read where a text matcher would look, the harm elsewhere.
        "decoy in a comment before the envelope": soap(
            rename, before=f"<!--<soapenv:Body>{read}</soapenv:Body>-->"),
        "decoy in the header": soap(rename, header=f"<soapenv:Header>{read}</soapenv:Header>"),
        "decoy as a first body": http("POST", "/sdk", envelope(read).replace(
            "</soapenv:Envelope>", f"<soapenv:Body>{destroy}</soapenv:Body></soapenv:Envelope>")
            .encode(), session),
        "decoy body in another namespace": http("POST", "/sdk", envelope(unregister).replace(
            "<soapenv:Body>", f'<x:Body xmlns:x="urn:decoy">{read}</x:Body><soapenv:Body>')
            .encode(), session),
        "decoy as the first of two calls": soap(read + destroy),
        "decoy in a CDATA section": soap(f"<![CDATA[{read}]]>{destroy}"),
        "decoy in a processing instruction": soap(f"<?x {read}?>{destroy}"),
        "the harm with a prefixed method": soap(call("Destroy_Task", "Folder", folder,
                                                     ns="v.x")),
        "the harm in no namespace": soap(destroy.replace(' xmlns="urn:vim25"', "")),
        "the harm in a lookalike namespace": soap(destroy.replace("urn:vim25", "urn:vim25 ")),
        # Hidden or doubled arguments.
        "a prefixed path argument": soap(delete(outside, ns="v.x")),
        "a comment inside the path": soap(delete(f"[LocalDS_0] {ROOT}<!---->/../vmfs")),
        "a CDATA section inside the path": soap(delete(f"[LocalDS_0] {ROOT}<![CDATA[/../vmfs]]>")),
        "a path inside, then one outside": soap(call(
            "DeleteDatastoreFile_Task", *fm, f"<name>{inside}</name><name>{outside}</name>{dc}")),
        "a path outside, then one inside": soap(call(
            "DeleteDatastoreFile_Task", *fm, f"<name>{outside}</name><name>{inside}</name>{dc}")),
        "dots as character references": soap(delete(f"[LocalDS_0] {ROOT}/&#46;&#46;/vmfs")),
        "backslashes": soap(delete(f"[LocalDS_0] {ROOT}\\..\\vmfs")),
        "percent-encoded dots": soap(delete(f"[LocalDS_0] {ROOT}/%2e%2e/vmfs")),
        "a NUL by reference": soap(delete(f"[LocalDS_0] {ROOT}&#0;/../vmfs")),
        "lookalike dots": soap(delete(f"[LocalDS_0] {ROOT}/\u2024\u2024/vmfs")),
        "a path as an element": soap(call("DeleteDatastoreFile_Task", *fm,
                                          f"<name><x>{outside}</x></name>{dc}")),
        "a run folder's namesake": soap(mkdir(f"[LocalDS_0] {ROOT}0/x")),
        "no space after the datastore": soap(mkdir(f"[LocalDS_0]{ROOT}/../x")),
        "an empty segment": soap(mkdir(f"[LocalDS_0] {ROOT}//../x")),
        "a leading slash": soap(mkdir(f"[LocalDS_0] /{ROOT}/../x")),
        "a move from outside in": soap(call(
            "MoveDatastoreFile_Task", *fm, f"<sourceName>{outside}</sourceName>{dc}"
            f"<destinationName>{inside}</destinationName>")),
        "a copy to outside": soap(call(
            "CopyDatastoreFile_Task", *fm, f"<sourceName>{inside}</sourceName>"
            f"<destinationName>[LocalDS_0] copied</destinationName>")),
        "a foreign xsi:type on the path": soap(delete(outside).replace(
            "<name>", '<name xsi:type="e:T" xmlns:e="urn:evil">')),
        "an argument the call does not have": soap(call(
            "MakeDirectory", *fm, f"<name>{inside}</name><other>{outside}</other>")),
        "a file call on another object": soap(call(
            "MakeDirectory", "Folder", folder, f"<name>{inside}</name>")),
        "a UTF-16 body": http("POST", "/sdk", envelope(destroy).encode("utf-16"), session),
        "a UTF-16 body without a mark": http("POST", "/sdk", envelope(destroy)
                                             .replace('encoding="UTF-8"', 'encoding="UTF-16"')
                                             .encode("utf-16-le"), session),
        "entity expansion": http("POST", "/sdk", (laughs + envelope(mkdir(
            "[LocalDS_0] &c;"))[38:]).encode(), session),
        # HTTP.
        "a SOAP call posted to /folder": http("POST", "/folder/x?dsName=LocalDS_0",
                                              envelope(destroy).encode(), session),
        "the control API, read": http("GET", "/harness/info", b"", session),
        "the control API, changed": http("DELETE", "/harness/faults", b"", session),
        "a file written outside": http("PUT", "/folder/outside.txt?dsName=LocalDS_0", b"x",
                                       session),
        "a file written through ..": http(
            "PUT", f"/folder/{ROOT}/../outside.txt?dsName=LocalDS_0", b"x", session),
        "a file written through %2e%2e": http(
            "PUT", f"/folder/{ROOT}/%2e%2e/outside.txt?dsName=LocalDS_0", b"x", session),
        "a file written through an encoded slash": http(
            "PUT", f"/folder/{ROOT}%2f..%2foutside.txt?dsName=LocalDS_0", b"x", session),
        "two datastores in the query": http(
            "PUT", f"/folder/{ROOT}/x.txt?dsName=LocalDS_0&dsName=LocalDS_0&dcPath=x", b"x",
            session),
        "a file read outside": http("GET", "/folder/vmfs?dsName=LocalDS_0", b"", session),
        "a huge stated length": http("POST", "/sdk", b"", session,
                                     Content_Length=str(10**15)),
        "a chunked body": http("POST", "/sdk", f"{len(destroy):x}\r\n{destroy}\r\n0\r\n\r\n"
                               .encode(), session, Transfer_Encoding="chunked"),
        "a file deleted by HTTP": http("DELETE", "/folder/vmfs?dsName=LocalDS_0", b"",
                                       session),
        "pipelined behind a read": soap(read, close=False) + soap(rename),
        "smuggled in a body's tail": http("POST", "/sdk", soap(unregister), session,
                                          close=False, Content_Length="0"),
        "a SOAPAction naming a read": http("POST", "/sdk", envelope(destroy).encode(),
                                           session).replace(b'"urn:vim25/8.0.1.0"',
                                                             b'"urn:vim25/RetrieveServiceContent"'),
    }


LABELS = list(attacks("vm", "folder", "datacenter", "cookie"))


def test_the_corpus_covers_every_class_the_guard_must_stop():
    assert len(LABELS) >= 40


@pytest.mark.parametrize("label", LABELS)
def test_an_attack_changes_nothing_outside_the_run_folder(stand, label):
    raw = attacks(stand.vm, stand.folder, stand.datacenter, stand.cookie)[label]
    before = world(stand)
    refused = len(stand.guard.refused)
    answer = send(stand.port, raw)
    assert world(stand) == before, label
    assert len(stand.guard.refused) > refused, f"{label}: not refused\n{answer[:2000]!r}"


# -- the second round: what the first guard let through -------------------------------
# Each is sent twice: straight at a simulator of its own (``bare``), where it
# must land, and through the guard, where it must be refused and change
# nothing. ``landed`` says what landing is for it.

@dataclass
class Bare:
    """A simulator with nothing in front of it, and a session of its own."""

    sim: Simulator
    si: vim.ServiceInstance
    cookie: str  # the Cookie header
    key: str  # the session's secret (on the simulator, the cookie's value)
    objects: dict[str, str]

    def root_files(self) -> list[str]:
        entries = DatastoreClient(self.si, self.sim.endpoint).tree("LocalDS_0", "") or []
        return sorted(e.path for e in entries)

    def read(self, path: str) -> bytes:
        answer = send_tls(self.sim, http("GET", f"/folder/{path}?dsName=LocalDS_0&dcPath=DC0",
                                         b"", self.cookie))
        return answer.partition(b"\r\n\r\n")[2]


@pytest.fixture(scope="module")
def bare() -> Iterator[Bare]:
    with Simulator("process", extra_args=["-control=false", "-vm=1"]) as sim:
        si = connect(sim.endpoint)
        try:
            files = DatastoreClient(si, sim.endpoint)
            files.put("LocalDS_0", "vmfs/keep.txt", b"keep")
            files.put("LocalDS_0", "vmfs/secret.txt", b"secret")
            datacenter = si.content.rootFolder.childEntity[0]
            objects = {"vm": datacenter.vmFolder.childEntity[0]._moId,
                       "folder": datacenter.hostFolder._moId, "datacenter": datacenter._moId}
            value = cookie(si).split("=", 1)[1].split(";")[0].strip('"')
            yield Bare(sim, si, cookie(si), value, objects)
        finally:
            disconnect(si)


def send_tls(sim: Simulator, raw: bytes) -> bytes:
    """``send``, to a simulator's TLS port."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection((sim.endpoint.host, sim.endpoint.port), timeout=10) as plain, \
            context.wrap_socket(plain) as sock:
        sock.sendall(raw)
        answer = b""
        with contextlib.suppress(TimeoutError, ssl.SSLError):
            sock.settimeout(3)
            while chunk := sock.recv(65536):
                answer += chunk
        return answer


Landed = Callable[[Bare, bytes], bool]


def _file_at_root(name: str) -> Landed:
    return lambda bare, answer: name in bare.root_files()


def _outside_overwritten(bare: Bare, answer: bytes) -> bool:
    return bare.read("vmfs/keep.txt") != b"keep"


def _read_outside(bare: Bare, answer: bytes) -> bool:
    return answer.endswith(b"secret")


def _leaked(bare: Bare, answer: bytes) -> bool:
    return bare.key.encode() in answer


def _answered_by_the_server(bare: Bare, answer: bytes) -> bool:
    """The call reached the server's method (which refused it itself): on
    an unfixed simulator, this very call panics in it."""
    return b"NoPermission" not in answer and (b"ManagedObjectNotFound" in answer or
                                                b"InvalidArgument" in answer or
                                                b"returnval" in answer)


def second_round(objects: dict[str, str], session: str) -> dict[str, tuple[bytes, Landed]]:
    """Label -> (the raw request, what landing is)."""
    fm = ("FileManager", "FileManager")
    crafted = f"LocalDS_0%2Fx%5D%20{ROOT}%2F.."
    folder, vm = objects["folder"], objects["vm"]

    def put(path: str, query: str, with_session: bool = True) -> bytes:
        return http("PUT", f"/folder/{path}?{query}", b"pwned",
                    session if with_session else "x=y")

    def soap(body: str) -> bytes:
        return http("POST", "/sdk", envelope(body).encode(), session)

    def spec(kind: str, value: str, paths: str = "", everything: bool = False) -> str:
        return (f"<specSet><propSet><type>{kind}</type>{paths}"
                f"{'<all>true</all>' if everything else ''}</propSet><objectSet>"
                f'<obj type="{kind}">{value}</obj></objectSet></specSet>')

    def mkdir(datacenter: str, kind: str = "Datacenter") -> str:
        return call("MakeDirectory", *fm, f"<name>[LocalDS_0] {ROOT}/x</name>"
                    f'<datacenter type="{kind}">{datacenter}</datacenter>')

    def move(side: str) -> str:
        source = f'type="Folder">{folder}' if side == "source" else \
            f'type="Datacenter">{objects["datacenter"]}'
        target = f'type="Folder">{folder}' if side == "destination" else \
            f'type="Datacenter">{objects["datacenter"]}'
        return call("MoveDatastoreFile_Task", *fm,
                    f"<sourceName>[LocalDS_0] {ROOT}/a</sourceName><sourceDatacenter "
                    f"{source}</sourceDatacenter><destinationName>[LocalDS_0] {ROOT}/b"
                    f"</destinationName><destinationDatacenter {target}"
                    "</destinationDatacenter>")

    return {
        "/folder: a crafted dsName writes at the root": (
            put("victim1", f"dsName={crafted}&dcPath=DC0"), _file_at_root("victim1")),
        "/folder: a crafted dsName, its ] and / raw": (
            put("victim2", f"dsName=LocalDS_0/x]%20{ROOT}/..&dcPath=DC0"),
            _file_at_root("victim2")),
        "/folder: a crafted dsName overwrites a file outside": (
            put("vmfs/keep.txt", f"dsName={crafted}&dcPath=DC0"), _outside_overwritten),
        "/folder: a crafted dsName reads a file outside": (
            http("GET", f"/folder/vmfs/secret.txt?dsName={crafted}&dcPath=DC0", b"", session),
            _read_outside),
        "/folder: a crafted dsName without a session cookie": (
            put("victim3", f"dsName={crafted}&dcPath=DC0", with_session=False),
            _file_at_root("victim3")),
        "/folder: a ';' that Go drops and Python keeps": (
            put("victim4", f"dsName=a%5D%20{ROOT}%2F;x&dcPath=DC0"), _file_at_root("victim4")),
        "/folder: a repeated key and a ';'": (
            put("victim5", f"dcPath=DC0&dsName=a%5D%20{ROOT}%2F;x&dcPath=DC0"),
            _file_at_root("victim5")),
        "the session key through currentSession": (
            soap(call("RetrievePropertiesEx", "PropertyCollector", "propertyCollector",
                      spec("SessionManager", "SessionManager",
                           "<pathSet>currentSession</pathSet>") + "<options></options>")),
            _leaked),
        "the session keys through sessionList": (
            soap(call("RetrieveProperties", "PropertyCollector", "propertyCollector",
                      spec("SessionManager", "SessionManager", "<pathSet>sessionList</pathSet>"))),
            _leaked),
        "every property of the SessionManager": (
            soap(call("RetrievePropertiesEx", "PropertyCollector", "propertyCollector",
                      spec("SessionManager", "SessionManager", everything=True) +
                      "<options></options>")), _leaked),
        "the session key through Fetch": (
            soap(call("Fetch", "SessionManager", "SessionManager",
                      "<prop>currentSession</prop>")), _leaked),
        "an unknown datacenter argument": (soap(mkdir("datacenter-999")),
                                           _answered_by_the_server),
        "a Folder as the datacenter argument": (soap(mkdir(folder, "Folder")),
                                                _answered_by_the_server),
        "a Folder as a delete's datacenter": (
            soap(call("DeleteDatastoreFile_Task", *fm, f"<name>[LocalDS_0] {ROOT}/x</name>"
                      f'<datacenter type="Folder">{folder}</datacenter>')),
            _answered_by_the_server),
        "a Folder as a move's sourceDatacenter": (soap(move("source")), _answered_by_the_server),
        "a Folder as a move's destinationDatacenter": (soap(move("destination")),
                                                       _answered_by_the_server),
        "a VirtualMachine as a view's container": (
            soap(call("CreateContainerView", "ViewManager", "ViewManager",
                      f'<container type="VirtualMachine">{vm}</container><type>Datastore</type>'
                      "<recursive>true</recursive>")), _answered_by_the_server),
        "a real datacenter's value under another type": (
            soap(mkdir(objects["datacenter"], "Folder")), _answered_by_the_server),
        "an unknown object in a property spec": (
            soap(call("RetrievePropertiesEx", "PropertyCollector", "propertyCollector",
                      spec("Datastore", "datastore-999", "<pathSet>name</pathSet>") +
                      "<options></options>")), _answered_by_the_server),
    }


SECOND = list(second_round({"vm": "v", "folder": "f", "datacenter": "d"}, "c"))


@pytest.mark.parametrize("label", SECOND)
def test_a_second_round_attack_lands_without_the_guard(bare, label):
    raw, landed = second_round(bare.objects, bare.cookie)[label]
    assert landed(bare, send_tls(bare.sim, raw)), label


@pytest.mark.parametrize("label", SECOND)
def test_a_second_round_attack_is_refused_by_the_guard(stand, label):
    objects = {"vm": stand.vm, "folder": stand.folder, "datacenter": stand.datacenter}
    raw, _ = second_round(objects, stand.cookie)[label]
    before = world(stand)
    refused = len(stand.guard.refused)
    answer = send(stand.port, raw)
    assert world(stand) == before, label
    assert len(stand.guard.refused) > refused, f"{label}: not refused\n{answer[:2000]!r}"
    upstream = stand.guard.to_upstream(stand.cookie.encode())
    assert upstream not in answer and b"secret" not in answer, label


def test_a_login_answer_holds_the_guards_token_not_the_session_key(stand):
    """The simulator's UserSession.key is the session's cookie: through the
    guard, a client reads its token of the guard's in its place."""
    login = call("Login", "SessionManager", "SessionManager",
                 f"<userName>{GUARD_USER}</userName><password>{stand.guard.password}</password>")
    answer = send(stand.port, http("POST", "/sdk", envelope(login).encode(), "x=y"))
    token = re.search(rb'vmware_soap_session="([^"]+)"', answer)
    key = re.search(rb"<key>([^<]+)</key>", answer)
    assert token and key, answer[:2000]
    assert key.group(1) == token.group(1)
    upstream = stand.guard.to_upstream(token.group(1))
    assert upstream != token.group(1) and upstream not in answer
