"""The guard against generated requests: valid calls that would change
something outside the run folder, mutated the ways a text matcher is fooled
(comments, CDATA, processing instructions, prefixes and namespaces,
duplicated elements, decoy calls and paths). Whatever comes of a mutation,
nothing outside the run folder may change."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .test_guard_attacks import (  # noqa: F401 - stand is a fixture
    ROOT,
    call,
    envelope,
    http,
    send,
    stand,
    world,
)

# Filled in per stand-in: what a request aims at.
VM, FOLDER, DATACENTER = "@VM@", "@FOLDER@", "@DATACENTER@"
DC = f'<datacenter type="Datacenter">{DATACENTER}</datacenter>'
OUTSIDE = "[LocalDS_0] vmfs"
HARM = [
    call("DeleteDatastoreFile_Task", "FileManager", "FileManager", f"<name>{OUTSIDE}</name>{DC}"),
    call("MakeDirectory", "FileManager", "FileManager", f"<name>[LocalDS_0] new</name>{DC}"),
    call("MoveDatastoreFile_Task", "FileManager", "FileManager",
         f"<sourceName>{OUTSIDE}</sourceName>{DC}<destinationName>[LocalDS_0] {ROOT}/v"
         "</destinationName>"),
    call("Rename_Task", "VirtualMachine", VM, "<newName>renamed</newName>"),
    call("Destroy_Task", "Folder", FOLDER),
]
READ = call("RetrieveServiceContent", "ServiceInstance", "ServiceInstance")
JUNK = ["<!-- x -->", f"<![CDATA[{READ}]]>", "<?pi x?>", f"<!--{READ}-->", "&#46;", " "]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    body = draw(st.sampled_from(HARM))
    header = ""
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["junk", "prefix", "twice", "path", "decoy", "header"]))
        if kind == "junk":  # anywhere between two characters of the call
            at = draw(st.integers(0, len(body)))
            body = body[:at] + draw(st.sampled_from(JUNK)) + body[at:]
        elif kind == "prefix":
            ns = draw(st.sampled_from(["urn:vim25", "urn:vim25 ", "urn:evil", ""]))
            body = body.replace(' xmlns="urn:vim25"', f' xmlns:p="{ns}"' if ns else "", 1) \
                .replace("<", "<p:", 1).replace("</", "</p:") if draw(st.booleans()) else \
                body.replace('xmlns="urn:vim25"', f'xmlns="{ns}"', 1)
        elif kind == "twice":  # an argument again, the harm in one of the two
            first = body.find("<name>")
            if first >= 0:
                end = body.find("</name>", first) + len("</name>")
                inside = f"<name>[LocalDS_0] {ROOT}/ok</name>"
                body = body[:first] + (inside + body[first:end] if draw(st.booleans())
                                       else body[first:end] + inside) + body[end:]
        elif kind == "path":
            body = body.replace(OUTSIDE, draw(st.sampled_from([
                f"[LocalDS_0] {ROOT}/../vmfs", f"[LocalDS_0] {ROOT}<!---->/../vmfs",
                f"[LocalDS_0] {ROOT}/%2e%2e/vmfs", f"[LocalDS_0] {ROOT}\\..\\vmfs",
                f"[LocalDS_0]{ROOT}/../vmfs", f"[LocalDS_0] {ROOT}//../vmfs"])))
        elif kind == "decoy":
            body = READ + body if draw(st.booleans()) else body + READ
        else:
            header = f"<soapenv:Header>{READ}</soapenv:Header>"
    document = envelope(body, header=header)
    if draw(st.booleans()):  # a second Body, or one in another namespace
        document = document.replace("<soapenv:Body>", draw(st.sampled_from([
            f"<soapenv:Body>{READ}</soapenv:Body><soapenv:Body>",
            f'<x:Body xmlns:x="urn:decoy">{READ}</x:Body><soapenv:Body>'])), 1)
    return document


@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(document=mutated())
def test_a_mutated_call_changes_nothing_outside_the_run_folder(stand, document):  # noqa: F811
    for placeholder, value in ((VM, stand.vm), (FOLDER, stand.folder),
                               (DATACENTER, stand.datacenter)):
        document = document.replace(placeholder, value)
    before = world(stand)
    send(stand.port, http("POST", "/sdk", document.encode(), stand.cookie))
    assert world(stand) == before, document


# -- queries of /folder, mutated the ways two parsers part ---------------------------

PIECES = ["LocalDS_0", "%2F", "/", "%5D", "]", "%20", " ", "+", ROOT, "..", "%2e%2e", ";", "x",
          "&", "=", "%3B", "%26", "%25", "%", "dsName=", "dcPath=", "DC0", "%00", "#"]


@st.composite
def queries(draw: st.DrawFn) -> str:
    """A dsName and a dcPath, each of pieces, and maybe more pairs."""
    def value() -> str:
        return "".join(draw(st.lists(st.sampled_from(PIECES), min_size=1, max_size=6)))

    pairs = [f"dsName={value()}", f"dcPath={draw(st.sampled_from(['DC0', value()]))}"]
    for _ in range(draw(st.integers(0, 2))):
        pairs.insert(draw(st.integers(0, len(pairs))),
                     draw(st.sampled_from(["dsName", "dcPath", "x", ""])) + "=" + value())
    return draw(st.sampled_from(["&", ";", "&&"])).join(pairs)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(query=queries(), path=st.sampled_from(["victim", "vmfs/keep.txt", f"{ROOT}/../victim",
                                              f"{ROOT}%2F..%2Fvictim", f"{ROOT}/x"]),
       method=st.sampled_from(["PUT", "GET"]))
def test_a_mutated_file_url_changes_and_reads_nothing_outside(stand, query, path, method):  # noqa: F811
    before = world(stand)
    answer = send(stand.port, http(method, f"/folder/{path}?{query}",
                                   b"pwned" if method == "PUT" else b"", stand.cookie))
    assert world(stand) == before, (method, path, query)
    assert not answer.endswith(b"keep") and not answer.endswith(b"secret"), (path, query)


# -- reference arguments, mutated --------------------------------------------------

@st.composite
def referring(draw: st.DrawFn) -> str:
    """A file call inside the run folder whose references are made up,
    retyped, or another object's."""
    kind = draw(st.sampled_from(["Datacenter", "Folder", "VirtualMachine", "Datastore", "x"]))
    value = draw(st.sampled_from([DATACENTER, FOLDER, VM, "datacenter-999", "", "group-d1"]))
    this = draw(st.sampled_from([("FileManager", "FileManager"), ("FileManager", "x"),
                                 ("Folder", FOLDER), ("SessionManager", "SessionManager")]))
    name = draw(st.sampled_from(["datacenter", "sourceDatacenter", "container", "obj"]))
    method = draw(st.sampled_from(["MakeDirectory", "DeleteDatastoreFile_Task",
                                   "MoveDatastoreFile_Task", "Logout"]))
    return call(method, *this, f"<name>[LocalDS_0] {ROOT}/r</name>"
                f'<{name} type="{kind}">{value}</{name}>')


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(body=referring())
def test_mutated_references_change_nothing_and_the_server_answers(stand, body):  # noqa: F811
    for placeholder, value in ((VM, stand.vm), (FOLDER, stand.folder),
                               (DATACENTER, stand.datacenter)):
        body = body.replace(placeholder, value)
    before = world(stand)
    answer = send(stand.port, http("POST", "/sdk", envelope(body).encode(), stand.cookie))
    assert answer.startswith(b"HTTP/1.1 "), body
    assert world(stand) == before, body
