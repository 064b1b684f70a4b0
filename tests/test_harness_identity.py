"""Telling the harness's simulator from anything else at a URL: only its
exact answer to ``GET /harness/info`` will do, so a server that answers 200
or 302 there is not handed an unguarded run."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sim import Control, Endpoint, Simulator
from sim.build import govmomi_version


@pytest.fixture(scope="module")
def ours() -> Iterator[Simulator]:
    with Simulator("process") as sim:
        yield sim


@contextlib.contextmanager
def impostor(status: int, body: object) -> Iterator[Endpoint]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield Endpoint.from_url(f"http://u:p@127.0.0.1:{server.server_address[1]}/sdk")
    finally:
        server.shutdown()
        server.server_close()


def test_the_harness_simulator_is_recognised(ours):
    assert Control(ours.endpoint).is_harness_simulator()


@pytest.mark.parametrize(("status", "body"), [
    (200, {}), (302, {"fidelity": "vcenter", "seed": 1, "govmomi": "v0.56.0", "faults": []}),
    (200, {"fidelity": "vcenter", "seed": 1, "govmomi": "v0.1.0", "faults": []}),
    (200, {"fidelity": "vcenter", "seed": 1, "govmomi": "v0.56.0", "faults": [], "x": 1}),
    (200, ["fidelity", "seed", "govmomi", "faults"])])
def test_anything_else_is_not(status, body):
    if isinstance(body, dict) and body.get("govmomi") == "v0.56.0":
        body = {**body, "govmomi": govmomi_version()}
    with impostor(status, body) as endpoint:
        assert not Control(endpoint).is_harness_simulator()
