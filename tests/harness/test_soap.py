"""Parsing a vSphere request strictly, and rebuilding it (pure)."""

from __future__ import annotations

import pytest

from harness.vsphere.soap import RequestRefused, parse_request

ENVELOPE = ('<?xml version="1.0" encoding="UTF-8"?>'
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xmlns:xsd="http://www.w3.org/2001/XMLSchema">{header}<soapenv:Body>{call}'
            '</soapenv:Body></soapenv:Envelope>')
DELETE = ('<DeleteDatastoreFile_Task xmlns="urn:vim25"><_this type="FileManager">FileManager'
          '</_this><name>[LocalDS_0] run-1/_base/img1</name><datacenter type="Datacenter">'
          'datacenter-2</datacenter></DeleteDatastoreFile_Task>')


def request(call: str = DELETE, header: str = "") -> bytes:
    return ENVELOPE.format(header=header, call=call).encode()


def test_a_call_is_read_and_rebuilt_from_what_was_parsed():
    call = parse_request(request())
    assert (call.method, call.this_type, call.this) == (
        "DeleteDatastoreFile_Task", "FileManager", "FileManager")
    assert call.values("name") == ["[LocalDS_0] run-1/_base/img1"]
    again = parse_request(call.to_xml())
    assert again == call


def test_nested_arguments_keep_their_types():
    spec = ('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">pc</_this>'
            '<specSet><propSet><type>Datastore</type><pathSet>name</pathSet></propSet>'
            '<objectSet><obj type="Folder">group-d1</obj><skip>false</skip><selectSet '
            'xsi:type="TraversalSpec"><name>t</name></selectSet></objectSet></specSet>'
            '<options/></RetrievePropertiesEx>')
    call = parse_request(request(spec))
    [spec_set, options] = call.arguments
    select = spec_set.children[1].children[2]
    assert select.xsi_type == ("urn:vim25", "TraversalSpec")
    assert spec_set.children[1].children[0].type == "Folder"
    assert options.name == "options" and options.text == ""
    assert parse_request(call.to_xml()) == call


def test_a_prefixed_vim25_call_is_the_same_call():
    prefixed = DELETE.replace('<DeleteDatastoreFile_Task xmlns="urn:vim25">',
                              '<v.x:DeleteDatastoreFile_Task xmlns:v.x="urn:vim25">').replace(
        "</DeleteDatastoreFile_Task>", "</v.x:DeleteDatastoreFile_Task>")
    # Its arguments have no prefix: they are in no namespace, not urn:vim25.
    with pytest.raises(RequestRefused, match=r"_this must|not in the urn:vim25"):
        parse_request(request(prefixed))
    both = prefixed.replace("<_this", "<v.x:_this").replace("</_this>", "</v.x:_this>") \
        .replace("<name>", "<v.x:name>").replace("</name>", "</v.x:name>") \
        .replace("<datacenter", "<v.x:datacenter").replace("</datacenter>", "</v.x:datacenter>")
    assert parse_request(request(both)) == parse_request(request())


@pytest.mark.parametrize(("body", "why"), [
    (request().replace(b"<soapenv:Body>", b"<!-- x --><soapenv:Body>"), "a comment"),
    (request().replace(b"[LocalDS_0] run-1", b"[LocalDS_0] run-1<!---->"), "a comment"),
    (request().replace(b"run-1/_base", b"run-1<![CDATA[/../x]]>"), "a CDATA section"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>' + request()[38:], "a DOCTYPE"),
    (request().replace(b"<soapenv:Body>", b"<?pi x?><soapenv:Body>"), "a processing instr"),
    (request().replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"'), "encoding"),
    ("\ufeff".encode() + request(), "byte order mark"),
    (request().decode().encode("utf-16"), "byte order mark"),
    (request().decode().encode("utf-16-le"), "a NUL byte"),
    (request().replace(b"img1", b"img\xff"), "not UTF-8"),
    (request().replace(b"img1", b"&xxe;"), "not well-formed"),
    (request(header="<soapenv:Header><x/></soapenv:Header>"), "Header must be empty"),
    (request(DELETE + DELETE), "holds 2 elements"),
    (request().replace(b"</soapenv:Body>", b"</soapenv:Body><soapenv:Body>"
                       + DELETE.encode() + b"</soapenv:Body>"), "exactly one Body"),
    (request().replace(b"soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/"
                       b"envelope/\"", b"soapenv:Envelope xmlns:soapenv=\"urn:other\""),
     "not a SOAP Envelope"),
    (request(DELETE.replace('xmlns="urn:vim25"', 'xmlns="urn:vim26"')), "not in the urn:vim25"),
    (request(DELETE.replace("<name>", "<name x='1'>")), "attribute 'x'"),
    (request(DELETE.replace("<name>", "<name>a<b/>")), "mixes text"),
    (request(DELETE.replace('<_this type="FileManager">FileManager</_this>', "")),
     "first argument must be _this"),
    (request(DELETE.replace("</DeleteDatastoreFile_Task>",
                            '<_this type="X">y</_this></DeleteDatastoreFile_Task>')),
     "_this given more than once"),
    (request("<a/>" * 2), "holds 2 elements"),
    (request().replace(b"</soapenv:Envelope>", b"</soapenv:Envelope><x/>"), "not well-formed"),
    (request("<x xmlns='urn:vim25'>" + "<y>" * 40 + "</y>" * 40 + "</x>"), "nesting"),
    (request(DELETE.replace('<name>', '<name xsi:type="evil:T" xmlns:evil="urn:e">')),
     "not a vim25 or XML Schema type"),
])
def test_refused(body, why):
    with pytest.raises(RequestRefused, match=why):
        parse_request(body)
