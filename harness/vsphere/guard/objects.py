"""The managed objects a client of the guard may name: those vCenter has
handed to one of its clients through the guard (each answer's references,
read from the answer), and the ServiceInstance every client starts from.
A reference a client made up, or a known value under another type, names
no object: it is refused before the call is forwarded, so that vCenter
never sees a call about an object the client was not shown."""

from __future__ import annotations

import threading
from xml.parsers import expat

from ..soap import VIM25

Reference = tuple[str, str]  # (type, value)
SERVICE_INSTANCE: Reference = ("ServiceInstance", "ServiceInstance")


class Known:
    """The references seen in answers, shared by the guard's clients (a
    client that logs in again goes on with what it read before)."""

    def __init__(self) -> None:
        self._seen: set[Reference] = {SERVICE_INSTANCE}
        self._lock = threading.Lock()

    def __contains__(self, reference: Reference) -> bool:
        with self._lock:
            return reference in self._seen

    def learn(self, answer: bytes) -> None:
        """Take in the references of a SOAP answer: every ``urn:vim25``
        element with a ``type`` attribute and a value. An answer that does
        not parse teaches nothing (it reaches the client as it is)."""
        found = references(answer)
        with self._lock:
            self._seen |= found


def references(answer: bytes) -> set[Reference]:
    """The managed object references a SOAP answer holds."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    found: set[Reference] = set()
    stack: list[tuple[str | None, list[str]]] = []

    def start(name: str, attributes: dict[str, str]) -> None:
        uri = name.rpartition(" ")[0]
        kind = attributes.get("type") if uri == VIM25 else None
        stack.append((kind, []))

    def end(name: str) -> None:
        kind, text = stack.pop()
        value = "".join(text).strip()
        if kind and value:
            found.add((kind, value))

    def text(data: str) -> None:
        if stack:
            stack[-1][1].append(data)

    def no_dtd(*_: object) -> None:
        raise expat.ExpatError("a DTD: not vCenter's answer")

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = no_dtd
    try:
        parser.Parse(answer, True)
    except expat.ExpatError:
        return set()
    return found
