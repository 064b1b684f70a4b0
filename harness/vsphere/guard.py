"""A guard between the harness (and every implementation it runs) and a
real vCenter: only the calls an image cache makes get through, file changes
only below the run's own folder.

Implementations talk to ``http://user:pass@127.0.0.1:<port>/sdk`` with
throw-away credentials only the guard accepts; the guard logs in upstream
with the real ones, and hands clients a session token of its own in place
of vCenter's session cookie, so neither the password nor a live vCenter
session reaches them. It forwards to the real endpoint over TLS (verified
unless told otherwise).
Every request is checked on what it is, not on what it looks like: the
HTTP method and URL by allow-list before the body is read, a SOAP body
parsed strictly (``soap.py``) and checked against an allow-list of calls
with the arguments each may carry, and forwarded as rebuilt from the
parsed call. Anything else is answered with a NoPermission fault (SOAP) or
403 (HTTP). The check is the harness's, not left to the implementation
under test, which is treated as hostile.
"""

from __future__ import annotations

import html
import logging
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from sim import Endpoint
from sim.transport import open_connection

from .soap import Call, RequestRefused, parse_request

log = logging.getLogger(__name__)

MAX_SOAP_BYTES = 1 << 20  # a call of an image cache is a few kB
MAX_FILE_BYTES = 64 << 20  # a file put below the run folder
_FORWARDED = ("content-type", "soapaction", "user-agent", "accept", "vmware-api")
SESSION_COOKIE = "vmware_soap_session"
GUARD_USER = "imagecache-harness-guard"
# What pyVmomi reads before it logs in.
_SDK_DOCUMENTS = frozenset({"/sdk/vimServiceVersions.xml", "/sdk/vimService.wsdl"})


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
    "Fetch": _allowed(None, "prop"),  # pyVmomi reading one property of any object
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


def check_call(call: Call, root: str) -> str | None:
    """Why ``call`` must not reach vCenter, or None."""
    allowed = CALLS.get(call.method)
    if allowed is None:
        return f"{call.method} is not a call an image cache makes"
    if allowed.this is not None and call.this_type not in allowed.this:
        return f"{call.method} on a {call.this_type} is not a call an image cache makes"
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
    return None


def check_file_url(url: str, root: str) -> str | None:
    """Why a request for ``/folder/<path>?dsName=...`` is refused, or None."""
    parts = urlsplit(url)
    if not parts.path.startswith("/folder/"):
        return f"{parts.path!r} is not below /folder/"
    query = parse_qs(parts.query, keep_blank_values=True)
    if set(query) - {"dsName", "dcPath"} or any(len(v) != 1 for v in query.values()):
        return f"the query {parts.query!r} is not one dsName and one dcPath"
    datastore = query.get("dsName", [""])[0]
    path = f"[{datastore}] {unquote(parts.path.removeprefix('/folder/'))}"
    why = below(path, root)
    return None if why is None else f"{path!r}: {why}"


def refusal(method: str, message: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
        'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>'
        f"<faultcode>ServerFaultCode</faultcode><faultstring>{html.escape(message)}"
        '</faultstring><detail><NoPermissionFault xmlns="urn:vim25" xsi:type="NoPermission">'
        "<privilegeId>imagecache-harness.guard</privilegeId></NoPermissionFault></detail>"
        "</soapenv:Fault></soapenv:Body></soapenv:Envelope>").encode()


class Guard:
    """A loopback HTTP proxy to ``upstream`` that lets the calls of an image
    cache through, file changes only below ``root`` (a folder at the root of
    each datastore). TLS to ``upstream`` is verified as the endpoint says
    (its thumbprint, else authorities unless it is ``insecure``)."""

    def __init__(self, upstream: Endpoint, root: str) -> None:
        self.upstream, self.root = upstream, root.strip("/")
        self.refused: list[str] = []
        self._server: ThreadingHTTPServer | None = None
        # What clients log in with, and their sessions: token -> vCenter's cookie.
        self.password = secrets.token_urlsafe(18)
        self._sessions: dict[str, str] = {}
        self._lock = threading.Lock()

    def start(self) -> Endpoint:
        guard = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                if urlsplit(self.path).path != "/sdk":
                    self._refuse_http(f"POST to {self.path!r}: only /sdk takes calls")
                    return
                body = self._body(MAX_SOAP_BYTES)
                if body is None:
                    return
                try:
                    call = parse_request(body)
                except RequestRefused as exc:
                    self._refuse_soap("?", f"the request is not one vSphere call: {exc}")
                    return
                why = check_call(call, guard.root)
                if why is None and call.method == "Login":
                    call, why = guard.login(call)
                if why is not None:
                    self._refuse_soap(call.method, why)
                    return
                self._forward(call.to_xml())

            def do_GET(self) -> None:
                if self.path in _SDK_DOCUMENTS:
                    self._forward(None)
                    return
                why = check_file_url(self.path, guard.root)
                if why is not None:
                    self._refuse_http(f"reading {why}")
                    return
                self._forward(None)

            def do_PUT(self) -> None:
                why = check_file_url(self.path, guard.root)
                if why is not None:
                    self._refuse_http(f"writing {why}")
                    return
                body = self._body(MAX_FILE_BYTES)
                if body is not None:
                    self._forward(body)

            def _refuse_any(self) -> None:
                self._refuse_http(f"{self.command} is not a request the guard forwards")

            do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_CONNECT = do_TRACE = _refuse_any

            def _body(self, limit: int) -> bytes | None:
                """The body, if its length is stated and within ``limit``."""
                if self.headers.get("Transfer-Encoding") is not None:
                    self._refuse_http("a chunked body: state its Content-Length", close=True)
                    return None
                try:
                    length = int(self.headers.get("Content-Length", "0"))
                except ValueError:
                    length = -1
                if not 0 <= length <= limit:
                    self._refuse_http(f"a body of {self.headers.get('Content-Length')!r} "
                                      f"bytes (at most {limit})", close=True)
                    return None
                return self.rfile.read(length)

            def _refuse_soap(self, method: str, why: str) -> None:
                message = guard.refuse(f"{why}; refused on a real vCenter")
                self._answer(500, {"Content-Type": "text/xml; charset=utf-8"},
                             refusal(method, message))

            def _refuse_http(self, why: str, close: bool = False) -> None:
                message = guard.refuse(f"{why}; refused")
                if close:  # the unread body must not be taken for the next request
                    self.close_connection = True
                self._answer(403, {"Content-Type": "text/plain; charset=utf-8"},
                             message.encode(), close=close)

            def _forward(self, body: bytes | None) -> None:
                status, headers, data = guard.forward(self.command, self.path, self.headers,
                                                      body)
                self._answer(status, headers, data)

            def _answer(self, status: int, headers: dict[str, str], data: bytes,
                        close: bool = False) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                if close:
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                log.debug("guard: " + format, *args)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, name="guard", daemon=True).start()
        return replace(self.upstream, scheme="http", host="127.0.0.1",
                       port=self._server.server_address[1], insecure=True,
                       username=GUARD_USER, password=self.password)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def refuse(self, why: str) -> str:
        message = f"imagecache-harness guard: {why}"
        log.warning("%s", message)
        self.refused.append(message)
        return message

    def login(self, call: Call) -> tuple[Call, str | None]:
        """A client's Login with the guard's credentials, made a Login with
        the real ones; or why it is refused."""
        if call.values("userName") != [GUARD_USER] or call.values("password") != [self.password]:
            return call, "a Login with other credentials than the guard gave out"
        return call.with_values(userName=self.upstream.username,
                                password=self.upstream.password), None

    def _upstream_cookie(self, header: str | None) -> str | None:
        """The vCenter session a client's cookie (a guard token) stands for."""
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(header or "")
        except CookieError:
            return None
        token = jar[SESSION_COOKIE].value if SESSION_COOKIE in jar else None
        with self._lock:
            upstream = self._sessions.get(token or "")
        return f'{SESSION_COOKIE}="{upstream}"' if upstream else None

    def _client_cookie(self, header: str) -> str | None:
        """vCenter's Set-Cookie, with a guard token for the session in it."""
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(header)
        except CookieError:
            return None
        if SESSION_COOKIE not in jar:
            return None
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._sessions[token] = jar[SESSION_COOKIE].value
        return f'{SESSION_COOKIE}="{token}"; Path=/; HttpOnly'

    def forward(self, command: str, path: str, headers: Mapping[str, str], body: bytes | None
                ) -> tuple[int, dict[str, str], bytes]:
        conn = open_connection(self.upstream, timeout=300)
        sent = {k: v for k, v in headers.items() if k.lower() in _FORWARDED}
        session = self._upstream_cookie(headers.get("Cookie"))
        if session is not None:
            sent["Cookie"] = session
        if body is not None:
            sent["Content-Length"] = str(len(body))
        try:
            conn.request(command, path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        kept = {k: v for k, v in response.getheaders() if k.lower() == "content-type"}
        for key, value in response.getheaders():
            if key.lower() == "set-cookie" and (cookie := self._client_cookie(value)):
                kept["Set-Cookie"] = cookie
        return response.status, kept, data
