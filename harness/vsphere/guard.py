"""A guard between the harness (and every implementation it runs) and a
real vCenter: only reads, sessions, and file changes below the run's own
folder get through.

Implementations talk to ``http://user:pass@127.0.0.1:<port>/sdk``; the guard
forwards to the real endpoint over TLS (verified unless told otherwise) and
answers anything else with a NoPermission fault. The check is the
harness's, not left to the implementation under test.
"""

from __future__ import annotations

import html
import http.client
import logging
import re
import ssl
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from sim import Endpoint

log = logging.getLogger(__name__)

# What an image cache implementation needs besides file changes: session,
# property reads, and datastore searches. Anything else is refused.
READ_METHODS = frozenset({
    "RetrieveServiceContent", "Login", "Logout", "SessionIsActive", "CurrentTime",
    "RetrieveProperties", "RetrievePropertiesEx", "ContinueRetrievePropertiesEx",
    "CancelRetrievePropertiesEx", "Fetch", "CreateContainerView", "DestroyView",
    "CreateFilter", "DestroyPropertyFilter", "WaitForUpdates", "WaitForUpdatesEx",
    "CheckForUpdates", "CreatePropertyCollector", "DestroyPropertyCollector",
    "SearchDatastore_Task", "SearchDatastoreSubFolders_Task",
})
# File changes, and the arguments naming the paths they touch.
WRITE_METHODS = {
    "MakeDirectory": ("name",),
    "DeleteDatastoreFile_Task": ("name",),
    "MoveDatastoreFile_Task": ("sourceName", "destinationName"),
    "CopyDatastoreFile_Task": ("destinationName",),
}
_METHOD = re.compile(rb"<(?:[\w-]+:)?Body[^>]*>\s*<(?:[\w-]+:)?(\w+)[\s>/]")
_FORWARDED = ("content-type", "soapaction", "cookie", "user-agent", "accept", "vmware-api")


def _argument(body: bytes, name: str) -> list[str]:
    pattern = rb"<(?:[\w-]+:)?" + name.encode() + rb"(?:\s[^>]*)?>([^<]*)<"
    return [html.unescape(m.decode()) for m in re.findall(pattern, body)]


def inside(path: str, root: str) -> bool:
    """Whether datastore path ``[ds] rel`` lies in (or is) ``root`` on any datastore."""
    match = re.fullmatch(r"\[[^\]]+\] ?(.*)", path.strip())
    if not match:
        return False
    rel = match.group(1).rstrip("/")
    if ".." in rel.split("/"):
        return False
    return rel == root or rel.startswith(root + "/")


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
    """A loopback HTTP proxy to ``upstream`` that lets file changes through
    only below ``root`` (a folder at the root of each datastore)."""

    def __init__(self, upstream: Endpoint, root: str, *, verify_tls: bool = True) -> None:
        self.upstream, self.root, self.verify_tls = upstream, root.strip("/"), verify_tls
        self.refused: list[str] = []
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> Endpoint:
        guard = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                refused = guard.check_soap(body)
                if refused:
                    self._answer(500, {"Content-Type": "text/xml; charset=utf-8"},
                                 refusal(*refused))
                    return
                self._forward(body)

            def do_GET(self) -> None:
                self._forward(None)

            def do_PUT(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                refused = guard.check_file_url(self.path)
                if refused:
                    self._answer(403, {"Content-Type": "text/plain"}, refused.encode())
                    return
                self._forward(body)

            do_DELETE = do_PUT

            def _forward(self, body: bytes | None) -> None:
                status, headers, data = guard.forward(self.command, self.path, self.headers,
                                                      body)
                self._answer(status, headers, data)

            def _answer(self, status: int, headers: dict[str, str], data: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                log.debug("guard: " + format, *args)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, name="guard", daemon=True).start()
        return replace(self.upstream, scheme="http", host="127.0.0.1",
                       port=self._server.server_address[1], insecure=True)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def check_soap(self, body: bytes) -> tuple[str, str] | None:
        """(method, why) if the call must not reach vCenter, else None."""
        match = _METHOD.search(body)
        method = match.group(1).decode() if match else "?"
        if method in READ_METHODS:
            return None
        if method not in WRITE_METHODS:
            return self._refuse(method, f"imagecache-harness guard: {method} is not a call an "
                                        "image cache makes; refused on a real vCenter")
        for argument in WRITE_METHODS[method]:
            for path in _argument(body, argument):
                if not inside(path, self.root):
                    return self._refuse(method, f"imagecache-harness guard: {method} of "
                                                f"{path!r} is outside the run folder "
                                                f"{self.root!r}; refused")
        return None

    def check_file_url(self, url: str) -> str | None:
        """Why a PUT/DELETE on ``/folder/<path>?dsName=...`` is refused, or None."""
        parts = urlsplit(url)
        ds = parse_qs(parts.query).get("dsName", ["?"])[0]
        path = f"[{ds}] {unquote(parts.path.removeprefix('/folder/'))}"
        if parts.path.startswith("/folder/") and inside(path, self.root):
            return None
        return self._refuse("HTTP", f"imagecache-harness guard: writing {path!r} is outside "
                                    f"the run folder {self.root!r}; refused")[1]

    def _refuse(self, method: str, message: str) -> tuple[str, str]:
        log.warning("%s", message)
        self.refused.append(message)
        return method, message

    def forward(self, command: str, path: str, headers, body: bytes | None
                ) -> tuple[int, dict[str, str], bytes]:
        up = self.upstream
        if up.scheme == "https":
            context = ssl.create_default_context()
            if not self.verify_tls:
                context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                up.host, up.port, timeout=300, context=context)
        else:
            conn = http.client.HTTPConnection(up.host, up.port, timeout=300)
        sent = {k: v for k, v in headers.items() if k.lower() in _FORWARDED}
        try:
            conn.request(command, path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        kept = {k: v for k, v in response.getheaders()
                if k.lower() in ("content-type", "set-cookie")}
        return response.status, kept, data
