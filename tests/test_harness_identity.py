"""Telling the harness's simulator from anything else at a URL: TLS with the
certificate whose thumbprint the simulator printed at its start, and its
exact answer to ``GET /harness/info``. A server that copies the answer, or
answers 200 or 302 there, is not handed an unguarded run."""

from __future__ import annotations

import contextlib
import hashlib
import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme

from sim import Control, Endpoint, Simulator
from sim.build import govmomi_version
from sim.endpoint import normal_thumbprint
from sim.errors import EndpointError
from sim.readiness import probe

EXACT = {"fidelity": "vcenter", "seed": 1, "govmomi": "this one", "faults": []}


@pytest.fixture(scope="module")
def ours() -> Iterator[Simulator]:
    with Simulator("process") as sim:
        yield sim


@pytest.fixture(scope="module")
def another() -> Iterator[Simulator]:
    """A second harness simulator: a server answering exactly, with a key of its own."""
    with Simulator("process") as sim:
        yield sim


@contextlib.contextmanager
def impostor(status: int, body: object, tls: bool = True) -> Iterator[Endpoint]:
    """A server answering ``body`` with ``status`` to every GET, over TLS with
    a certificate of its own, whose thumbprint the endpoint pins."""
    if body == EXACT:
        body = {**EXACT, "govmomi": govmomi_version()}

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
    thumbprint = None
    if tls:
        cert = trustme.CA().issue_cert("127.0.0.1")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        der = ssl.PEM_cert_to_DER_cert(cert.cert_chain_pems[0].bytes().decode())
        thumbprint = hashlib.sha256(der).hexdigest()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield Endpoint.from_url(f"{'https' if tls else 'http'}://u:p@127.0.0.1:"
                                f"{server.server_address[1]}/sdk", thumbprint=thumbprint)
    finally:
        server.shutdown()
        server.server_close()


def test_the_harness_simulator_proves_itself_with_the_thumbprint_it_printed(ours):
    assert ours.endpoint.thumbprint, "the simulator's ready line carries its thumbprint"
    assert Control(ours.endpoint).is_harness_simulator()


def test_each_start_makes_a_key_of_its_own(ours, another):
    """httptest's default certificate has a published key: a thumbprint of it
    would prove nothing."""
    assert ours.endpoint.thumbprint != another.endpoint.thumbprint


def test_without_a_thumbprint_nothing_is_proven(ours):
    assert not Control(replace(ours.endpoint, thumbprint=None)).is_harness_simulator()


def test_a_server_that_answers_exactly_with_another_key_is_not_it(ours, another):
    """As a man in the middle would: the answer is right, the certificate not."""
    relay = replace(another.endpoint, thumbprint=ours.endpoint.thumbprint)
    assert Control(another.endpoint).is_harness_simulator()  # the answer alone would pass
    assert not Control(relay).is_harness_simulator()
    with pytest.raises(EndpointError, match="certificate other than"):
        probe(relay)


@pytest.mark.parametrize(("status", "body"), [
    (200, {}), (302, EXACT),
    (200, {**EXACT, "govmomi": "v0.1.0"}), (200, {**EXACT, "x": 1}),
    (200, ["fidelity", "seed", "govmomi", "faults"])])
def test_a_pinned_server_that_answers_otherwise_is_not_it(status, body):
    with impostor(status, body) as endpoint:
        assert not Control(endpoint).is_harness_simulator()


def test_the_impostor_would_pass_with_the_exact_answer():
    """The impostors above fail on their answers alone."""
    with impostor(200, EXACT) as endpoint:
        assert Control(endpoint).is_harness_simulator()


def test_plain_http_is_never_proven():
    with impostor(200, EXACT, tls=False) as endpoint:
        assert not Control(endpoint).is_harness_simulator()


@pytest.mark.parametrize("text", ["", "AB:CD", "ZZ" * 32, "AB" * 31])
def test_a_malformed_thumbprint_is_named(text):
    with pytest.raises(EndpointError, match="32 hex pairs"):
        normal_thumbprint(text)


def test_a_thumbprint_may_be_pasted_in_either_case_and_without_colons():
    digest = hashlib.sha256(b"x").hexdigest()
    assert normal_thumbprint(digest) == normal_thumbprint(digest.upper()) == \
        ":".join(digest[i:i + 2].upper() for i in range(0, 64, 2))
