"""The url backend: an endpoint somebody else runs, never stopped by us."""

from __future__ import annotations

import pytest

from harness.vsphere.session import connect, disconnect
from sim import EndpointError, Simulator
from sim.readiness import probe


def test_connects_to_a_running_simulator_and_never_stops_it(vcsim):
    with Simulator("url", url=vcsim.url) as external:
        assert external.backend == "url"
        assert external.endpoint == vcsim.endpoint
        disconnect(connect(external.endpoint))
    probe(vcsim.endpoint)  # still up


def test_endpoint_that_does_not_answer(unused_tcp_port):
    url = f"https://u:secret@127.0.0.1:{unused_tcp_port}/sdk"
    with pytest.raises(EndpointError) as err:
        Simulator("url", url=url).start()
    assert f"https://u:***@127.0.0.1:{unused_tcp_port}/sdk does not answer" in str(err.value)
    assert "secret" not in str(err.value)


def test_http_endpoint_that_is_not_vsphere(vcsim):
    url = f"https://u:p@127.0.0.1:{vcsim.port}/about"
    with pytest.raises(EndpointError, match="is not a vSphere SDK: HTTP"):
        Simulator("url", url=url).start()


@pytest.fixture
def unused_tcp_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
