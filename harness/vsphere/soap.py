"""A vSphere SOAP request, parsed strictly and rebuilt: what the guard
checks is what it forwards.

The body goes through expat with everything a decoy could hide in refused
outright (a DTD, entities, comments, processing instructions, CDATA, any
encoding but UTF-8), then through the shape a vSphere call has: exactly one
``Envelope``, an empty ``Header`` at most, one ``Body``, one ``urn:vim25``
child in it (the method), ``_this`` first. The request that goes on is
serialized again from that tree, so text the parser did not take for the
call never reaches vCenter.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from xml.parsers import expat
from xml.sax.saxutils import escape, quoteattr

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
VIM25 = "urn:vim25"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"
# Prefixes of the rebuilt request; xsi:type values are written with them.
PREFIXES = {SOAP_ENV: "soapenv", XSI: "xsi", XSD: "xsd", VIM25: "vim25"}
MAX_DEPTH = 32  # deeper than any call an image cache makes
MAX_ELEMENTS = 20_000


class RequestRefused(ValueError):
    """A request that is not one well-formed vSphere call, or not one the
    guard lets through; the message says which part and why."""


# The attributes an argument may carry: a managed object reference's type
# and server, and the API version pyVmomi puts on every argument.
ATTRIBUTES = ("type", "serverGuid", "versionId")


@dataclass(frozen=True)
class Element:
    """One element of the call: ``urn:vim25`` throughout, its ``ATTRIBUTES``
    (in that order) and ``xsi:type`` (resolved to (namespace, name))."""

    name: str
    attributes: tuple[tuple[str, str], ...] = ()
    xsi_type: tuple[str, str] | None = None
    text: str = ""
    children: tuple[Element, ...] = ()

    @property
    def type(self) -> str | None:
        """The managed object type, for a reference."""
        return dict(self.attributes).get("type")

    def write(self, out: list[str]) -> None:
        attributes = "".join(f" {name}={quoteattr(value)}" for name, value in self.attributes)
        if self.xsi_type is not None:
            namespace, local = self.xsi_type
            attributes += f' xsi:type="{PREFIXES[namespace]}:{local}"'
        out.append(f"<{self.name}{attributes}>")
        if self.children:
            for child in self.children:
                child.write(out)
        else:
            out.append(escape(self.text))
        out.append(f"</{self.name}>")


@dataclass(frozen=True)
class Call:
    """A vSphere method call: ``method`` on the managed object ``this`` of
    type ``this_type``, with its arguments in order."""

    method: str
    this_type: str
    this: str
    arguments: tuple[Element, ...] = field(default=())

    def values(self, name: str) -> list[str]:
        """The text of every top-level argument called ``name``."""
        return [a.text for a in self.arguments if a.name == name]

    def with_values(self, **values: str) -> Call:
        """The same call, these top-level arguments' text replaced."""
        return replace(self, arguments=tuple(
            replace(a, text=values[a.name]) if a.name in values else a for a in self.arguments))

    def to_xml(self) -> bytes:
        """The request as the guard forwards it, built from the parsed call only."""
        out = ['<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope',
               *(f' xmlns:{prefix}="{namespace}"' for namespace, prefix in PREFIXES.items()),
               f'><soapenv:Body><{self.method} xmlns="{VIM25}">']
        Element("_this", (("type", self.this_type),), text=self.this).write(out)
        for argument in self.arguments:
            argument.write(out)
        out.append(f"</{self.method}></soapenv:Body></soapenv:Envelope>")
        return "".join(out).encode()


@dataclass
class _Node:
    namespace: str
    name: str
    attributes: dict[str, str]
    scope: dict[str, str]  # prefix -> namespace, as declared where it stands
    text: list[str] = field(default_factory=list)
    children: list[_Node] = field(default_factory=list)


def parse_request(body: bytes) -> Call:
    """The call a request body holds; RequestRefused if it holds anything else."""
    root = _parse_xml(body)
    if (root.namespace, root.name) != (SOAP_ENV, "Envelope"):
        raise RequestRefused(f"the document is a {root.name!r}, not a SOAP Envelope")
    _no_text(root)
    headers = [c for c in root.children if (c.namespace, c.name) == (SOAP_ENV, "Header")]
    bodies = [c for c in root.children if (c.namespace, c.name) == (SOAP_ENV, "Body")]
    others = [c for c in root.children if c not in headers and c not in bodies]
    if len(bodies) != 1 or len(headers) > 1 or others:
        raise RequestRefused("an Envelope holds an optional Header and exactly one Body, "
                             f"found {[_label(c) for c in root.children]}")
    for header in headers:
        if header.children or "".join(header.text).strip():
            raise RequestRefused("the SOAP Header must be empty")
    [soap_body] = bodies
    _no_text(soap_body)
    if len(soap_body.children) != 1:
        raise RequestRefused(f"the Body holds {len(soap_body.children)} elements, not one call")
    [method] = soap_body.children
    if method.namespace != VIM25:
        raise RequestRefused(f"the call {_label(method)} is not in the {VIM25} namespace")
    if method.attributes:
        raise RequestRefused(f"the call {method.name} carries attributes "
                             f"{sorted(method.attributes)}")
    _no_text(method)
    if not method.children or method.children[0].name != "_this":
        raise RequestRefused(f"{method.name}: its first argument must be _this")
    this = _element(method.children[0], method.name)
    if this.type is None or this.children or not this.text:
        raise RequestRefused(f"{method.name}: _this must name a managed object and its type")
    arguments = tuple(_element(child, method.name) for child in method.children[1:])
    if any(a.name == "_this" for a in arguments):
        raise RequestRefused(f"{method.name}: _this given more than once")
    return Call(method.name, this.type, this.text, arguments)


def _parse_xml(body: bytes) -> _Node:
    if body.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        raise RequestRefused("a byte order mark: requests are UTF-8 without one")
    if b"\x00" in body:  # UTF-16 without a mark, which expat would still read
        raise RequestRefused("a NUL byte: requests are UTF-8")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RequestRefused(f"the body is not UTF-8 (byte {exc.start})") from None
    parser = expat.ParserCreate(encoding="UTF-8", namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[_Node] = []
    scope: list[dict[str, str]] = [{}]
    pending: dict[str, str] = {}
    done: list[_Node] = []
    count = [0]

    def refuse(what: str) -> None:
        raise RequestRefused(f"{what} (line {parser.CurrentLineNumber}, column "
                             f"{parser.CurrentColumnNumber}): not allowed in a request")

    def declaration(version: str, encoding: str | None, standalone: int) -> None:
        if encoding is not None and encoding.lower() not in ("utf-8", "utf8"):
            refuse(f"encoding {encoding!r}")

    def namespace(prefix: str | None, uri: str) -> None:
        pending[prefix or ""] = uri

    def start(name: str, attributes: dict[str, str]) -> None:
        count[0] += 1
        if len(stack) >= MAX_DEPTH or count[0] > MAX_ELEMENTS:
            refuse("nesting this deep, or this many elements,")
        uri, _, local = name.rpartition(" ")
        scope.append({**scope[-1], **pending})
        pending.clear()
        node = _Node(uri, local, dict(attributes), scope[-1])
        if stack:
            stack[-1].children.append(node)
        stack.append(node)

    def end(name: str) -> None:
        node = stack.pop()
        scope.pop()
        if not stack:
            done.append(node)

    def text(data: str) -> None:
        if not stack:
            return
        stack[-1].text.append(data)

    parser.XmlDeclHandler = declaration
    parser.StartDoctypeDeclHandler = lambda *a: refuse("a DOCTYPE")
    parser.EntityDeclHandler = lambda *a: refuse("an entity declaration")
    parser.UnparsedEntityDeclHandler = lambda *a: refuse("an entity declaration")
    parser.NotationDeclHandler = lambda *a: refuse("a notation")
    parser.ExternalEntityRefHandler = lambda *a: refuse("an external entity")
    parser.CommentHandler = lambda data: refuse("a comment")
    parser.ProcessingInstructionHandler = lambda target, data: refuse("a processing instruction")
    parser.StartCdataSectionHandler = lambda: refuse("a CDATA section")
    parser.StartNamespaceDeclHandler = namespace
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(body, True)
    except expat.ExpatError as exc:
        raise RequestRefused(f"not well-formed XML: {exc}") from None
    if len(done) != 1:
        raise RequestRefused("no root element")
    return done[0]


def _element(node: _Node, method: str) -> Element:
    """An argument, checked all the way down: ``urn:vim25`` names, only
    ``ATTRIBUTES`` and ``xsi:type``, text or elements (not both)."""
    if node.namespace != VIM25:
        raise RequestRefused(f"{method}: {_label(node)} is not in the {VIM25} namespace")
    xsi_type = None
    attributes = tuple((name, node.attributes[name]) for name in ATTRIBUTES
                       if name in node.attributes)
    for name, value in node.attributes.items():
        if name in ATTRIBUTES:
            continue
        if name == f"{XSI} type":
            xsi_type = _qname(value, node, method)
        else:
            raise RequestRefused(f"{method}: {node.name} carries an attribute "
                                 f"{name.rpartition(' ')[2]!r} a call does not have")
    children = tuple(_element(child, method) for child in node.children)
    text = "".join(node.text)
    if children and text.strip():
        raise RequestRefused(f"{method}: {node.name} mixes text and elements")
    return Element(node.name, attributes, xsi_type, "" if children else text, children)


def _qname(value: str, node: _Node, method: str) -> tuple[str, str]:
    prefix, sep, local = value.partition(":")
    if not sep:
        prefix, local = "", value
    namespace = node.scope.get(prefix)
    if namespace not in (VIM25, XSD) or not local.isidentifier():
        raise RequestRefused(f"{method}: {node.name} has xsi:type {value!r}, not a vim25 or "
                             "XML Schema type")
    return namespace, local


def _no_text(node: _Node) -> None:
    if "".join(node.text).strip():
        raise RequestRefused(f"text directly in {node.name}")


def _label(node: _Node) -> str:
    return f"{{{node.namespace}}}{node.name}" if node.namespace else node.name


