"""The guard's HTTP side: a loopback proxy between the harness (and every
implementation it runs) and a real vCenter.

Implementations talk to ``http://user:pass@127.0.0.1:<port>/sdk`` with
throw-away credentials only the guard accepts; the guard logs in upstream
with the real ones, and hands clients a session token of its own in place
of vCenter's session cookie, so neither the password nor a live vCenter
session reaches them: an answer that holds a session's secret (a Login's
``UserSession.key``, which on the simulator is the cookie itself) holds
the token instead. It forwards to the real endpoint over TLS (verified
unless told otherwise).
Every request is checked on what it is, not on what it looks like: the
HTTP method and URL by allow-list before the body is read, a SOAP body
parsed strictly (``soap.py``) and checked against the allow-lists of calls
and their arguments (``calls.py``), objects (``objects.py``) and
properties (``properties.py``), and forwarded as rebuilt from the parsed
call; a file URL parsed strictly and checked against the inventory
(``folder.py``). Anything else is answered with a NoPermission fault (SOAP)
or 403 (HTTP). The check is the harness's, not left to the implementation
under test, which is treated as hostile.
"""

from __future__ import annotations

import html
import logging
import secrets
import threading
from collections.abc import Mapping
from dataclasses import replace
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import BinaryIO
from urllib.parse import urlsplit

from pyVmomi import vim

from sim import Endpoint
from sim.transport import open_connection

from ..session import connect, disconnect
from ..soap import Call, RequestRefused, parse_request
from .calls import check_call
from .folder import Names, check_file_url
from .objects import Known
from .properties import Properties

log = logging.getLogger(__name__)

MAX_SOAP_BYTES = 1 << 20  # a call of an image cache is a few kB
MAX_FILE_BYTES = 64 << 20  # a file put below the run folder
_FORWARDED = ("content-type", "soapaction", "user-agent", "accept", "vmware-api")
SESSION_COOKIE = "vmware_soap_session"
GUARD_USER = "imagecache-harness-guard"
# What pyVmomi reads before it logs in.
_SDK_DOCUMENTS = frozenset({"/sdk/vimServiceVersions.xml", "/sdk/vimService.wsdl"})


def read_chunks(stream: BinaryIO, limit: int) -> bytes:
    """A chunked body (RFC 9112, 7.1), strictly: hexadecimal sizes without
    extensions, each chunk ended by CRLF, no trailers, at most ``limit``
    bytes in all; ValueError naming what is wrong."""
    body = bytearray()
    while True:
        line = stream.readline(18)
        size = line.removesuffix(b"\r\n")
        if not line.endswith(b"\r\n") or not size or \
                any(c not in b"0123456789abcdefABCDEF" for c in size):
            raise ValueError(f"a chunk size line {line[:18]!r}")
        length = int(size, 16)
        if length == 0:
            if stream.readline(3) != b"\r\n":
                raise ValueError("trailers after the last chunk")
            return bytes(body)
        if len(body) + length > limit:
            raise ValueError(f"more than {limit} bytes")
        body += stream.read(length)
        if stream.read(2) != b"\r\n":
            raise ValueError("a chunk not ended by CRLF")


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

    def __init__(self, upstream: Endpoint, root: str,
                 properties: Properties | None = None) -> None:
        self.upstream, self.root = upstream, root.strip("/")
        self.properties = properties or Properties.of()
        self.known = Known()
        self.refused: list[str] = []
        self._server: ThreadingHTTPServer | None = None
        self._endpoint: Endpoint | None = None
        # What clients log in with, and their sessions: token -> vCenter's cookie.
        self.password = secrets.token_urlsafe(18)
        self._sessions: dict[str, str] = {}
        self._names: Names | None = None
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
                why = check_call(call, guard.root, guard.known, guard.properties)
                if why is None and call.method == "Login":
                    call, why = guard.login(call)
                if why is not None:
                    self._refuse_soap(call.method, why)
                    return
                self._forward(guard.to_upstream(call.to_xml()), soap=True)

            def do_GET(self) -> None:
                if self.path in _SDK_DOCUMENTS:
                    self._forward(None)
                    return
                why = guard.check_file(self.path, self.headers.get("Cookie"))
                if why is not None:
                    self._refuse_http(f"reading {why}")
                    return
                self._forward(None)

            def do_PUT(self) -> None:
                why = guard.check_file(self.path, self.headers.get("Cookie"))
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
                """The body, if its framing is one reading and it is within
                ``limit``: a stated length, or chunks (govmomi sends them);
                it goes on with a stated length either way."""
                coding = self.headers.get("Transfer-Encoding")
                if coding is not None:
                    if coding.strip().lower() != "chunked" or "Content-Length" in self.headers:
                        self._refuse_http(f"a body framed two ways, or coded {coding!r}",
                                          close=True)
                        return None
                    try:
                        return read_chunks(self.rfile, limit)
                    except ValueError as exc:
                        self._refuse_http(f"a chunked body: {exc}", close=True)
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

            def _forward(self, body: bytes | None, soap: bool = False) -> None:
                status, headers, data = guard.forward(self.command, self.path, self.headers,
                                                      body)
                if soap:
                    data = guard.answered(data)
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
        self._endpoint = replace(self.upstream, scheme="http", host="127.0.0.1",
                                 port=self._server.server_address[1], insecure=True,
                                 username=GUARD_USER, password=self.password, thumbprint=None)
        return self._endpoint

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

    def check_file(self, url: str, cookie: str | None) -> str | None:
        """Why a file request is refused, or None: it needs a session of the
        guard's (whether or not the upstream asks for one), and a URL naming
        what the server will take it for (``folder.check_file_url``)."""
        if self._upstream_cookie(cookie) is None:
            return f"{urlsplit(url).path!r} without a session of the guard's"
        return check_file_url(url, self.root, self.names)

    def names(self) -> Names:
        """The inventory's datastores and datacenter paths, read once through
        the guard itself by a session of its own (so it is checked, and
        verified, as any client's)."""
        with self._lock:
            if self._names is not None:
                return self._names
        assert self._endpoint is not None, "the guard is not started"
        si = connect(self._endpoint)
        try:
            datastores: set[str] = set()
            datacenters: set[str] = set()
            folders = [("", si.content.rootFolder)]
            while folders:
                prefix, folder = folders.pop()
                for entity in folder.childEntity:
                    if isinstance(entity, vim.Folder):
                        folders.append((f"{prefix}{entity.name}/", entity))
                    elif isinstance(entity, vim.Datacenter):
                        datacenters.add(prefix + entity.name)
                        datastores.update(ds.name for ds in entity.datastore)
        finally:
            disconnect(si)
        names = Names(frozenset(datastores), frozenset(datacenters))
        with self._lock:
            self._names = names
        return names

    def answered(self, data: bytes) -> bytes:
        """A SOAP answer as the client gets it: every upstream session's
        secret in it replaced by that session's token (a Login's key; on
        the simulator the references of a session's own views hold it too),
        then its references learned as the client sees them."""
        with self._lock:
            sessions = list(self._sessions.items())
        for token, upstream in sessions:
            data = data.replace(upstream.encode(), token.encode())
        self.known.learn(data)
        return data

    def to_upstream(self, request: bytes) -> bytes:
        """A checked request as it goes on: tokens back to the secrets they
        stand for (a view's reference, as ``answered`` showed it)."""
        with self._lock:
            sessions = list(self._sessions.items())
        for token, upstream in sessions:
            request = request.replace(token.encode(), upstream.encode())
        return request

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
