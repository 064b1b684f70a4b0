"""The guard's rules, pure: the property allow-list (and its page in the
docs), the strict /folder query, the objects a client may name."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.vsphere.guard.calls import check_call
from harness.vsphere.guard.folder import Names, check_file_url, parse_query
from harness.vsphere.guard.objects import Known, references
from harness.vsphere.guard.properties import ENTITY, TABLE, Properties
from harness.vsphere.soap import parse_request

DOCS = Path(__file__).resolve().parents[2] / "docs" / "guard.md"
ROOT = "run-1"
NAMES = Names(frozenset({"LocalDS_0", "ds 1"}), frozenset({"DC0", "Folder/DC1"}))


def test_the_docs_list_the_allow_list():
    rows = [line for line in DOCS.read_text().splitlines() if line.startswith("| `")]
    for kind, paths in TABLE.items():
        [row] = [r for r in rows if f"`{kind}`" in r.split("|")[1]]
        for path in set(paths) - set(ENTITY):
            assert f"`{path}`" in row.split("|")[2], (kind, path)


@pytest.mark.parametrize(("kind", "path", "allowed"), [
    ("Datastore", "summary.accessible", True), ("Datastore", "name", True),
    ("Task", "info.state", True), ("Folder", "parent", True),
    ("SessionManager", "currentSession", False), ("SessionManager", "sessionList", False),
    ("Datastore", "summaryX", False), ("Datastore", "summary", True),
    ("HostSystem", "config", False), ("Datacenter", "configuration", False),
])
def test_a_property_is_read_only_as_listed(kind, path, allowed):
    assert Properties.of().allows(kind, path) is allowed


def test_a_user_extends_the_list_one_path_at_a_time():
    extended = Properties.of(["Datastore.summary.url", "HostSystem.config.*"])
    assert extended.allows("HostSystem", "config.product.version")
    assert not Properties.of().allows("HostSystem", "config.product")
    for bad in ["Datastore", "Datastore.", ".name", "Data store.name", "Datastore.a..b"]:
        with pytest.raises(ValueError, match=r"TYPE\.PATH"):
            Properties.of([bad])


def _call(method: str, this: str, arguments: str):
    kind, value = this.split(":")
    return parse_request((
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
        f'<{method} xmlns="urn:vim25"><_this type="{kind}">{value}</_this>{arguments}'
        f"</{method}></soapenv:Body></soapenv:Envelope>").encode())


def _known(*pairs: str) -> Known:
    known = Known()
    known.learn(("<r xmlns='urn:vim25'>" + "".join(
        f"<returnval type='{p.split(':')[0]}'>{p.split(':')[1]}</returnval>" for p in pairs) +
        "</r>").encode())
    return known


def test_only_objects_vcenter_showed_may_be_named_and_each_as_its_type():
    known = _known("FileManager:FileManager", "Datacenter:datacenter-2", "Folder:group-4")
    mkdir = "<name>[LocalDS_0] run-1/x</name><datacenter type=\"{}\">{}</datacenter>"
    check = lambda *a: check_call(_call("MakeDirectory", "FileManager:FileManager",  # noqa: E731
                                        mkdir.format(*a)), ROOT, known, Properties.of())
    assert check("Datacenter", "datacenter-2") is None
    assert "not shown" in check("Datacenter", "datacenter-999")
    assert "not shown" in check("Folder", "datacenter-2")  # a known value, another type
    assert "is a Folder, not a Datacenter" in check("Folder", "group-4")
    assert "not shown" in check_call(_call("MakeDirectory", "FileManager:other", ""), ROOT,
                                     known, Properties.of())


def test_property_specs_are_read_at_any_depth():
    known = _known("PropertyCollector:pc", "SessionManager:SessionManager")
    spec = ("<specSet><propSet><type>{kind}</type><pathSet>{path}</pathSet></propSet>"
            '<objectSet><obj type="SessionManager">SessionManager</obj>{select}</objectSet>'
            "</specSet>")
    traversal = ('<selectSet xsi:type="TraversalSpec"><name>t</name><type>{}</type>'
                 "<path>{}</path></selectSet>")
    retrieve = lambda **f: check_call(  # noqa: E731
        _call("RetrieveProperties", "PropertyCollector:pc", spec.format(**f)), ROOT, known,
        Properties.of())
    assert "reading SessionManager.currentSession" in retrieve(
        kind="SessionManager", path="currentSession", select="")
    assert retrieve(kind="Folder", path="name", select="") is None
    assert "traversing SessionManager.sessionList" in retrieve(
        kind="Folder", path="name", select=traversal.format("SessionManager", "sessionList"))
    fetch = check_call(_call("Fetch", "SessionManager:SessionManager",
                             "<prop>currentSession</prop>"), ROOT, known, Properties.of())
    assert "reading SessionManager.currentSession" in fetch


def test_the_references_of_an_answer_are_learned_and_nothing_else():
    answer = (b'<?xml version="1.0"?><E xmlns="urn:vim25"><returnval type="Task">task-7'
              b'</returnval><val type="x">  </val><other>text</other>'
              b'<n xmlns="urn:other" type="Folder">group-1</n></E>')
    assert references(answer) == {("Task", "task-7")}
    assert references(b"<!DOCTYPE x [<!ENTITY a 'b'>]><E xmlns='urn:vim25'>"
                      b"<r type='Task'>t</r></E>") == set()
    assert references(b"not xml") == set()


@pytest.mark.parametrize(("query", "why"), [
    ("dsName=LocalDS_0&dcPath=DC0", None),
    ("dsName=ds+1&dcPath=Folder%2FDC1", None),
    ("dsName=ds%201&dcPath=DC0", None),
    ("dsName=LocalDS_0;x&dcPath=DC0", "';'"),
    ("dsName=LocalDS_0&dsName=LocalDS_0&dcPath=DC0", "given twice"),
    ("dsName=LocalDS_0&dcPath=DC0&x=1", "'x' is not one of"),
    ("dsName=LocalDS_0&dcPath=DC0&", "no key=value"),
    ("dsName=LocalDS_0%2Fx&dcPath=DC0", "encoded separator (%2F)"),
    ("dsName=LocalDS_0%5Cx&dcPath=DC0", "encoded separator (%5C)"),
    ("dsName=LocalDS_0%25&dcPath=DC0", "encoded separator (%25)"),
    ("dsName=Local%zz&dcPath=DC0", "malformed %-escape"),
    ("dsName=Local%0a&dcPath=DC0", "control character"),
    ("dsName=LocalDS_0", "no dcPath"),
])
def test_a_file_query_is_parsed_one_way(query, why):
    if why is None:
        assert set(parse_query(query)) == {"dsName", "dcPath"}
    else:
        with pytest.raises(ValueError, match=why.replace("(", r"\(").replace(")", r"\)")):
            parse_query(query)


@pytest.mark.parametrize(("url", "why"), [
    ("/folder/run-1/x?dsName=LocalDS_0&dcPath=DC0", None),
    ("/folder/run-1/x?dsName=LocalDS_0%2Fx%5D%20run-1%2F..&dcPath=DC0", "encoded separator"),
    ("/folder/run-1/x?dsName=LocalDS_0/x]%20run-1/..&dcPath=DC0", "no datastore of the"),
    ("/folder/run-1/x?dsName=LocalDS_9&dcPath=DC0", "no datastore of the"),
    ("/folder/run-1/x?dsName=LocalDS_0&dcPath=DC9", "no datacenter of the"),
    ("/folder/x?dsName=LocalDS_0&dcPath=DC0", "not below the run folder"),
    ("/folder/run-1%2F..%2Fx?dsName=LocalDS_0&dcPath=DC0", "the path holds an encoded"),
    ("/folder/run-1/../x?dsName=LocalDS_0&dcPath=DC0", "'..' segment"),
    ("/sdk?dsName=LocalDS_0&dcPath=DC0", "not below /folder/"),
])
def test_a_file_url_names_what_the_server_will_do(url, why):
    found = check_file_url(url, ROOT, lambda: NAMES)
    assert (found is None) if why is None else (why in (found or "")), found
